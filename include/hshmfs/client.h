/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hshmfs/client.h: attach to a GPU region of an hshmfs mount.
 *
 * A GPU region is a file of an hshmfs mount whose backend is gpu_malloc
 * (device memory owned by the daemon) or gpu_shm_mmap (host shared memory
 * registered with a device).  hshmfs_gpu_attach() turns its path into a
 * pointer this process can use:
 *
 *   gpu_malloc    a device pointer: the daemon's allocation opened through
 *                 its IPC handle (cudaIpcOpenMemHandle / hipIpcOpenMemHandle)
 *                 plus data_offset.  Use it in kernels or with the runtime's
 *                 memcpy; it is not host-addressable.
 *   gpu_shm_mmap  a host pointer: the file mapped MAP_SHARED, the whole
 *                 mapping registered with the device (cudaHostRegister,
 *                 portable and mapped), plus data_offset.  On runtimes with
 *                 unified addressing, kernels may use it as is.
 *
 * The runtime is the one the daemon names in its reply (CUDA, HIP or the
 * test double), taken from the backend library (hshm/gpu.h).  A runtime
 * not compiled into this build gives -EOPNOTSUPP.
 *
 * Link with `pkg-config --cflags --libs hshmfs-client`.  Every function
 * returns 0 or a negative errno value and leaves nothing behind on failure.
 * The backend library logs one line on stderr when a device step fails.
 * Functions are thread-safe on distinct attachments.
 */
#ifndef HSHMFS_CLIENT_H
#define HSHMFS_CLIENT_H

#include <stdint.h>

#include "hshm/gpu.h"
#include "hshmfs/ioctl.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * One process's attachment to a GPU region.  Filled by hshmfs_gpu_attach(),
 * read-only for the caller, released by hshmfs_gpu_detach().  It may be
 * copied by value (all state is behind @priv), but detached only once.
 */
struct hshmfs_gpu_attachment {
	struct hshmfs_gpu_info info;  /* the daemon's reply, validated */
	const struct hshm_gpu_runtime *runtime; /* the runtime named in info */
	uint32_t kind;         /* HSHMFS_KIND_GPU_MALLOC or _GPU_SHM_MMAP */
	int device;            /* device ordinal (= info.device) */
	void *data;            /* device pointer (gpu_malloc) or host pointer */
	uint64_t data_capacity;
	uint64_t backend_size;
	int fd;                /* the region file, open while attached */
	void *priv;            /* the library's */
};

/**
 * hshmfs_gpu_info_check() - validate a reply of HSHMFS_IOC_GPU_INFO: version
 * and size as in this header, a GPU kind, a device >= 0, data inside
 * backend_size after a header page, a non-zero IPC handle for gpu_malloc.
 * Pure function.
 * Return: 0; -EINVAL (@gi NULL); -EPROTO (anything else wrong).
 */
int hshmfs_gpu_info_check(const struct hshmfs_gpu_info *gi);

/**
 * hshmfs_gpu_info_get() - issue HSHMFS_IOC_GPU_INFO on @fd and validate the
 * reply.  Note that for a gpu_malloc file this hands out the IPC handle:
 * the daemon then refuses to truncate the file (ETXTBSY) until unmount.
 * Return: 0; -EINVAL (@gi NULL), -EBADF, -ENOTTY (not a GPU region of an
 * hshmfs mount), -EIO (the daemon's device call failed), -EPROTO (malformed
 * reply: a daemon of another ABI version).
 */
int hshmfs_gpu_info_get(int fd, struct hshmfs_gpu_info *gi);

/**
 * hshmfs_gpu_runtime_of() - the runtime named by @gi->runtime.
 * Return: 0 and *@rt set; -EINVAL (NULL argument); -EOPNOTSUPP (no runtime
 * named, or one not compiled into this build); -EPROTO (unknown value).
 */
int hshmfs_gpu_runtime_of(const struct hshmfs_gpu_info *gi,
			  const struct hshm_gpu_runtime **rt);

/**
 * hshmfs_gpu_attach() - open @path (O_RDWR) and attach to its GPU region.
 * On success *@out describes the attachment; on failure *@out is cleared
 * (fd -1, data NULL).  The file stays open until hshmfs_gpu_detach(), which
 * keeps an unlinked region alive while attached.
 *
 * gpu_malloc: the handle is opened on info.device and the region's header
 * is read from the device and checked against the reply.  A process cannot
 * open a handle it made (CUDA's rule, kept by the test double): the daemon
 * itself cannot attach.
 * gpu_shm_mmap: the file is mapped and its header checked, then the mapping
 * is registered with the device.
 *
 * Return: 0;
 *  -EINVAL      @path or @out NULL; or the runtime refused the handle (stale:
 *               the daemon freed the allocation or is gone)
 *  -ENOENT, -EACCES, -EISDIR, -ENAMETOOLONG, -ELOOP, -EROFS ... from open(2)
 *  -ENOTTY      not a GPU region (a host region, or not an hshmfs file)
 *  -EPROTO      malformed reply (see hshmfs_gpu_info_check())
 *  -EOPNOTSUPP  the runtime the daemon uses is not compiled into this build
 *  -ENODEV      this process has no device with that ordinal
 *  -EBADMSG     the region's header is not a valid one of its kind, or
 *               (gpu_malloc) its sizes disagree with the reply's backend_size
 *  -ESTALE      the header does not match the reply (another id, or
 *               resized in between)
 *  -ENOMEM      out of memory (host, mapping or device)
 *  -EIO         a device call failed (logged), or the daemon's ioctl did
 */
int hshmfs_gpu_attach(const char *path, struct hshmfs_gpu_attachment *out);

/**
 * hshmfs_gpu_attach_fd() - as hshmfs_gpu_attach() for a region file already
 * open as @fd, which is duplicated (the caller keeps @fd).  gpu_shm_mmap
 * needs @fd open for reading and writing (-EACCES otherwise).
 * Return: as hshmfs_gpu_attach(), -EBADF for a bad @fd.
 */
int hshmfs_gpu_attach_fd(int fd, struct hshmfs_gpu_attachment *out);

/**
 * hshmfs_gpu_detach() - close the IPC handle (gpu_malloc) or unregister and
 * unmap (gpu_shm_mmap), close the file, clear *@a.  Detaching a cleared
 * attachment does nothing.  The region itself lives on in the daemon.
 * Return: 0; -EINVAL (@a NULL).
 */
int hshmfs_gpu_detach(struct hshmfs_gpu_attachment *a);

/** "gpu_malloc", "gpu_shm_mmap", or "unknown". */
const char *hshmfs_gpu_kind_name(uint32_t kind);
/** "cuda", "hip", "double", "none" (0), or "unknown". */
const char *hshmfs_gpu_runtime_name(uint32_t runtime);

#ifdef __cplusplus
}
#endif

#endif /* HSHMFS_CLIENT_H */
