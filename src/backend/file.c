/* SPDX-License-Identifier: BSD-3-Clause */
/* file.c: helpers for regions backed by a file (posix_shm_mmap, malloc, gpu_shm_mmap). */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <limits.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend_i.h"

static const char *kname(const struct hshm_backend *b)
{
	return b->ops ? b->ops->name : "hshm";
}

static int fail(const struct hshm_backend *b, const char *what, int err)
{
	hshm_log(b->ctx, LOG_ERR, "%s: %s %s: %s", kname(b), what, b->url,
		 strerror(-err));
	return err;
}

bool hshm_file_nomap(const struct hshm_backend *b)
{
	return b->ctx && b->ctx->no_map;
}

int hshm_file_map(struct hshm_backend *b, int fd, uint64_t size, char **out)
{
	*out = NULL;
	return hshm_file_nomap(b) ? 0 : hshm_map_shared(fd, size, out);
}

void hshm_file_view_set(struct hshm_backend *b, char *image, uint64_t size,
			enum hshm_layout layout)
{
	const struct hshm_v1_layout *l = hshm_v1_layout_of(b->ops->kind);

	if (size != b->image_size)
		hshm_win_drop(b); /* made again, at the new size, when written */
	b->image = image;
	b->image_size = size;
	b->layout = layout;
	b->data_off = layout == HSHM_LAYOUT_V2 ? HSHM_V2_DATA_OFF : l->data_off;
	if (!image) { /* no_map: the header copy stands in for the page */
		b->header = &b->shadow;
		b->data = NULL;
		return;
	}
	b->header = (struct hshm_backend_header *)image;
	b->data = image + b->data_off;
	if (l->priv_in_image)
		b->priv_header = image + l->priv_in_image;
}

/* pwrite all of @n bytes at @off, or fail: -EIO on a short write. */
static int pwrite_all(int fd, const void *buf, size_t n, uint64_t off)
{
	ssize_t w = pwrite(fd, buf, n, (off_t)off);

	if (w < 0)
		return -errno;
	return (size_t)w == n ? 0 : -EIO;
}

int hshm_file_header_store(struct hshm_backend *b)
{
	int err;

	if (b->image)
		return 0; /* written in place */
	err = pwrite_all(b->fd, &b->shadow, sizeof(b->shadow), 0);
	return err ? fail(b, "writing the header of", err) : 0;
}

/*
 * Read the header page of @fd (@size bytes) and validate it, quietly: *@why
 * says what failed.  The validated header lands in *@hdr (when not NULL):
 * use that copy, not the live mapping, which another process may write
 * meanwhile.
 */
static int file_check(struct hshm_backend *b, int fd, uint64_t size,
		      enum hshm_layout *layout,
		      struct hshm_backend_header *hdr, const char **why)
{
	unsigned char page[HSHM_PAGE];
	int err;

	*layout = HSHM_LAYOUT_UNKNOWN;
	err = hshm_obj_read_page(fd, size, page);
	if (err) {
		*why = "reading the header page";
		return err;
	}
	err = hshm_header_check(page, size, b->ops->kind, layout, why);
	if (!err && hdr)
		memcpy(hdr, page, sizeof(*hdr));
	return err;
}

/* Log why the header of @b's object did not validate (one line). */
static int check_failed(struct hshm_backend *b, const char *why,
			enum hshm_layout layout, int err)
{
	hshm_log(b->ctx, LOG_ERR, "%s: %s: %s (%s layout)", kname(b),
		 b->url[0] ? b->url : "(fd)", why, hshm_layout_name(layout));
	return err;
}

/* fstat @fd, then file_check() against that size; logs a failure. */
static int file_validate(struct hshm_backend *b, int fd, uint64_t *size,
			 enum hshm_layout *layout,
			 struct hshm_backend_header *hdr)
{
	const char *why = "?";
	int err;

	err = hshm_obj_size(fd, size);
	if (err == -EINVAL) {
		hshm_log(b->ctx, LOG_ERR, "%s: %s: not a regular file",
			 kname(b), b->url[0] ? b->url : "(fd)");
		return err;
	}
	if (err)
		return fail(b, "fstat of", err);
	err = file_check(b, fd, *size, layout, hdr, &why);
	return err ? check_failed(b, why, *layout, err) : 0;
}

int hshm_file_attach(struct hshm_backend *b, int fd,
		     struct hshm_backend_header *hdr)
{
	struct hshm_backend_header h;
	enum hshm_layout layout;
	uint64_t size;
	char *image;
	int err;

	err = file_validate(b, fd, &size, &layout, &h);
	if (err)
		goto close_fd;
	err = hshm_file_map(b, fd, size, &image);
	if (err) {
		fail(b, "mmap of", err);
		goto close_fd;
	}
	b->fd = fd;
	b->shadow = h;
	hshm_file_view_set(b, image, size, layout);
	if (hdr)
		*hdr = h;
	return 0;

close_fd:
	close(fd);
	return err;
}

