/* SPDX-License-Identifier: BSD-3-Clause */
/* common.c: context, logging, names, header validation and the dispatch layer. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend_i.h"

/* ---- context and logging ---------------------------------------------- */

HSHM_EXPORT void hshm_ctx_init(struct hshm_ctx *ctx)
{
	if (!ctx)
		return;
	memset(ctx, 0, sizeof(*ctx));
	ctx->shm_dirfd = -1;
	ctx->mode = 0600;
}

HSHM_EXPORT int hshm_ctx_open_dir(struct hshm_ctx *ctx, const char *path)
{
	int fd;

	if (!ctx || !path) {
		hshm_log(ctx, LOG_ERR, "ctx_open_dir: NULL argument");
		return -EINVAL;
	}
	if (ctx->shm_dirfd >= 0) {
		hshm_log(ctx, LOG_ERR, "ctx_open_dir %s: context already has a "
			 "directory", path);
		return -EBUSY;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		int err = -errno;

		hshm_log(ctx, LOG_ERR, "ctx_open_dir %s: %s", path,
			 strerror(-err));
		return err;
	}
	ctx->shm_dirfd = fd;
	return 0;
}

HSHM_EXPORT void hshm_ctx_fini(struct hshm_ctx *ctx)
{
	if (!ctx)
		return;
	if (ctx->shm_dirfd >= 0)
		close(ctx->shm_dirfd);
	ctx->shm_dirfd = -1;
}

void hshm_log(const struct hshm_ctx *ctx, int level, const char *fmt, ...)
{
	int saved = errno;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ctx && ctx->log)
		ctx->log(ctx->log_arg, level, msg);
	else
		fprintf(stderr, "hshm: %s\n", msg);
	errno = saved;
}

const char *hshm_gpu_name(const struct hshm_ctx *ctx)
{
	return ctx && ctx->gpu && ctx->gpu->name ? ctx->gpu->name : "none";
}

const char *hshm_gpu_why(const struct hshm_ctx *ctx, char *buf, size_t len)
{
	const char *why = ctx && ctx->gpu && ctx->gpu->last_error ?
			  ctx->gpu->last_error() : NULL;

	if (!why || snprintf(buf, len, " (%s)", why) >= (int)len)
		return "";
	return buf;
}

/* ---- names -------------------------------------------------------------- */

static const struct hshm_backend_ops *const kind_ops[HSHM_BACKEND_KIND_COUNT] = {
	[HSHM_MALLOC] = &hshm_malloc_ops,
	[HSHM_POSIX_SHM_MMAP] = &hshm_posix_shm_mmap_ops,
	[HSHM_GPU_SHM_MMAP] = &hshm_gpu_shm_mmap_ops,
	[HSHM_GPU_MALLOC] = &hshm_gpu_malloc_ops,
};

static const char *const kind_names[HSHM_BACKEND_KIND_COUNT] = {
	[HSHM_MALLOC] = "malloc",
	[HSHM_POSIX_SHM_MMAP] = "posix_shm_mmap",
	[HSHM_GPU_SHM_MMAP] = "gpu_shm_mmap",
	[HSHM_GPU_MALLOC] = "gpu_malloc",
};

static const char *const kind_classes[HSHM_BACKEND_KIND_COUNT] = {
	[HSHM_MALLOC] = "MallocBackend",
	[HSHM_POSIX_SHM_MMAP] = "PosixShmMmap",
	[HSHM_GPU_SHM_MMAP] = "GpuShmMmap",
	[HSHM_GPU_MALLOC] = "GpuMalloc",
};

static bool kind_valid(enum hshm_backend_kind kind)
{
	return (unsigned)kind < HSHM_BACKEND_KIND_COUNT;
}

HSHM_EXPORT const struct hshm_backend_ops *
hshm_backend_ops_of(enum hshm_backend_kind kind)
{
	return kind_valid(kind) ? kind_ops[kind] : NULL;
}

HSHM_EXPORT int hshm_backend_kind_parse(const char *name,
					enum hshm_backend_kind *out)
{
	if (!name || !out)
		return -EINVAL;
	for (int k = 0; k < HSHM_BACKEND_KIND_COUNT; k++) {
		if (!strcmp(name, kind_names[k]) ||
		    !strcmp(name, kind_classes[k])) {
			*out = (enum hshm_backend_kind)k;
			return 0;
		}
	}
	return -EINVAL;
}

HSHM_EXPORT const char *hshm_backend_kind_name(enum hshm_backend_kind kind)
{
	return kind_valid(kind) ? kind_names[kind] : "unknown";
}

