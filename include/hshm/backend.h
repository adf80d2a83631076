/* SPDX-License-Identifier: BSD-3-Clause */
/* hshm/backend.h: the HSHM memory backends in C, byte-compatible with upstream. */
#ifndef HSHM_BACKEND_H
#define HSHM_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hshm/gpu.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Conventions
 * -----------
 * Every function that can fail returns 0 (or a non-negative count) on success
 * and a negative errno value on failure; it then logs one line saying why
 * through the context's log function and leaves no object, mapping or fd
 * behind.  Nothing read from a region is trusted before it is validated.
 *
 * Sizes follow upstream HSHM:
 *   backend_size   the size HSHM records in the header (and upstream's
 *                  shm_init size argument, raised to 1 MiB);
 *   image          the bytes of the backing object as a file, from offset 0
 *                  (what hshmfs shows as a file; see hshm_image_size()).
 */

/** Size of the header page (upstream kBackendHeaderSize). */
#define HSHM_HEADER_PAGE 4096u
/** Smallest backend_size upstream creates; smaller requests are raised. */
#define HSHM_MIN_BACKEND_SIZE (1u << 20)
/** Private (per-process) flag bits; flags stored in a region are always 0. */
#define HSHM_FLAG_INITIALIZED 0x1u
#define HSHM_FLAG_OWNED 0x2u
/** The view does not reserve pages when it creates or grows an object
 * (set from HSHM_INIT_NORESERVE or by hshm_set_reserve()). */
#define HSHM_FLAG_NORESERVE 0x4u
/** Longest URL accepted, including the leading '/' (NAME_MAX + 1). */
#define HSHM_URL_MAX 256
/** Size of a CUDA/HIP IPC memory handle. */
#define HSHM_IPC_HANDLE_SIZE 64

/** Backend id: two u32, major then minor (8 bytes, align 4). */
struct hshm_backend_id {
	uint32_t major;
	uint32_t minor;
};

/** The null id (UINT32_MAX, UINT32_MAX): never valid in a region. */
#define HSHM_ID_NULL ((struct hshm_backend_id){UINT32_MAX, UINT32_MAX})

static inline bool hshm_id_is_null(struct hshm_backend_id id)
{
	return id.major == UINT32_MAX && id.minor == UINT32_MAX;
}

/** MemoryBackendHeader: 48 bytes, little-endian, at offset 0 of a region. */
struct hshm_backend_header {
	struct hshm_backend_id id; /*  0 */
	uint64_t flags;            /*  8: always 0 in a region */
	uint64_t backend_size;     /* 16 */
	uint64_t data_capacity;    /* 24 */
	int32_t data_id;           /* 32: -1 for CPU backends, GPU ordinal otherwise */
	uint32_t padding;          /* 36: never written by HSHM */
	uint64_t priv_header_off;  /* 40 */
};

_Static_assert(sizeof(struct hshm_backend_header) == 48, "header is 48 bytes");

/** The four backends. */
enum hshm_backend_kind {
	HSHM_MALLOC = 0,        /* MallocBackend: private, memfd-backed here */
	HSHM_POSIX_SHM_MMAP,    /* PosixShmMmap: cross-process shared memory */
	HSHM_GPU_SHM_MMAP,      /* GpuShmMmap: host shm registered with a GPU */
	HSHM_GPU_MALLOC,        /* GpuMalloc: device memory, shared by IPC handle */
	HSHM_BACKEND_KIND_COUNT
};

/** Region layouts a reader can recognise (nothing in a region names it). */
enum hshm_layout {
	HSHM_LAYOUT_UNKNOWN = 0,
	HSHM_LAYOUT_V1,         /* 48-byte header with priv_header_off (reference) */
	HSHM_LAYOUT_V2,         /* newer upstream: 40-byte header, data at 4096 */
};

/** Log callback; level is a syslog level (LOG_ERR, LOG_WARNING, ...). */
typedef void (*hshm_log_fn)(void *arg, int level, const char *msg);

