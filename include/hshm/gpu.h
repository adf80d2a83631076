/* SPDX-License-Identifier: BSD-3-Clause */
/* hshm/gpu.h: the thin GPU runtime layer (CUDA, HIP, and a named test double). */
#ifndef HSHM_GPU_H
#define HSHM_GPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Direction of hshm_gpu_runtime.memcpy. */
enum hshm_gpu_copy {
	HSHM_GPU_H2D = 1,
	HSHM_GPU_D2H = 2,
	HSHM_GPU_D2D = 3,
};

/** Which runtime a handle belongs to (also the ioctl ABI's runtime field). */
enum hshm_gpu_runtime_id {
	HSHM_GPU_NONE = 0,
	HSHM_GPU_CUDA = 1,
	HSHM_GPU_HIP = 2,
	HSHM_GPU_DOUBLE = 3, /* test double: host memory posing as a device */
};

/**
 * One GPU runtime.  Every call returns 0 or -errno; the runtime's own error
 * type is mapped to errno in exactly one function per runtime:
 * no device / no driver -> -ENODEV, out of memory -> -ENOMEM, invalid
 * argument or handle -> -EINVAL, anything else -> -EIO (and logged).
 */
struct hshm_gpu_runtime {
	enum hshm_gpu_runtime_id id;
	const char *name; /* "cuda", "hip", "double" */
	/** Number of usable devices in *n (0 when there is none: still 0). */
	int (*device_count)(int *n);
	int (*malloc)(int device, size_t size, void **dptr);
	int (*free)(int device, void *dptr);
	int (*memcpy)(int device, void *dst, const void *src, size_t n,
		      enum hshm_gpu_copy dir);
	/** Register host memory (portable, mapped) so kernels can access it. */
	int (*host_register)(int device, void *p, size_t n);
	int (*host_unregister)(int device, void *p);
	/** 64-byte IPC handle of an allocation made by malloc above. */
	int (*ipc_get)(int device, void *dptr, uint8_t handle[64]);
	/** Open a handle made by another process; *dptr is its base. */
	int (*ipc_open)(int device, const uint8_t handle[64], void **dptr);
	int (*ipc_close)(int device, void *dptr);
	/**
	 * The runtime's own name for the result of this thread's last call
	 * ("cudaErrorNoDevice"), or NULL when it succeeded or the runtime
	 * keeps none (the double).  The calls above never log: their callers
	 * log one line, adding this.  May be NULL itself.
	 */
	const char *(*last_error)(void);
};

/** The runtimes compiled into this build (NULL when not compiled). */
const struct hshm_gpu_runtime *hshm_gpu_cuda(void);
const struct hshm_gpu_runtime *hshm_gpu_hip(void);
/**
 * hshm_gpu_double() - the test double.  Emulates devices with host memory:
 * "device" allocations are memfd mappings, IPC handles name the creator's pid
 * and fd so another process can open them through /proc.  It exists so that
 * every GPU code path above this layer runs in CI without a GPU; it is only
 * ever used when selected by name ("double"), never as a fallback.
 * The number of emulated devices is HSHM_GPU_DOUBLE_DEVICES (default 1).
 */
const struct hshm_gpu_runtime *hshm_gpu_double(void);

/**
 * hshm_gpu_by_name() - "cuda", "hip", "double", or "auto" (the first real
 * runtime compiled in that reports a device; NULL if none).  "none" -> NULL.
 * Return: 0 and *rt set (possibly NULL for "none"/"auto" without a device);
 * -EINVAL for an unknown name, -EOPNOTSUPP for a runtime not compiled in.
 */
int hshm_gpu_by_name(const char *name, const struct hshm_gpu_runtime **rt);

#ifdef __cplusplus
}
#endif

#endif /* HSHM_GPU_H */
