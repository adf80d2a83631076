/* SPDX-License-Identifier: BSD-3-Clause */
/* test_fs_parse.c: unit tests of the daemon's option and xattr value parsers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fs_i.h"

static void size_ok(const char *s, uint64_t want)
{
	uint64_t v = 0;

	assert_int_equal(hshmfs_parse_size(s, &v), 0);
	assert_int_equal(v, want);
}

static void size_bad(const char *s, int err)
{
	uint64_t v = 12345;

	assert_int_equal(hshmfs_parse_size(s, &v), err);
	assert_int_equal(v, 12345); /* untouched on failure */
}

static void test_size_values(void **state)
{
	size_ok("0", 0);
	size_ok("1", 1);
	size_ok("4096", 4096);
	size_ok("1K", 1024);
	size_ok("1k", 1024);
	size_ok("64M", UINT64_C(64) << 20);
	size_ok("64MiB", UINT64_C(64) << 20);
	size_ok("2G", UINT64_C(2) << 30);
	size_ok("1GB", UINT64_C(1) << 30);
	size_ok("3T", UINT64_C(3) << 40);
	(void)state;
}

static void test_size_rejects(void **state)
{
	size_bad("", -EINVAL);
	size_bad(NULL, -EINVAL);
	size_bad("-1", -EINVAL);
	size_bad("+1", -EINVAL);
	size_bad(" 1", -EINVAL);
	size_bad("1 ", -EINVAL);
	size_bad("abc", -EINVAL);
	size_bad("12x", -EINVAL);
	size_bad("1MM", -EINVAL);
	size_bad("1Mb", -EINVAL);
	size_bad("0x10", -EINVAL);
	size_bad("9223372036854775808", -ERANGE);       /* 2^63 */
	size_bad("18446744073709551616", -ERANGE);      /* 2^64 */
	size_bad("99999999999999999999999", -ERANGE);
	size_bad("8192P", -ERANGE);
	size_ok("8P", UINT64_C(8) << 50);
	size_bad("5000000T", -ERANGE);
	(void)state;
}

static void test_u32_mode_prefix(void **state)
{
	uint32_t u;
	mode_t m;

	assert_int_equal(hshmfs_parse_u32("0", &u), 0);
	assert_int_equal(u, 0);
	assert_int_equal(hshmfs_parse_u32("4294967295", &u), 0);
	assert_int_equal(u, UINT32_MAX);
	assert_int_equal(hshmfs_parse_u32("4294967296", &u), -ERANGE);
	assert_int_equal(hshmfs_parse_u32("-1", &u), -EINVAL);
	assert_int_equal(hshmfs_parse_u32("1a", &u), -EINVAL);
	assert_int_equal(hshmfs_parse_u32("", &u), -EINVAL);
	assert_int_equal(hshmfs_parse_mode("1777", &m), 0);
	assert_int_equal(m, 01777);
	assert_int_equal(hshmfs_parse_mode("0755", &m), 0);
	assert_int_equal(m, 0755);
	assert_int_equal(hshmfs_parse_mode("8", &m), -EINVAL);
	assert_int_equal(hshmfs_parse_mode("17777", &m), -EINVAL);
	assert_int_equal(hshmfs_parse_mode("", &m), -EINVAL);
	assert_int_equal(hshmfs_prefix_check("hshmfs"), 0);
	assert_int_equal(hshmfs_prefix_check("a-b_C9"), 0);
	assert_int_equal(hshmfs_prefix_check(""), -EINVAL);
	assert_int_equal(hshmfs_prefix_check("a/b"), -EINVAL);
	assert_int_equal(hshmfs_prefix_check("a.b"), -EINVAL);
	assert_int_equal(hshmfs_prefix_check(
		"0123456789012345678901234567890123456789012345678"), -EINVAL);
	(void)state;
}

static int parse_args(const char *opts, struct hshmfs_config *cfg)
{
	char *argv[] = { "hshmfs", "src", "/mnt", "-o", (char *)opts, NULL };
	struct fuse_args args = FUSE_ARGS_INIT(5, argv);
	struct hshmfs_rawopts raw;
	int err = hshmfs_opts_parse(&args, &raw, cfg);

	hshmfs_opts_free(&raw);
	fuse_opt_free_args(&args);
	return err;
}

static void test_opts(void **state)
{
	struct hshmfs_config c;

	assert_int_equal(parse_args("backend=malloc,size=64M,prefix=p1,"
				    "mode=0700,io=passthrough,mmap=cached,"
				    "gpu=2,_netdev,noauto,user", &c), 0);
	assert_int_equal(c.backend, HSHM_MALLOC);
	assert_int_equal(c.size, UINT64_C(64) << 20);
	assert_string_equal(c.prefix, "p1");
	assert_int_equal(c.root_mode, 0700);
	assert_int_equal(c.io, HSHMFS_IO_PASSTHROUGH);
	assert_int_equal(c.mmap, HSHMFS_MMAP_CACHED);
	assert_int_equal(c.gpu, 2);
	assert_int_equal(parse_args("allow_other", &c), 0);
	assert_int_equal(c.backend, HSHM_POSIX_SHM_MMAP);
	assert_int_equal(c.size, 1u << 20);
	assert_int_equal(c.root_mode, 01777);
	assert_string_equal(c.shm_dir, "/dev/shm");
	assert_int_equal(parse_args("backend=PosixShmMmap", &c), 0);
	assert_int_equal(c.backend, HSHM_POSIX_SHM_MMAP);
	assert_int_equal(parse_args("backend=nope", &c), -EINVAL);
	assert_int_equal(parse_args("size=0", &c), -EINVAL);
	assert_int_equal(parse_args("size=-5", &c), -EINVAL);
	assert_int_equal(parse_args("size=1Q", &c), -EINVAL);
	assert_int_equal(parse_args("shm_dir=relative", &c), -EINVAL);
	assert_int_equal(parse_args("prefix=../x", &c), -EINVAL);
	assert_int_equal(parse_args("mode=999", &c), -EINVAL);
	assert_int_equal(parse_args("io=fast", &c), -EINVAL);
	assert_int_equal(parse_args("mmap=yes", &c), -EINVAL);
	assert_int_equal(parse_args("gpu=-1", &c), -EINVAL);
	assert_int_equal(parse_args("gpu_runtime=opencl", &c), -EINVAL);
	assert_int_equal(parse_args("uid=root", &c), -EINVAL);
	(void)state;
}