/**
 * Where and how regions are made.  Caller-owned; many backends may share one
 * context, which must outlive them.  Call hshm_ctx_init() first, then set
 * what differs from the defaults (a zeroed context would name fd 0 as its
 * directory).
 */
struct hshm_ctx {
	int shm_dirfd;                      /* dir of posix objects; -1: /dev/shm */
	const struct hshm_gpu_runtime *gpu; /* GPU runtime; NULL: none */
	hshm_log_fn log;                    /* NULL: one line on stderr */
	void *log_arg;
	mode_t mode;  /* mode of new objects, exact (fchmod, not umask); 0: 0600 */
	/*
	 * Never map host regions: every access to an object's bytes (header,
	 * data, spare page) is pread/pwrite on its fd, and the header is kept
	 * as the copy last validated against the object's real size.  For a
	 * process that must survive others truncating the objects it serves
	 * (the hshmfs daemon): a shrunk object gives a short read, never a
	 * SIGBUS.  hshm_region() and hshm_data() are NULL for host regions,
	 * and gpu_shm_mmap regions are not registered with the GPU.
	 */
	bool no_map;
	/*
	 * With no_map: data written by hshm_image_pwrite() is copied into a
	 * shared mapping of the object (made at a view's first write, dropped
	 * when its size changes), populated with MADV_POPULATE_WRITE and
	 * copied into under a SIGBUS guard, so that a shrunk object still
	 * gives -EIO, never a signal (src/backend/window.c).  Twice the speed
	 * of pwrite into tmpfs for pages written before; reads, the header
	 * and the spare page stay pread/pwrite.  The guard installs a SIGBUS
	 * handler once per process, which passes any SIGBUS that is not its
	 * own to the disposition it found.
	 */
	bool write_window;
};

/**
 * hshm_ctx_init() - fill @ctx with defaults: /dev/shm, no GPU, stderr log.
 * hshm_ctx_open_dir() - make @ctx use the directory @path for posix objects
 * (opened O_RDONLY|O_DIRECTORY|O_CLOEXEC, not O_PATH; closed by
 * hshm_ctx_fini(), which closes any shm_dirfd >= 0).
 * Return: 0, -ENOENT/-ENOTDIR/-EACCES (from open), -ENAMETOOLONG, -EINVAL
 * (NULL argument), -EBUSY (ctx->shm_dirfd already set).
 */
void hshm_ctx_init(struct hshm_ctx *ctx);
int hshm_ctx_open_dir(struct hshm_ctx *ctx, const char *path);
void hshm_ctx_fini(struct hshm_ctx *ctx);

struct hshm_window; /* private to the library (window.c) */

/**
 * A process's view of one region.  Caller-allocated; the fields are the
 * library's: read them through the accessors below.
 */
struct hshm_backend {
	const struct hshm_backend_ops *ops;
	const struct hshm_ctx *ctx;
	enum hshm_layout layout;
	uint64_t flags;                     /* private: INITIALIZED, OWNED */
	struct hshm_backend_header *header; /* host view (shadow for gpu_malloc) */
	char *image;         /* host mapping of the object from offset 0 */
	uint64_t image_size; /* bytes of the object (st_size of the file) */
	char *data;          /* data: host pointer, or device pointer (gpu_malloc) */
	uint64_t data_off;   /* offset of data in the image */
	void *priv_header;   /* per-process private header */
	char *device_base;   /* gpu_malloc: the device allocation */
	int fd;              /* backing object (shm fd or memfd); -1 if none */
	int device;          /* GPU ordinal, -1 for CPU backends */
	bool gpu_registered; /* host mapping registered with the GPU */
	bool ipc_opened;     /* gpu_malloc attached through an IPC handle */
	char url[HSHM_URL_MAX + 1]; /* "/name" and its NUL; "" if none */
	struct hshm_backend_header shadow; /* ctx->no_map: the header, as validated */
	struct hshm_window *win; /* ctx->write_window: the data window, or NULL */
	bool win_off;            /* no window could be made for this view */
};

