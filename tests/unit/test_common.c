/* SPDX-License-Identifier: BSD-3-Clause */
/* test_common.c: names, URL and header validation, dispatch and accessors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "backend_i.h"
#include "fixture.h"
#include "hshm/backend.h"
#include "wrap.h"

#define MIB (UINT64_C(1) << 20)

/* ---- byte-level page building (explicit offsets, not the struct) ---- */

static void put32(unsigned char *page, size_t off, uint32_t v)
{
	unsigned char b[4];

	put_le(b, v, 4);
	memcpy(page + off, b, 4);
}

static void put64(unsigned char *page, size_t off, uint64_t v)
{
	unsigned char b[8];

	put_le(b, v, 8);
	memcpy(page + off, b, 8);
}

/* A V1 header page: id (3,4), flags 0, sizes, data_id, priv_header_off. */
static void v1_page(unsigned char *page, uint64_t bs, uint64_t cap,
		    int32_t data_id, uint64_t priv)
{
	memset(page, 0, HSHM_PAGE);
	put32(page, 0, 3);
	put32(page, 4, 4);
	put64(page, 8, 0);
	put64(page, 16, bs);
	put64(page, 24, cap);
	put32(page, 32, (uint32_t)data_id);
	put32(page, 36, 0);
	put64(page, 40, priv);
}

static void posix_page(unsigned char *page, uint64_t bs)
{
	v1_page(page, bs, bs - 8192, -1, 8192);
}

static int check(const unsigned char *page, uint64_t obj,
		 enum hshm_backend_kind kind, enum hshm_layout *layout)
{
	const char *why = NULL;
	int err = hshm_header_check(page, obj, kind, layout, &why);

	if (err)
		assert_non_null(why);
	return err;
}

/* ---- names ---- */

static void test_kind_parse(void **state)
{
	static const struct {
		const char *name;
		enum hshm_backend_kind kind;
	} good[] = {
		{ "malloc", HSHM_MALLOC },
		{ "MallocBackend", HSHM_MALLOC },
		{ "posix_shm_mmap", HSHM_POSIX_SHM_MMAP },
		{ "PosixShmMmap", HSHM_POSIX_SHM_MMAP },
		{ "gpu_shm_mmap", HSHM_GPU_SHM_MMAP },
		{ "GpuShmMmap", HSHM_GPU_SHM_MMAP },
		{ "gpu_malloc", HSHM_GPU_MALLOC },
		{ "GpuMalloc", HSHM_GPU_MALLOC },
	};
	static const char *const junk[] = {
		"", "Malloc", "posix", "posix_shm_mmap ", " malloc",
		"POSIX_SHM_MMAP", "gpu", "unknown", "mallocx",
	};
	enum hshm_backend_kind k;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		k = HSHM_BACKEND_KIND_COUNT;
		assert_int_equal(hshm_backend_kind_parse(good[i].name, &k), 0);
		assert_int_equal(k, good[i].kind);
	}
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		assert_int_equal(hshm_backend_kind_parse(junk[i], &k), -EINVAL);
	assert_int_equal(hshm_backend_kind_parse(NULL, &k), -EINVAL);
}

static void test_names(void **state)
{
	assert_string_equal(hshm_backend_kind_name(HSHM_MALLOC), "malloc");
	assert_string_equal(hshm_backend_kind_name(HSHM_GPU_MALLOC),
			    "gpu_malloc");
	assert_string_equal(hshm_backend_kind_name(HSHM_BACKEND_KIND_COUNT),
			    "unknown");
	assert_string_equal(hshm_layout_name(HSHM_LAYOUT_V1), "v1");
	assert_string_equal(hshm_layout_name(HSHM_LAYOUT_V2), "v2");
	assert_string_equal(hshm_layout_name(HSHM_LAYOUT_UNKNOWN), "unknown");
	for (int k = 0; k < HSHM_BACKEND_KIND_COUNT; k++) {
		const struct hshm_backend_ops *ops = hshm_backend_ops_of(k);

		assert_non_null(ops);
		assert_int_equal(ops->kind, k);
		assert_string_equal(ops->name, hshm_backend_kind_name(k));
	}
	assert_null(hshm_backend_ops_of(HSHM_BACKEND_KIND_COUNT));
	assert_null(hshm_backend_ops_of((enum hshm_backend_kind)-1));
}

