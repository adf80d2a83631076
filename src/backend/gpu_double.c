/* SPDX-License-Identifier: BSD-3-Clause */
/* gpu_double.c: the GPU test double: memfd host memory posing as a device. */
/*
 * Every "device" allocation is a memfd of one metadata page followed by the
 * allocation, mapped MAP_SHARED; the pointer handed out is the byte after
 * the metadata page.  The metadata page records everything the double needs
 * (no globals): magic, the memfd's fd number in the creator, the size, the
 * device and the creator's pid.  An IPC handle names the creator's pid and
 * fd, so another process opens /proc/<pid>/fd/<fd> and maps the same pages,
 * which is how CUDA IPC behaves from the outside.  As with CUDA, the creator
 * cannot open its own handle, and only the creator frees.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend_i.h"

#define DBL_META_MAGIC UINT64_C(0x4154454d4c424448)   /* "HDBLMETA" */
#define DBL_HANDLE_MAGIC UINT64_C(0x4c444e4842424448) /* "HDBBHNDL" */
#define DBL_MAX_DEVICES 16
#define DBL_MAX_SIZE HSHM_MAX_BACKEND_SIZE

/** The first bytes of the metadata page in front of every allocation. */
struct dbl_meta {
	uint64_t magic;
	int32_t fd;     /* the memfd, in the creator */
	int32_t device;
	uint64_t size;  /* bytes after the metadata page */
	int32_t pid;    /* creator */
	uint32_t zero;
};

/** The 64-byte IPC handle. */
struct dbl_handle {
	uint64_t magic;
	int32_t pid;
	int32_t fd;
	uint64_t size;
	int32_t device;
	uint8_t zero[HSHM_IPC_HANDLE_SIZE - 28];
};

_Static_assert(sizeof(struct dbl_handle) == HSHM_IPC_HANDLE_SIZE,
	       "the double's handle is 64 bytes like CUDA's");

/** dbl_device_count() - HSHM_GPU_DOUBLE_DEVICES: default 1, clamp 0..16. */
static int dbl_device_count(int *n)
{
	const char *s = getenv("HSHM_GPU_DOUBLE_DEVICES");
	char *end;
	long v;

	if (!n)
		return -EINVAL;
	*n = 1;
	if (!s || !*s)
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end)
		return 0;
	*n = v < 0 ? 0 : v > DBL_MAX_DEVICES ? DBL_MAX_DEVICES : (int)v;
	return 0;
}

/** dbl_device_check() - -EINVAL if negative, -ENODEV past the last device. */
static int dbl_device_check(int device)
{
	int n;

	if (device < 0)
		return -EINVAL;
	dbl_device_count(&n);
	return device < n ? 0 : -ENODEV;
}

/** mapped() - whether the page at @p is mapped (a stray pointer: no fault). */
static bool mapped(const void *p)
{
	unsigned char vec;
	uintptr_t page = (uintptr_t)p & ~(uintptr_t)(HSHM_PAGE - 1);

	return mincore((void *)page, HSHM_PAGE, &vec) == 0;
}

/**
 * dbl_meta_of() - the metadata of the allocation whose base is @dptr.
 * Return: the metadata, or NULL when @dptr is not a base made by the double.
 */
static const struct dbl_meta *dbl_meta_of(const void *dptr)
{
	const struct dbl_meta *m;

	if (!dptr || ((uintptr_t)dptr & (HSHM_PAGE - 1)))
		return NULL;
	m = (const struct dbl_meta *)((const char *)dptr - HSHM_PAGE);
	if (!mapped(m) || m->magic != DBL_META_MAGIC)
		return NULL;
	return m;
}

static int dbl_malloc(int device, size_t size, void **dptr)
{
	struct dbl_meta *m;
	char *base;
	int fd, r;

	if (!dptr || size == 0 || size > DBL_MAX_SIZE)
		return -EINVAL;
	*dptr = NULL;
	r = dbl_device_check(device);
	if (r < 0)
		return r;
	fd = memfd_create("hshm-gpu-double", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)(size + HSHM_PAGE)) < 0) {
		r = -errno;
		goto close_fd;
	}
	base = mmap(NULL, size + HSHM_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		    fd, 0);
	if (base == MAP_FAILED) {
		r = -errno;
		goto close_fd;
	}
	m = (struct dbl_meta *)base;
	*m = (struct dbl_meta){ .magic = DBL_META_MAGIC, .fd = fd,
				.device = device, .size = size,
				.pid = (int32_t)getpid() };
	*dptr = base + HSHM_PAGE;
	return 0;

close_fd:
	close(fd);
	return r;
}

/** dbl_free() - unmap and close; only the creator frees (-EINVAL otherwise). */
static int dbl_free(int device, void *dptr)
{
	const struct dbl_meta *m = dbl_meta_of(dptr);
	uint64_t size;
	int fd;

	if (!m || m->pid != (int32_t)getpid() || m->device != device)
		return -EINVAL;
	size = m->size;
	fd = m->fd;
	munmap((char *)dptr - HSHM_PAGE, size + HSHM_PAGE);
	close(fd);
	return 0;
}

static int dbl_memcpy(int device, void *dst, const void *src, size_t n,
		      enum hshm_gpu_copy dir)
{
	int r = dbl_device_check(device);

