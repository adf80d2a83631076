/* SPDX-License-Identifier: BSD-3-Clause */
/* test_gpu_runtime.c: runtime names, CUDA/HIP without a GPU, the double. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"
#include "hshm/gpu.h"
#include "hshm_config.h"

#define MIB (1u << 20)

static const struct hshm_gpu_runtime *dbl(void)
{
	return hshm_gpu_double();
}

/* ---- selection by name ---- */

static void by_name_double_and_none(void **state)
{
	const struct hshm_gpu_runtime *rt = (void *)1;

	assert_int_equal(hshm_gpu_by_name("none", &rt), 0);
	assert_null(rt);
	assert_int_equal(hshm_gpu_by_name("double", &rt), 0);
	assert_ptr_equal(rt, hshm_gpu_double());
	assert_int_equal(rt->id, HSHM_GPU_DOUBLE);
	assert_string_equal(rt->name, "double");
}

static void by_name_junk_is_einval(void **state)
{
	static const char *const junk[] = { "", "CUDA", "cuda ", "doubl",
					    "doubles", "gpu", "auto2", "nonE" };
	const struct hshm_gpu_runtime *rt = (void *)1;

	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		assert_int_equal(hshm_gpu_by_name(junk[i], &rt), -EINVAL);
		assert_null(rt);
	}
	assert_int_equal(hshm_gpu_by_name(NULL, &rt), -EINVAL);
	assert_int_equal(hshm_gpu_by_name("double", NULL), -EINVAL);
}

static void by_name_compiled_runtimes(void **state)
{
	const struct hshm_gpu_runtime *rt;

	assert_int_equal(hshm_gpu_by_name("cuda", &rt),
			 HSHM_HAVE_CUDA ? 0 : -EOPNOTSUPP);
	assert_ptr_equal(rt, hshm_gpu_cuda());
	assert_true(HSHM_HAVE_CUDA ? rt && rt->id == HSHM_GPU_CUDA : !rt);
	assert_int_equal(hshm_gpu_by_name("hip", &rt),
			 HSHM_HAVE_HIP ? 0 : -EOPNOTSUPP);
	assert_ptr_equal(rt, hshm_gpu_hip());
	assert_true(HSHM_HAVE_HIP ? rt && rt->id == HSHM_GPU_HIP : !rt);
}

/* "auto" never picks the double, and only picks a runtime with a device. */
static void by_name_auto_never_picks_double(void **state)
{
	const struct hshm_gpu_runtime *rt = (void *)1;
	int n = 0;

	assert_int_equal(hshm_gpu_by_name("auto", &rt), 0);
	if (!rt)
		return;
	assert_ptr_not_equal(rt, hshm_gpu_double());
	assert_int_equal(rt->device_count(&n), 0);
	assert_true(n > 0);
}

/* ---- real runtimes: without a GPU they fail cleanly with -ENODEV ---- */

/* Calls every entry of @rt on a machine without its device. */
static void no_device_fails_cleanly(const struct hshm_gpu_runtime *rt)
{
	uint8_t handle[64] = { 0 };
	char host[64] = { 0 };
	void *p = (void *)1;
	int n = -1;
	int r = rt->device_count(&n);

	assert_true(r == -ENODEV || (r == 0 && n == 0));
	assert_int_equal(n, 0);
	assert_int_equal(rt->malloc(0, MIB, &p), -ENODEV);
	assert_null(p);
	assert_int_equal(rt->memcpy(0, host, host + 8, 8, HSHM_GPU_H2D), -ENODEV);
	assert_int_equal(rt->host_register(0, host, sizeof(host)), -ENODEV);
	assert_int_equal(rt->host_unregister(0, host), -ENODEV);
	assert_int_equal(rt->ipc_open(0, handle, &p), -ENODEV);
	assert_int_equal(rt->free(0, host), -ENODEV);
	/* the runtime's own name for it, for the caller's one log line */
	assert_non_null(rt->last_error);
	assert_non_null(rt->last_error());
	assert_int_equal(strncmp(rt->last_error(), rt->id == HSHM_GPU_CUDA ?
				 "cudaError" : "hipError", rt->id == HSHM_GPU_CUDA ?
				 9 : 8), 0);
	assert_int_equal(rt->malloc(-1, MIB, &p), -EINVAL);
}

/* With a device present: a real allocation, copy and free instead. */
static void device_round_trip(const struct hshm_gpu_runtime *rt)
{
	char in[256], out[256];
	void *d;

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (char)(i * 7 + 1);
	memset(out, 0, sizeof(out));
	assert_int_equal(rt->malloc(0, MIB, &d), 0);
	assert_int_equal(rt->memcpy(0, d, in, sizeof(in), HSHM_GPU_H2D), 0);
	assert_int_equal(rt->memcpy(0, out, d, sizeof(out), HSHM_GPU_D2H), 0);
	assert_memory_equal(in, out, sizeof(in));
	assert_int_equal(rt->free(0, d), 0);
}

