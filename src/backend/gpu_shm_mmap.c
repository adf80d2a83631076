/* SPDX-License-Identifier: BSD-3-Clause */
/* gpu_shm_mmap.c: placeholder until the GPU backend lands (being written). */
#include <errno.h>
#include "backend_i.h"
HSHM_EXPORT const struct hshm_backend_ops hshm_gpu_shm_mmap_ops = {
	.kind = HSHM_GPU_SHM_MMAP, .name = "gpu_shm_mmap", .class_name = "GpuShmMmap",
	.shared = true,
};
