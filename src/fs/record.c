/* SPDX-License-Identifier: BSD-3-Clause */
/* record.c: where a region's hshmfs record (meta.h) is kept. */

/*
 * A region's record is the extended attribute HSHMFS_META_XATTR of its
 * object, in the trusted namespace:
 *
 * - only CAP_SYS_ADMIN may read, list, set or remove a trusted attribute,
 *   so whoever owns an object (anyone can, in a world-writable shm_dir)
 *   can neither read a record nor forge, copy or remove one; the tag
 *   (meta_seal) still binds it to this mount's key and the object's serial;
 * - it is no byte of the image: a read-only open can be handed to kernel
 *   passthrough with nothing to hide (passthrough.c), and copies of one
 *   region compare equal without the daemon zeroing anything;
 * - it does not move with the object's size, and setxattr(2) replaces it
 *   whole, so no write ever lands in the data and none is ever torn.
 *
 * Where the attribute cannot be stored the record goes to the spare page,
 * as every version before issue 16 kept it, and r->rec_spare makes reads
 * hide that page and go through the daemon: a shm_dir whose file system
 * has no trusted attributes, or a daemon without CAP_SYS_ADMIN (both for
 * the whole mount, fs->rec_no_xattr, logged once), or a full tmpfs
 * (ENOSPC, that region until a later save succeeds).  A record recovery
 * finds in a spare page is moved into the attribute at its first save.
 */
#include <errno.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs_i.h"
#include "meta.h"

/* The record in the spare page of object @fd (the fallback; versions
 * before issue 16), found even when the header is damaged: the last page. */
static int spare_read(struct hshmfs *fs, int fd, uint64_t size,
		      struct hshmfs_meta *m)
{
	if (size < 8192 ||
	    pread(fd, m, sizeof(*m), (off_t)(size - 4096)) != sizeof(*m))
		return -ENODATA;
	return meta_verify(m, sizeof(*m), fs->meta_key);
}

int record_read(struct hshmfs *fs, int fd, uint64_t size,
		struct hshmfs_meta *m, bool *spare)
{
	unsigned char buf[HSHMFS_META_XATTR_MAX];
	ssize_t len = fgetxattr(fd, HSHMFS_META_XATTR, buf, sizeof(buf));
	int err;

	*spare = false;
	if (len >= 0) {
		err = meta_decode(buf, (size_t)len, m);
		return err ? err : meta_verify(m, sizeof(*m), fs->meta_key);
	}
	if (errno == ERANGE) /* longer than any record */
		return -EBADMSG;
	err = spare_read(fs, fd, size, m);
	*spare = err != -ENODATA;
	return err;
}

bool record_in_spare(const struct hregion *r)
{
	return __atomic_load_n(&r->rec_spare, __ATOMIC_RELAXED);
}

/* Zero what a record left in the spare page (not the data view's length
 * slot at its end).  On failure the page is still taken for the record. */
static void spare_clear(struct hregion *r)
{
	static const char zero[sizeof(struct hshmfs_meta)];

	if (!hshm_spare_pwrite(&r->be, 0, zero, sizeof(zero)))
		__atomic_store_n(&r->rec_spare, false, __ATOMIC_RELAXED);
}

/* The shm_dir cannot keep trusted attributes (@err): say so once. */
static void no_xattr(struct hshmfs *fs, int err)
{
	if (__atomic_exchange_n(&fs->rec_no_xattr, true, __ATOMIC_RELAXED))
		return;
	HSHMFS_LOG(FUSE_LOG_WARNING, "records kept in the regions' spare pages: "
		   "%s: %s (read-only opens then read through the daemon)\n",
		   HSHMFS_META_XATTR, err == EPERM ? "the daemon lacks "
		   "CAP_SYS_ADMIN" : "not supported by the shm_dir");
}

int record_put_xattr(struct hshmfs *fs, struct hregion *r,
		     const struct hshmfs_meta *m)
{
	unsigned char buf[HSHMFS_META_XATTR_MAX];
	size_t len = meta_encode(m, buf);
	int fd = hshm_backend_fd(&r->be), err;

	if (fd < 0 || __atomic_load_n(&fs->rec_no_xattr, __ATOMIC_RELAXED))
		return -EOPNOTSUPP;
	if (fsetxattr(fd, HSHMFS_META_XATTR, buf, len, 0) == 0) {
		if (record_in_spare(r))
			spare_clear(r);
		return 0;
	}
	err = errno;
	if (err == EOPNOTSUPP || err == EPERM) {
		no_xattr(fs, err);
		return -EOPNOTSUPP;
	}
	return -err;
}
