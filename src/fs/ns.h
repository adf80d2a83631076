/* SPDX-License-Identifier: BSD-3-Clause */
/* ns.h: the namespace file that keeps directories and symlinks across mounts. */
#ifndef HSHMFS_NS_H
#define HSHMFS_NS_H

#include <stddef.h>
#include <stdint.h>

struct hshmfs;

/* The format (ns.c describes it) */
#define NS_MAGIC "HSHMFSN1"
#define NS_HEAD 32           /* header bytes */
#define NS_FIXED 48          /* fixed bytes of an entry */
#define NS_VERSION 2         /* written; 1 is still read */
#define NS_XFIXED 5          /* an attribute: u8 name length, u32 value length */

/** One decoded entry; path and target point into the decoded buffer. */
struct ns_entry {
	char type;            /* 'R' root, 'D' directory, 'L' symlink,
	                       * 'N' FIFO, socket or device, 'F' a region's
	                       * user attributes, 'H' another name (hard
	                       * link) of a region (version 2) */
	uint8_t flags;        /* 1: backend set, 2: size set, 4: view set,
	                       * 8: the view is data */
	uint32_t path_len, target_len;
	uint32_t mode, uid, gid, backend;
	int32_t gpu;
	uint64_t size;        /* 'N': rdev; 'F', 'H': the region's serial */
	int64_t mtime_sec;
	uint32_t mtime_nsec;
	const char *path, *target;
	/* user.* attributes (version 2): @nxattrs of them at @xattrs, each
	 * u8 name length, u32 value length, name, value; checked: names
	 * "user." but not "user.hshm.", sorted, unique, limits kept */
	uint32_t nxattrs;
	const unsigned char *xattrs;
};

/** The directory (made by earlier entries) that holds @path (@len bytes,
 * checked by the parser) and, in @name, its last component; NULL when a
 * directory on the way is missing (tree_lock held). */
struct hnode *ns_parent_of(struct hshmfs *fs, const char *path, uint32_t len,
			   char *name);

/** Walk an entry's attributes: the next one after *@pos (start with
 * e->xattrs). */
void ns_xattr_next(const unsigned char **pos, const char **name,
		   size_t *name_len, const void **value, size_t *value_len);

/**
 * ns_decode() - validate a namespace file image and call @fn for each entry
 * (parents before children).  Pure; @fn may be NULL to validate only.
 * Return: 0, -ENODATA (not a namespace file), -EBADMSG (damaged), or what
 * @fn returned.
 */
int ns_decode(const void *buf, size_t len,
	      int (*fn)(void *arg, const struct ns_entry *e), void *arg);

/** ns_snapshot() - encode the directories and symlinks of @fs (tree_lock
 * held) into a malloc'd image.  0 or -ENOMEM/-ENAMETOOLONG. */
int ns_snapshot(struct hshmfs *fs, void **out, size_t *len);
/** Start the flusher thread.  0 or -errno. */
int ns_start(struct hshmfs *fs);
/** Note a change of a directory or symlink: saved within 100 ms. */
void ns_dirty(struct hshmfs *fs);
/** Stop the flusher, saving what is pending (at unmount). */
void ns_stop(struct hshmfs *fs);
/** Recreate the saved directories and symlinks (at mount, before regions).
 * A damaged file is renamed to ".<prefix>.ns.bad" and logged.  Returns 0. */
int ns_load(struct hshmfs *fs);

#endif /* HSHMFS_NS_H */
