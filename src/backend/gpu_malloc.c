/* SPDX-License-Identifier: BSD-3-Clause */
/* gpu_malloc.c: GpuMalloc: one device allocation shared by IPC handle. */
/*
 * Device layout (shared/reference/hshm-format.md, "GpuMalloc"):
 *
 *   +0     header page (MemoryBackendHeader, rest zero)
 *   +4096  GpuMallocPrivateHeader: the 64-byte IPC handle (rest zero)
 *   +8192  data, data_capacity = data_size bytes
 *
 * backend_size = data_size + 8192 = the image.  The host keeps a shadow of
 * both pages (b->header, b->priv_header point into one 8 KiB buffer); the
 * device copy is what other processes read.  There is no object to name:
 * other processes attach only with the handle (hshm_gpu_malloc_attach_ipc).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "backend_i.h"

#define GM_PRIV_OFF HSHM_GPU_MALLOC_PRIV_OFF /* 4096 */
#define GM_DATA_OFF HSHM_GPU_MALLOC_DATA_OFF /* 8192 */

static const struct hshm_gpu_runtime *gm_gpu(const struct hshm_backend *b)
{
	return b->ctx ? b->ctx->gpu : NULL;
}

/** The image is the whole allocation: backend_size bytes. */
static uint64_t gm_image_for(uint64_t backend_size)
{
	return hshm_v1_image_for(HSHM_GPU_MALLOC, backend_size);
}

/** Smallest image: the two metadata pages, no data (a shrunk region). */
static uint64_t gm_min_image(void)
{
	return hshm_v1_min_image(HSHM_GPU_MALLOC);
}

/** gm_fail() - log one line for a failed step and pass @r on. */
static int gm_fail(const struct hshm_backend *b, const char *what, int r)
{
	const struct hshm_gpu_runtime *gpu = gm_gpu(b);
	char why[64];

	hshm_log(b->ctx, LOG_ERR, "gpu_malloc: %s%s%s: %s%s",
		 gpu ? gpu->name : "", gpu ? ": " : "", what, strerror(-r),
		 hshm_gpu_why(b->ctx, why, sizeof(why)));
	return r;
}

/**
 * gm_pages_write() - write the two metadata pages of @shadow (8 KiB: header,
 * then the private header with @handle) to the device at @dev.
 */
static int gm_pages_write(struct hshm_backend *b, char *dev, char *shadow,
			  int device)
{
	return gm_gpu(b)->memcpy(device, dev, shadow, GM_DATA_OFF, HSHM_GPU_H2D);
}

/**
 * gm_region_new() - allocate @data_size + 8192 bytes on @device, write the
 * header and the allocation's IPC handle into @shadow (8 KiB, the rest kept
 * as given) and write both pages to the device.  On failure nothing is left.
 */
static int gm_region_new(struct hshm_backend *b, struct hshm_backend_id id,
			 uint64_t data_size, int device, char *shadow,
			 char **out)
{
	const struct hshm_gpu_runtime *gpu = gm_gpu(b);
	uint64_t size = data_size + GM_DATA_OFF;
	void *dev;
	int r;

	r = gpu->malloc(device, size, &dev);
	if (r < 0)
		return gm_fail(b, "allocating device memory", r);
	r = gpu->ipc_get(device, dev, (uint8_t *)shadow + GM_PRIV_OFF);
	if (r < 0) {
		gm_fail(b, "getting the IPC handle", r);
		goto free_dev;
	}
	hshm_header_fill((struct hshm_backend_header *)shadow, id, size,
			 data_size, device, GM_PRIV_OFF);
	r = gm_pages_write(b, dev, shadow, device);
	if (r < 0) {
		gm_fail(b, "writing the header pages", r);
		goto free_dev;
	}
	*out = dev;
	return 0;

free_dev:
	gpu->free(device, dev);
	return r;
}

