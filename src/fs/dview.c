/* SPDX-License-Identifier: BSD-3-Clause */
/* dview.c: the data view of a region: a file for programs that know
 * nothing about HSHM. */

/*
 * A region made in a directory whose user.hshm.view is "data" (inherited
 * like user.hshm.backend) shows its data, not its image: byte 0 of the
 * file is byte 0 of the region's data (image offset data_offset), and the
 * file behaves as a tmpfs file does:
 *
 * - st_size is the length written, at most the data capacity.  It is kept
 *   in the last 8 bytes of the spare page (the "length slot", rewritten
 *   with the record and on every write that extends the file), so it
 *   survives unmount, a daemon SIGKILL and a remount.  It is validated
 *   against the capacity when read back, never trusted beyond it.
 * - Writes go anywhere; the capacity grows as writes, truncate and
 *   fallocate need it, to at least twice what it was (one resize per
 *   doubling, not per write), never below the 1 MiB minimum.
 * - Bytes past the length are zero: shrinking the length zeroes what it
 *   drops (punched out of the object and reserved again), so extending
 *   the file again reads zeros, as on tmpfs.
 * - O_TRUNC sets the length to 0.
 * - The region stays a normal HSHM region: its url, id and xattrs are the
 *   image's, and a process attached by url sees the same data bytes.
 * - No passthrough: the kernel's file offsets are not the object's, so
 *   opens use the page cache (mmap included), coherent among processes
 *   that go through the mount (docs/model.md says what direct attachers
 *   see and when).
 *
 * gpu_malloc regions have no host pages and are always made with the
 * image view.  Locks: the length changes with the node lock and map_lock
 * (for writing) held, like the rest of the view (fs_i.h); growing the
 * capacity is a resize and so needs the tree lock too (the record).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "fs_i.h"

#define DVIEW_ROUND (UINT64_C(1) << 16) /* capacity grows in 64 KiB steps */

bool dview_of_dir(struct hshmfs *fs, struct hnode *dir)
{
	for (; dir; dir = dir->parent)
		if (dir->dir && dir->dir->dview >= 0)
			return dir->dir->dview == 1;
	return false; /* the image view, unless a directory says otherwise */
}

/* The image size for a data capacity of at least @cap bytes. */
static uint64_t image_for_capacity(struct hregion *r, uint64_t cap)
{
	uint64_t over = hshm_backend_size(&r->be) - hshm_data_capacity(&r->be);

	cap = (cap + DVIEW_ROUND - 1) & ~(DVIEW_ROUND - 1);
	return hshm_image_for(r->kind, cap + over);
}

void dview_restore(struct hregion *r)
{
	unsigned char le[8];
	uint64_t len = 0;

	r->dview = true;
	if (!hshm_spare_pread(&r->be, HSHMFS_LENGTH_SLOT, le, sizeof(le)))
		for (int i = 7; i >= 0; i--)
			len = len << 8 | le[i];
	/* the owner may have written anything there: never past the data */
	r->length = len < hshm_data_capacity(&r->be) ? len
						      : hshm_data_capacity(&r->be);
}

int dview_reserve(struct hshmfs *fs, struct hnode *n, uint64_t end)
{
	struct hregion *r = n->region;
	uint64_t cap = hshm_data_capacity(&r->be);

	if (end <= cap)
		return 0;
	if (end > UINT64_MAX / 4)
		return -EFBIG;
	return region_resize(fs, n, image_for_capacity(r, end > 2 * cap ?
							  end : 2 * cap));
}

int dview_set_length(struct hshmfs *fs, struct hnode *n, uint64_t len)
{
	struct hregion *r = n->region;
	int err = dview_reserve(fs, n, len);

	if (err)
		return err;
	pthread_rwlock_wrlock(&r->map_lock);
	region_reserve_apply(fs, n);
	if (len < r->length)
		err = hshm_image_zero(&r->be, hshm_data_offset(&r->be) + len,
				      r->length - len);
	if (!err) {
		r->length = len;
		region_store_length(r);
	}
	pthread_rwlock_unlock(&r->map_lock);
	return err;
}

int dview_fallocate(struct hshmfs *fs, struct hnode *n, uint64_t end,
		    bool extend)
{
	struct hregion *r = n->region;
	int err = dview_reserve(fs, n, end);

	if (err || !extend || end <= r->length)
		return err;
	pthread_rwlock_wrlock(&r->map_lock);
	r->length = end;
	region_store_length(r);
	pthread_rwlock_unlock(&r->map_lock);
	return 0;
}

int dview_read(struct hshmfs *fs, fuse_req_t req, struct hregion *r,
	       size_t size, uint64_t off)
{
	if (off >= r->length) {
		fuse_reply_buf(req, NULL, 0);
		return 0;
	}
	if (size > r->length - off)
		size = (size_t)(r->length - off);
	return file_read_image(fs, req, r, size,
			       hshm_data_offset(&r->be) + off);
}

ssize_t dview_write(struct hshmfs *fs, struct hnode *n, const char *buf,
		    size_t size, uint64_t off)
{
	struct hregion *r = n->region;
	uint64_t end = off + size;
	ssize_t done;
	bool grow;
	int err = 0;

	if (end < off)
		return -EFBIG;
	pthread_rwlock_rdlock(&r->map_lock);
	grow = end > hshm_data_capacity(&r->be); /* rechecked with the locks */
	pthread_rwlock_unlock(&r->map_lock);
	if (grow) {
		tree_rdlock(fs);
		node_lock(n);
		err = r->damaged ? -EIO : dview_reserve(fs, n, end);
		node_unlock(n);
		tree_unlock(fs);
	}
	if (err)
		return err;
	pthread_rwlock_rdlock(&r->map_lock);
	done = r->damaged ? -EIO : hshm_image_pwrite(&r->be, buf, size,
					hshm_data_offset(&r->be) + off);
	pthread_rwlock_unlock(&r->map_lock);
	if (done < 0)
		return done;
	node_lock(n);
	if (off + (uint64_t)done > r->length) {
		pthread_rwlock_wrlock(&r->map_lock);
		r->length = off + (uint64_t)done;
		region_store_length(r);
		pthread_rwlock_unlock(&r->map_lock);
	}
	hnode_touch(n, false, true, true);
	node_unlock(n);
	return done;
}
