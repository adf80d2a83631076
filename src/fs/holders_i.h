/* SPDX-License-Identifier: BSD-3-Clause */
/* holders_i.h: what holders.c and holders_scan.c share. */
#ifndef HSHMFS_HOLDERS_I_H
#define HSHMFS_HOLDERS_I_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "fs_i.h"



#define HOLD_TTL_NS (200 * 1000000LL)  /* a scan answers for 200 ms, */
#define HOLD_TTL_SCANS 4                /* or 4 times what it took */
#define HOLD_MAX_DEVS 8                 /* devices regions live on */
#define HOLD_VAL_MAX 65536              /* XATTR_SIZE_MAX */
#define HOLD_LINE_MAX 192               /* one line of user.hshm.holders */
#define XPFX "user.hshm."

enum { HOW_FD = 1, HOW_MAP = 2, HOW_IPC = 4 };
enum { VIA_MOUNT = 1, VIA_OBJECT = 2 };

/* A process seen holding something of interest. */
struct hold_proc {
	pid_t pid;
	bool loaded, gone;      /* the fields below read (on first query) */
	bool dumpable;
	uid_t uid[3];           /* real, effective, saved */
	gid_t gid[3];
	uint64_t start;         /* clock ticks after boot */
	char comm[16];
};

/* One file a process holds: how, and the bytes it maps. */
struct hold_ent {
	uint64_t dev, ino;
	uint32_t proc;          /* index in procs */
	uint8_t how;
	uint64_t bytes;
};

struct hshmfs_holders {
	pthread_mutex_t lock;   /* everything below but the fixed fields */
	char mnt[PATH_MAX];     /* fixed: the mount point */
	int procfd;             /* fixed: /proc */
	long tick;              /* fixed: clock ticks per second */
	dev_t mnt_dev;          /* 0 until first needed */
	dev_t devs[HOLD_MAX_DEVS];
	size_t ndevs;
	bool valid;             /* procs/ents are a scan younger than TTL */
	bool partial;           /* that scan could not read everything */
	int64_t when;           /* CLOCK_MONOTONIC ns of that scan */
	int64_t ttl;            /* how long it answers, ns */
	struct hold_proc *procs;
	size_t nprocs, cprocs;
	struct hold_ent *ents;
	size_t nents, cents;
};

/* What a query needs of a region, copied under its locks. */
struct hold_query {
	uint64_t keys[2][2];    /* (dev, ino): mount file, object */
	uint8_t via[2];
	size_t nkeys;
	struct hshmfs_ipc_pid ipc[HSHMFS_IPC_PIDS];
	unsigned nipc;
	bool ipc_lost;
	int objfd;              /* dup of the object's fd, or -1 */
	time_t changed;         /* the node's latest of mtime and ctime */
};

/* One holder as a caller is told about it. */
struct holder {
	pid_t pid;
	uint8_t how, via;
	bool visible;
	uint64_t bytes;
	const struct hold_proc *p;
	struct hold_proc ipc;   /* a process known only by its IPC handle */
};


/* holders_scan.c */
/** The time of clock @c in nanoseconds. */
int64_t hold_now_ns(clockid_t c);
/** Read /proc/<pid>/stat of @p->pid (under the /proc fd @procfd): its
 * command name and start time.  0 or -errno (gone, unreadable). */
int hold_read_stat(int procfd, struct hold_proc *p);
/** hold_read_stat() and the process's uids, gids and dumpable flag. */
int hold_read_proc(int procfd, struct hold_proc *p);
/** The device of the mount's own files (h->mnt; h->lock held).  0 or -errno. */
int hold_mount_dev(struct hshmfs_holders *h, dev_t *dev);
/** Scan /proc again unless the last scan is still fresh (holders.c takes
 * h->lock around it).  0 or -errno. */
int hold_refresh(struct hshmfs_holders *h, const struct hold_query *q);

#endif /* HSHMFS_HOLDERS_I_H */
