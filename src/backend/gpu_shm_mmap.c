/* SPDX-License-Identifier: BSD-3-Clause */
/* gpu_shm_mmap.c: GpuShmMmap: a shared memory object registered with a GPU. */
/*
 * Object layout (shared/reference/hshm-format.md, "GpuShmMmap"):
 *
 *   0                 header page (MemoryBackendHeader; also shared header)
 *   4096              data, data_capacity = backend_size - 8192 bytes
 *   backend_size-4096 last page: never used by HSHM (hshm_spare())
 *
 * The object is exactly backend_size bytes, mapped whole and shared at offset
 * 0, and the whole mapping is registered with ctx->gpu (host_register) in
 * every process that maps it; data_id is the GPU ordinal, priv_header_off
 * 8192.  The per-process private header is an anonymous page of our own.
 *
 * Whenever the mapping changes (resize, refresh) the new one is mapped and
 * registered before the old one is unregistered and unmapped, so a failure
 * leaves the old view, size and registration as they were.  That is why the
 * generic hshm_file_resize()/hshm_file_refresh() are not used here: they
 * drop the old mapping themselves.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend_i.h"

#define GSM HSHM_GPU_SHM_MMAP

static const struct hshm_gpu_runtime *gsm_gpu(const struct hshm_backend *b)
{
	return b->ctx ? b->ctx->gpu : NULL;
}

/** gsm_fail() - log one line "gpu_shm_mmap: @what /url: error", pass @r on. */
static int gsm_fail(const struct hshm_backend *b, const char *what, int r)
{
	hshm_log(b->ctx, LOG_ERR, "gpu_shm_mmap: %s %s: %s", what,
		 b->url[0] ? b->url : "(fd)", strerror(-r));
	return r;
}

/** gsm_need_gpu() - -EOPNOTSUPP (logged) when the context has no runtime. */
static int gsm_need_gpu(const struct hshm_backend *b)
{
	if (gsm_gpu(b))
		return 0;
	return gsm_fail(b, "no GPU runtime in the context for", -EOPNOTSUPP);
}

/** gsm_register() - register @len bytes at @p with the context's GPU. */
static int gsm_register(struct hshm_backend *b, void *p, uint64_t len,
			int device)
{
	int r = gsm_gpu(b)->host_register(device, p, len);
	char why[64];

	if (r < 0)
		hshm_log(b->ctx, LOG_ERR,
			 "gpu_shm_mmap: %s: registering %llu bytes of %s with "
			 "device %d: %s%s", gsm_gpu(b)->name,
			 (unsigned long long)len, b->url[0] ? b->url : "(fd)",
			 device, strerror(-r), hshm_gpu_why(b->ctx, why, sizeof(why)));
	return r;
}

/** gsm_unregister() - undo gsm_register(); a failure is only logged. */
static void gsm_unregister(struct hshm_backend *b, void *p, int device)
{
	int r = gsm_gpu(b)->host_unregister(device, p);
	char why[64];

	if (r < 0)
		hshm_log(b->ctx, LOG_WARNING,
			 "gpu_shm_mmap: %s: unregistering device %d memory: %s%s",
			 gsm_gpu(b)->name, device, strerror(-r),
			 hshm_gpu_why(b->ctx, why, sizeof(why)));
}

/**
 * gsm_map_registered() - map the whole object @fd (@size bytes) and register
 * the mapping with @device.  On failure nothing is left mapped.  Under
 * no_map nothing is mapped nor registered (*@out = NULL).
 */
static int gsm_map_registered(struct hshm_backend *b, int fd, uint64_t size,
			      int device, char **out)
{
	char *image;
	int r;

	*out = NULL;
	if (hshm_file_nomap(b))
		return 0;
	r = hshm_map_shared(fd, size, &image);
	if (r < 0)
		return gsm_fail(b, "mmap of", r);
	r = gsm_register(b, image, size, device);
	if (r < 0) {
		munmap(image, size);
		return r;
	}
	*out = image;
	return 0;
}

/** gsm_view() - make @image (@size bytes, registered with @device) the view. */
static void gsm_view(struct hshm_backend *b, char *image, uint64_t size,
		     int device)
{
	hshm_file_view_set(b, image, size, HSHM_LAYOUT_V1);
	b->device = device;
	b->gpu_registered = image != NULL;
}

/** gsm_create() - create, chmod and reserve the object; its fd or -errno. */
static int gsm_create(struct hshm_backend *b, uint64_t size)
{
	mode_t mode = b->ctx->mode ? b->ctx->mode : 0600;
	int fd, r;

	fd = hshm_obj_open(b->ctx, b->url, O_RDWR | O_CREAT | O_EXCL, mode);
	if (fd < 0)
		return gsm_fail(b, "create", fd);
	if (fchmod(fd, mode & 07777) < 0) {
		r = gsm_fail(b, "fchmod of", -errno);
		goto remove_object;
	}
	r = hshm_view_reserve(b, fd, 0, size);
	if (r < 0) {
		gsm_fail(b, "reserving the pages of", r);
		goto remove_object;
	}
	return fd;

remove_object:
	close(fd);
	hshm_obj_unlink(b->ctx, b->url);
	return r;
}

