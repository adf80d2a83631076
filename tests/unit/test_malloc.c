/* SPDX-License-Identifier: BSD-3-Clause */
/* test_malloc.c: MallocBackend kept in a memfd: layout, attach_fd, resize. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"
#include "hshm/backend.h"
#include "wrap.h"

#define MIB (UINT64_C(1) << 20)

static int make(struct fixture *f, struct hshm_backend *b, uint64_t size)
{
	struct hshm_init_args a = { .id = { 1, 2 }, .size = size };

	return hshm_shm_init(b, &f->ctx, HSHM_MALLOC, &a);
}

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void test_layout(void **state)
{
	struct hshm_backend b;
	struct fixture f;
	size_t len = 1;
	char link[64], target[256];
	ssize_t n;
	int fd;

	fixture_init(&f);
	assert_int_equal(make(&f, &b, 1), 0); /* raised to 1 MiB */
	fd = hshm_backend_fd(&b);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = '\0';
	assert_non_null(strstr(target, "memfd:hshm-malloc"));
	assert_int_equal(fd_size(fd), MIB);
	assert_int_equal(pread_le(fd, 0, 4), 1);
	assert_int_equal(pread_le(fd, 4, 4), 2);
	assert_int_equal(pread_le(fd, 8, 8), 0);
	assert_int_equal(pread_le(fd, 16, 8), MIB);
	assert_int_equal(pread_le(fd, 24, 8), MIB - 12288);
	assert_int_equal(pread_le(fd, 32, 4), 0xffffffffu);
	assert_int_equal(pread_le(fd, 36, 4), 0);
	assert_int_equal(pread_le(fd, 40, 8), 8192);
	assert_int_equal(hshm_image_size(&b), MIB);
	assert_int_equal(hshm_data_offset(&b), 12288);
	assert_ptr_equal(hshm_data(&b), hshm_region(&b) + 12288);
	assert_ptr_equal(b.priv_header, hshm_region(&b) + 4096);
	assert_int_equal(hshm_data_capacity(&b), MIB - 12288);
	assert_int_equal(hshm_data_id(&b), -1);
	assert_true(hshm_is_owner(&b));
	assert_string_equal(hshm_backend_url(&b), "");
	assert_null(hshm_spare(&b, &len));
	assert_int_equal(len, 0);
	assert_false(hshm_malloc_ops.shared);
	memcpy(hshm_data(&b), "xyz", 3);
	assert_int_equal(pread_le(fd, 12288, 3), 0x7a7978);
	assert_int_equal(hshm_shm_destroy(&b), 0);
	assert_int_equal(fcntl(fd, F_GETFD), -1); /* closed */
	assert_int_equal(f.logs, 0);
}

static void test_attach_url(void **state)
{
	struct hshm_backend b;
	struct fixture f;

	fixture_init(&f);
	assert_int_equal(hshm_shm_attach(&b, &f.ctx, HSHM_MALLOC, "/x"),
			 -EOPNOTSUPP);
	assert_int_equal(f.logs, 1);
	assert_null(b.ops);
}

static void test_attach_fd(void **state)
{
	struct hshm_backend a, b;
	struct fixture f;
	int other;

	fixture_init(&f);
	assert_int_equal(make(&f, &a, 2 * MIB), 0);
	assert_int_equal(hshm_shm_attach_fd(&b, &f.ctx, HSHM_MALLOC,
					    hshm_backend_fd(&a), NULL), 0);
	assert_false(hshm_is_owner(&b));
	assert_int_equal(hshm_backend_size(&b), 2 * MIB);
	memcpy(hshm_data(&a), "shared", 6);
	assert_memory_equal(hshm_data(&b), "shared", 6);
	assert_ptr_equal(b.priv_header, hshm_region(&b) + 4096);
	hshm_shm_detach(&b);
	/* a posix-layout file is not a malloc region */
	other = memfd_create("other", MFD_CLOEXEC);
	assert_true(other >= 0);
	assert_int_equal(ftruncate(other, MIB + 4096), 0);
	assert_int_equal(pwrite(other, hshm_region(&a), 48, 0), 48);
	assert_int_equal(hshm_shm_attach_fd(&b, &f.ctx, HSHM_MALLOC, other,
					    NULL), -EBADMSG);
	assert_int_equal(ftruncate(other, 10), 0);
	assert_int_equal(hshm_shm_attach_fd(&b, &f.ctx, HSHM_MALLOC, other,
					    NULL), -ENODATA);
	close(other);
	hshm_shm_destroy(&a);
}

static void test_resize(void **state)
{
	struct hshm_backend b;
	struct fixture f;
	int fd;

	fixture_init(&f);
	assert_int_equal(make(&f, &b, MIB), 0);
	fd = hshm_backend_fd(&b);
	memcpy(hshm_data(&b), "data", 4);
	assert_int_equal(hshm_shm_resize(&b, 3 * MIB + 5), 0);
	assert_int_equal(fd_size(fd), 3 * MIB + 5);
	assert_int_equal(pread_le(fd, 16, 8), 3 * MIB + 5);
	assert_int_equal(pread_le(fd, 24, 8), 3 * MIB + 5 - 12288);
	assert_memory_equal(hshm_data(&b), "data", 4);
	assert_ptr_equal(b.priv_header, hshm_region(&b) + 4096);
	assert_int_equal(hshm_shm_resize(&b, 12288), 0);
	assert_int_equal(hshm_data_capacity(&b), 0);
	assert_int_equal(pread_le(fd, 16, 8), 12288);
	assert_int_equal(hshm_shm_resize(&b, 12287), -EINVAL);
	assert_int_equal(hshm_shm_refresh(&b), 0);
	assert_int_equal(hshm_image_size(&b), 12288);
	hshm_shm_destroy(&b);
}

static void test_inject(void **state)
{
	static const struct {
		enum wrap_fn fn;
		int err;
	} cases[] = {
		{ WRAP_MEMFD_CREATE, EMFILE },
		{ WRAP_FTRUNCATE, ENOSPC },
		{ WRAP_FALLOCATE, ENOSPC },
		{ WRAP_MMAP, ENOMEM },
	};
	struct hshm_backend b;
	struct fixture f;
	int fds;

	fixture_init(&f);
	fds = open_fds();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		wrap_reset();
		f.logs = 0;
		wrap_fail(cases[i].fn, 0, cases[i].err);
		assert_int_equal(make(&f, &b, MIB), -cases[i].err);
		assert_int_equal(f.logs, 1);
		assert_int_equal(open_fds(), fds);
		assert_null(b.ops);
	}
	wrap_reset();
	assert_int_equal(make(&f, &b, MIB), 0);
	wrap_fail(WRAP_FALLOCATE, 0, ENOSPC);
	assert_int_equal(hshm_shm_resize(&b, 64 * MIB), -ENOSPC);
	assert_int_equal(fd_size(hshm_backend_fd(&b)), MIB);
	assert_int_equal(hshm_backend_size(&b), MIB);
	hshm_shm_destroy(&b);
	assert_int_equal(open_fds(), fds);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_attach_url),
		cmocka_unit_test(test_attach_fd),
		cmocka_unit_test(test_resize),
		cmocka_unit_test(test_inject),
	};

	return cmocka_run_group_tests_name("malloc", tests, NULL, NULL);
}