/** Parameters of hshm_shm_init(). */
struct hshm_init_args {
	struct hshm_backend_id id; /* must not be null */
	uint64_t size;   /* backend_size (malloc, posix, gpu_shm) or data size
	                  * (gpu_malloc, as upstream); raised to 1 MiB */
	const char *url; /* "/name" for posix_shm_mmap and gpu_shm_mmap */
	int device;      /* GPU ordinal for GPU backends */
	uint32_t flags;  /* HSHM_INIT_*; 0: as upstream plus reservation */
};

/*
 * hshm_init_args.flags.  HSHM_INIT_NORESERVE: do not reserve the object's
 * pages (no fallocate of the image), as upstream HSHM: creating costs an
 * ftruncate, not the zeroing of every page, and the object stays sparse
 * until written.  The price: when the object's file system (tmpfs) cannot
 * supply a page, a process that touches it through a mapping gets SIGBUS,
 * and pwrite(2) on the object gets ENOSPC; with reservation (the default)
 * the create or the grow fails with -ENOSPC instead and every page later
 * touched exists.  A view that maps its object still reserves the header
 * page, which init writes through the mapping.  The choice sticks to the
 * view (HSHM_FLAG_NORESERVE): hshm_shm_resize() grows without reserving
 * and hshm_image_zero() punches without reserving again.  Ignored by
 * gpu_malloc (device memory is allocated whole); a gpu_shm_mmap view that
 * maps its object registers the mapping with the GPU, which pins, and so
 * allocates, every page anyway (a no_map view stays sparse).
 */
#define HSHM_INIT_NORESERVE 0x1u
/** Every flag hshm_shm_init() knows; others give -EINVAL. */
#define HSHM_INIT_FLAGS HSHM_INIT_NORESERVE

/** One backend's operations (one const table per backend file). */
struct hshm_backend_ops {
	enum hshm_backend_kind kind;
	const char *name;       /* "posix_shm_mmap" */
	const char *class_name; /* "PosixShmMmap" */
	bool shared;            /* other processes can attach */
	int (*init)(struct hshm_backend *b, const struct hshm_init_args *a);
	int (*attach)(struct hshm_backend *b, const char *url);
	int (*attach_fd)(struct hshm_backend *b, int fd);
	int (*detach)(struct hshm_backend *b);
	int (*destroy)(struct hshm_backend *b);
	int (*resize)(struct hshm_backend *b, uint64_t image_size);
	ssize_t (*pread)(struct hshm_backend *b, void *buf, size_t n, uint64_t off);
	ssize_t (*pwrite)(struct hshm_backend *b, const void *buf, size_t n,
			  uint64_t off);
	uint64_t (*image_for)(uint64_t backend_size);
	uint64_t (*min_image)(void);
	/** Notice a size change made elsewhere; NULL: the size cannot change. */
	int (*refresh)(struct hshm_backend *b);
};

extern const struct hshm_backend_ops hshm_malloc_ops;
extern const struct hshm_backend_ops hshm_posix_shm_mmap_ops;
extern const struct hshm_backend_ops hshm_gpu_shm_mmap_ops;
extern const struct hshm_backend_ops hshm_gpu_malloc_ops;

/** hshm_backend_ops_of() - the ops table of @kind, or NULL if out of range. */
const struct hshm_backend_ops *hshm_backend_ops_of(enum hshm_backend_kind kind);

/**
 * hshm_backend_kind_parse() - backend name to kind.  Accepts "malloc",
 * "posix_shm_mmap", "gpu_malloc", "gpu_shm_mmap" and the upstream class names
 * (MallocBackend, PosixShmMmap, GpuMalloc, GpuShmMmap).
 * Return: 0, or -EINVAL for any other string (including NULL and "").
 */
int hshm_backend_kind_parse(const char *name, enum hshm_backend_kind *out);
/** hshm_backend_kind_name() - canonical name, or "unknown". */
const char *hshm_backend_kind_name(enum hshm_backend_kind kind);
/** hshm_layout_name() - "v1", "v2" or "unknown". */
const char *hshm_layout_name(enum hshm_layout layout);

