/* SPDX-License-Identifier: BSD-3-Clause */
/* gpu_runtime.c: GPU runtime selection by name; NULL for runtimes not built. */
#include <errno.h>
#include <string.h>

#include "backend_i.h"
#include "hshm_config.h"

#if !HSHM_HAVE_CUDA
/** hshm_gpu_cuda() - NULL: this build has no CUDA. */
HSHM_EXPORT const struct hshm_gpu_runtime *hshm_gpu_cuda(void)
{
	return NULL;
}
#endif

#if !HSHM_HAVE_HIP
/** hshm_gpu_hip() - NULL: this build has no HIP. */
HSHM_EXPORT const struct hshm_gpu_runtime *hshm_gpu_hip(void)
{
	return NULL;
}
#endif

/** has_device() - whether @rt is compiled in and reports a device. */
static bool has_device(const struct hshm_gpu_runtime *rt)
{
	int n = 0;

	return rt && rt->device_count(&n) == 0 && n > 0;
}

/**
 * pick_auto() - the first real runtime with a device (CUDA, then HIP), or
 * NULL.  The test double is never picked: it is only used when named.
 */
static const struct hshm_gpu_runtime *pick_auto(void)
{
	if (has_device(hshm_gpu_cuda()))
		return hshm_gpu_cuda();
	if (has_device(hshm_gpu_hip()))
		return hshm_gpu_hip();
	return NULL;
}

/** compiled() - *rt = @r, or -EOPNOTSUPP when @r is not in this build. */
static int compiled(const struct hshm_gpu_runtime *r,
		    const struct hshm_gpu_runtime **rt)
{
	*rt = r;
	return r ? 0 : -EOPNOTSUPP;
}

HSHM_EXPORT int hshm_gpu_by_name(const char *name,
				 const struct hshm_gpu_runtime **rt)
{
	if (!rt)
		return -EINVAL;
	*rt = NULL;
	if (!name)
		return -EINVAL;
	if (strcmp(name, "none") == 0)
		return 0;
	if (strcmp(name, "auto") == 0) {
		*rt = pick_auto();
		return 0;
	}
	if (strcmp(name, "cuda") == 0)
		return compiled(hshm_gpu_cuda(), rt);
	if (strcmp(name, "hip") == 0)
		return compiled(hshm_gpu_hip(), rt);
	if (strcmp(name, "double") == 0)
		return compiled(hshm_gpu_double(), rt);
	return -EINVAL;
}
