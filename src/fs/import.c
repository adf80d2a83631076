/* SPDX-License-Identifier: BSD-3-Clause */
/* import.c: a complete HSHM image written into a new region takes it over. */

/*
 * tar -x, cp -a and rsync -a of a directory of regions write each image
 * back from offset 0: header page, the pages up to data_offset, the data,
 * and the spare page past it.  A region that was just created and has not
 * been written or resized since ("pristine") accepts that one
 * first write at offset 0 when it starts with a header that validates
 * as an image of the region's backend (hshm_header_check(), exactly as at
 * attach, against the image size the header itself implies): the region
 * is resized to that image, takes its id, and the write lands as given.
 * Until the last handle is closed, writes may then fill the rest of the
 * header pages (the copy goes on from where its first write stopped), and
 * writes into the spare page are taken and dropped (a copy holds zeros
 * there, or a page hshmfs may need for the data view's length or, where
 * the shm_dir cannot keep attributes, its record: record.c).  Anything
 * else below
 * data_offset is refused as before.
 *
 * If the bytes are not such an image, the write fails with EPERM and one
 * log line names the region and says what to do instead (a directory with
 * user.hshm.view=data, or writing at data_offset).  The region stays as it
 * was made, as any partial copy stays on any file system: cp reports the
 * error with the file's name, and rm removes it (docs/model.md).
 */
#include <errno.h>
#include <string.h>

#include "fs_i.h"

/* Whether @buf holds a header page that validates as an image of @kind;
 * its image size in *@image. */
static int check_image(enum hshm_backend_kind kind, const char *buf,
		       size_t size, uint64_t *image, const char **why)
{
	struct hshm_backend_header h;
	unsigned char page[4096] = { 0 };
	enum hshm_layout layout;
	int err;

	*why = "shorter than a header";
	if (size < sizeof(h))
		return -EBADMSG;
	memcpy(&h, buf, sizeof(h));
	memcpy(page, buf, size < sizeof(page) ? size : sizeof(page));
	*image = hshm_image_for(kind, h.backend_size);
	err = hshm_header_check(page, *image, kind, &layout, why);
	if (!err && layout != HSHM_LAYOUT_V1) {
		*why = "not the layout hshmfs makes (v1)";
		err = -EPROTONOSUPPORT;
	}
	return err;
}

static void refuse(struct hnode *n, const char *why)
{
	struct hregion *r = n->region;
	char label[48];

	HSHMFS_LOG(FUSE_LOG_INFO, "write at 0 to region %s refused: not an "
		   "HSHM %s image (%s); copy plain files into a directory "
		   "with user.hshm.view=data, or write at data_offset\n",
		   region_label(r, label, sizeof(label)),
		   hshm_backend_kind_name(r->kind), why);
}

/* Take the image in @buf (tree and node locks held). */
static ssize_t take_image(struct hshmfs *fs, struct hnode *n, const char *buf,
			  size_t size, uint64_t image)
{
	struct hregion *r = n->region;
	struct hshm_backend_header h;
	ssize_t done;
	int err;

	memcpy(&h, buf, sizeof(h));
	err = region_resize(fs, n, image);
	if (!err)
		err = region_set_id(n, h.id);
	if (err)
		return err;
	pthread_rwlock_wrlock(&r->map_lock);
	r->importing = true;
	if (size > image)
		size = (size_t)image;
	done = hshm_image_pwrite(&r->be, buf, size, 0);
	pthread_rwlock_unlock(&r->map_lock);
	return done;
}

ssize_t image_import(struct hshmfs *fs, struct hnode *n, const char *buf,
		     size_t size)
{
	struct hregion *r = n->region;
	const char *why;
	uint64_t image;
	ssize_t done = -EAGAIN;

	tree_rdlock(fs); /* the record holds the path */
	node_lock(n);
	if (__atomic_exchange_n(&r->pristine, false, __ATOMIC_RELAXED) &&
	    !r->damaged && !r->dview) {
		if (check_image(r->kind, buf, size, &image, &why)) {
			refuse(n, why);
			done = -EPERM;
		} else {
			done = take_image(fs, n, buf, size, image);
		}
	}
	if (done >= 0)
		hnode_touch(n, false, true, true);
	node_unlock(n);
	tree_unlock(fs);
	return done;
}
