/* SPDX-License-Identifier: BSD-3-Clause */
/* common.c: the context, logging, and backend and layout names. */
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

HSHM_EXPORT const struct hshm_backend_ops *
hshm_backend_ops_of(enum hshm_backend_kind kind)
{
	return hshm_kind_valid(kind) ? kind_ops[kind] : NULL;
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
	return hshm_kind_valid(kind) ? kind_names[kind] : "unknown";
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
