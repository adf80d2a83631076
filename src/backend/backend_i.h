/* SPDX-License-Identifier: BSD-3-Clause */
/* backend_i.h: private helpers shared by the backend files (not installed). */
#ifndef HSHM_BACKEND_I_H
#define HSHM_BACKEND_I_H

#include <stdarg.h>
#include <syslog.h>

#include "hshm/backend.h"
#include "hshm/gpu.h"

#define HSHM_EXPORT __attribute__((visibility("default")))

/* Upstream layout constants (see shared/reference/hshm-format.md). */
#define HSHM_PAGE 4096u
#define HSHM_PRIV_OFF_V1 8192u            /* priv_header_off written by V1 */
#define HSHM_POSIX_DATA_OFF 8192u         /* posix: data at file offset 8192 */
#define HSHM_MALLOC_DATA_OFF 12288u       /* malloc: data at +12288 */
#define HSHM_GPU_SHM_DATA_OFF 4096u       /* gpu_shm_mmap: data at 4096 */
#define HSHM_GPU_MALLOC_PRIV_OFF 4096u    /* gpu_malloc: IPC handle page */
#define HSHM_GPU_MALLOC_DATA_OFF 8192u    /* gpu_malloc: data at +8192 */
/* Largest backend_size accepted: keeps every offset sum far from overflow. */
#define HSHM_MAX_BACKEND_SIZE (UINT64_C(1) << 46)

/**
 * hshm_log() - one log line through the context's log function (stderr
 * when none).  @ctx may be NULL.  Format is printf-like; no newline needed.
 */
void hshm_log(const struct hshm_ctx *ctx, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/**
 * hshm_obj_open() - open the object for @url ("/name") under the context's
 * directory with openat(..., O_NOFOLLOW|O_CLOEXEC|@flags, @mode).
 * Return: fd, or -errno.
 */
int hshm_obj_open(const struct hshm_ctx *ctx, const char *url, int flags,
		  mode_t mode);
/** hshm_obj_unlink() - unlinkat the object for @url.  Return: 0 or -errno. */
int hshm_obj_unlink(const struct hshm_ctx *ctx, const char *url);

/**
 * hshm_obj_size() - fstat @fd; -EINVAL unless it is a regular file.
 */
int hshm_obj_size(int fd, uint64_t *size);

/**
 * hshm_map_shared() - mmap(@len, PROT_READ|PROT_WRITE, MAP_SHARED, @fd, 0).
 * Return: 0 and *out, or -errno (-ENOMEM etc.).
 */
int hshm_map_shared(int fd, uint64_t len, char **out);

/** Reset @b to the detached state (fd -1, pointers NULL, flags 0). */
void hshm_backend_clear(struct hshm_backend *b);

/** Fill @h as upstream does: flags 0, padding 0. */
void hshm_header_fill(struct hshm_backend_header *h, struct hshm_backend_id id,
		      uint64_t backend_size, uint64_t data_capacity,
		      int32_t data_id, uint64_t priv_header_off);

/** Raise @size to the 1 MiB minimum; -EFBIG past HSHM_MAX_BACKEND_SIZE. */
int hshm_size_normalise(uint64_t size, uint64_t *out);

/** Map a GPU runtime's -errno for logging: "cuda: ...". */
const char *hshm_gpu_name(const struct hshm_ctx *ctx);

#endif /* HSHM_BACKEND_I_H */