/**
 * hshm_backend_available() - whether @kind can be created with @ctx: GPU
 * backends need a GPU runtime in the context.
 * Return: 0, -EOPNOTSUPP, or -EINVAL for an unknown @kind (logged by the
 * caller, not here).
 */
int hshm_backend_available(const struct hshm_ctx *ctx,
			   enum hshm_backend_kind kind);

/**
 * hshm_url_check() - validate a URL: "/name", name 1..255 bytes, no further
 * '/', not "." or "..".  Return: 0, -EINVAL (no leading '/', inner '/', empty,
 * dot names), -ENAMETOOLONG.
 */
int hshm_url_check(const char *url);

/**
 * hshm_header_check() - validate a header page read from an object.
 * @page:     the first min(@obj_size, 4096) bytes of the object
 * @obj_size: the object's real size (fstat), not a value read from it
 * @kind:     the backend the object is expected to be
 * @layout:   out: the layout recognised
 * Pure function: reads only @page.  Checks the id is not null, flags are 0,
 * backend_size <= 2^46, sizes against @obj_size, offsets and capacity
 * against the layout, data_id for the kind (padding at 36 is not checked).
 * V2 (object size == backend_size, u64 at 40 == 0) is accepted for
 * posix_shm_mmap (*@layout = V2: data at 4096, data_capacity <= size - 4096)
 * and is -EPROTONOSUPPORT for the other kinds (*@layout = V2 as well).
 * Return: 0; -EBADMSG (inconsistent header, with the reason in @why),
 * -EPROTONOSUPPORT (a recognised layout this build cannot attach),
 * -ENODATA (object shorter than a header page).
 * @why (may be NULL) receives a static string naming the failed check.
 */
int hshm_header_check(const void *page, uint64_t obj_size,
		      enum hshm_backend_kind kind, enum hshm_layout *layout,
		      const char **why);

/**
 * hshm_shm_init() - create a region and own it (OWNED|INITIALIZED set).
 * posix_shm_mmap and gpu_shm_mmap: an object named a->url under the
 * context's shm directory, created O_EXCL|O_NOFOLLOW with ctx->mode; a name
 * in use gives -EEXIST (unlike upstream, which orphans the old object).
 * malloc: a memfd.  gpu_malloc: a device allocation with its IPC handle.
 * a->flags: HSHM_INIT_NORESERVE (above) or 0.
 * Return: 0; -EINVAL (null id, bad url, size overflow, a flag outside
 * HSHM_INIT_FLAGS), -ENAMETOOLONG, -EEXIST, -ENOSPC/-ENOMEM (object or
 * mapping; -ENOSPC only for a page it reserves), -EACCES, -EOPNOTSUPP (GPU
 * backend with no runtime), -ENODEV (no such device), -EFBIG (size beyond
 * what the backend can address).
 */
int hshm_shm_init(struct hshm_backend *b, const struct hshm_ctx *ctx,
		  enum hshm_backend_kind kind, const struct hshm_init_args *a);

/**
 * hshm_shm_attach() - join an existing region by URL, not owner.
 * Validates the header against the object's real size (hshm_header_check).
 * Return: 0; -ENOENT, -EACCES, -EINVAL/-ENAMETOOLONG (url), -EINVAL (not
 * a regular file), -EBADMSG, -EPROTONOSUPPORT, -ENODATA (see
 * hshm_header_check), -ENOMEM, -EOPNOTSUPP (malloc and gpu_malloc cannot
 * attach by URL).
 */
int hshm_shm_attach(struct hshm_backend *b, const struct hshm_ctx *ctx,
		    enum hshm_backend_kind kind, const char *url);