static void test_available(void **state)
{
	static const struct hshm_gpu_runtime fake = {
		.id = HSHM_GPU_DOUBLE, .name = "fake",
	};
	struct hshm_ctx ctx;

	hshm_ctx_init(&ctx);
	assert_int_equal(hshm_backend_available(&ctx, HSHM_MALLOC), 0);
	assert_int_equal(hshm_backend_available(&ctx, HSHM_POSIX_SHM_MMAP), 0);
	assert_int_equal(hshm_backend_available(&ctx, HSHM_GPU_SHM_MMAP),
			 -EOPNOTSUPP);
	assert_int_equal(hshm_backend_available(&ctx, HSHM_GPU_MALLOC),
			 -EOPNOTSUPP);
	assert_int_equal(hshm_backend_available(NULL, HSHM_GPU_MALLOC),
			 -EOPNOTSUPP);
	ctx.gpu = &fake;
	/* 0 once the GPU backends are built in; -EOPNOTSUPP until then */
	assert_int_equal(hshm_backend_available(&ctx, HSHM_GPU_MALLOC),
			 hshm_gpu_malloc_ops.init ? 0 : -EOPNOTSUPP);
	assert_int_equal(hshm_backend_available(&ctx, HSHM_BACKEND_KIND_COUNT),
			 -EINVAL);
}

/* ---- URLs ---- */

static void test_url_check(void **state)
{
	char url[HSHM_URL_MAX + 2];

	assert_int_equal(hshm_url_check("/a"), 0);
	assert_int_equal(hshm_url_check("/region.r1"), 0);
	assert_int_equal(hshm_url_check("/..."), 0);
	assert_int_equal(hshm_url_check(NULL), -EINVAL);
	assert_int_equal(hshm_url_check(""), -EINVAL);
	assert_int_equal(hshm_url_check("/"), -EINVAL);
	assert_int_equal(hshm_url_check("noslash"), -EINVAL);
	assert_int_equal(hshm_url_check("/a/b"), -EINVAL);
	assert_int_equal(hshm_url_check("/a/"), -EINVAL);
	assert_int_equal(hshm_url_check("//a"), -EINVAL);
	assert_int_equal(hshm_url_check("/."), -EINVAL);
	assert_int_equal(hshm_url_check("/.."), -EINVAL);
	url[0] = '/';
	memset(url + 1, 'n', 255);
	url[256] = '\0';
	assert_int_equal(hshm_url_check(url), 0); /* 255-byte name */
	url[256] = 'n';
	url[257] = '\0';
	assert_int_equal(hshm_url_check(url), -ENAMETOOLONG); /* 256 */
}

/* ---- header validation ---- */

static void test_header_good_v1(void **state)
{
	unsigned char page[HSHM_PAGE];
	enum hshm_layout layout = HSHM_LAYOUT_UNKNOWN;

	posix_page(page, MIB);
	assert_int_equal(check(page, MIB + 4096, HSHM_POSIX_SHM_MMAP, &layout),
			 0);
	assert_int_equal(layout, HSHM_LAYOUT_V1);
	/* the smallest: backend_size 8192, data_capacity 0 */
	posix_page(page, 8192);
	assert_int_equal(check(page, 12288, HSHM_POSIX_SHM_MMAP, &layout), 0);
	/* padding at 36 is never written upstream: not checked */
	posix_page(page, MIB);
	put32(page, 36, 0xdeadbeef);
	assert_int_equal(check(page, MIB + 4096, HSHM_POSIX_SHM_MMAP, NULL), 0);
	/* id (0,0) is the root id: valid */
	posix_page(page, MIB);
	put64(page, 0, 0);
	assert_int_equal(check(page, MIB + 4096, HSHM_POSIX_SHM_MMAP, NULL), 0);
	/* the struct matches the byte offsets */
	assert_int_equal(offsetof(struct hshm_backend_header, flags), 8);
	assert_int_equal(offsetof(struct hshm_backend_header, backend_size), 16);
	assert_int_equal(offsetof(struct hshm_backend_header, data_capacity), 24);
	assert_int_equal(offsetof(struct hshm_backend_header, data_id), 32);
	assert_int_equal(offsetof(struct hshm_backend_header, padding), 36);
	assert_int_equal(offsetof(struct hshm_backend_header, priv_header_off),
			 40);
}