HSHM_EXPORT const char *hshm_layout_name(enum hshm_layout layout)
{
	switch (layout) {
	case HSHM_LAYOUT_V1:
		return "v1";
	case HSHM_LAYOUT_V2:
		return "v2";
	default:
		return "unknown";
	}
}

HSHM_EXPORT int hshm_backend_available(const struct hshm_ctx *ctx,
				       enum hshm_backend_kind kind)
{
	const struct hshm_backend_ops *ops = hshm_backend_ops_of(kind);

	if (!ops)
		return -EINVAL;
	if (!ops->init)
		return -EOPNOTSUPP; /* not built into this library */
	if (kind == HSHM_GPU_SHM_MMAP || kind == HSHM_GPU_MALLOC)
		return ctx && ctx->gpu ? 0 : -EOPNOTSUPP;
	return 0;
}

HSHM_EXPORT int hshm_url_check(const char *url)
{
	const char *name;
	size_t n;

	if (!url || url[0] != '/')
		return -EINVAL;
	name = url + 1;
	n = strnlen(name, NAME_MAX + 1);
	if (n == 0)
		return -EINVAL;
	if (n > NAME_MAX)
		return -ENAMETOOLONG;
	if (memchr(name, '/', n))
		return -EINVAL;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	return 0;
}

/* ---- layouts and header validation ------------------------------------- */

static const struct hshm_v1_layout v1_layouts[HSHM_BACKEND_KIND_COUNT] = {
	[HSHM_MALLOC] = { 0, HSHM_MALLOC_DATA_OFF, HSHM_MALLOC_DATA_OFF,
			  HSHM_PRIV_OFF_V1, HSHM_PAGE, false },
	[HSHM_POSIX_SHM_MMAP] = { HSHM_PAGE, HSHM_POSIX_DATA_OFF,
				  HSHM_POSIX_DATA_OFF, HSHM_PRIV_OFF_V1, 0,
				  false },
	[HSHM_GPU_SHM_MMAP] = { 0, 2 * HSHM_PAGE, HSHM_GPU_SHM_DATA_OFF,
				HSHM_PRIV_OFF_V1, 0, true },
	[HSHM_GPU_MALLOC] = { 0, HSHM_GPU_MALLOC_DATA_OFF,
			      HSHM_GPU_MALLOC_DATA_OFF,
			      HSHM_GPU_MALLOC_PRIV_OFF, 0, true },
};

const struct hshm_v1_layout *hshm_v1_layout_of(enum hshm_backend_kind kind)
{
	return kind_valid(kind) ? &v1_layouts[kind] : NULL;
}

uint64_t hshm_v1_image_for(enum hshm_backend_kind kind, uint64_t backend_size)
{
	const struct hshm_v1_layout *l = hshm_v1_layout_of(kind);

	return l ? backend_size + l->obj_extra : 0;
}

uint64_t hshm_v1_min_image(enum hshm_backend_kind kind)
{
	const struct hshm_v1_layout *l = hshm_v1_layout_of(kind);

	return l ? l->cap_sub + l->obj_extra : 0;
}

/* The header as read from a page, decoded little-endian at fixed offsets. */
struct raw_header {
	uint32_t major, minor;
	uint64_t flags, backend_size, data_capacity, priv_header_off;
	int32_t data_id;
};