	if (r < 0)
		return r;
	if (dir != HSHM_GPU_H2D && dir != HSHM_GPU_D2H && dir != HSHM_GPU_D2D)
		return -EINVAL;
	if (n == 0)
		return 0;
	if (!dst || !src)
		return -EINVAL;
	memmove(dst, src, n);
	return 0;
}

/** dbl_host_register() - check @p..@p+@n is mapped memory; records nothing. */
static int dbl_host_register(int device, void *p, size_t n)
{
	int r = dbl_device_check(device);

	if (r < 0)
		return r;
	if (!p || n == 0 || (uintptr_t)p > UINTPTR_MAX - n)
		return -EINVAL;
	if (!mapped(p) || !mapped((char *)p + n - 1))
		return -EINVAL;
	return 0;
}

static int dbl_host_unregister(int device, void *p)
{
	int r = dbl_device_check(device);

	if (r < 0)
		return r;
	return p ? 0 : -EINVAL;
}

/** dbl_ipc_get() - a handle for an allocation this process made. */
static int dbl_ipc_get(int device, void *dptr, uint8_t handle[64])
{
	const struct dbl_meta *m = dbl_meta_of(dptr);
	struct dbl_handle h;

	if (!handle || !m || m->pid != (int32_t)getpid() || m->device != device)
		return -EINVAL;
	memset(&h, 0, sizeof(h));
	h.magic = DBL_HANDLE_MAGIC;
	h.pid = m->pid;
	h.fd = m->fd;
	h.size = m->size;
	h.device = m->device;
	memcpy(handle, &h, sizeof(h));
	return 0;
}

/**
 * dbl_handle_parse() - copy and check a handle.  -EINVAL for a foreign or
 * corrupt handle, or one this process made (CUDA refuses those too);
 * -ENODEV when the device is out of range.
 */
static int dbl_handle_parse(int device, const uint8_t raw[64],
			    struct dbl_handle *h)
{
	int r = dbl_device_check(device);

	if (r < 0)
		return r;
	memcpy(h, raw, sizeof(*h));
	if (h->magic != DBL_HANDLE_MAGIC || h->pid <= 0 || h->fd < 0 ||
	    h->size == 0 || h->size > DBL_MAX_SIZE || h->device != device)
		return -EINVAL;
	if (h->pid == (int32_t)getpid())
		return -EINVAL;
	return 0;
}

/** dbl_meta_matches() - whether a mapped metadata page is the handle's. */
static bool dbl_meta_matches(const struct dbl_meta *m,
			     const struct dbl_handle *h)
{
	return m->magic == DBL_META_MAGIC && m->pid == h->pid &&
	       m->fd == h->fd && m->size == h->size && m->device == h->device;
}

/**
 * dbl_open_fd() - open the creator's memfd through /proc and check its size
 * before anything maps it.  A creator that is gone or has freed the
 * allocation gives -EINVAL (the handle names nothing), like a stale CUDA one.
 */
static int dbl_open_fd(const struct dbl_handle *h)
{
	char path[64];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)h->pid, (int)h->fd);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ESRCH ? -EINVAL : -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size != h->size + HSHM_PAGE) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

static int dbl_ipc_open(int device, const uint8_t handle[64], void **dptr)
{
	struct dbl_handle h;
	char *base;
	int fd, r;

	if (!handle || !dptr)
		return -EINVAL;
	*dptr = NULL;
	r = dbl_handle_parse(device, handle, &h);
	if (r < 0)
		return r;
	fd = dbl_open_fd(&h);
	if (fd < 0)
		return fd;
	base = mmap(NULL, h.size + HSHM_PAGE, PROT_READ | PROT_WRITE,
		    MAP_SHARED, fd, 0);
	r = base == MAP_FAILED ? -errno : 0;
	close(fd);
	if (r < 0)
		return r;
	if (!dbl_meta_matches((const struct dbl_meta *)base, &h)) {
		munmap(base, h.size + HSHM_PAGE);
		return -EINVAL;
	}
	*dptr = base + HSHM_PAGE;
	return 0;
}

/** dbl_ipc_close() - unmap an opened handle; the creator's own is -EINVAL. */
static int dbl_ipc_close(int device, void *dptr)
{
	const struct dbl_meta *m = dbl_meta_of(dptr);

	if (!m || m->pid == (int32_t)getpid() || m->device != device)
		return -EINVAL;
	munmap((char *)dptr - HSHM_PAGE, m->size + HSHM_PAGE);
	return 0;
}

static const struct hshm_gpu_runtime double_runtime = {
	.id = HSHM_GPU_DOUBLE,
	.name = "double",
	.device_count = dbl_device_count,
	.malloc = dbl_malloc,
	.free = dbl_free,
	.memcpy = dbl_memcpy,
	.host_register = dbl_host_register,
	.host_unregister = dbl_host_unregister,
	.ipc_get = dbl_ipc_get,
	.ipc_open = dbl_ipc_open,
	.ipc_close = dbl_ipc_close,
};

HSHM_EXPORT const struct hshm_gpu_runtime *hshm_gpu_double(void)
{
	return &double_runtime;
}
