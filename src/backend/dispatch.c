/* SPDX-License-Identifier: BSD-3-Clause */
/* dispatch.c: the public calls: argument checks, dispatch through the ops tables, accessors. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend_i.h"

/* ---- dispatch ------------------------------------------------------------ */

void hshm_backend_clear(struct hshm_backend *b)
{
	memset(b, 0, sizeof(*b));
	b->fd = -1;
	b->device = -1;
	b->layout = HSHM_LAYOUT_UNKNOWN;
}

/* Look up and check what an init/attach needs; prepares @b on success. */
static int begin(struct hshm_backend *b, const struct hshm_ctx *ctx,
		 enum hshm_backend_kind kind, const char *what)
{
	const struct hshm_backend_ops *ops = hshm_backend_ops_of(kind);

	if (!b || !ctx || !ops) {
		hshm_log(ctx, LOG_ERR, "%s: NULL argument or unknown kind %d",
			 what, (int)kind);
		return -EINVAL;
	}
	if (hshm_backend_available(ctx, kind)) {
		hshm_log(ctx, LOG_ERR, "%s: %s not available (%s)", what,
			 ops->name, ops->init ? "no GPU runtime in the context"
					      : "not built");
		return -EOPNOTSUPP;
	}
	hshm_backend_clear(b);
	b->ops = ops;
	b->ctx = ctx;
	return 0;
}

/* Check that @b is attached and has the op @fn; logs otherwise. */
static int attached(const struct hshm_backend *b, const void *fn,
		    const char *what)
{
	if (!b || !b->ops || !b->ctx) {
		hshm_log(b ? b->ctx : NULL, LOG_ERR, "%s: backend not attached",
			 what);
		return -EINVAL;
	}
	if (!fn) {
		hshm_log(b->ctx, LOG_ERR, "%s: not supported by %s", what,
			 b->ops->name);
		return -EOPNOTSUPP;
	}
	return 0;
}

static int finish(struct hshm_backend *b, int err)
{
	if (err)
		hshm_backend_clear(b);
	return err;
}

HSHM_EXPORT int hshm_shm_init(struct hshm_backend *b,
			      const struct hshm_ctx *ctx,
			      enum hshm_backend_kind kind,
			      const struct hshm_init_args *a)
{
	int err = begin(b, ctx, kind, "init");

	if (err)
		return err;
	if (!a || hshm_id_is_null(a->id)) {
		hshm_log(ctx, LOG_ERR, "init %s: %s", b->ops->name,
			 a ? "the null id cannot name a region" : "no args");
		return finish(b, -EINVAL);
	}
	if (a->flags & ~(uint32_t)HSHM_INIT_FLAGS) {
		hshm_log(ctx, LOG_ERR, "init %s: unknown flags 0x%x",
			 b->ops->name, (unsigned)(a->flags & ~HSHM_INIT_FLAGS));
		return finish(b, -EINVAL);
	}
	if (a->flags & HSHM_INIT_NORESERVE)
		b->flags = HSHM_FLAG_NORESERVE;
	return finish(b, b->ops->init(b, a));
}

HSHM_EXPORT int hshm_shm_attach(struct hshm_backend *b,
				const struct hshm_ctx *ctx,
				enum hshm_backend_kind kind, const char *url)
{
	int err = begin(b, ctx, kind, "attach");

	if (err)
		return err;
	if (!b->ops->attach) {
		hshm_log(ctx, LOG_ERR, "attach: %s cannot attach by URL",
			 b->ops->name);
		return finish(b, -EOPNOTSUPP);
	}
	return finish(b, b->ops->attach(b, url));
}

HSHM_EXPORT int hshm_shm_attach_fd(struct hshm_backend *b,
				   const struct hshm_ctx *ctx,
				   enum hshm_backend_kind kind, int fd,
				   const char *url)
{
	int err = begin(b, ctx, kind, "attach_fd");

	if (err)
		return err;
	if (!b->ops->attach_fd) {
		hshm_log(ctx, LOG_ERR, "attach_fd: %s cannot attach by fd",
			 b->ops->name);
		return finish(b, -EOPNOTSUPP);
	}
	if (url) {
		err = hshm_url_check(url);
		if (err) {
			hshm_log(ctx, LOG_ERR, "attach_fd: bad url '%.*s'",
				 HSHM_URL_MAX, url);
			return finish(b, err);
		}
		strcpy(b->url, url);
	}
	if (fd < 0) {
		hshm_log(ctx, LOG_ERR, "attach_fd %s: bad fd %d", b->url, fd);
		return finish(b, -EBADF);
	}
	return finish(b, b->ops->attach_fd(b, fd));
}

HSHM_EXPORT int hshm_shm_detach(struct hshm_backend *b)
{
	if (!b || !b->ops)
		return 0;
	if (b->ops->detach)
		b->ops->detach(b);
	hshm_backend_clear(b);
	return 0;
}