static uint64_t le_get(const unsigned char *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

static void raw_decode(const unsigned char *p, struct raw_header *h)
{
	h->major = (uint32_t)le_get(p + 0, 4);
	h->minor = (uint32_t)le_get(p + 4, 4);
	h->flags = le_get(p + 8, 8);
	h->backend_size = le_get(p + 16, 8);
	h->data_capacity = le_get(p + 24, 8);
	h->data_id = (int32_t)(uint32_t)le_get(p + 32, 4);
	h->priv_header_off = le_get(p + 40, 8);
}

static int bad(const char **why, const char *msg, int err)
{
	if (why)
		*why = msg;
	return err;
}

/* V2: object size == backend_size and nothing at offset 40. */
static bool is_v2(const struct raw_header *h, uint64_t obj_size)
{
	return h->priv_header_off == 0 && obj_size == h->backend_size;
}

static int check_v2(const struct raw_header *h, enum hshm_backend_kind kind,
		    const char **why)
{
	if (kind != HSHM_POSIX_SHM_MMAP)
		return bad(why, "newer upstream layout (40-byte header, data "
			   "at 4096)", -EPROTONOSUPPORT);
	if (h->data_capacity > h->backend_size - HSHM_V2_DATA_OFF)
		return bad(why, "v2 data_capacity beyond the object", -EBADMSG);
	if (h->data_id != -1)
		return bad(why, "data_id is not -1 for a CPU backend", -EBADMSG);
	return 0;
}

static int check_v1(const struct raw_header *h, uint64_t obj_size,
		    const struct hshm_v1_layout *l, const char **why)
{
	if (h->priv_header_off != l->priv_off)
		return bad(why, "priv_header_off does not match the layout",
			   -EBADMSG);
	if (h->backend_size < l->cap_sub)
		return bad(why, "backend_size smaller than the header pages",
			   -EBADMSG);
	if (obj_size < h->backend_size + l->obj_extra)
		return bad(why, "object shorter than backend_size says "
			   "(truncated)", -EBADMSG);
	if (obj_size > h->backend_size + l->obj_extra)
		return bad(why, "object longer than backend_size says",
			   -EBADMSG);
	if (h->data_capacity != h->backend_size - l->cap_sub)
		return bad(why, "data_capacity does not match backend_size",
			   -EBADMSG);
	if (l->gpu ? h->data_id < 0 : h->data_id != -1)
		return bad(why, l->gpu ? "data_id is not a GPU ordinal"
				       : "data_id is not -1 for a CPU backend",
			   -EBADMSG);
	return 0;
}

HSHM_EXPORT int hshm_header_check(const void *page, uint64_t obj_size,
				  enum hshm_backend_kind kind,
				  enum hshm_layout *layout, const char **why)
{
	const struct hshm_v1_layout *l = hshm_v1_layout_of(kind);
	struct raw_header h;
	int err;

	if (layout)
		*layout = HSHM_LAYOUT_UNKNOWN;
	if (!page || !l)
		return bad(why, "invalid argument", -EINVAL);
	if (obj_size < HSHM_PAGE)
		return bad(why, "object shorter than a header page", -ENODATA);
	raw_decode(page, &h);
	if (h.major == UINT32_MAX && h.minor == UINT32_MAX)
		return bad(why, "null backend id", -EBADMSG);
	if (h.flags != 0)
		return bad(why, "non-zero flags stored in a region", -EBADMSG);
	if (h.backend_size > HSHM_MAX_BACKEND_SIZE)
		return bad(why, "absurd backend_size", -EBADMSG);
	if (is_v2(&h, obj_size)) {
		err = check_v2(&h, kind, why);
		if (layout && (!err || err == -EPROTONOSUPPORT))
			*layout = HSHM_LAYOUT_V2;
		return err;
	}
	err = check_v1(&h, obj_size, l, why);
	if (!err && layout)
		*layout = HSHM_LAYOUT_V1;
	return err;
}

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

HSHM_EXPORT ssize_t hshm_image_pread(struct hshm_backend *b, void *buf,
				     size_t n, uint64_t off)
{
	int err = attached(b, b && b->ops ? (const void *)b->ops->pread : NULL,
			   "pread");

	if (err)
		return err;
	if (!buf && n) {
		hshm_log(b->ctx, LOG_ERR, "pread %s: NULL buffer", b->url);
		return -EINVAL;
	}
	return b->ops->pread(b, buf, n, off);
}

HSHM_EXPORT ssize_t hshm_image_pwrite(struct hshm_backend *b, const void *buf,
				      size_t n, uint64_t off)
{
	int err = attached(b, b && b->ops ? (const void *)b->ops->pwrite : NULL,
			   "pwrite");

	if (err)
		return err;
	if (!buf && n) {
		hshm_log(b->ctx, LOG_ERR, "pwrite %s: NULL buffer", b->url);
		return -EINVAL;
	}
	return b->ops->pwrite(b, buf, n, off);
}

/* ---- ownership and accessors --------------------------------------------- */

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

/* Clamped to the mapping: another process may scribble on the header. */
HSHM_EXPORT uint64_t hshm_data_capacity(const struct hshm_backend *b)
{
	uint64_t cap, room;

	if (!b || !b->header || b->image_size < b->data_off)
		return 0;
	cap = b->header->data_capacity;
	room = b->image_size - b->data_off;
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

HSHM_EXPORT void *hshm_spare(const struct hshm_backend *b, size_t *len)
{
	enum hshm_backend_kind kind = hshm_backend_kind(b);
	bool has = kind == HSHM_POSIX_SHM_MMAP || kind == HSHM_GPU_SHM_MMAP;

	if (len)
		*len = 0;
	if (!has || b->layout != HSHM_LAYOUT_V1 || !b->image ||
	    b->image_size < hshm_min_image(kind))
		return NULL;
	if (len)
		*len = HSHM_PAGE;
	return b->image + b->image_size - HSHM_PAGE;
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

/* ---- objects: open, size, map, reserve ----------------------------------- */

int hshm_obj_open(const struct hshm_ctx *ctx, const char *url, int flags,
		  mode_t mode)
{
	int dirfd = ctx ? ctx->shm_dirfd : -1;
	int fd, err;

	err = hshm_url_check(url);
	if (err)
		return err;
	if (dirfd < 0) {
		dirfd = open("/dev/shm", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0)
			return -errno;
	}
	fd = openat(dirfd, url + 1, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	err = fd < 0 ? -errno : 0;
	if (!ctx || ctx->shm_dirfd < 0)
		close(dirfd);
	return err ? err : fd;
}

int hshm_obj_unlink(const struct hshm_ctx *ctx, const char *url)
{
	int dirfd = ctx ? ctx->shm_dirfd : -1;
	int err = hshm_url_check(url);

	if (err)
		return err;
	if (dirfd < 0) {
		dirfd = open("/dev/shm", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0)
			return -errno;
	}
	err = unlinkat(dirfd, url + 1, 0) ? -errno : 0;
	if (!ctx || ctx->shm_dirfd < 0)
		close(dirfd);
	return err;
}

/* Same file: fstatat(@name, no follow) against fstat(@fd). */
static int same_file(int dirfd, const char *name, int fd)
{
	struct stat at, of;

	if (fstatat(dirfd, name, &at, AT_SYMLINK_NOFOLLOW))
		return -errno;
	if (fstat(fd, &of))
		return -errno;
	return at.st_dev == of.st_dev && at.st_ino == of.st_ino ? 0 : -ESTALE;
}

int hshm_obj_unlink_fd(const struct hshm_ctx *ctx, const char *url, int fd,
		       bool *replaced)
{
	int dirfd = ctx ? ctx->shm_dirfd : -1;
	int err = hshm_url_check(url);

	if (err)
		return err;
	if (dirfd < 0) {
		dirfd = open("/dev/shm", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0)
			return -errno;
	}
	err = same_file(dirfd, url + 1, fd);
	if (!err && unlinkat(dirfd, url + 1, 0))
		err = -errno;
	*replaced = err == -ESTALE;
	if (*replaced)
		err = -ENOENT;
	if (!ctx || ctx->shm_dirfd < 0)
		close(dirfd);
	return err;
}

int hshm_obj_size(int fd, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	*size = (uint64_t)st.st_size;
	return 0;
}

int hshm_map_shared(int fd, uint64_t len, char **out)
{
	void *p;

	if (len == 0)
		return -EINVAL;
	if (len > SIZE_MAX)
		return -ENOMEM;
	p = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	*out = p;
	return 0;
}

int hshm_obj_read_page(int fd, uint64_t size, unsigned char page[HSHM_PAGE])
{
	size_t want = size < HSHM_PAGE ? (size_t)size : HSHM_PAGE;
	size_t got = 0;

	memset(page, 0, HSHM_PAGE);
	while (got < want) {
		ssize_t n = pread(fd, page + got, want - got, (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENODATA; /* shrunk under us */
		got += (size_t)n;
	}
	return 0;
}

int hshm_obj_reserve(int fd, uint64_t off, uint64_t len)
{
	int err;

	if (len == 0)
		return 0;
	if (fallocate(fd, 0, (off_t)off, (off_t)len) == 0)
		return 0;
	if (errno != EOPNOTSUPP)
		return -errno;
	err = posix_fallocate(fd, (off_t)off, (off_t)len);
	return -err;
}

int hshm_priv_page_alloc(void **out)
{
	void *p = mmap(NULL, HSHM_PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	*out = p;
	return 0;
}

void hshm_priv_page_free(void *page)
{
	if (page)
		munmap(page, HSHM_PAGE);
}

void hshm_header_fill(struct hshm_backend_header *h, struct hshm_backend_id id,
		      uint64_t backend_size, uint64_t data_capacity,
		      int32_t data_id, uint64_t priv_header_off)
{
	memset(h, 0, sizeof(*h));
	h->id = id;
	h->backend_size = backend_size;
	h->data_capacity = data_capacity;
	h->data_id = data_id;
	h->priv_header_off = priv_header_off;
}

int hshm_size_normalise(uint64_t size, uint64_t *out)
{
	if (size > HSHM_MAX_BACKEND_SIZE)
		return -EFBIG;
	*out = size < HSHM_MIN_BACKEND_SIZE ? HSHM_MIN_BACKEND_SIZE : size;
	return 0;
}