/* reserve=: regions reserve their memory unless told 0. */
static void test_opts_reserve(void **state)
{
	struct hshmfs_config c;

	assert_int_equal(parse_args("allow_other", &c), 0);
	assert_true(c.reserve);
	assert_false(c.set_reserve);
	assert_int_equal(parse_args("reserve=0", &c), 0);
	assert_false(c.reserve);
	assert_true(c.set_reserve);
	assert_int_equal(parse_args("reserve=1", &c), 0);
	assert_true(c.reserve);
	assert_int_equal(parse_args("reserve=2", &c), -EINVAL);
	assert_int_equal(parse_args("reserve=yes", &c), -EINVAL);
	assert_int_equal(parse_args("reserve=", &c), -EINVAL);
	(void)state;
}

static void test_xattr_values(void **state)
{
	struct hshm_backend_id id;
	enum hshm_backend_kind k;
	uint64_t sz;
	bool b;
	int i;

	assert_int_equal(hshmfs_xattr_parse_id("7.9", 3, &id), 0);
	assert_int_equal(id.major, 7);
	assert_int_equal(id.minor, 9);
	assert_int_equal(hshmfs_xattr_parse_id("7.9\n", 4, &id), 0);
	assert_int_equal(hshmfs_xattr_parse_id("4294967295.4294967295", 21, &id),
			 -EINVAL); /* the null id */
	assert_int_equal(hshmfs_xattr_parse_id("7", 1, &id), -EINVAL);
	assert_int_equal(hshmfs_xattr_parse_id("7.", 2, &id), -EINVAL);
	assert_int_equal(hshmfs_xattr_parse_id(".7", 2, &id), -EINVAL);
	assert_int_equal(hshmfs_xattr_parse_id("7.9.1", 5, &id), -EINVAL);
	assert_int_equal(hshmfs_xattr_parse_id("7\0.9", 4, &id), -EINVAL);
	assert_int_equal(hshmfs_xattr_parse_id("", 0, &id), -EINVAL);
	assert_int_equal(hshmfs_xattr_parse_size("64M", 3, &sz), 0);
	assert_int_equal(sz, UINT64_C(64) << 20);
	assert_int_equal(hshmfs_xattr_parse_size("0", 1, &sz), -EINVAL);
	assert_int_equal(hshmfs_xattr_parse_size("64M\n\n", 5, &sz), -EINVAL);
	assert_int_equal(hshmfs_xattr_parse_size("1.5G", 4, &sz), -EINVAL);
	assert_int_equal(hshmfs_xattr_parse_size("64Mb", 4, &sz), -EINVAL);
	/* beyond 2^62: ERANGE, as for the mount option (errors.md) */
	assert_int_equal(hshmfs_xattr_parse_size("9223372036854775808", 19, &sz),
			 -ERANGE);
	assert_int_equal(hshmfs_xattr_parse_backend("gpu_malloc", 10, &k), 0);
	assert_int_equal(k, HSHM_GPU_MALLOC);
	assert_int_equal(hshmfs_xattr_parse_backend("GpuShmMmap", 10, &k), 0);
	assert_int_equal(k, HSHM_GPU_SHM_MMAP);
	assert_int_equal(hshmfs_xattr_parse_backend("posix", 5, &k), -EINVAL);
	assert_int_equal(hshmfs_xattr_parse_bool("1", 1, &b), 0);
	assert_true(b);
	assert_int_equal(hshmfs_xattr_parse_bool("0\n", 2, &b), 0);
	assert_false(b);
	assert_int_equal(hshmfs_xattr_parse_bool("yes", 3, &b), -EINVAL);
	assert_int_equal(hshmfs_xattr_parse_int("3", 1, &i), 0);
	assert_int_equal(i, 3);
	assert_int_equal(hshmfs_xattr_parse_int("-3", 2, &i), -EINVAL);
	assert_int_equal(hshmfs_xattr_parse_int("2147483648", 10, &i), -EINVAL);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size_values),
		cmocka_unit_test(test_size_rejects),
		cmocka_unit_test(test_u32_mode_prefix),
		cmocka_unit_test(test_opts),
		cmocka_unit_test(test_opts_reserve),
		cmocka_unit_test(test_xattr_values),
	};

	return cmocka_run_group_tests_name("fs_parse", tests, NULL, NULL);
}