void hshm_file_unmap(struct hshm_backend *b)
{
	hshm_win_drop(b);
	if (b->image)
		munmap(b->image, (size_t)b->image_size);
	if (b->fd >= 0)
		close(b->fd);
	b->image = NULL;
	b->header = NULL;
	b->data = NULL;
	b->image_size = 0;
	b->fd = -1;
}

static void header_sizes(struct hshm_backend_header *h,
			 const struct hshm_v1_layout *l, uint64_t image_size)
{
	h->backend_size = image_size - l->obj_extra;
	h->data_capacity = h->backend_size - l->cap_sub;
}

/* Swap the mapping for @image of @size bytes (same layout). */
static void file_swap(struct hshm_backend *b, char *image, uint64_t size)
{
	if (b->image)
		munmap(b->image, (size_t)b->image_size);
	hshm_file_view_set(b, image, size, b->layout);
}

static int file_grow(struct hshm_backend *b, const struct hshm_v1_layout *l,
		     uint64_t size)
{
	uint64_t old = b->image_size;
	char *image;
	int err;

	err = hshm_view_reserve(b, b->fd, old, size - old);
	if (err) {
		fail(b, "reserving space to grow", err);
		goto restore_size;
	}
	if (ftruncate(b->fd, (off_t)size)) {
		err = fail(b, "ftruncate to grow", -errno);
		goto restore_size;
	}
	err = hshm_file_map(b, b->fd, size, &image);
	if (err) {
		fail(b, "mmap to grow", err);
		goto restore_size;
	}
	if (!image) {
		struct hshm_backend_header saved = b->shadow;

		header_sizes(&b->shadow, l, size);
		err = hshm_file_header_store(b);
		if (err) {
			b->shadow = saved;
			goto restore_size;
		}
	} else {
		header_sizes((struct hshm_backend_header *)image, l, size);
	}
	file_swap(b, image, size);
	return 0;

restore_size:
	if (ftruncate(b->fd, (off_t)old))
		hshm_log(b->ctx, LOG_WARNING, "%s: %s: could not restore the "
			 "size after a failed grow", kname(b), b->url);
	return err;
}

static int file_shrink(struct hshm_backend *b, const struct hshm_v1_layout *l,
		       uint64_t size)
{
	struct hshm_backend_header saved;
	char *image;
	int err;

	err = hshm_file_map(b, b->fd, size, &image);
	if (err)
		return fail(b, "mmap to shrink", err);
	saved = *b->header;
	header_sizes(b->header, l, size);
	err = hshm_file_header_store(b);
	if (err)
		goto restore_header;
	if (ftruncate(b->fd, (off_t)size)) {
		err = fail(b, "ftruncate to shrink", -errno);
		goto restore_header;
	}
	file_swap(b, image, size);
	return 0;

restore_header:
	b->header->backend_size = saved.backend_size;
	b->header->data_capacity = saved.data_capacity;
	if (image)
		munmap(image, (size_t)size);
	else
		hshm_file_header_store(b);
	return err;
}

int hshm_file_resize(struct hshm_backend *b, uint64_t image_size)
{
	const struct hshm_v1_layout *l = hshm_v1_layout_of(b->ops->kind);

	if (b->layout != HSHM_LAYOUT_V1)
		return fail(b, "resize of a non-v1 region", -EOPNOTSUPP);
	if (image_size < l->cap_sub + l->obj_extra)
		return fail(b, "resize below the header pages of", -EINVAL);
	if (image_size == b->image_size)
		return 0;
	if (image_size > b->image_size)
		return file_grow(b, l, image_size);
	return file_shrink(b, l, image_size);
}

int hshm_file_recheck(struct hshm_backend *b, uint64_t *size,
		      enum hshm_layout *layout,
		      struct hshm_backend_header *hdr)
{
	const char *why = "?";
	int err, tries = 0;

	for (;;) {
		err = hshm_obj_size(b->fd, size);
		if (err)
			return fail(b, "fstat of", err);
		if (*size == b->image_size)
			return 0;
		err = file_check(b, b->fd, *size, layout, hdr, &why);
		if (err != -EBADMSG || ++tries == HSHM_REFRESH_TRIES)
			break;
		sched_yield(); /* maybe mid-resize: let its header land */
	}
	return err ? check_failed(b, why, *layout, err) : 0;
}

int hshm_file_refresh(struct hshm_backend *b)
{
	struct hshm_backend_header h;
	enum hshm_layout layout;
	uint64_t size;
	char *image;
	int err;

	err = hshm_file_recheck(b, &size, &layout, &h);
	if (err || size == b->image_size)
		return err;
	err = hshm_file_map(b, b->fd, size, &image);
	if (err)
		return fail(b, "mmap to refresh", err);
	if (b->image)
		munmap(b->image, (size_t)b->image_size);
	b->shadow = h;
	hshm_file_view_set(b, image, size, layout);
	return 0;
}

/* Bytes of [off, off+n) inside the image; 0 at or past its end. */
static size_t clamp(const struct hshm_backend *b, size_t n, uint64_t off)
{
	uint64_t room;

	if (off >= b->image_size)
		return 0;
	room = b->image_size - off;
	if (n > room)
		n = (size_t)room;
	return n > SSIZE_MAX ? SSIZE_MAX : n;
}

