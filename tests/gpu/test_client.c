/* SPDX-License-Identifier: BSD-3-Clause */
/* test_client.c: the client library without a mount: checks and errors. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hshmfs/client.h"

static struct hshmfs_gpu_info good(void)
{
	struct hshmfs_gpu_info gi;

	memset(&gi, 0, sizeof(gi));
	gi.version = HSHMFS_GPU_INFO_VERSION;
	gi.size = sizeof(gi);
	gi.kind = HSHMFS_KIND_GPU_MALLOC;
	gi.runtime = HSHMFS_RUNTIME_DOUBLE;
	gi.device = 0;
	gi.backend_size = (1u << 20) + 8192;
	gi.data_offset = 8192;
	gi.data_capacity = 1u << 20;
	gi.id_major = 7;
	gi.id_minor = 1;
	gi.ipc_handle[0] = 1;
	return gi;
}

static void check_accepts_good(void **state)
{
	struct hshmfs_gpu_info gi = good();

	assert_int_equal(hshmfs_gpu_info_check(&gi), 0);
	gi.kind = HSHMFS_KIND_GPU_SHM_MMAP;
	memset(gi.ipc_handle, 0, sizeof(gi.ipc_handle));
	gi.data_offset = 4096;
	gi.backend_size = 1u << 20;
	gi.data_capacity = (1u << 20) - 8192;
	assert_int_equal(hshmfs_gpu_info_check(&gi), 0);
	assert_int_equal(hshmfs_gpu_info_check(NULL), -EINVAL);
}

static void check_rejects_bad(void **state)
{
	struct hshmfs_gpu_info gi;

#define BAD(stmt)                                                   \
	do {                                                        \
		gi = good();                                        \
		stmt;                                               \
		assert_int_equal(hshmfs_gpu_info_check(&gi), -EPROTO); \
	} while (0)
	BAD(gi.version = 2);
	BAD(gi.version = 0);
	BAD(gi.size = 120);
	BAD(gi.kind = 0);
	BAD(gi.kind = 1);
	BAD(gi.kind = 4);
	BAD(gi.device = -1);
	BAD(gi.data_offset = 0);
	BAD(gi.data_offset = 100);
	BAD(gi.data_offset = gi.backend_size + 4096);
	BAD(gi.data_capacity = gi.backend_size);
	BAD(gi.data_capacity = UINT64_MAX);
	BAD((gi.data_offset = UINT64_MAX - 10, gi.data_capacity = 20));
	BAD((gi.id_major = UINT32_MAX, gi.id_minor = UINT32_MAX));
	BAD(gi.ipc_handle[0] = 0);
#undef BAD
}

static void runtime_selection(void **state)
{
	struct hshmfs_gpu_info gi = good();
	const struct hshm_gpu_runtime *rt = (void *)1;

	assert_int_equal(hshmfs_gpu_runtime_of(&gi, &rt), 0);
	assert_ptr_equal(rt, hshm_gpu_double());
	gi.runtime = 0;
	assert_int_equal(hshmfs_gpu_runtime_of(&gi, &rt), -EOPNOTSUPP);
	assert_null(rt);
	gi.runtime = 9;
	assert_int_equal(hshmfs_gpu_runtime_of(&gi, &rt), -EPROTO);
	gi.runtime = HSHMFS_RUNTIME_CUDA;
	assert_int_equal(hshmfs_gpu_runtime_of(&gi, &rt),
			 hshm_gpu_cuda() ? 0 : -EOPNOTSUPP);
	assert_ptr_equal(rt, hshm_gpu_cuda());
	gi.runtime = HSHMFS_RUNTIME_HIP;
	assert_int_equal(hshmfs_gpu_runtime_of(&gi, &rt),
			 hshm_gpu_hip() ? 0 : -EOPNOTSUPP);
	assert_int_equal(hshmfs_gpu_runtime_of(NULL, &rt), -EINVAL);
	assert_int_equal(hshmfs_gpu_runtime_of(&gi, NULL), -EINVAL);
}

static void names(void **state)
{
	assert_string_equal(hshmfs_gpu_kind_name(HSHMFS_KIND_GPU_MALLOC), "gpu_malloc");
	assert_string_equal(hshmfs_gpu_kind_name(HSHMFS_KIND_GPU_SHM_MMAP), "gpu_shm_mmap");
	assert_string_equal(hshmfs_gpu_kind_name(0), "unknown");
	assert_string_equal(hshmfs_gpu_runtime_name(HSHMFS_RUNTIME_CUDA), "cuda");
	assert_string_equal(hshmfs_gpu_runtime_name(HSHMFS_RUNTIME_HIP), "hip");
	assert_string_equal(hshmfs_gpu_runtime_name(HSHMFS_RUNTIME_DOUBLE), "double");
	assert_string_equal(hshmfs_gpu_runtime_name(0), "none");
	assert_string_equal(hshmfs_gpu_runtime_name(77), "unknown");
}

static void assert_cleared(const struct hshmfs_gpu_attachment *a)
{
	assert_int_equal(a->fd, -1);
	assert_null(a->data);
	assert_null(a->priv);
	assert_null(a->runtime);
}

static void attach_errors(void **state)
{
	struct hshmfs_gpu_attachment a;
	char path[] = "/tmp/hshmfs-client-test.XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	memset(&a, 0x5a, sizeof(a));
	assert_int_equal(hshmfs_gpu_attach(NULL, &a), -EINVAL);
	assert_cleared(&a);
	assert_int_equal(hshmfs_gpu_attach(path, NULL), -EINVAL);
	assert_int_equal(hshmfs_gpu_attach("/nonexistent/hshmfs", &a), -ENOENT);
	assert_cleared(&a);
	assert_int_equal(hshmfs_gpu_attach(path, &a), -ENOTTY);
	assert_cleared(&a);
	assert_int_equal(hshmfs_gpu_attach("/tmp", &a), -EISDIR);
	assert_int_equal(hshmfs_gpu_attach_fd(fd, &a), -ENOTTY);
	assert_int_equal(hshmfs_gpu_attach_fd(-1, &a), -EBADF);
	assert_int_equal(hshmfs_gpu_attach_fd(fd, NULL), -EINVAL);
	/* the caller's fd is untouched: still open */
	assert_true(fcntl(fd, F_GETFD) >= 0);
	assert_int_equal(hshmfs_gpu_detach(&a), 0); /* cleared: nothing */
	assert_int_equal(hshmfs_gpu_detach(NULL), -EINVAL);
	struct hshmfs_gpu_info gi;
	assert_int_equal(hshmfs_gpu_info_get(fd, &gi), -ENOTTY);
	assert_int_equal(hshmfs_gpu_info_get(-1, &gi), -EBADF);
	assert_int_equal(hshmfs_gpu_info_get(fd, NULL), -EINVAL);
	close(fd);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(check_accepts_good),
		cmocka_unit_test(check_rejects_bad),
		cmocka_unit_test(runtime_selection),
		cmocka_unit_test(names),
		cmocka_unit_test(attach_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
