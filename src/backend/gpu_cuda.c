/* SPDX-License-Identifier: BSD-3-Clause */
/* gpu_cuda.c: the CUDA runtime layer (plain C against cudart). */
#include <errno.h>
#include <string.h>

#include <cuda_runtime_api.h>

#include "backend_i.h"

_Static_assert(sizeof(cudaIpcMemHandle_t) == HSHM_IPC_HANDLE_SIZE,
	       "a CUDA IPC handle is 64 bytes");

/**
 * cuda_errno() - the one place a cudaError_t becomes an errno.
 * No device, no (or too old a) driver, runtime not initialised -> -ENODEV;
 * allocation failure -> -ENOMEM; bad value, handle, pointer or device ->
 * -EINVAL; anything else -> -EIO.  Nothing is logged here: the caller
 * logs one line, with the runtime's own name from cuda_last_error().
 */
/* The result of this thread's last runtime call, for last_error(). */
static __thread cudaError_t cuda_last;

static int cuda_errno(cudaError_t e)
{
	cuda_last = e;
	switch (e) {
	case cudaSuccess:
		return 0;
	case cudaErrorNoDevice:
	case cudaErrorInsufficientDriver:
	case cudaErrorInitializationError:
	case cudaErrorStubLibrary:
	case cudaErrorCudartUnloading:
	case cudaErrorSystemDriverMismatch:
	case cudaErrorCompatNotSupportedOnDevice:
	case cudaErrorDevicesUnavailable:
	case cudaErrorSystemNotReady:
		return -ENODEV;
	case cudaErrorMemoryAllocation:
		return -ENOMEM;
	case cudaErrorInvalidValue:
	case cudaErrorInvalidDevice:
	case cudaErrorInvalidDevicePointer:
	case cudaErrorInvalidResourceHandle:
	case cudaErrorInvalidMemcpyDirection:
	case cudaErrorHostMemoryNotRegistered:
	case cudaErrorDeviceUninitialized:
		return -EINVAL;
	case cudaErrorHostMemoryAlreadyRegistered:
		return -EEXIST;
	case cudaErrorNotSupported:
		return -EOPNOTSUPP;
	case cudaErrorNotPermitted:
		return -EPERM;
	default:
		return -EIO; /* callers log, with last_error() */
	}
}

static int cuda_device_count(int *n)
{
	int count = 0;
	int r;

	if (!n)
		return -EINVAL;
	*n = 0;
	r = cuda_errno(cudaGetDeviceCount(&count));
	if (r == 0)
		*n = count;
	return r;
}

/**
 * cuda_use() - make @device current.  An ordinal past the last device is
 * -ENODEV (no such device), as for the other runtimes; negative is -EINVAL.
 */
static int cuda_use(int device)
{
	int n;
	int r;

	if (device < 0)
		return -EINVAL;
	r = cuda_device_count(&n);
	if (r < 0)
		return r;
	if (device >= n)
		return -ENODEV;
	return cuda_errno(cudaSetDevice(device));
}

static int cuda_malloc(int device, size_t size, void **dptr)
{
	int r;

	if (!dptr || size == 0)
		return -EINVAL;
	*dptr = NULL;
	r = cuda_use(device);
	if (r < 0)
		return r;
	return cuda_errno(cudaMalloc(dptr, size));
}

static int cuda_free(int device, void *dptr)
{
	int r = cuda_use(device);

	if (r < 0)
		return r;
	return cuda_errno(cudaFree(dptr));
}

static int cuda_memcpy(int device, void *dst, const void *src, size_t n,
		       enum hshm_gpu_copy dir)
{
	enum cudaMemcpyKind kind;
	int r;

	switch (dir) {
	case HSHM_GPU_H2D:
		kind = cudaMemcpyHostToDevice;
		break;
	case HSHM_GPU_D2H:
		kind = cudaMemcpyDeviceToHost;
		break;
	case HSHM_GPU_D2D:
		kind = cudaMemcpyDeviceToDevice;
		break;
	default:
		return -EINVAL;
	}
	r = cuda_use(device);
	if (r < 0)
		return r;
	return cuda_errno(cudaMemcpy(dst, src, n, kind));
}

static int cuda_host_register(int device, void *p, size_t n)
{
	int r;

	if (!p || n == 0)
		return -EINVAL;
	r = cuda_use(device);
	if (r < 0)
		return r;
	return cuda_errno(cudaHostRegister(p, n, cudaHostRegisterPortable |
					   cudaHostRegisterMapped));
}

static int cuda_host_unregister(int device, void *p)
{
	int r;

	if (!p)
		return -EINVAL;
	r = cuda_use(device);
	if (r < 0)
		return r;
	return cuda_errno(cudaHostUnregister(p));
}

static int cuda_ipc_get(int device, void *dptr, uint8_t handle[64])
{
	cudaIpcMemHandle_t h;
	int r;

	if (!dptr || !handle)
		return -EINVAL;
	r = cuda_use(device);
	if (r < 0)
		return r;
	r = cuda_errno(cudaIpcGetMemHandle(&h, dptr));
	if (r == 0)
		memcpy(handle, &h, sizeof(h));
	return r;
}

static int cuda_ipc_open(int device, const uint8_t handle[64], void **dptr)
{
	cudaIpcMemHandle_t h;
	int r;

	if (!handle || !dptr)
		return -EINVAL;
	*dptr = NULL;
	r = cuda_use(device);
	if (r < 0)
		return r;
	memcpy(&h, handle, sizeof(h));
	return cuda_errno(cudaIpcOpenMemHandle(dptr, h,
					       cudaIpcMemLazyEnablePeerAccess));
}

static int cuda_ipc_close(int device, void *dptr)
{
	int r;

	if (!dptr)
		return -EINVAL;
	r = cuda_use(device);
	if (r < 0)
		return r;
	return cuda_errno(cudaIpcCloseMemHandle(dptr));
}

static const char *cuda_last_error(void)
{
	return cuda_last == cudaSuccess ? NULL : cudaGetErrorName(cuda_last);
}

static const struct hshm_gpu_runtime cuda_runtime = {
	.id = HSHM_GPU_CUDA,
	.name = "cuda",
	.device_count = cuda_device_count,
	.malloc = cuda_malloc,
	.free = cuda_free,
	.memcpy = cuda_memcpy,
	.host_register = cuda_host_register,
	.host_unregister = cuda_host_unregister,
	.ipc_get = cuda_ipc_get,
	.ipc_open = cuda_ipc_open,
	.ipc_close = cuda_ipc_close,
	.last_error = cuda_last_error,
};

/** hshm_gpu_cuda() - the CUDA runtime table (this build has CUDA). */
HSHM_EXPORT const struct hshm_gpu_runtime *hshm_gpu_cuda(void)
{
	return &cuda_runtime;
}