/** gsm_args() - check the init arguments; the url lands in b->url. */
static int gsm_args(struct hshm_backend *b, const struct hshm_init_args *a,
		    uint64_t *size)
{
	int r = a->url ? hshm_url_check(a->url) : -EINVAL;

	if (r < 0)
		return gsm_fail(b, "init: bad url", r);
	strcpy(b->url, a->url);
	if (a->device < 0)
		return gsm_fail(b, "init: negative device for", -EINVAL);
	r = hshm_size_normalise(a->size, size);
	if (r < 0)
		return gsm_fail(b, "init: size too large for", r);
	return 0;
}

static int gsm_detach(struct hshm_backend *b);

static int gsm_init(struct hshm_backend *b, const struct hshm_init_args *a)
{
	const struct hshm_v1_layout *l = hshm_v1_layout_of(GSM);
	uint64_t size;
	char *image;
	int fd, r;

	r = gsm_need_gpu(b);
	if (r == 0)
		r = gsm_args(b, a, &size);
	if (r < 0)
		return r;
	r = hshm_priv_page_alloc(&b->priv_header);
	if (r < 0)
		return gsm_fail(b, "private header page for", r);
	fd = gsm_create(b, size);
	if (fd < 0) {
		r = fd;
		goto free_priv;
	}
	r = gsm_map_registered(b, fd, size, a->device, &image);
	if (r < 0)
		goto remove_object;
	b->fd = fd;
	gsm_view(b, image, size, a->device);
	hshm_header_fill(b->header, a->id, size, size - l->cap_sub, a->device,
			 l->priv_off);
	r = hshm_file_header_store(b);
	if (r < 0) {
		gsm_detach(b);
		hshm_obj_unlink(b->ctx, b->url);
		return r;
	}
	b->flags |= HSHM_FLAG_INITIALIZED | HSHM_FLAG_OWNED;
	return 0;

remove_object:
	close(fd);
	hshm_obj_unlink(b->ctx, b->url);
free_priv:
	hshm_priv_page_free(b->priv_header);
	b->priv_header = NULL;
	return r;
}

/**
 * gsm_attach_owned_fd() - validate and map @fd (taken; closed on failure)
 * with hshm_file_attach(), which reads the header page with pread and checks
 * it against the real size before mapping (no SIGBUS on a short object),
 * then register the mapping with the device that validated header names
 * (read once: not again from the live mapping another process can write).
 */
static int gsm_attach_owned_fd(struct hshm_backend *b, int fd)
{
	struct hshm_backend_header h;
	int r = hshm_file_attach(b, fd, &h);

	if (r < 0)
		return r;
	r = hshm_priv_page_alloc(&b->priv_header);
	if (r < 0) {
		gsm_fail(b, "private header page for", r);
		goto unmap_image;
	}
	r = b->image ? gsm_register(b, b->image, b->image_size, h.data_id) : 0;
	if (r < 0)
		goto free_priv;
	b->device = h.data_id; /* as validated: the mapping may change */
	b->gpu_registered = b->image != NULL;
	b->flags = HSHM_FLAG_INITIALIZED;
	return 0;

free_priv:
	hshm_priv_page_free(b->priv_header);
	b->priv_header = NULL;
unmap_image:
	hshm_file_unmap(b);
	return r;
}

static int gsm_attach(struct hshm_backend *b, const char *url)
{
	int fd, r;

	r = gsm_need_gpu(b);
	if (r < 0)
		return r;
	r = hshm_url_check(url);
	if (r < 0)
		return gsm_fail(b, "attach: bad url", r);
	strcpy(b->url, url);
	fd = hshm_obj_open(b->ctx, url, O_RDWR, 0);
	if (fd < 0)
		return gsm_fail(b, "open", fd);
	return gsm_attach_owned_fd(b, fd);
}

/** gsm_attach_fd() - attach to a dup of @fd; the caller keeps @fd. */
static int gsm_attach_fd(struct hshm_backend *b, int fd)
{
	int own, r;

	r = gsm_need_gpu(b);
	if (r < 0)
		return r;
	own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (own < 0)
		return gsm_fail(b, "dup of the fd of", -errno);
	return gsm_attach_owned_fd(b, own);
}

/** gsm_detach() - unregister, unmap, close.  Idempotent. */
static int gsm_detach(struct hshm_backend *b)
{
	if (b->image && b->gpu_registered && gsm_gpu(b))
		gsm_unregister(b, b->image, b->device);
	b->gpu_registered = false;
	hshm_file_unmap(b);
	hshm_priv_page_free(b->priv_header);
	b->priv_header = NULL;
	return 0;
}