HSHM_EXPORT int hshm_shm_destroy(struct hshm_backend *b)
{
	int err = attached(b, b ? (const void *)b->ops : NULL, "destroy");

	if (err)
		return err;
	err = b->ops->destroy ? b->ops->destroy(b) : 0;
	hshm_shm_detach(b);
	return err;
}

HSHM_EXPORT int hshm_shm_unlink_fd(const struct hshm_ctx *ctx,
				  const char *url, int fd)
{
	bool replaced = false;
	int err;

	if (fd < 0)
		return -EBADF;
	err = hshm_obj_unlink_fd(ctx, url, fd, &replaced);
	return replaced ? -ESTALE : err;
}

HSHM_EXPORT int hshm_shm_resize(struct hshm_backend *b, uint64_t image_size)
{
	int err = attached(b, b && b->ops ? (const void *)b->ops->resize : NULL,
			   "resize");
	enum hshm_backend_kind kind;

	if (err)
		return err;
	kind = b->ops->kind;
	if (image_size < hshm_min_image(kind)) {
		hshm_log(b->ctx, LOG_ERR, "resize %s to %llu: below the %llu "
			 "bytes of the header pages", b->url,
			 (unsigned long long)image_size,
			 (unsigned long long)hshm_min_image(kind));
		return -EINVAL;
	}
	if (image_size > hshm_image_for(kind, HSHM_MAX_BACKEND_SIZE)) {
		hshm_log(b->ctx, LOG_ERR, "resize %s to %llu: too large",
			 b->url, (unsigned long long)image_size);
		return -EFBIG;
	}
	return b->ops->resize(b, image_size);
}

HSHM_EXPORT int hshm_shm_refresh(struct hshm_backend *b)
{
	int err = attached(b, b ? (const void *)b->ops : NULL, "refresh");

	if (err)
		return err;
	return b->ops->refresh ? b->ops->refresh(b) : 0;
}

/* What pread and pwrite check first: attached, able to, and a buffer. */
static int io_begin(struct hshm_backend *b, const void *fn, const void *buf,
		    size_t n, const char *what)
{
	int err = attached(b, fn, what);

	if (err)
		return err;
	if (!buf && n) {
		hshm_log(b->ctx, LOG_ERR, "%s %s: NULL buffer", what, b->url);
		return -EINVAL;
	}
	return 0;
}

HSHM_EXPORT ssize_t hshm_image_pread(struct hshm_backend *b, void *buf,
				     size_t n, uint64_t off)
{
	int err = io_begin(b, b && b->ops ? (const void *)b->ops->pread : NULL,
			   buf, n, "pread");

	return err ? err : b->ops->pread(b, buf, n, off);
}

HSHM_EXPORT ssize_t hshm_image_pwrite(struct hshm_backend *b, const void *buf,
				      size_t n, uint64_t off)
{
	int err = io_begin(b, b && b->ops ? (const void *)b->ops->pwrite : NULL,
			   buf, n, "pwrite");

	return err ? err : b->ops->pwrite(b, buf, n, off);
}

/* ---- ownership and accessors --------------------------------------------- */

HSHM_EXPORT void hshm_set_reserve(struct hshm_backend *b, bool reserve)
{
	if (!b)
		return;
	if (reserve)
		b->flags &= ~(uint64_t)HSHM_FLAG_NORESERVE;
	else
		b->flags |= HSHM_FLAG_NORESERVE;
}

HSHM_EXPORT bool hshm_reserves(const struct hshm_backend *b)
{
	return b && !(b->flags & HSHM_FLAG_NORESERVE);
}

HSHM_EXPORT void hshm_set_owner(struct hshm_backend *b)
{
	if (b)
		b->flags |= HSHM_FLAG_OWNED;
}

HSHM_EXPORT void hshm_unset_owner(struct hshm_backend *b)
{
	if (b)
		b->flags &= ~(uint64_t)HSHM_FLAG_OWNED;
}

HSHM_EXPORT bool hshm_is_owner(const struct hshm_backend *b)
{
	return b && (b->flags & HSHM_FLAG_OWNED);
}

HSHM_EXPORT struct hshm_backend_id hshm_backend_id(const struct hshm_backend *b)
{
	return b && b->header ? b->header->id : HSHM_ID_NULL;
}

HSHM_EXPORT enum hshm_backend_kind hshm_backend_kind(const struct hshm_backend *b)
{
	return b && b->ops ? b->ops->kind : HSHM_BACKEND_KIND_COUNT;
}

HSHM_EXPORT uint64_t hshm_backend_size(const struct hshm_backend *b)
{
	return b && b->header ? b->header->backend_size : 0;
}

/*
 * The data capacity the layout gives an image of @b's size (V1: backend_size
 * less the header pages, so never the spare page; V2: all past the header
 * page).  gpu_malloc's data is on the device, sized by its creator's header:
 * not clamped here.
 */