/**
 * hshm_shm_attach_fd() - join the region whose object is the open file @fd
 * (dup'ed; the caller keeps @fd).  Same checks and errors as attach; the URL
 * is left empty unless @url is given.  malloc accepts a file (a memfd) with
 * a valid malloc layout, mapped shared, not owner.  -EBADF for @fd < 0,
 * -EINVAL when @fd is not a regular file (a pipe, a directory).
 */
int hshm_shm_attach_fd(struct hshm_backend *b, const struct hshm_ctx *ctx,
		       enum hshm_backend_kind kind, int fd, const char *url);

/**
 * hshm_shm_detach() - unmap and close this process's view; the region lives
 * on (malloc and gpu_malloc regions are freed, having no other holder,
 * unless an IPC attach).  Idempotent.  Return: 0.
 */
int hshm_shm_detach(struct hshm_backend *b);

/**
 * hshm_shm_destroy() - detach and remove the region (unlink the object,
 * free the device memory).  Does not check ownership, like upstream; callers
 * check hshm_is_owner() first.  A posix region attached by fd without a URL
 * has no name to remove: it is only detached.  (The ops' destroy removes;
 * this then detaches.)  A name is removed only while it still names this
 * view's object (same device and inode): one another process put in its
 * place is left alone.
 * Return: 0, or -ENOENT if the name is gone or names another object
 * (nothing removed, one line logged; the view is detached anyway), -EINVAL
 * if @b is not attached.
 */
int hshm_shm_destroy(struct hshm_backend *b);

/**
 * hshm_shm_unlink_fd() - remove the object named @url under @ctx's shm
 * directory, but only while that name still names the open file @fd (same
 * device and inode, the name looked up with AT_SYMLINK_NOFOLLOW just before
 * the unlinkat): the check hshm_shm_destroy() makes, for an object that is
 * not attached (one that failed validation).  @fd may be an O_PATH fd.
 * Between the look-up and the unlinkat only someone allowed to remove the
 * name can change it (in a sticky shm_dir, its owner).
 * Return: 0; -ENOENT (no such name); -ESTALE (the name names another
 * object: nothing removed); -EINVAL/-ENAMETOOLONG (@url); -EBADF (@fd);
 * other errors of fstat and unlinkat (-EACCES, -EPERM, -EISDIR).
 */
int hshm_shm_unlink_fd(const struct hshm_ctx *ctx, const char *url, int fd);

/**
 * hshm_shm_resize() - change the image size to @image_size, keeping the data
 * that fits; updates backend_size and data_capacity in the header.
 * Bytes that fit keep their offsets and new bytes are zero, like a file's
 * truncate: the spare page (hshm_spare()) does not move with the size, so
 * its owner rewrites it after a resize.  Resizing is not coordinated across
 * processes: others notice with hshm_shm_refresh().
 * Return: 0; -EINVAL (below hshm_min_image()), -EFBIG (beyond what the
 * backend can address), -ENOSPC/-ENOMEM (nothing changed: the old size and
 * mapping stay; -ENOSPC only while the view reserves, hshm_set_reserve()),
 * -EOPNOTSUPP (attached gpu_malloc, V2 posix region).
 */
int hshm_shm_resize(struct hshm_backend *b, uint64_t image_size);

/**
 * hshm_shm_refresh() - notice a size change made by another process (fstat
 * of the object); remaps if needed and revalidates the header.
 * Return: 0, or the errors of hshm_header_check (the old view stays).
 */
int hshm_shm_refresh(struct hshm_backend *b);

/**
 * hshm_image_pread()/hshm_image_pwrite() - copy bytes of the image, clamped
 * to its size; device copies for gpu_malloc.  No header protection here.
 * Return: bytes copied (0 at or past the end; under ctx->no_map a write
 * may copy fewer than asked when the object's file system runs out of
 * pages for an unreserved region, and the next write then fails), -EINVAL
 * (@buf NULL with @n > 0, or @b not attached; logged), -EIO (GPU copy
 * failed; under no_map, the object shorter than the view), -ENOSPC (no_map:
 * no page left for an unreserved region, HSHM_INIT_NORESERVE), -errno of
 * pread/pwrite.
 */