static void test_header_other_kinds(void **state)
{
	unsigned char page[HSHM_PAGE];
	enum hshm_layout layout;

	v1_page(page, MIB, MIB - 12288, -1, 8192);
	assert_int_equal(check(page, MIB, HSHM_MALLOC, &layout), 0);
	assert_int_equal(check(page, MIB + 4096, HSHM_POSIX_SHM_MMAP, NULL),
			 -EBADMSG);
	v1_page(page, MIB, MIB - 8192, 0, 8192);
	assert_int_equal(check(page, MIB, HSHM_GPU_SHM_MMAP, &layout), 0);
	assert_int_equal(layout, HSHM_LAYOUT_V1);
	v1_page(page, MIB, MIB - 8192, 1, 8192);
	assert_int_equal(check(page, MIB, HSHM_GPU_SHM_MMAP, &layout), 0);
	v1_page(page, MIB, MIB - 8192, -1, 8192);
	assert_int_equal(check(page, MIB, HSHM_GPU_SHM_MMAP, NULL), -EBADMSG);
	v1_page(page, MIB + 8192, MIB, 0, 4096);
	assert_int_equal(check(page, MIB + 8192, HSHM_GPU_MALLOC, NULL), 0);
	v1_page(page, MIB + 8192, MIB, 0, 8192);
	assert_int_equal(check(page, MIB + 8192, HSHM_GPU_MALLOC, NULL),
			 -EBADMSG);
}

static void test_header_bad_fields(void **state)
{
	unsigned char page[HSHM_PAGE];
	const uint64_t obj = MIB + 4096;
	enum hshm_layout layout;

	posix_page(page, MIB);
	put32(page, 0, UINT32_MAX);
	put32(page, 4, UINT32_MAX);
	assert_int_equal(check(page, obj, HSHM_POSIX_SHM_MMAP, &layout),
			 -EBADMSG);
	assert_int_equal(layout, HSHM_LAYOUT_UNKNOWN);
	posix_page(page, MIB); /* only half null is fine */
	put32(page, 0, UINT32_MAX);
	assert_int_equal(check(page, obj, HSHM_POSIX_SHM_MMAP, NULL), 0);
	for (uint64_t f = 1; f <= 4; f <<= 1) {
		posix_page(page, MIB);
		put64(page, 8, f);
		assert_int_equal(check(page, obj, HSHM_POSIX_SHM_MMAP, NULL),
				 -EBADMSG);
	}
	posix_page(page, MIB);
	put64(page, 24, MIB - 4096);
	assert_int_equal(check(page, obj, HSHM_POSIX_SHM_MMAP, NULL), -EBADMSG);
	posix_page(page, MIB);
	put64(page, 40, 4096);
	assert_int_equal(check(page, obj, HSHM_POSIX_SHM_MMAP, NULL), -EBADMSG);
	posix_page(page, MIB);
	put32(page, 32, 0);
	assert_int_equal(check(page, obj, HSHM_POSIX_SHM_MMAP, NULL), -EBADMSG);
	posix_page(page, 4096); /* backend_size below the header pages */
	put64(page, 24, 0);
	assert_int_equal(check(page, 8192, HSHM_POSIX_SHM_MMAP, NULL), -EBADMSG);
}

