// SPDX-License-Identifier: BSD-3-Clause
// kernel.cu: a CUDA kernel for the gpu suite: write the test pattern into a
// region attached with hshmfs_gpu_attach().
#include <stdio.h>
#include <cuda_runtime_api.h>

#include "pattern.h"

__global__ static void fill(unsigned char *p, size_t n, uint32_t seed)
{
	size_t stride = (size_t)blockDim.x * gridDim.x;

	for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
	     i += stride)
		p[i] = test_pattern(i, seed);
}

static int fail(const char *what, cudaError_t e, char *msg, size_t len)
{
	snprintf(msg, len, "%s: %s", what, cudaGetErrorString(e));
	return -1;
}

// test_kernel_fill() - on @device, write n bytes of pattern @seed at @p: a
// device pointer, or (host != 0) a host pointer registered with the device.
// Return: 0, or -1 with the reason in @msg.
extern "C" int test_kernel_fill(void *p, size_t n, unsigned seed, int device,
				int host, char *msg, size_t len)
{
	void *dp = p;
	cudaError_t e = cudaSetDevice(device);

	if (e != cudaSuccess)
		return fail("cudaSetDevice", e, msg, len);
	if (host) {
		e = cudaHostGetDevicePointer(&dp, p, 0);
		if (e != cudaSuccess)
			return fail("cudaHostGetDevicePointer", e, msg, len);
	}
	fill<<<128, 256>>>((unsigned char *)dp, n, seed);
	e = cudaGetLastError();
	if (e != cudaSuccess)
		return fail("kernel launch", e, msg, len);
	e = cudaDeviceSynchronize();
	if (e != cudaSuccess)
		return fail("cudaDeviceSynchronize", e, msg, len);
	return 0;
}