ssize_t hshm_image_pread(struct hshm_backend *b, void *buf, size_t n,
			 uint64_t off);
ssize_t hshm_image_pwrite(struct hshm_backend *b, const void *buf, size_t n,
			  uint64_t off);

/**
 * hshm_set_reserve() - whether later grows of @b (hshm_shm_resize) and
 * ranges zeroed (hshm_image_zero) reserve their pages (true, the default of
 * a view made without HSHM_INIT_NORESERVE and of every attached view) or
 * leave them sparse (false).  Pages already reserved stay so.  Private to
 * this view, never stored in the region.  NULL @b: nothing.
 * hshm_reserves() - the current choice (false for NULL).
 */
void hshm_set_reserve(struct hshm_backend *b, bool reserve);
bool hshm_reserves(const struct hshm_backend *b);

/**
 * hshm_win_reads() - whether hshm_win_span() can serve @b: ctx->write_window,
 * a host object, a view that reserves its pages (populating a sparse one
 * would fill its holes), a window possible.
 * hshm_win_span() - point *@p at bytes [@off, @off + @n) of the object in
 * the view's window, its pages populated, for a caller to hand to the
 * kernel (a writev of a reply) and never to read or write itself: the
 * kernel's copy turns a page gone (the object shrunk meanwhile) into
 * EFAULT, not a signal.  *@p stays valid while the view's size does not
 * change (the caller excludes resize, refresh and detach).
 * Return: 0; -EAGAIN: no window, the range outside it, or a page that
 * cannot be had (then pread, whose errno says why).
 */
bool hshm_win_reads(const struct hshm_backend *b);
int hshm_win_span(struct hshm_backend *b, uint64_t off, size_t n,
		  const void **p);

/** Ownership (private flag, never stored in the region). */
void hshm_set_owner(struct hshm_backend *b);
void hshm_unset_owner(struct hshm_backend *b);
bool hshm_is_owner(const struct hshm_backend *b);

/**
 * Accessors; valid between a successful init/attach and detach/destroy
 * (on a detached view: null id, 0, NULL, -1, "").  Id, sizes, data_id and
 * priv_header_off are read from the live header (ctx->no_map: from the copy
 * validated at attach, resize or refresh); hshm_data_capacity() is clamped
 * to what the layout leaves for data in the image (never the spare page),
 * since another process may write the header.
 */
struct hshm_backend_id hshm_backend_id(const struct hshm_backend *b);
enum hshm_backend_kind hshm_backend_kind(const struct hshm_backend *b);
uint64_t hshm_backend_size(const struct hshm_backend *b);
uint64_t hshm_data_capacity(const struct hshm_backend *b);
uint64_t hshm_data_offset(const struct hshm_backend *b);
int32_t hshm_data_id(const struct hshm_backend *b);
uint64_t hshm_priv_header_off(const struct hshm_backend *b);
char *hshm_data(const struct hshm_backend *b);     /* device ptr for gpu_malloc */
char *hshm_region(const struct hshm_backend *b);   /* image base, NULL for gpu_malloc */
uint64_t hshm_image_size(const struct hshm_backend *b);
int hshm_backend_fd(const struct hshm_backend *b); /* -1 for gpu_malloc */
const char *hshm_backend_url(const struct hshm_backend *b);

/**
 * hshm_spare() - bytes of the object that upstream HSHM never maps or uses
 * (posix_shm_mmap: the page after backend_size; gpu_shm_mmap: its last page).
 * hshmfs keeps its own metadata there.  Return: pointer and *len, or NULL
 * with *len = 0 (malloc, gpu_malloc, V2 layout).
 */
void *hshm_spare(const struct hshm_backend *b, size_t *len);

/** hshm_spare_has() - whether @b has a spare page: its last 4096 bytes
 * (V1 posix_shm_mmap and gpu_shm_mmap, attached; mapped or not). */
bool hshm_spare_has(const struct hshm_backend *b);

