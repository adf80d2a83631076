/* SPDX-License-Identifier: BSD-3-Clause */
/* hshmfs/ioctl.h: the ioctl ABI of hshmfs region files (GPU handles). */
#ifndef HSHMFS_IOCTL_H
#define HSHMFS_IOCTL_H

#include <linux/ioctl.h>
#include <stdint.h>

#define HSHMFS_GPU_INFO_VERSION 1

/** Backend kind in hshmfs_gpu_info.kind (same values as hshm_backend_kind). */
#define HSHMFS_KIND_GPU_SHM_MMAP 2
#define HSHMFS_KIND_GPU_MALLOC 3

/** Runtime in hshmfs_gpu_info.runtime (same values as hshm_gpu_runtime_id). */
#define HSHMFS_RUNTIME_CUDA 1
#define HSHMFS_RUNTIME_HIP 2
#define HSHMFS_RUNTIME_DOUBLE 3 /* the test double: no real device */

/**
 * What a process needs to attach to a GPU region.  128 bytes, fixed layout,
 * no pointers: it crosses FUSE's restricted ioctl as is.
 *
 * gpu_malloc:   ipc_handle is the device allocation's IPC handle (open it
 *               with cudaIpcOpenMemHandle/hipIpcOpenMemHandle); the data is
 *               at data_offset from the opened base.
 * gpu_shm_mmap: ipc_handle is zero; mmap the file (backend_size bytes) and
 *               register the mapping with the device (cudaHostRegister).
 */
struct hshmfs_gpu_info {
	uint32_t version;       /* HSHMFS_GPU_INFO_VERSION */
	uint32_t size;          /* sizeof(struct hshmfs_gpu_info) */
	uint32_t kind;          /* HSHMFS_KIND_* */
	uint32_t runtime;       /* HSHMFS_RUNTIME_* */
	int32_t device;         /* device ordinal (data_id) */
	uint32_t reserved0;
	uint64_t backend_size;
	uint64_t data_offset;
	uint64_t data_capacity;
	uint32_t id_major, id_minor;
	uint8_t ipc_handle[64];
	uint64_t reserved1;     /* zero */
};

_Static_assert(sizeof(struct hshmfs_gpu_info) == 128, "ioctl ABI is 128 bytes");

/**
 * HSHMFS_IOC_GPU_INFO - fill a struct hshmfs_gpu_info for a GPU region.
 * Errors: ENOTTY (not a GPU region), EIO (the daemon's device call failed),
 * EACCES/EBADF as for any open file.  Needs the file open (any access mode).
 */
#define HSHMFS_IOC_GPU_INFO _IOR('h', 1, struct hshmfs_gpu_info)

#endif /* HSHMFS_IOCTL_H */
