/* SPDX-License-Identifier: BSD-3-Clause */
/* malloc.c: MallocBackend, a private region kept in a memfd. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backend_i.h"

/*
 * Upstream mallocs the region; we put it in a memfd so that it has an fd
 * (hshm_backend_fd()) the FUSE daemon can hand to the kernel.  Layout from
 * +0: header, private header (+4096), shared header (+8192), data (+12288);
 * image size = backend_size, data_capacity = backend_size - 12288,
 * priv_header_off = 8192 (as upstream writes it), data_id = -1.
 *
 * Smallest image: 12288 (data_capacity 0), reachable only by resize.
 *
 * Attach by URL is refused (-EOPNOTSUPP): the region has no name.  Attach by
 * fd is accepted for a file holding a valid malloc layout (e.g. a memfd
 * passed over a socket, for recovery or passthrough): it maps the file
 * shared, validated like any attach, not owner.
 */

static int fail(const struct hshm_backend *b, const char *what, int err)
{
	hshm_log(b->ctx, LOG_ERR, "malloc: %s: %s", what, strerror(-err));
	return err;
}

/* Size, reserve and map the fresh memfd @fd (taken: closed on failure). */
static int malloc_make(struct hshm_backend *b, int fd, uint64_t size)
{
	char *image;
	int err;

	if (ftruncate(fd, (off_t)size)) {
		err = fail(b, "ftruncate of the memfd", -errno);
		goto close_fd;
	}
	err = hshm_view_reserve(b, fd, 0, size);
	if (err) {
		fail(b, "reserving the pages of the memfd", err);
		goto close_fd;
	}
	err = hshm_file_map(b, fd, size, &image);
	if (err) {
		fail(b, "mmap of the memfd", err);
		goto close_fd;
	}
	b->fd = fd;
	hshm_file_view_set(b, image, size, HSHM_LAYOUT_V1);
	return 0;

close_fd:
	close(fd);
	return err;
}

static int malloc_init(struct hshm_backend *b, const struct hshm_init_args *a)
{
	const struct hshm_v1_layout *l = hshm_v1_layout_of(HSHM_MALLOC);
	uint64_t bs;
	int fd, err;

	err = hshm_size_normalise(a->size, &bs);
	if (err)
		return fail(b, "init (size too large)", err);
	fd = memfd_create("hshm-malloc", MFD_CLOEXEC);
	if (fd < 0)
		return fail(b, "memfd_create", -errno);
	err = malloc_make(b, fd, bs);
	if (err)
		return err;
	hshm_header_fill(b->header, a->id, bs, bs - l->cap_sub, -1,
			 l->priv_off);
	err = hshm_file_header_store(b);
	if (err) {
		hshm_file_unmap(b);
		return err;
	}
	b->flags |= HSHM_FLAG_INITIALIZED | HSHM_FLAG_OWNED;
	return 0;
}

static int malloc_attach(struct hshm_backend *b, const char *url)
{
	hshm_log(b->ctx, LOG_ERR, "malloc: attach %s: a malloc region is "
		 "process-local and has no name (attach by fd instead)",
		 url ? url : "(null)");
	return -EOPNOTSUPP;
}

static int malloc_attach_fd(struct hshm_backend *b, int fd)
{
	int dup = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	int err;

	if (dup < 0)
		return fail(b, "dup of the fd to attach", -errno);
	err = hshm_file_attach(b, dup, NULL);
	if (err)
		return err;
	b->flags = HSHM_FLAG_INITIALIZED;
	return 0;
}

static int malloc_detach(struct hshm_backend *b)
{
	hshm_file_unmap(b);
	b->priv_header = NULL;
	return 0;
}

/* Nothing to remove: the memory goes with the last fd and mapping. */
static int malloc_destroy(struct hshm_backend *b)
{
	return 0;
}

static uint64_t malloc_image_for(uint64_t backend_size)
{
	return hshm_v1_image_for(HSHM_MALLOC, backend_size);
}

static uint64_t malloc_min_image(void)
{
	return hshm_v1_min_image(HSHM_MALLOC);
}

HSHM_EXPORT const struct hshm_backend_ops hshm_malloc_ops = {
	.kind = HSHM_MALLOC,
	.name = "malloc",
	.class_name = "MallocBackend",
	.shared = false,
	.init = malloc_init,
	.attach = malloc_attach,
	.attach_fd = malloc_attach_fd,
	.detach = malloc_detach,
	.destroy = malloc_destroy,
	.resize = hshm_file_resize,
	.pread = hshm_host_pread,
	.pwrite = hshm_host_pwrite,
	.image_for = malloc_image_for,
	.min_image = malloc_min_image,
	.refresh = hshm_file_refresh,
};
