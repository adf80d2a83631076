/* SPDX-License-Identifier: BSD-3-Clause */
/* gpu_malloc.c: placeholder until the GPU backend lands (being written). */
#include <errno.h>
#include "backend_i.h"
HSHM_EXPORT const struct hshm_backend_ops hshm_gpu_malloc_ops = {
	.kind = HSHM_GPU_MALLOC, .name = "gpu_malloc", .class_name = "GpuMalloc",
	.shared = true,
};
