/* SPDX-License-Identifier: BSD-3-Clause */
/* meta.h: the hshmfs record kept in the bytes of an object that HSHM never uses. */
#ifndef HSHMFS_META_H
#define HSHMFS_META_H

#include <stdint.h>

struct hshmfs;
struct hnode;

#define HSHMFS_META_MAGIC "HSHMFSM1"
#define HSHMFS_META_PATH_MAX 3072

/*
 * Stored little-endian at the start of hshm_spare() (posix_shm_mmap: the page
 * at backend_size, past everything upstream maps; gpu_shm_mmap: the unused
 * last page).  Upstream HSHM never reads or writes these bytes.
 */
struct hshmfs_meta {
	char magic[8];          /* "HSHMFSM1" */
	uint32_t version;       /* 1 */
	uint32_t kind;          /* enum hshm_backend_kind */
	uint32_t uid, gid, mode;
	uint32_t flags;         /* HSHMFS_META_OWNED */
	int64_t atime_sec, mtime_sec, ctime_sec;
	uint32_t atime_nsec, mtime_nsec, ctime_nsec;
	uint32_t path_len;      /* bytes of path, no NUL */
	uint64_t serial;
	char path[HSHMFS_META_PATH_MAX]; /* relative to the mount root */
	uint32_t crc;           /* crc32 of everything before it */
	uint32_t pad;
};

#define HSHMFS_META_OWNED 0x1u
#define HSHMFS_META_DETACHED 0x2u /* rm'ed while not owned: left to its owner */

_Static_assert(sizeof(struct hshmfs_meta) <= 4096, "meta fits a page");

/** Fill @m from node @n (tree_lock held: the path is read). */
void meta_from_node(struct hshmfs *fs, struct hnode *n, struct hshmfs_meta *m);
/**
 * meta_check() - validate a record read from an object (pure; fuzzed):
 * magic, version, crc, kind range, path length and characters (no empty
 * components, no "." or "..", no NUL).  Return: 0, -ENODATA (no record),
 * -EBADMSG (damaged record).
 */
int meta_check(const void *buf, size_t len);
uint32_t meta_crc32(const void *buf, size_t len);
/** meta_path_check() - a relative path: components 1..255 bytes, no NUL,
 * no empty, "." or ".." component, 1..PATH_MAX-1 bytes in all.
 * Return: 0 or -EBADMSG. */
int meta_path_check(const char *p, uint32_t len);

#endif /* HSHMFS_META_H */