/** gm_adopt() - point @b at the device region @dev with host @shadow. */
static void gm_adopt(struct hshm_backend *b, char *dev, char *shadow,
		     int device, bool opened)
{
	struct hshm_backend_header *h = (struct hshm_backend_header *)shadow;

	b->layout = HSHM_LAYOUT_V1;
	b->header = h;
	b->priv_header = shadow + GM_PRIV_OFF;
	b->image = NULL;
	b->image_size = h->backend_size;
	b->device_base = dev;
	b->data = dev + GM_DATA_OFF;
	b->data_off = GM_DATA_OFF;
	b->fd = -1;
	b->device = device;
	b->gpu_registered = false;
	b->ipc_opened = opened;
}

static int gm_init(struct hshm_backend *b, const struct hshm_init_args *a)
{
	uint64_t data_size;
	char *shadow, *dev;
	int r;

	if (!gm_gpu(b)) {
		hshm_log(b->ctx, LOG_ERR, "gpu_malloc: no GPU runtime in the context");
		return -EOPNOTSUPP;
	}
	if (hshm_id_is_null(a->id) || a->device < 0)
		return gm_fail(b, "null id or negative device", -EINVAL);
	r = hshm_size_normalise(a->size, &data_size);
	if (r == 0 && data_size + GM_DATA_OFF > HSHM_MAX_BACKEND_SIZE)
		r = -EFBIG;
	if (r < 0)
		return gm_fail(b, "data size", r);
	shadow = calloc(1, GM_DATA_OFF);
	if (!shadow)
		return gm_fail(b, "header shadow", -ENOMEM);
	r = gm_region_new(b, a->id, data_size, a->device, shadow, &dev);
	if (r < 0) {
		free(shadow);
		return r;
	}
	gm_adopt(b, dev, shadow, a->device, false);
	b->url[0] = '\0';
	b->flags |= HSHM_FLAG_INITIALIZED | HSHM_FLAG_OWNED;
	return 0;
}

static int gm_attach(struct hshm_backend *b, const char *url)
{
	hshm_log(b->ctx, LOG_ERR,
		 "gpu_malloc: cannot attach by name; use the IPC handle");
	return -EOPNOTSUPP;
}

static int gm_attach_fd(struct hshm_backend *b, int fd)
{
	return gm_attach(b, NULL);
}

/** gm_detach() - close an opened handle, or free the creator's memory. */
static int gm_detach(struct hshm_backend *b)
{
	const struct hshm_gpu_runtime *gpu = gm_gpu(b);
	int r = 0;

	if (b->device_base && gpu) {
		r = b->ipc_opened ? gpu->ipc_close(b->device, b->device_base)
				  : gpu->free(b->device, b->device_base);
		if (r < 0)
			gm_fail(b, b->ipc_opened ? "closing the IPC handle"
						 : "freeing device memory", r);
	}
	free(b->header);
	hshm_backend_clear(b);
	return 0;
}

/**
 * gm_destroy() - free the device memory.  An IPC view cannot free what
 * another process allocated: it only closes its handle.
 */
static int gm_destroy(struct hshm_backend *b)
{
	return gm_detach(b);
}

/**
 * gm_resize() - move to a new allocation of @image_size bytes: both
 * metadata pages are carried over as the device holds them (then the
 * header's 48 bytes and the new handle rewritten), data that fits is copied
 * device to device; the old allocation is freed last (a failure there is
 * only a warning: the resize is done).  On failure nothing changes.  Holders of
 * the old handle keep the old memory: callers refuse a resize while another
 * process holds it (hshmfs tracks that).
 */