static void test_header_absurd_sizes(void **state)
{
	static const uint64_t sizes[] = {
		UINT64_C(1) << 63, UINT64_MAX, UINT64_MAX - 4095,
		(UINT64_C(1) << 46) + 1,
	};
	unsigned char page[HSHM_PAGE];

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		/* data_capacity consistent with the absurd size */
		posix_page(page, sizes[i]);
		assert_int_equal(check(page, MIB + 4096, HSHM_POSIX_SHM_MMAP,
				       NULL), -EBADMSG);
		/* even when the object size "matches" modulo 2^64 */
		int err = check(page, sizes[i] + 4096, HSHM_POSIX_SHM_MMAP,
				NULL);

		assert_true(err == -EBADMSG || err == -ENODATA);
		assert_int_equal(check(page, sizes[i], HSHM_POSIX_SHM_MMAP,
				       NULL), -EBADMSG);
	}
}

static void test_header_truncated(void **state)
{
	unsigned char page[HSHM_PAGE];
	const char *why = NULL;

	posix_page(page, MIB);
	assert_int_equal(check(page, MIB, HSHM_POSIX_SHM_MMAP, NULL), -EBADMSG);
	assert_int_equal(check(page, MIB + 4095, HSHM_POSIX_SHM_MMAP, NULL),
			 -EBADMSG);
	assert_int_equal(check(page, 8192, HSHM_POSIX_SHM_MMAP, NULL), -EBADMSG);
	assert_int_equal(check(page, MIB + 8192, HSHM_POSIX_SHM_MMAP, NULL),
			 -EBADMSG);
	assert_int_equal(hshm_header_check(page, 4095, HSHM_POSIX_SHM_MMAP,
					   NULL, &why), -ENODATA);
	assert_non_null(why);
	assert_int_equal(check(page, 0, HSHM_POSIX_SHM_MMAP, NULL), -ENODATA);
	assert_int_equal(hshm_header_check(NULL, MIB, HSHM_POSIX_SHM_MMAP, NULL,
					   NULL), -EINVAL);
	assert_int_equal(hshm_header_check(page, MIB, HSHM_BACKEND_KIND_COUNT,
					   NULL, NULL), -EINVAL);
}

static void v2_page(unsigned char *page, uint64_t bs, uint64_t cap)
{
	memset(page, 0, HSHM_PAGE);
	put32(page, 0, 1);
	put32(page, 4, 2);
	put64(page, 16, bs);
	put64(page, 24, cap);
	put32(page, 32, UINT32_MAX); /* -1 */
}

static void test_header_v2(void **state)
{
	unsigned char page[HSHM_PAGE];
	enum hshm_layout layout = HSHM_LAYOUT_UNKNOWN;
	const char *why = NULL;

	v2_page(page, MIB, MIB - 4096);
	assert_int_equal(check(page, MIB, HSHM_POSIX_SHM_MMAP, &layout), 0);
	assert_int_equal(layout, HSHM_LAYOUT_V2);
	v2_page(page, MIB, MIB - 8192);
	assert_int_equal(check(page, MIB, HSHM_POSIX_SHM_MMAP, &layout), 0);
	v2_page(page, MIB, MIB - 4095); /* capacity past the object */
	assert_int_equal(check(page, MIB, HSHM_POSIX_SHM_MMAP, NULL), -EBADMSG);
	v2_page(page, MIB, MIB - 4096);
	layout = HSHM_LAYOUT_UNKNOWN;
	assert_int_equal(hshm_header_check(page, MIB, HSHM_GPU_SHM_MMAP,
					   &layout, &why), -EPROTONOSUPPORT);
	assert_int_equal(layout, HSHM_LAYOUT_V2);
	assert_non_null(strstr(why, "newer upstream layout"));
	assert_int_equal(check(page, MIB, HSHM_MALLOC, NULL), -EPROTONOSUPPORT);
	/* V2 sizes but priv_header_off set: a broken V1 */
	put64(page, 40, 8192);
	assert_int_equal(check(page, MIB, HSHM_POSIX_SHM_MMAP, &layout),
			 -EBADMSG);
	/* a V1 object with offset 40 zeroed is not mistaken for V2 */
	posix_page(page, MIB);
	put64(page, 40, 0);
	assert_int_equal(check(page, MIB + 4096, HSHM_POSIX_SHM_MMAP, NULL),
			 -EBADMSG);
}

