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

/** hshm_kind_valid() - @kind names one of the four backends. */
static inline bool hshm_kind_valid(enum hshm_backend_kind kind)
{
	return (unsigned)kind < HSHM_BACKEND_KIND_COUNT;
}

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
 * hshm_obj_unlink_fd() - unlink @url only if it still names the object open
 * as @fd (same st_dev/st_ino, the name not followed).  *@replaced says
 * whether the name names another object.  Return: 0; -ENOENT when the name
 * is gone or names another object (nothing removed); -errno.
 */
int hshm_obj_unlink_fd(const struct hshm_ctx *ctx, const char *url, int fd,
		       bool *replaced);

/*
 * Contract of the ops (see struct hshm_backend_ops): init/attach/attach_fd
 * get a cleared @b with ops and ctx set and leave nothing behind on failure
 * (the dispatcher clears @b again); attach_fd dups the fd it is given;
 * destroy removes the region and the dispatcher then calls detach, which
 * must therefore be idempotent; every op logs its own failures.
 */

/**
 * hshm_obj_size() - fstat @fd into *@size.
 * Return: 0, -EINVAL unless it is a regular file, or -errno from fstat.
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

/** hshm_gpu_name() - name of the context's GPU runtime ("cuda") or "none". */
const char *hshm_gpu_name(const struct hshm_ctx *ctx);
/** hshm_gpu_why() - " (cudaErrorX)" for the runtime's last failed call on
 * this thread, or "" (for log lines). */
const char *hshm_gpu_why(const struct hshm_ctx *ctx, char *buf, size_t len);

/*
 * The V1 layout of each kind (shared/reference/hshm-format.md), the one
 * table every size and offset computation reads.
 */
struct hshm_v1_layout {
	uint64_t obj_extra;     /* image size - backend_size */
	uint64_t cap_sub;       /* backend_size - data_capacity */
	uint64_t data_off;      /* offset of data in the image */
	uint64_t priv_off;      /* priv_header_off stored in the header */
	uint64_t priv_in_image; /* private header inside the image; 0: not */
	bool gpu;               /* data_id is a GPU ordinal (>= 0), else -1 */
};

/** hshm_v1_layout_of() - the layout of @kind, or NULL if out of range. */
const struct hshm_v1_layout *hshm_v1_layout_of(enum hshm_backend_kind kind);

/** V2 (newer upstream): object size == backend_size, data at 4096. */
#define HSHM_V2_DATA_OFF 4096u

/**
 * hshm_obj_read_page() - pread the first min(@size, 4096) bytes of @fd into
 * @page and zero the rest.  Return: 0, -ENODATA (short read), or -errno.
 */
int hshm_obj_read_page(int fd, uint64_t size, unsigned char page[HSHM_PAGE]);

/**
 * hshm_obj_reserve() - allocate [@off, @off+@len) of @fd (fallocate mode 0,
 * so the file grows to cover it), falling back to posix_fallocate where the
 * filesystem lacks fallocate.  A full tmpfs fails here with -ENOSPC instead
 * of raising SIGBUS on first touch.  Return: 0 or -errno.
 */
int hshm_obj_reserve(int fd, uint64_t off, uint64_t len);

/**
 * hshm_view_reserve() - hshm_obj_reserve() as @b's choice says: all of
 * [@off, @off+@len) when @b reserves; with HSHM_FLAG_NORESERVE only the
 * header page, and only when the range holds it and @b maps its object
 * (init writes the header through the mapping: a page tmpfs cannot supply
 * would be a SIGBUS there, an -ENOSPC here).  Return: 0 or -errno.
 */
int hshm_view_reserve(const struct hshm_backend *b, int fd, uint64_t off,
		      uint64_t len);

/** hshm_priv_page_alloc()/free() - one private anonymous zeroed page. */
int hshm_priv_page_alloc(void **out);
void hshm_priv_page_free(void *page);

/*
 * File-backed regions (file.c: posix_shm_mmap and malloc use all of these,
 * gpu_shm_mmap those that leave the GPU registration alone).  These use b->ops->kind, b->ctx, b->url for checks and log
 * lines, and log their own failures (one line each).
 */

/**
 * hshm_file_view_set() - point header, data, data_off (and the private
 * header when it lives in the image) at @image of @size bytes, @layout.
 */
void hshm_file_view_set(struct hshm_backend *b, char *image, uint64_t size,
			enum hshm_layout layout);

/**
 * hshm_file_attach() - validate the object @fd (fstat size, header page,
 * hshm_header_check) and map it whole; sets b->fd, the view and
 * b->layout.  Takes @fd: it is closed on failure.  Not owner.  @hdr (may
 * be NULL) receives the header as validated, read before mapping: use it
 * rather than b->header, which another process may change at any time.
 * Return: 0 or the errors of hshm_header_check, -ENOMEM, -EACCES.
 */
