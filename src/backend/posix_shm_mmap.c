/* SPDX-License-Identifier: BSD-3-Clause */
/* posix_shm_mmap.c: PosixShmMmap (file-backed helpers: file.c). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend_i.h"

/*
 * Object layout (V1, the reference): the MemoryBackendHeader at 0 (rest of
 * the page zero), the shared header page at 4096, data at 8192 up to
 * backend_size, then one page upstream never touches (hshm_spare()).
 * Object size = backend_size + 4096.  The per-process private header is an
 * anonymous page of our own, as upstream keeps it outside the file.
 *
 * Smallest image: 12288 (backend_size 8192, data_capacity 0).  Upstream
 * never creates one that small, but a shrunk region may be.
 *
 * Newer upstream objects (V2: size == backend_size, data at 4096, no
 * priv_header_off) attach too: same mapping, data_off 4096, no spare page.
 * They cannot be resized here (-EOPNOTSUPP): we would have to guess how V2
 * derives data_capacity from backend_size.
 */

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

/* ---- PosixShmMmap -------------------------------------------------------- */

/* Size, reserve and map a fresh object; unlinks it on failure. */
static int posix_make(struct hshm_backend *b, int fd, uint64_t size)
{
	mode_t mode = b->ctx->mode ? b->ctx->mode : 0600;
	char *image;
	int err;

	if (fchmod(fd, mode & 07777)) {
		err = fail(b, "fchmod of", -errno);
		goto unlink_obj;
	}
	if (ftruncate(fd, (off_t)size)) {
		err = fail(b, "ftruncate of", -errno);
		goto unlink_obj;
	}
	err = hshm_view_reserve(b, fd, 0, size);
	if (err) {
		fail(b, "reserving the pages of", err);
		goto unlink_obj;
	}
	err = hshm_file_map(b, fd, size, &image);
	if (err) {
		fail(b, "mmap of", err);
		goto unlink_obj;
	}
	b->fd = fd;
	hshm_file_view_set(b, image, size, HSHM_LAYOUT_V1);
	return 0;

unlink_obj:
	hshm_obj_unlink(b->ctx, b->url);
	return err;
}

static int posix_init(struct hshm_backend *b, const struct hshm_init_args *a)
{
	const struct hshm_v1_layout *l = hshm_v1_layout_of(HSHM_POSIX_SHM_MMAP);
	uint64_t bs;
	int fd, err;

	err = hshm_url_check(a->url);
	if (err) {
		hshm_log(b->ctx, LOG_ERR, "posix_shm_mmap: init: bad url '%.*s'",
			 HSHM_URL_MAX, a->url ? a->url : "(null)");
		return err;
	}
	strcpy(b->url, a->url);
	err = hshm_size_normalise(a->size, &bs);
	if (err)
		return fail(b, "init (size too large)", err);
	err = hshm_priv_page_alloc(&b->priv_header);
	if (err)
		return fail(b, "private header page for", err);
	fd = hshm_obj_open(b->ctx, a->url, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		err = fail(b, "create", fd);
		goto free_priv;
	}
	err = posix_make(b, fd, bs + l->obj_extra);
	if (err)
		goto close_fd;
	hshm_header_fill(b->header, a->id, bs, bs - l->cap_sub, -1,
			 l->priv_off);
	err = hshm_file_header_store(b);
	if (err) {
		hshm_obj_unlink(b->ctx, b->url);
		hshm_file_unmap(b);
		goto free_priv;
	}
	b->flags |= HSHM_FLAG_INITIALIZED | HSHM_FLAG_OWNED;
	return 0;

close_fd:
	close(fd);
	b->fd = -1;
free_priv:
	hshm_priv_page_free(b->priv_header);
	b->priv_header = NULL;
	return err;
}

/* Validate and map @fd (taken), then give the view its private page. */
static int posix_attach_owned_fd(struct hshm_backend *b, int fd)
{
	int err = hshm_file_attach(b, fd, NULL);

	if (err)
		return err;
	err = hshm_priv_page_alloc(&b->priv_header);
	if (err) {
		fail(b, "private header page for", err);
		hshm_file_unmap(b);
		return err;
	}
	b->flags = HSHM_FLAG_INITIALIZED;
	return 0;
}

static int posix_attach(struct hshm_backend *b, const char *url)
{
	int fd, err = hshm_url_check(url);

	if (err) {
		hshm_log(b->ctx, LOG_ERR, "posix_shm_mmap: attach: bad url "
			 "'%.*s'", HSHM_URL_MAX, url ? url : "(null)");
		return err;
	}
	strcpy(b->url, url);
	fd = hshm_obj_open(b->ctx, url, O_RDWR, 0);
	if (fd < 0)
		return fail(b, "open", fd);
	return posix_attach_owned_fd(b, fd);
}

static int posix_attach_fd(struct hshm_backend *b, int fd)
{
	int dup = fcntl(fd, F_DUPFD_CLOEXEC, 0);

	if (dup < 0)
		return fail(b, "dup of the fd of", -errno);
	return posix_attach_owned_fd(b, dup);
}

static int posix_detach(struct hshm_backend *b)
{
	hshm_file_unmap(b);
	hshm_priv_page_free(b->priv_header);
	b->priv_header = NULL;
	return 0;
}

/*
 * Remove the name, if it still is this object's; hshm_shm_destroy()
 * detaches afterwards.
 */
static int posix_destroy(struct hshm_backend *b)
{
	bool replaced;
	int err;

	if (!b->url[0])
		return 0; /* attached by fd without a name: nothing to remove */
	err = hshm_obj_unlink_fd(b->ctx, b->url, b->fd, &replaced);
	if (err)
		hshm_log(b->ctx, err == -ENOENT ? LOG_WARNING : LOG_ERR,
			 "posix_shm_mmap: unlink %s: %s", b->url,
			 replaced ? "the name now names another object; "
			 "nothing removed" : strerror(-err));
	return err;
}

static uint64_t posix_image_for(uint64_t backend_size)
{
	return hshm_v1_image_for(HSHM_POSIX_SHM_MMAP, backend_size);
}

static uint64_t posix_min_image(void)
{
	return hshm_v1_min_image(HSHM_POSIX_SHM_MMAP);
}

HSHM_EXPORT const struct hshm_backend_ops hshm_posix_shm_mmap_ops = {
	.kind = HSHM_POSIX_SHM_MMAP,
	.name = "posix_shm_mmap",
	.class_name = "PosixShmMmap",
	.shared = true,
	.init = posix_init,
	.attach = posix_attach,
	.attach_fd = posix_attach_fd,
	.detach = posix_detach,
	.destroy = posix_destroy,
	.resize = hshm_file_resize,
	.pread = hshm_host_pread,
	.pwrite = hshm_host_pwrite,
	.image_for = posix_image_for,
	.min_image = posix_min_image,
	.refresh = hshm_file_refresh,
};
