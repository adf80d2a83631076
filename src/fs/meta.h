/* SPDX-License-Identifier: BSD-3-Clause */
/* meta.h: the hshmfs record of a region: an extended attribute of its object
 * (record.c), or, where that cannot be stored, bytes HSHM never uses. */
#ifndef HSHMFS_META_H
#define HSHMFS_META_H

#include <stddef.h>
#include <stdint.h>

struct hshmfs;
struct hnode;

#define HSHMFS_META_MAGIC "HSHMFSM1"
#define HSHMFS_META_PATH_MAX 3072

/*
 * Little-endian.  Kept in the object's extended attribute HSHMFS_META_XATTR
 * in the compact form of meta_encode(); where the shm_dir cannot store it
 * (record.c), and in objects of versions before issue 16, as this struct
 * at the start of hshm_spare() (posix_shm_mmap: the page at backend_size,
 * past everything upstream maps; gpu_shm_mmap: the unused last page),
 * bytes upstream HSHM never reads or writes.
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
	/*
	 * version 1 (written by hshmfs before issue 12, "legacy"): crc is the
	 * crc32 of everything before it, pad is 0.  version 2: crc and pad
	 * together hold the 64-bit SipHash-2-4 tag of everything before crc
	 * under the mount's key (crc the low half), see meta_seal().
	 */
	uint32_t crc;
	uint32_t pad;
};

#define HSHMFS_META_LEGACY 1u   /* version: crc32 only */
#define HSHMFS_META_VERSION 2u  /* version: keyed tag */
#define HSHMFS_META_KEY_LEN 16

#define HSHMFS_META_OWNED 0x1u
#define HSHMFS_META_DETACHED 0x2u /* rm'ed while not owned: left to its owner */
#define HSHMFS_META_DVIEW 0x4u    /* the data view: length in the slot (dview.c) */

_Static_assert(sizeof(struct hshmfs_meta) <= 4096, "meta fits a page");

/* The attribute's name: the trusted namespace, which only CAP_SYS_ADMIN may
 * read, list or change, so an object's owner can neither see nor forge it. */
#define HSHMFS_META_XATTR "trusted.hshmfs.record"
/* The compact form: the fields before path, path_len bytes of path, then
 * the 8-byte tag (crc, pad); only version-2 (sealed) records. */
#define HSHMFS_META_FIXED offsetof(struct hshmfs_meta, path)
#define HSHMFS_META_XATTR_MAX (HSHMFS_META_FIXED + HSHMFS_META_PATH_MAX + 8)

/** meta_encode() - the compact form of sealed record @m into @buf
 * (HSHMFS_META_XATTR_MAX bytes).  Return: its length in bytes. */
size_t meta_encode(const struct hshmfs_meta *m, void *buf);
/**
 * meta_decode() - the record @m of compact form @buf (@len bytes; pure,
 * fuzzed): its length must be exactly what its path_len says, its version
 * 2; the rest is meta_verify()'s to judge (unused path bytes are zero).
 * Return: 0 or -EBADMSG.
 */
int meta_decode(const void *buf, size_t len, struct hshmfs_meta *m);

/** Fill @m from node @n, sealed (tree_lock held: the path is read). */
void meta_from_node(struct hshmfs *fs, struct hnode *n, struct hshmfs_meta *m);
/** meta_seal() - make @m a version-2 record and compute its tag with the
 * mount's key (after any field of @m changed). */
void meta_seal(struct hshmfs *fs, struct hshmfs_meta *m);
/**
 * meta_check() - validate the structure of a record read from an object
 * (pure, no key; fuzzed): magic, version 1 (with its crc) or 2, kind range,
 * regular mode, known flags, nanoseconds, path length and characters (see
 * meta_path_check()), zero bytes after the path.  A version-2 record's tag
 * is not checked here: see meta_verify().  Return: 0, -ENODATA (no
 * record), -EBADMSG (damaged record).
 */
int meta_check(const void *buf, size_t len);
/**
 * meta_verify() - meta_check() plus the tag under @key (pure; fuzzed).
 * Return: 0 (version 2, authentic), -ENOKEY (a well-formed version-1
 * record: no tag, trust it only under the upgrade rules of recover.c),
 * -EKEYREJECTED (version 2, wrong tag), -ENODATA, -EBADMSG.
 */
int meta_verify(const void *buf, size_t len,
		const uint8_t key[HSHMFS_META_KEY_LEN]);
uint32_t meta_crc32(const void *buf, size_t len);
/** SipHash-2-4 of @len bytes under a 128-bit key (little-endian words). */
uint64_t meta_siphash(const uint8_t key[HSHMFS_META_KEY_LEN], const void *buf,
		      size_t len);
/** meta_path_check() - a relative path: components 1..255 bytes, no NUL,
 * no empty, "." or ".." component, 1..PATH_MAX-1 bytes in all.
 * Return: 0 or -EBADMSG. */
int meta_path_check(const char *p, uint32_t len);

#endif /* HSHMFS_META_H */