/* ---- sizes ---- */

static void test_sizes(void **state)
{
	assert_int_equal(hshm_min_image(HSHM_POSIX_SHM_MMAP), 12288);
	assert_int_equal(hshm_min_image(HSHM_MALLOC), 12288);
	assert_int_equal(hshm_image_for(HSHM_POSIX_SHM_MMAP, MIB), MIB + 4096);
	assert_int_equal(hshm_image_for(HSHM_MALLOC, MIB), MIB);
	uint64_t out = 0;

	assert_int_equal(hshm_size_normalise(1, &out), 0);
	assert_int_equal(out, MIB);
	assert_int_equal(hshm_size_normalise(3 * MIB + 1, &out), 0);
	assert_int_equal(out, 3 * MIB + 1);
	assert_int_equal(hshm_size_normalise(UINT64_MAX, &out), -EFBIG);
}

/* ---- logging ---- */

struct captured {
	int lines;
	int level;
	char msg[512];
};

static void capture(void *arg, int level, const char *msg)
{
	struct captured *c = arg;

	c->lines++;
	c->level = level;
	snprintf(c->msg, sizeof(c->msg), "%s", msg);
}

static void test_log_callback(void **state)
{
	struct captured c = { 0 };
	struct hshm_ctx ctx;

	hshm_ctx_init(&ctx);
	ctx.log = capture;
	ctx.log_arg = &c;
	errno = EDOM;
	hshm_log(&ctx, LOG_WARNING, "x=%d", 42);
	assert_int_equal(errno, EDOM);
	assert_int_equal(c.lines, 1);
	assert_int_equal(c.level, LOG_WARNING);
	assert_string_equal(c.msg, "x=42");
}

static void test_log_stderr(void **state)
{
	char buf[128] = { 0 };
	int fd = memfd_create("stderr", 0);
	int saved = dup(2);

	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	assert_int_equal(dup2(fd, 2), 2);
	hshm_log(NULL, LOG_ERR, "boom %s", "here");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	assert_true(pread(fd, buf, sizeof(buf) - 1, 0) > 0);
	close(fd);
	assert_string_equal(buf, "hshm: boom here\n");
}

/* ---- context and dispatch ---- */

static void test_ctx(void **state)
{
	struct hshm_ctx ctx;

	hshm_ctx_init(&ctx);
	assert_int_equal(ctx.shm_dirfd, -1);
	assert_null(ctx.gpu);
	assert_null(ctx.log);
	assert_int_equal(ctx.mode, 0600);
	assert_string_equal(hshm_gpu_name(&ctx), "none");
	ctx.log = capture;
	struct captured c = { 0 };

	ctx.log_arg = &c;
	assert_int_equal(hshm_ctx_open_dir(&ctx, "/nonexistent-hshm-dir"),
			 -ENOENT);
	assert_int_equal(c.lines, 1);
	assert_int_equal(hshm_ctx_open_dir(&ctx, "/dev/null"), -ENOTDIR);
	assert_int_equal(hshm_ctx_open_dir(&ctx, "/"), 0);
	assert_true(ctx.shm_dirfd >= 0);
	assert_int_equal(hshm_ctx_open_dir(&ctx, "/"), -EBUSY);
	hshm_ctx_fini(&ctx);
	assert_int_equal(ctx.shm_dirfd, -1);
	hshm_ctx_fini(&ctx);
}