static uint64_t data_room(const struct hshm_backend *b)
{
	const struct hshm_v1_layout *l = hshm_v1_layout_of(b->ops->kind);
	uint64_t pages = l->obj_extra + l->cap_sub;

	if (b->ops->kind == HSHM_GPU_MALLOC)
		return UINT64_MAX;
	if (b->layout == HSHM_LAYOUT_V2)
		pages = HSHM_V2_DATA_OFF;
	return b->image_size > pages ? b->image_size - pages : 0;
}

/* Clamped to the layout: another process may scribble on the header. */
HSHM_EXPORT uint64_t hshm_data_capacity(const struct hshm_backend *b)
{
	uint64_t cap, room;

	if (!b || !b->ops || !b->header)
		return 0;
	cap = b->header->data_capacity;
	room = data_room(b);
	return cap < room ? cap : room;
}

HSHM_EXPORT uint64_t hshm_data_offset(const struct hshm_backend *b)
{
	return b ? b->data_off : 0;
}

HSHM_EXPORT int32_t hshm_data_id(const struct hshm_backend *b)
{
	return b && b->header ? b->header->data_id : -1;
}

HSHM_EXPORT uint64_t hshm_priv_header_off(const struct hshm_backend *b)
{
	return b && b->header ? b->header->priv_header_off : 0;
}

HSHM_EXPORT char *hshm_data(const struct hshm_backend *b)
{
	return b ? b->data : NULL;
}

HSHM_EXPORT char *hshm_region(const struct hshm_backend *b)
{
	return b ? b->image : NULL;
}

HSHM_EXPORT uint64_t hshm_image_size(const struct hshm_backend *b)
{
	return b ? b->image_size : 0;
}

HSHM_EXPORT int hshm_backend_fd(const struct hshm_backend *b)
{
	return b && b->ops ? b->fd : -1;
}

HSHM_EXPORT const char *hshm_backend_url(const struct hshm_backend *b)
{
	return b ? b->url : "";
}

HSHM_EXPORT bool hshm_spare_has(const struct hshm_backend *b)
{
	enum hshm_backend_kind kind = hshm_backend_kind(b);

	return (kind == HSHM_POSIX_SHM_MMAP || kind == HSHM_GPU_SHM_MMAP) &&
	       b->layout == HSHM_LAYOUT_V1 && b->fd >= 0 &&
	       b->image_size >= hshm_min_image(kind);
}

HSHM_EXPORT void *hshm_spare(const struct hshm_backend *b, size_t *len)
{
	if (len)
		*len = 0;
	if (!hshm_spare_has(b) || !b->image)
		return NULL;
	if (len)
		*len = HSHM_PAGE;
	return b->image + b->image_size - HSHM_PAGE;
}

HSHM_EXPORT int hshm_spare_pread(const struct hshm_backend *b, size_t off,
				 void *buf, size_t n)
{
	if (!b || !b->ops || !buf)
		return -EINVAL;
	return hshm_file_spare_pread(b, off, buf, n);
}

HSHM_EXPORT int hshm_spare_pwrite(struct hshm_backend *b, size_t off,
				  const void *buf, size_t n)
{
	if (!b || !b->ops || !buf)
		return -EINVAL;
	return hshm_file_spare_pwrite(b, off, buf, n);
}

HSHM_EXPORT int hshm_image_zero(struct hshm_backend *b, uint64_t off,
				uint64_t n)
{
	if (!b || !b->ops || b->fd < 0)
		return b && b->ops && b->ops->kind == HSHM_GPU_MALLOC ?
		       -EOPNOTSUPP : -EINVAL;
	if (off >= b->image_size)
		return 0;
	if (n > b->image_size - off)
		n = b->image_size - off;
	return hshm_file_zero(b, off, n);
}

HSHM_EXPORT int hshm_set_id(struct hshm_backend *b, struct hshm_backend_id id)
{
	if (!b || !b->ops || !b->header || hshm_id_is_null(id))
		return -EINVAL;
	if (b->ops->kind == HSHM_GPU_MALLOC)
		return -EOPNOTSUPP;
	return hshm_file_set_id(b, id);
}

HSHM_EXPORT uint64_t hshm_min_image(enum hshm_backend_kind kind)
{
	const struct hshm_backend_ops *ops = hshm_backend_ops_of(kind);

	if (ops && ops->min_image)
		return ops->min_image();
	return hshm_v1_min_image(kind);
}

HSHM_EXPORT uint64_t hshm_image_for(enum hshm_backend_kind kind,
				    uint64_t backend_size)
{
	const struct hshm_backend_ops *ops = hshm_backend_ops_of(kind);

	if (ops && ops->image_for)
		return ops->image_for(backend_size);
	return hshm_v1_image_for(kind, backend_size);
}