/**
 * gsm_destroy() - remove the name if it still is this object's;
 * hshm_shm_destroy() then detaches.
 */
static int gsm_destroy(struct hshm_backend *b)
{
	bool replaced;
	int r;

	if (!b->url[0])
		return 0; /* attached by fd without a name: nothing to remove */
	r = hshm_obj_unlink_fd(b->ctx, b->url, b->fd, &replaced);
	if (r < 0)
		hshm_log(b->ctx, r == -ENOENT ? LOG_WARNING : LOG_ERR,
			 "gpu_shm_mmap: unlink %s: %s", b->url,
			 replaced ? "the name now names another object; "
			 "nothing removed" : strerror(-r));
	return r;
}

/** gsm_swap() - make @image (@size bytes, registered) the view; unmap old. */
static void gsm_swap(struct hshm_backend *b, char *image, uint64_t size)
{
	gsm_unregister(b, b->image, b->device);
	munmap(b->image, b->image_size);
	gsm_view(b, image, size, b->device);
}

/**
 * gsm_resize() - the object becomes @size bytes (= backend_size).  Growing
 * reserves first; shrinking truncates only once the smaller mapping is
 * registered.  On failure the old size, mapping and registration stay.
 */
static int gsm_resize(struct hshm_backend *b, uint64_t size)
{
	const struct hshm_v1_layout *l = hshm_v1_layout_of(GSM);
	struct hshm_backend_header *h;
	uint64_t old = b->image_size;
	char *image;
	int r;

	if (size < hshm_v1_min_image(GSM) || !gsm_gpu(b))
		return gsm_fail(b, "resize (too small, or no GPU) of", -EINVAL);
	if (!b->image)
		return hshm_file_resize(b, size); /* no_map: nothing registered */
	if (size > old && (r = hshm_view_reserve(b, b->fd, old, size - old)) < 0) {
		gsm_fail(b, "reserving space to grow", r);
		goto restore_size;
	}
	r = gsm_map_registered(b, b->fd, size, b->device, &image);
	if (r < 0)
		goto restore_size;
	if (size < old && ftruncate(b->fd, (off_t)size) < 0) {
		r = gsm_fail(b, "ftruncate to shrink", -errno);
		goto unmap_new;
	}
	h = (struct hshm_backend_header *)image;
	hshm_header_fill(h, h->id, size, size - l->cap_sub, b->device,
			 l->priv_off);
	gsm_swap(b, image, size);
	return 0;

unmap_new:
	gsm_unregister(b, image, b->device);
	munmap(image, size);
restore_size:
	if (size > old && ftruncate(b->fd, (off_t)old) < 0)
		hshm_log(b->ctx, LOG_WARNING,
			 "gpu_shm_mmap: %s: could not restore the size after a "
			 "failed grow", b->url);
	return r;
}

/**
 * gsm_refresh() - follow a resize made by another process: when the object's
 * size changed, validate its header anew (hshm_file_recheck(), which waits
 * out a resize in progress), map and register the new size, then drop the
 * old view.  Only V1, and only the same device.  On failure the old view
 * stays.
 */
static int gsm_refresh(struct hshm_backend *b)
{
	struct hshm_backend_header h;
	enum hshm_layout layout;
	uint64_t size;
	char *image;
	int r;

	if (!gsm_gpu(b))
		return gsm_fail(b, "refresh without a GPU runtime:", -EINVAL);
	r = hshm_file_recheck(b, &size, &layout, &h);
	if (r < 0 || size == b->image_size)
		return r;
	if (h.data_id != b->device)
		return gsm_fail(b, "refresh: data_id changed in", -EBADMSG);
	if (!b->image) { /* no_map: take the validated header */
		b->shadow = h;
		gsm_view(b, NULL, size, b->device);
		return 0;
	}
	r = gsm_map_registered(b, b->fd, size, b->device, &image);
	if (r < 0)
		return r;
	gsm_swap(b, image, size);
	return 0;
}

/** The image is the object: backend_size bytes. */
static uint64_t gsm_image_for(uint64_t backend_size)
{
	return hshm_v1_image_for(GSM, backend_size);
}

/** Smallest image: the header page and the unused last page (8192). */
static uint64_t gsm_min_image(void)
{
	return hshm_v1_min_image(GSM);
}

HSHM_EXPORT const struct hshm_backend_ops hshm_gpu_shm_mmap_ops = {
	.kind = HSHM_GPU_SHM_MMAP,
	.name = "gpu_shm_mmap",
	.class_name = "GpuShmMmap",
	.shared = true,
	.init = gsm_init,
	.attach = gsm_attach,
	.attach_fd = gsm_attach_fd,
	.detach = gsm_detach,
	.destroy = gsm_destroy,
	.resize = gsm_resize,
	.pread = hshm_host_pread,
	.pwrite = hshm_host_pwrite,
	.image_for = gsm_image_for,
	.min_image = gsm_min_image,
	.refresh = gsm_refresh,
};