static void real_runtime_check(const struct hshm_gpu_runtime *rt)
{
	int n = 0;

	if (!rt)
		skip();
	if (rt->device_count(&n) == 0 && n > 0)
		device_round_trip(rt);
	else
		no_device_fails_cleanly(rt);
}

static void cuda_without_device_is_enodev(void **state)
{
	real_runtime_check(hshm_gpu_cuda());
}

static void hip_without_device_is_enodev(void **state)
{
	real_runtime_check(hshm_gpu_hip());
}

/* ---- the test double ---- */

static int double_setup(void **state)
{
	unsetenv("HSHM_GPU_DOUBLE_DEVICES");
	return 0;
}

static int devices_with(const char *env)
{
	int n = -1;

	setenv("HSHM_GPU_DOUBLE_DEVICES", env, 1);
	assert_int_equal(dbl()->device_count(&n), 0);
	unsetenv("HSHM_GPU_DOUBLE_DEVICES");
	return n;
}

static void double_device_count_env(void **state)
{
	int n = -1;

	assert_int_equal(dbl()->device_count(&n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(devices_with("3"), 3);
	assert_int_equal(devices_with("0"), 0);
	assert_int_equal(devices_with("16"), 16);
	assert_int_equal(devices_with("17"), 16);
	assert_int_equal(devices_with("99999999999999999999"), 1);
	assert_int_equal(devices_with("-4"), 0);
	assert_int_equal(devices_with("two"), 1);
	assert_int_equal(devices_with("2x"), 1);
	assert_int_equal(devices_with(""), 1);
	assert_int_equal(dbl()->device_count(NULL), -EINVAL);
}

static void double_malloc_memcpy_free(void **state)
{
	char in[4096], out[4096];
	char *d;

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (char)(i ^ 0x5a);
	assert_int_equal(dbl()->malloc(0, 3 * MIB, (void **)&d), 0);
	assert_non_null(d);
	assert_int_equal((uintptr_t)d % 4096, 0);
	assert_int_equal(dbl()->memcpy(0, d + MIB, in, sizeof(in),
				       HSHM_GPU_H2D), 0);
	assert_int_equal(dbl()->memcpy(0, d, d + MIB, sizeof(in),
				       HSHM_GPU_D2D), 0);
	assert_int_equal(dbl()->memcpy(0, out, d, sizeof(out), HSHM_GPU_D2H), 0);
	assert_memory_equal(in, out, sizeof(in));
	assert_int_equal(dbl()->memcpy(0, out, d, 1, (enum hshm_gpu_copy)9),
			 -EINVAL);
	assert_int_equal(dbl()->free(0, d), 0);
}

static void double_bad_arguments_einval(void **state)
{
	char host[8192];
	void *d = NULL;

	assert_int_equal(dbl()->malloc(0, 0, &d), -EINVAL);
	assert_int_equal(dbl()->malloc(0, MIB, NULL), -EINVAL);
	assert_int_equal(dbl()->malloc(-1, MIB, &d), -EINVAL);
	/* Not an allocation of the double: refused, not dereferenced blindly. */
	assert_int_equal(dbl()->free(0, NULL), -EINVAL);
	assert_int_equal(dbl()->free(0, host + 1), -EINVAL);
	assert_int_equal(dbl()->free(0, (void *)(uintptr_t)4096), -EINVAL);
	assert_int_equal(dbl()->host_register(0, NULL, 10), -EINVAL);
	assert_int_equal(dbl()->host_register(0, host, 0), -EINVAL);
	assert_int_equal(dbl()->host_register(0, host, sizeof(host)), 0);
	assert_int_equal(dbl()->host_unregister(0, host), 0);
	assert_int_equal(dbl()->host_unregister(0, NULL), -EINVAL);
}

static void double_device_out_of_range_enodev(void **state)
{
	char host[64];
	void *d = (void *)1;

	assert_int_equal(dbl()->malloc(1, MIB, &d), -ENODEV);
	assert_null(d);
	assert_int_equal(dbl()->host_register(1, host, sizeof(host)), -ENODEV);
	setenv("HSHM_GPU_DOUBLE_DEVICES", "0", 1);
	assert_int_equal(dbl()->malloc(0, MIB, &d), -ENODEV);
	setenv("HSHM_GPU_DOUBLE_DEVICES", "4", 1);
	assert_int_equal(dbl()->malloc(3, MIB, &d), 0);
	assert_int_equal(dbl()->free(2, d), -EINVAL); /* wrong device */
	assert_int_equal(dbl()->free(3, d), 0);
	unsetenv("HSHM_GPU_DOUBLE_DEVICES");
}

static void double_ipc_open_own_handle_einval(void **state)
{
	uint8_t h[64];
	void *d, *o = (void *)1;

	assert_int_equal(dbl()->malloc(0, MIB, &d), 0);
	assert_int_equal(dbl()->ipc_get(0, d, h), 0);
	assert_int_equal(dbl()->ipc_open(0, h, &o), -EINVAL);
	assert_null(o);
	assert_int_equal(dbl()->ipc_close(0, d), -EINVAL); /* not opened */
	assert_int_equal(dbl()->free(0, d), 0);
}

static void double_ipc_bad_handle_magic_einval(void **state)
{
	uint8_t h[64];
	void *d, *o;

	assert_int_equal(dbl()->malloc(0, MIB, &d), 0);
	assert_int_equal(dbl()->ipc_get(0, d, h), 0);
	h[0] ^= 0xff;
	assert_int_equal(dbl()->ipc_open(0, h, &o), -EINVAL);
	memset(h, 0, sizeof(h));
	assert_int_equal(dbl()->ipc_open(0, h, &o), -EINVAL);
	assert_int_equal(dbl()->ipc_get(0, (char *)d + 4096, h), -EINVAL);
	assert_int_equal(dbl()->free(0, d), 0);
}

/* Child side of the round trip: returns an exit code naming the failed step. */
static int child_ipc(const uint8_t h[64])
{
	char buf[4096], want[4096];
	void *o;

	memset(want, 0xa5, sizeof(want));
	if (dbl()->ipc_open(0, h, &o) != 0)
		return 10;
	if (dbl()->memcpy(0, buf, o, sizeof(buf), HSHM_GPU_D2H) != 0)
		return 11;
	if (memcmp(buf, want, sizeof(buf)))
		return 12; /* parent's data not seen */
	memset(buf, 0x3c, sizeof(buf));
	if (dbl()->memcpy(0, (char *)o + 8192, buf, sizeof(buf),
			  HSHM_GPU_H2D) != 0)
		return 13;
	if (dbl()->free(0, o) != -EINVAL)
		return 14; /* only the creator frees */
	if (dbl()->ipc_close(0, o) != 0)
		return 15;
	return 0;
}

static void double_ipc_roundtrip_cross_process(void **state)
{
	char pat[4096], buf[4096];
	uint8_t h[64];
	char *d;
	pid_t pid;

	memset(pat, 0xa5, sizeof(pat));
	assert_int_equal(dbl()->malloc(0, MIB, (void **)&d), 0);
	assert_int_equal(dbl()->memcpy(0, d, pat, sizeof(pat), HSHM_GPU_H2D), 0);
	assert_int_equal(dbl()->ipc_get(0, d, h), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child_ipc(h));
	assert_int_equal(wait_child(pid), 0);
	assert_int_equal(dbl()->memcpy(0, buf, d + 8192, sizeof(buf),
				       HSHM_GPU_D2H), 0);
	memset(pat, 0x3c, sizeof(pat));
	assert_memory_equal(buf, pat, sizeof(buf)); /* child's data seen */
	assert_int_equal(dbl()->free(0, d), 0);
}

/* A handle whose allocation was freed names nothing: -EINVAL, no crash. */
static void double_ipc_stale_handle_einval(void **state)
{
	uint8_t h[64];
	void *d;
	pid_t pid;

	assert_int_equal(dbl()->malloc(0, MIB, &d), 0);
	assert_int_equal(dbl()->ipc_get(0, d, h), 0);
	assert_int_equal(dbl()->free(0, d), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		void *o;

		_exit(dbl()->ipc_open(0, h, &o) == -EINVAL ? 0 : 1);
	}
	assert_int_equal(wait_child(pid), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(by_name_double_and_none),
		cmocka_unit_test(by_name_junk_is_einval),
		cmocka_unit_test(by_name_compiled_runtimes),
		cmocka_unit_test(by_name_auto_never_picks_double),
		cmocka_unit_test(cuda_without_device_is_enodev),
		cmocka_unit_test(hip_without_device_is_enodev),
		cmocka_unit_test_setup(double_device_count_env, double_setup),
		cmocka_unit_test_setup(double_malloc_memcpy_free, double_setup),
		cmocka_unit_test_setup(double_bad_arguments_einval, double_setup),
		cmocka_unit_test_setup(double_device_out_of_range_enodev,
				       double_setup),
		cmocka_unit_test_setup(double_ipc_open_own_handle_einval,
				       double_setup),
		cmocka_unit_test_setup(double_ipc_bad_handle_magic_einval,
				       double_setup),
		cmocka_unit_test_setup(double_ipc_roundtrip_cross_process,
				       double_setup),
		cmocka_unit_test_setup(double_ipc_stale_handle_einval,
				       double_setup),
	};

	return cmocka_run_group_tests_name("gpu_runtime", tests, NULL, NULL);
}