static int gm_resize(struct hshm_backend *b, uint64_t image_size)
{
	const struct hshm_gpu_runtime *gpu = gm_gpu(b);
	uint64_t old_cap = b->image_size - GM_DATA_OFF;
	uint64_t cap = image_size - GM_DATA_OFF;
	char *shadow, *dev;
	int r;

	if (image_size < gm_min_image())
		return gm_fail(b, "resize below the header pages", -EINVAL);
	if (image_size > HSHM_MAX_BACKEND_SIZE)
		return gm_fail(b, "resize beyond the largest region", -EFBIG);
	if (b->ipc_opened)
		return gm_fail(b, "resizing a region opened by handle", -EOPNOTSUPP);
	if (!b->device_base || !gpu)
		return gm_fail(b, "resizing a view with no device memory",
			       -EINVAL);
	shadow = malloc(GM_DATA_OFF);
	if (!shadow)
		return gm_fail(b, "header shadow", -ENOMEM);
	/* Both pages move whole; the header and the handle are then rewritten. */
	r = gpu->memcpy(b->device, shadow, b->device_base, GM_DATA_OFF,
			HSHM_GPU_D2H);
	if (r < 0) {
		gm_fail(b, "reading the header pages", r);
		goto free_shadow;
	}
	r = gm_region_new(b, b->header->id, cap, b->device, shadow, &dev);
	if (r < 0)
		goto free_shadow;
	r = gpu->memcpy(b->device, dev + GM_DATA_OFF, b->data,
			cap < old_cap ? cap : old_cap, HSHM_GPU_D2D);
	if (r < 0) {
		gm_fail(b, "copying the data", r);
		goto free_dev;
	}
	if ((r = gpu->free(b->device, b->device_base)) < 0)
		hshm_log(b->ctx, LOG_WARNING, "gpu_malloc: %s: freeing the old "
			 "allocation after a resize: %s (leaked)", gpu->name,
			 strerror(-r));
	free(b->header);
	gm_adopt(b, dev, shadow, b->device, false);
	return 0;

free_dev:
	gpu->free(b->device, dev);
free_shadow:
	free(shadow);
	return r;
}

/** gm_span() - clamp [@off, @off+@n) to the image; bytes available. */
static size_t gm_span(const struct hshm_backend *b, size_t n, uint64_t off)
{
	uint64_t left;

	if (!b->device_base || off >= b->image_size)
		return 0;
	left = b->image_size - off;
	if (n > SSIZE_MAX)
		n = SSIZE_MAX;
	return n < left ? n : (size_t)left;
}

static ssize_t gm_pread(struct hshm_backend *b, void *buf, size_t n,
			uint64_t off)
{
	size_t len = gm_span(b, n, off);
	int r;

	if (len == 0)
		return 0;
	r = gm_gpu(b)->memcpy(b->device, buf, b->device_base + off, len,
			      HSHM_GPU_D2H);
	if (r < 0)
		return gm_fail(b, "reading device memory", r);
	return (ssize_t)len;
}

/**
 * gm_pwrite() - copy to the device; bytes landing in the two metadata pages
 * also go to the host shadow, so the accessors see what the device holds.
 */
static ssize_t gm_pwrite(struct hshm_backend *b, const void *buf, size_t n,
			 uint64_t off)
{
	size_t len = gm_span(b, n, off);
	int r;

	if (len == 0)
		return 0;
	r = gm_gpu(b)->memcpy(b->device, b->device_base + off, buf, len,
			      HSHM_GPU_H2D);
	if (r < 0)
		return gm_fail(b, "writing device memory", r);
	if (off < GM_DATA_OFF)
		memcpy((char *)b->header + off, buf,
		       len < GM_DATA_OFF - off ? len : GM_DATA_OFF - off);
	return (ssize_t)len;
}


HSHM_EXPORT const struct hshm_backend_ops hshm_gpu_malloc_ops = {
	.kind = HSHM_GPU_MALLOC,
	.name = "gpu_malloc",
	.class_name = "GpuMalloc",
	.shared = true,
	.init = gm_init,
	.attach = gm_attach,
	.attach_fd = gm_attach_fd,
	.detach = gm_detach,
	.destroy = gm_destroy,
	.resize = gm_resize,
	.pread = gm_pread,
	.pwrite = gm_pwrite,
	.image_for = gm_image_for,
	.min_image = gm_min_image,
};

HSHM_EXPORT int hshm_gpu_malloc_ipc_handle(const struct hshm_backend *b,
					   uint8_t out[HSHM_IPC_HANDLE_SIZE])
{
	if (!b || !out || b->ops != &hshm_gpu_malloc_ops || !b->priv_header)
		return -EINVAL;
	memcpy(out, b->priv_header, HSHM_IPC_HANDLE_SIZE);
	return 0;
}

/**
 * gm_validate() - check a header read from a device region opened by handle
 * against @backend_size, the size the process that shared the handle gave
 * (never a value read from the region): the common checks with that size as
 * the object's, then data_id = @device.
 */