/*
 * no_map: the object must still be as large as this view says.  A short
 * pread means another process shrank it: -EIO, like a damaged region.  A
 * pwrite is preceded by an fstat so that the daemon does not grow back an
 * object someone shrank (a shrink racing that fstat can still leave the
 * object sparse up to the write: only bytes of that same object change).
 */
static ssize_t fd_pread(struct hshm_backend *b, void *buf, size_t n,
			uint64_t off)
{
	ssize_t got = pread(b->fd, buf, n, (off_t)off);

	if (got < 0)
		return -errno;
	return (size_t)got == n ? got : -EIO;
}

static ssize_t fd_pwrite(struct hshm_backend *b, const void *buf, size_t n,
			 uint64_t off)
{
	uint64_t size;
	ssize_t w;
	int err = hshm_obj_size(b->fd, &size);

	if (err)
		return err;
	if (size < off + n)
		return -EIO;
	/* a short count, not -EIO: an unreserved object's file system ran
	 * out of pages part way (the next call gets -ENOSPC), as write(2) */
	w = pwrite(b->fd, buf, n, (off_t)off);
	return w < 0 ? -errno : w;
}

ssize_t hshm_host_pread(struct hshm_backend *b, void *buf, size_t n,
			uint64_t off)
{
	n = clamp(b, n, off);
	if (n && !b->image)
		return fd_pread(b, buf, n, off);
	if (n)
		memcpy(buf, b->image + off, n);
	return (ssize_t)n;
}

ssize_t hshm_host_pwrite(struct hshm_backend *b, const void *buf, size_t n,
			 uint64_t off)
{
	ssize_t done;

	n = clamp(b, n, off);
	if (n && !b->image) {
		done = hshm_win_pwrite(b, buf, n, off);
		return done != -EAGAIN ? done : fd_pwrite(b, buf, n, off);
	}
	if (n)
		memcpy(b->image + off, buf, n);
	return (ssize_t)n;
}

/* The spare page's offset, once the object is checked to be the size this
 * view validated. */
static int spare_off(const struct hshm_backend *b, size_t at, size_t n,
		     uint64_t *off)
{
	uint64_t size;
	int err;

	if (!hshm_spare_has(b) || at > HSHM_PAGE || n > HSHM_PAGE - at)
		return -ENODATA;
	err = hshm_obj_size(b->fd, &size);
	if (err)
		return err;
	if (size != b->image_size)
		return -ESTALE;
	*off = b->image_size - HSHM_PAGE + at;
	return 0;
}

int hshm_file_spare_pread(const struct hshm_backend *b, size_t at, void *buf,
			  size_t n)
{
	uint64_t off;
	ssize_t got;
	int err = spare_off(b, at, n, &off);

	if (err)
		return err;
	got = pread(b->fd, buf, n, (off_t)off);
	if (got < 0)
		return -errno;
	return (size_t)got == n ? 0 : -EIO;
}

int hshm_file_spare_pwrite(struct hshm_backend *b, size_t at, const void *buf,
			   size_t n)
{
	uint64_t off;
	int err = spare_off(b, at, n, &off);

	return err ? err : pwrite_all(b->fd, buf, n, off);
}

int hshm_file_set_id(struct hshm_backend *b, struct hshm_backend_id id)
{
	struct hshm_backend_id old = b->header->id;
	uint64_t size;
	int err;

	if (b->image) {
		b->header->id = id;
		return 0;
	}
	err = hshm_obj_size(b->fd, &size);
	if (err)
		return err;
	if (size != b->image_size)
		return -ESTALE;
	b->shadow.id = id;
	err = pwrite_all(b->fd, &id, sizeof(id), 0);
	if (err)
		b->shadow.id = old;
	return err;
}

/* Zeros by pwrite, for a file system that cannot punch holes. */
static int zero_by_write(struct hshm_backend *b, uint64_t off, uint64_t n)
{
	static const char zeros[65536];

	while (n) {
		size_t k = n < sizeof(zeros) ? (size_t)n : sizeof(zeros);
		int err = pwrite_all(b->fd, zeros, k, off);

		if (err)
			return fail(b, "zeroing a range of", err);
		off += k;
		n -= k;
	}
	return 0;
}

int hshm_view_reserve(const struct hshm_backend *b, int fd, uint64_t off,
		      uint64_t len)
{
	if (!(b->flags & HSHM_FLAG_NORESERVE))
		return hshm_obj_reserve(fd, off, len);
	if (off > 0 || hshm_file_nomap(b))
		return 0;
	return hshm_obj_reserve(fd, 0, len < HSHM_PAGE ? len : HSHM_PAGE);
}

int hshm_file_zero(struct hshm_backend *b, uint64_t off, uint64_t n)
{
	int err;

	if (n == 0)
		return 0;
	if (fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)off, (off_t)n)) {
		if (errno != EOPNOTSUPP)
			return fail(b, "punching a range of", -errno);
		return zero_by_write(b, off, n);
	}
	err = hshm_view_reserve(b, b->fd, off, n);
	return err ? fail(b, "reserving a zeroed range of", err) : 0;
}