/**
 * hshm_spare_pread()/hshm_spare_pwrite() - read or write @n bytes at @off
 * of the spare page through the object's fd (mapped or not: never a
 * SIGBUS).  The object's real size is read first: when it is no longer the
 * size this view validated, nothing is read or written.
 * Return: 0; -ENODATA (no spare page: malloc, gpu_malloc, V2 layout, or
 * @off + @n > 4096), -ESTALE (the object's size changed:
 * hshm_shm_refresh() first), -EIO (short transfer), -EINVAL (not attached,
 * NULL @buf), -errno.
 */
int hshm_spare_pread(const struct hshm_backend *b, size_t off, void *buf,
		     size_t n);
int hshm_spare_pwrite(struct hshm_backend *b, size_t off, const void *buf,
		      size_t n);

/**
 * hshm_image_zero() - make [@off, @off + @n) of the image read as zeros,
 * its pages still reserved while the view reserves (host regions: punch the
 * range out of the object and reserve it again, hshm_set_reserve(); pwrite
 * of zeros where the file system cannot punch).
 * The range is clamped to the image.
 * Return: 0; -EOPNOTSUPP (gpu_malloc), -EINVAL (not attached), -ENOSPC
 * (the range could not be reserved again), -errno.
 */
int hshm_image_zero(struct hshm_backend *b, uint64_t off, uint64_t n);

/**
 * hshm_set_id() - store @id in the region's header (the live header; with
 * ctx->no_map, the validated copy and then the object, by pwrite).
 * Return: 0; -EOPNOTSUPP (gpu_malloc: the header lives on the device),
 * -EINVAL (not attached, null @id), -ESTALE (the object's size changed),
 * -EIO/-errno (the write failed; the copy is unchanged).
 */
int hshm_set_id(struct hshm_backend *b, struct hshm_backend_id id);

/** hshm_min_image() - smallest image @kind can be resized to. */
uint64_t hshm_min_image(enum hshm_backend_kind kind);
/** hshm_image_for() - image size of a region of @backend_size bytes. */
uint64_t hshm_image_for(enum hshm_backend_kind kind, uint64_t backend_size);

/**
 * GpuMalloc IPC.  hshm_gpu_malloc_ipc_handle() copies the 64-byte handle
 * stored in the region's private header (-EINVAL for other kinds).
 *
 * hshm_gpu_malloc_attach_ipc() opens @handle on @device in this process
 * (which must not be the creator): data points at device_base + 8192.
 * @backend_size is the region's size as told by the process that shared the
 * handle (hshmfs: the backend_size of the HSHMFS_IOC_GPU_INFO reply), never
 * a value read from the region: it bounds every copy, and the header read
 * from the device must agree with it exactly (hshm_header_check() with
 * @backend_size as the object size, and data_id == @device).
 * On failure @b is left detached (cleared) and one line is logged.
 * Return: 0;
 *  -EINVAL      NULL @b, @ctx or @handle, @device < 0, @backend_size below
 *               8192 or above 2^46 (refused before any device access); or
 *               the runtime refused the handle (stale, foreign, or made by
 *               this process)
 *  -EOPNOTSUPP  no GPU runtime in @ctx
 *  -ENODEV      no such device
 *  -EBADMSG     the device header does not agree with @backend_size or
 *               @device, or is not a valid GpuMalloc header
 *  -EPROTONOSUPPORT  a newer upstream layout
 *  -ENOMEM      host or device memory
 *  -EIO         a device call failed
 */
int hshm_gpu_malloc_ipc_handle(const struct hshm_backend *b,
			       uint8_t out[HSHM_IPC_HANDLE_SIZE]);
int hshm_gpu_malloc_attach_ipc(struct hshm_backend *b,
			       const struct hshm_ctx *ctx,
			       const uint8_t handle[HSHM_IPC_HANDLE_SIZE],
			       int device, uint64_t backend_size);

#ifdef __cplusplus
}
#endif

#endif /* HSHM_BACKEND_H */