static int gm_validate(struct hshm_backend *b, const char *shadow,
		       uint64_t backend_size, int device)
{
	struct hshm_backend_header h;
	enum hshm_layout layout;
	const char *why = "?";
	int r;

	memcpy(&h, shadow, sizeof(h));
	r = hshm_header_check(shadow, backend_size, HSHM_GPU_MALLOC, &layout,
			      &why);
	if (r == 0 && h.data_id != device) {
		r = -EBADMSG;
		why = "data_id is not the device the handle was opened on";
	}
	if (r < 0)
		hshm_log(b->ctx, LOG_ERR, "gpu_malloc: bad header (%llu bytes "
			 "expected): %s: %s", (unsigned long long)backend_size,
			 why, strerror(-r));
	return r;
}

/** gm_open() - open @handle, read and check its pages into @shadow. */
static int gm_open(struct hshm_backend *b, const uint8_t *handle,
		   uint64_t backend_size, int device, char *shadow, char **out)
{
	const struct hshm_gpu_runtime *gpu = gm_gpu(b);
	void *dev;
	int r;

	r = gpu->ipc_open(device, handle, &dev);
	if (r < 0)
		return gm_fail(b, "opening the IPC handle", r);
	r = gpu->memcpy(device, shadow, dev, GM_DATA_OFF, HSHM_GPU_D2H);
	if (r < 0) {
		gm_fail(b, "reading the header pages", r);
		goto close_handle;
	}
	r = gm_validate(b, shadow, backend_size, device);
	if (r < 0)
		goto close_handle;
	*out = dev;
	return 0;

close_handle:
	gpu->ipc_close(device, dev);
	return r;
}

/** gm_attach_args() - check what attach_ipc was given; logs one line. */
static int gm_attach_args(const struct hshm_ctx *ctx, const uint8_t *handle,
			  int device, uint64_t backend_size)
{
	if (!handle || device < 0) {
		hshm_log(ctx, LOG_ERR, "gpu_malloc: attach_ipc: %s",
			 handle ? "negative device" : "no handle");
		return -EINVAL;
	}
	if (backend_size < GM_DATA_OFF || backend_size > HSHM_MAX_BACKEND_SIZE) {
		hshm_log(ctx, LOG_ERR, "gpu_malloc: attach_ipc: backend_size "
			 "%llu outside %u..%llu", (unsigned long long)backend_size,
			 GM_DATA_OFF, (unsigned long long)HSHM_MAX_BACKEND_SIZE);
		return -EINVAL;
	}
	if (!ctx->gpu) {
		hshm_log(ctx, LOG_ERR, "gpu_malloc: no GPU runtime in the context");
		return -EOPNOTSUPP;
	}
	return 0;
}

HSHM_EXPORT int hshm_gpu_malloc_attach_ipc(struct hshm_backend *b,
					   const struct hshm_ctx *ctx,
					   const uint8_t handle[HSHM_IPC_HANDLE_SIZE],
					   int device, uint64_t backend_size)
{
	char *shadow, *dev = NULL;
	int r;

	if (!b || !ctx) {
		hshm_log(ctx, LOG_ERR, "gpu_malloc: attach_ipc: NULL %s",
			 b ? "context" : "backend");
		if (b)
			hshm_backend_clear(b);
		return -EINVAL;
	}
	hshm_backend_clear(b);
	b->ops = &hshm_gpu_malloc_ops;
	b->ctx = ctx;
	r = gm_attach_args(ctx, handle, device, backend_size);
	if (r < 0)
		goto clear;
	shadow = calloc(1, GM_DATA_OFF);
	if (!shadow) {
		r = gm_fail(b, "header shadow", -ENOMEM);
		goto clear;
	}
	r = gm_open(b, handle, backend_size, device, shadow, &dev);
	if (r < 0) {
		free(shadow);
		goto clear;
	}
	gm_adopt(b, dev, shadow, device, true);
	b->flags = HSHM_FLAG_INITIALIZED;
	return 0;

clear:
	hshm_backend_clear(b);
	return r;
}