int hshm_file_attach(struct hshm_backend *b, int fd,
		     struct hshm_backend_header *hdr);

/** hshm_file_nomap() - whether @b's context forbids mapping (ctx->no_map). */
bool hshm_file_nomap(const struct hshm_backend *b);

/**
 * hshm_file_map() - map @fd whole into *@out, or set *@out = NULL under
 * no_map (then hshm_file_view_set() points the header at b->shadow).
 * Return: 0 or -errno of mmap (not logged).
 */
int hshm_file_map(struct hshm_backend *b, int fd, uint64_t size, char **out);

/**
 * hshm_file_header_store() - under no_map, pwrite b->shadow at offset 0
 * (a mapped header is written in place: nothing to do).  Logs a failure.
 * Return: 0, -EIO (short write) or -errno.
 */
int hshm_file_header_store(struct hshm_backend *b);


/** The fd-based bodies of hshm_spare_pread/pwrite() and hshm_set_id(). */
int hshm_file_spare_pread(const struct hshm_backend *b, size_t off, void *buf,
			  size_t n);
int hshm_file_spare_pwrite(struct hshm_backend *b, size_t off, const void *buf,
			   size_t n);
int hshm_file_set_id(struct hshm_backend *b, struct hshm_backend_id id);
/** The body of hshm_image_zero() for fd-backed regions (range clamped). */
int hshm_file_zero(struct hshm_backend *b, uint64_t off, uint64_t n);

/** hshm_file_unmap() - unmap the image and close the fd (no logging). */
void hshm_file_unmap(struct hshm_backend *b);

/**
 * hshm_file_resize() - resize a V1 file-backed region to @image_size:
 * grow = reserve, ftruncate, map anew, update the header; shrink = map anew,
 * update the header, ftruncate.  Any failure leaves size, header and mapping
 * as they were.  Bytes that fit keep their offsets; new bytes are zero.
 * Return: 0, -ENOSPC, -ENOMEM, -EOPNOTSUPP (not V1), other -errno.
 */
int hshm_file_resize(struct hshm_backend *b, uint64_t image_size);

/**
 * hshm_file_refresh() - fstat the object; when its size changed, validate
 * the header anew (hshm_file_recheck()) and remap.  On failure the old view
 * stays.
 */
int hshm_file_refresh(struct hshm_backend *b);

/** Attempts hshm_file_recheck() makes before a mismatch is an error. */
#define HSHM_REFRESH_TRIES 3

/**
 * hshm_file_recheck() - for a refresh: fstat b->fd into *@size and, when it
 * is not b->image_size, read and validate the header page (*@layout, and
 * *@hdr when not NULL).  A header that does not match the size (-EBADMSG)
 * may be another process's resize in progress (object already resized,
 * header not yet rewritten), so it retries, fstat included, up to
 * HSHM_REFRESH_TRIES times with sched_yield() in between; only the final
 * failure is logged.  Nothing is mapped.
 * Return: 0 (*@size == b->image_size: nothing changed), -errno of fstat,
 * or the errors of hshm_header_check.
 */
int hshm_file_recheck(struct hshm_backend *b, uint64_t *size,
		      enum hshm_layout *layout,
		      struct hshm_backend_header *hdr);

/**
 * hshm_host_pread()/pwrite() - memcpy from/to b->image, clamped to the
 * image; under no_map pread/pwrite on b->fd instead, and -EIO when the
 * object is shorter than the image (shrunk by another process).
 */
ssize_t hshm_host_pread(struct hshm_backend *b, void *buf, size_t n,
			uint64_t off);
ssize_t hshm_host_pwrite(struct hshm_backend *b, const void *buf, size_t n,
			 uint64_t off);

/**
 * hshm_win_pwrite() - under ctx->write_window, copy @n bytes to @off of the
 * object through the view's window (window.c), the caller having checked
 * the range.  Any number of threads may call it on one view at once.
 * Return: @n, -EIO (the object shrank during the copy), or -EAGAIN: no
 * window (not asked for, not possible) or a page it cannot supply; the
 * caller then uses pwrite, whose errno says why.
 * hshm_win_drop() - unmap the window; the view's size is about to change
 * or the view goes (no hshm_win_pwrite may run at the same time).
 */
ssize_t hshm_win_pwrite(struct hshm_backend *b, const void *buf, size_t n,
			uint64_t off);

void hshm_win_drop(struct hshm_backend *b);

/** hshm_v1_image_for()/min_image() - from the layout table. */
uint64_t hshm_v1_image_for(enum hshm_backend_kind kind, uint64_t backend_size);
uint64_t hshm_v1_min_image(enum hshm_backend_kind kind);

#endif /* HSHM_BACKEND_I_H */