static void test_dispatch_args(void **state)
{
	struct captured c = { 0 };
	struct hshm_init_args a = { .id = { 1, 1 }, .size = MIB, .url = "/x" };
	struct hshm_backend b;
	struct hshm_ctx ctx;
	char buf[4];

	hshm_ctx_init(&ctx);
	ctx.log = capture;
	ctx.log_arg = &c;
	assert_int_equal(hshm_shm_init(NULL, &ctx, HSHM_MALLOC, &a), -EINVAL);
	assert_int_equal(hshm_shm_init(&b, NULL, HSHM_MALLOC, &a), -EINVAL);
	assert_int_equal(hshm_shm_init(&b, &ctx, HSHM_BACKEND_KIND_COUNT, &a),
			 -EINVAL);
	assert_int_equal(hshm_shm_init(&b, &ctx, HSHM_MALLOC, NULL), -EINVAL);
	a.id = HSHM_ID_NULL;
	c.lines = 0;
	assert_int_equal(hshm_shm_init(&b, &ctx, HSHM_MALLOC, &a), -EINVAL);
	assert_int_equal(c.lines, 1);
	assert_null(b.ops);
	assert_int_equal(b.fd, -1);
	assert_int_equal(hshm_shm_init(&b, &ctx, HSHM_GPU_MALLOC, &a),
			 -EOPNOTSUPP);
	assert_int_equal(hshm_shm_attach(&b, &ctx, HSHM_GPU_SHM_MMAP, "/x"),
			 -EOPNOTSUPP);
	assert_int_equal(hshm_shm_attach_fd(&b, &ctx, HSHM_POSIX_SHM_MMAP, -1,
					    NULL), -EBADF);
	assert_int_equal(hshm_shm_attach_fd(&b, &ctx, HSHM_POSIX_SHM_MMAP, 0,
					    "bad"), -EINVAL);
	/* a cleared view: detach is a no-op, the rest refuse */
	hshm_backend_clear(&b);
	assert_int_equal(hshm_shm_detach(&b), 0);
	assert_int_equal(hshm_shm_detach(NULL), 0);
	assert_int_equal(hshm_shm_destroy(&b), -EINVAL);
	assert_int_equal(hshm_shm_resize(&b, MIB), -EINVAL);
	assert_int_equal(hshm_shm_refresh(&b), -EINVAL);
	assert_int_equal(hshm_image_pread(&b, buf, 4, 0), -EINVAL);
	assert_int_equal(hshm_image_pwrite(NULL, buf, 4, 0), -EINVAL);
}

static void test_accessors_detached(void **state)
{
	struct hshm_backend b;
	size_t len = 7;

	hshm_backend_clear(&b);
	assert_true(hshm_id_is_null(hshm_backend_id(&b)));
	assert_int_equal(hshm_backend_kind(&b), HSHM_BACKEND_KIND_COUNT);
	assert_int_equal(hshm_backend_size(&b), 0);
	assert_int_equal(hshm_data_capacity(&b), 0);
	assert_int_equal(hshm_data_id(&b), -1);
	assert_null(hshm_data(&b));
	assert_null(hshm_region(&b));
	assert_int_equal(hshm_backend_fd(&b), -1);
	assert_string_equal(hshm_backend_url(&b), "");
	assert_null(hshm_spare(&b, &len));
	assert_int_equal(len, 0);
	assert_false(hshm_is_owner(&b));
	hshm_set_owner(&b);
	assert_true(hshm_is_owner(&b));
	hshm_unset_owner(&b);
	assert_false(hshm_is_owner(&b));
	assert_false(hshm_is_owner(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_parse),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_available),
		cmocka_unit_test(test_url_check),
		cmocka_unit_test(test_header_good_v1),
		cmocka_unit_test(test_header_other_kinds),
		cmocka_unit_test(test_header_bad_fields),
		cmocka_unit_test(test_header_absurd_sizes),
		cmocka_unit_test(test_header_truncated),
		cmocka_unit_test(test_header_v2),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_log_callback),
		cmocka_unit_test(test_log_stderr),
		cmocka_unit_test(test_ctx),
		cmocka_unit_test(test_dispatch_args),
		cmocka_unit_test(test_accessors_detached),
	};

	return cmocka_run_group_tests_name("common", tests, NULL, NULL);
}
