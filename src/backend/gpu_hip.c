/* SPDX-License-Identifier: BSD-3-Clause */
/* gpu_hip.c: the HIP (ROCm) runtime layer (plain C against amdhip64). */
#include <errno.h>
#include <string.h>

#include <hip/hip_runtime_api.h>

#include "backend_i.h"

_Static_assert(sizeof(hipIpcMemHandle_t) == HSHM_IPC_HANDLE_SIZE,
	       "a HIP IPC handle is 64 bytes");

/**
 * hip_errno() - the one place a hipError_t becomes an errno (HIP's enum has
 * aliases with equal values: each value appears once below).
 * No device, no (or too old a) driver, runtime not initialised -> -ENODEV;
 * allocation failure -> -ENOMEM; bad value, handle, pointer or device ->
 * -EINVAL; anything else -> -EIO.  Nothing is logged here: the caller
 * logs one line, with the runtime's own name from hip_last_error().
 */
/* The result of this thread's last runtime call, for last_error(). */
static __thread hipError_t hip_last;

static int hip_errno(hipError_t e)
{
	hip_last = e;
	switch (e) {
	case hipSuccess:
		return 0;
	case hipErrorNoDevice:
	case hipErrorInsufficientDriver:
	case hipErrorNotInitialized: /* == hipErrorInitializationError */
	case hipErrorDeinitialized:
	case hipErrorNoBinaryForGpu:
		return -ENODEV;
	case hipErrorOutOfMemory: /* == hipErrorMemoryAllocation */
		return -ENOMEM;
	case hipErrorInvalidValue:
	case hipErrorInvalidDevice:
	case hipErrorInvalidDevicePointer:
	case hipErrorInvalidHandle: /* == hipErrorInvalidResourceHandle */
	case hipErrorInvalidMemcpyDirection:
	case hipErrorHostMemoryNotRegistered:
	case hipErrorInvalidContext:
	case hipErrorContextIsDestroyed:
		return -EINVAL;
	case hipErrorHostMemoryAlreadyRegistered:
		return -EEXIST;
	case hipErrorNotSupported:
		return -EOPNOTSUPP;
	default:
		return -EIO; /* callers log, with last_error() */
	}
}

static int hip_device_count(int *n)
{
	int count = 0;
	int r;

	if (!n)
		return -EINVAL;
	*n = 0;
	r = hip_errno(hipGetDeviceCount(&count));
	if (r == 0)
		*n = count;
	return r;
}

/**
 * hip_use() - make @device current.  An ordinal past the last device is
 * -ENODEV (no such device), as for the other runtimes; negative is -EINVAL.
 */
static int hip_use(int device)
{
	int n;
	int r;

	if (device < 0)
		return -EINVAL;
	r = hip_device_count(&n);
	if (r < 0)
		return r;
	if (device >= n)
		return -ENODEV;
	return hip_errno(hipSetDevice(device));
}

static int hip_malloc(int device, size_t size, void **dptr)
{
	int r;

	if (!dptr || size == 0)
		return -EINVAL;
	*dptr = NULL;
	r = hip_use(device);
	if (r < 0)
		return r;
	return hip_errno(hipMalloc(dptr, size));
}

static int hip_free(int device, void *dptr)
{
	int r = hip_use(device);

	if (r < 0)
		return r;
	return hip_errno(hipFree(dptr));
}

static int hip_memcpy(int device, void *dst, const void *src, size_t n,
		       enum hshm_gpu_copy dir)
{
	enum hipMemcpyKind kind;
	int r;

	switch (dir) {
	case HSHM_GPU_H2D:
		kind = hipMemcpyHostToDevice;
		break;
	case HSHM_GPU_D2H:
		kind = hipMemcpyDeviceToHost;
		break;
	case HSHM_GPU_D2D:
		kind = hipMemcpyDeviceToDevice;
		break;
	default:
		return -EINVAL;
	}
	r = hip_use(device);
	if (r < 0)
		return r;
	return hip_errno(hipMemcpy(dst, src, n, kind));
}

static int hip_host_register(int device, void *p, size_t n)
{
	int r;

	if (!p || n == 0)
		return -EINVAL;
	r = hip_use(device);
	if (r < 0)
		return r;
	return hip_errno(hipHostRegister(p, n, hipHostRegisterPortable |
					   hipHostRegisterMapped));
}

static int hip_host_unregister(int device, void *p)
{
	int r;

	if (!p)
		return -EINVAL;
	r = hip_use(device);
	if (r < 0)
		return r;
	return hip_errno(hipHostUnregister(p));
}

static int hip_ipc_get(int device, void *dptr, uint8_t handle[64])
{
	hipIpcMemHandle_t h;
	int r;

	if (!dptr || !handle)
		return -EINVAL;
	r = hip_use(device);
	if (r < 0)
		return r;
	r = hip_errno(hipIpcGetMemHandle(&h, dptr));
	if (r == 0)
		memcpy(handle, &h, sizeof(h));
	return r;
}

static int hip_ipc_open(int device, const uint8_t handle[64], void **dptr)
{
	hipIpcMemHandle_t h;
	int r;

	if (!handle || !dptr)
		return -EINVAL;
	*dptr = NULL;
	r = hip_use(device);
	if (r < 0)
		return r;
	memcpy(&h, handle, sizeof(h));
	return hip_errno(hipIpcOpenMemHandle(dptr, h,
					       hipIpcMemLazyEnablePeerAccess));
}

static int hip_ipc_close(int device, void *dptr)
{
	int r;

	if (!dptr)
		return -EINVAL;
	r = hip_use(device);
	if (r < 0)
		return r;
	return hip_errno(hipIpcCloseMemHandle(dptr));
}

static const char *hip_last_error(void)
{
	return hip_last == hipSuccess ? NULL : hipGetErrorName(hip_last);
}

static const struct hshm_gpu_runtime hip_runtime = {
	.id = HSHM_GPU_HIP,
	.name = "hip",
	.device_count = hip_device_count,
	.malloc = hip_malloc,
	.free = hip_free,
	.memcpy = hip_memcpy,
	.host_register = hip_host_register,
	.host_unregister = hip_host_unregister,
	.ipc_get = hip_ipc_get,
	.ipc_open = hip_ipc_open,
	.ipc_close = hip_ipc_close,
	.last_error = hip_last_error,
};

/** hshm_gpu_hip() - the HIP runtime table (this build has HIP). */
HSHM_EXPORT const struct hshm_gpu_runtime *hshm_gpu_hip(void)
{
	return &hip_runtime;
}
