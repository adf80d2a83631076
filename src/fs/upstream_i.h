/* SPDX-License-Identifier: BSD-3-Clause */
/* upstream_i.h: what upstream.c, upstream_follow.c and upstream_view.c share. */
#ifndef HSHMFS_UPSTREAM_I_H
#define HSHMFS_UPSTREAM_I_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "fs_i.h"
#include "meta.h"



#define LINK_DIR_PREFIX "chimaera_"
#define VIEW_NAME ".hshm"
#define VIEW_MODE 0600     /* an entry: its owner's, as in a 0700 directory */
#define PEER_MODE 0400     /* another hshmfs mount's region: read-only */
#define SCAN_WAIT_MS 1000  /* the longest a request waits for a scan */
#define FINI_WAIT_MS 2000  /* the longest unmount waits for scans */
#define USER_ENTRIES_MAX 1024 /* links shown per user (each holds an fd) */
#define USER_DIR_MODE 0500 /* /.hshm/<user>: its user's, like chimaera_<user> */

/** Scans of one /.hshm/<user> directory. */
struct up_scan {
	fuse_ino_t ino;
	bool running;            /* a scan thread works on it */
	struct timespec started; /* when it started (CLOCK_MONOTONIC) */
	bool told;               /* its being stuck was logged */
	uint64_t done;           /* scans finished so far */
	struct up_scan *next;
};

/** The view's scan state (one per mount). */
struct hshmfs_up {
	/* guards every field below; taken before fs->tree_lock, never while
	 * holding it */
	pthread_mutex_t lock;
	pthread_cond_t cond;     /* a scan finished */
	bool closing;            /* unmount: scans merge nothing more */
	unsigned threads;        /* scan threads running */
	struct up_scan *scans;
};

/** An entry the directory has: a scan keeps it if its link still reaches
 * the same object, and skips the objects rm'ed in the view. */
struct up_known {
	char *name;              /* NULL: a dismissed object */
	dev_t dev;
	ino_t ino;
};

/** What a scan found for one link. */
struct up_found {
	char name[HSHM_URL_MAX];
	dev_t dev;
	ino_t ino;
	struct hregion *r;       /* NULL: the entry the tree has already */
	struct up_found *next;
};


/* upstream.c: the users' link directories */
/** uid and gid of @user: 0 or -ENOENT. */
int up_user_ids(const char *user, uid_t *uid, gid_t *gid);
/** chimaera_<user> under links_root, O_NOFOLLOW, on its mount, @uid's
 * and private (see upstream.c): an fd or -errno, not logged; @make
 * creates it (0700, @uid/@gid) when missing. */
int up_user_dir_open(struct hshmfs *fs, const char *user, uid_t uid,
		     gid_t gid, bool make);
/** Why up_user_dir_open() refused, for a log line. */
const char *up_dir_why(int err);

/* upstream_follow.c: following a link with its owner's rights */
/** This thread takes @uid/@gid as fsuid/fsgid, no groups, no effective
 * capabilities (a scan thread, which ends with the scan): 0 or -errno. */
int up_become(uid_t uid, gid_t gid);
/** An O_PATH fd of what link @name of @dfd (reading @target) reaches for
 * its owner @uid, or -errno with *@why. */
int up_open_path(int dfd, const char *name, const char *target, uid_t uid,
		 const char **why);
/** @p is a regular file (its identity in *@dev, *@ino): 0 or -errno. */
int up_path_check(int p, dev_t *dev, ino_t *ino, const char **why);
/** @p is on no FUSE file system: 0 or -errno. */
int up_not_fuse(int p, const char **why);
/** Open the O_PATH fd @p for reading and writing, O_NONBLOCK: fd or -errno. */
int up_reopen(int p);

#endif /* HSHMFS_UPSTREAM_I_H */
