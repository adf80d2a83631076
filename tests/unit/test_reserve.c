/* SPDX-License-Identifier: BSD-3-Clause */
/* test_reserve.c: HSHM_INIT_NORESERVE and hshm_set_reserve(): sparse objects. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"
#include "hshm/backend.h"
#include "wrap.h"

#define MIB (UINT64_C(1) << 20)
#define URL "/sparse"
#define SIZE (64 * MIB)
/* An unreserved object holds its header page and what was written. */
#define FEW_BYTES (64 * 1024)

static int setup(void **state)
{
	return fixture_setup(state, "hshm-rsv");
}

static int make(struct fixture *f, struct hshm_backend *b,
		enum hshm_backend_kind kind, uint64_t size, uint32_t flags)
{
	struct hshm_init_args a = {
		.id = { 3, 4 }, .size = size, .device = 0,
		.url = kind == HSHM_MALLOC ? NULL : URL, .flags = flags,
	};

	return hshm_shm_init(b, &f->ctx, kind, &a);
}

/* Bytes of memory the object of @b holds (st_blocks). */
static uint64_t held(const struct hshm_backend *b)
{
	struct stat st;

	assert_int_equal(fstat(hshm_backend_fd(b), &st), 0);
	return (uint64_t)st.st_blocks * 512;
}

static void test_default_reserves(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend b;

	assert_int_equal(make(f, &b, HSHM_POSIX_SHM_MMAP, SIZE, 0), 0);
	assert_true(hshm_reserves(&b));
	assert_true(held(&b) >= hshm_image_size(&b));
	hshm_shm_destroy(&b);
}

static void test_posix_sparse(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend b;

	wrap_reset();
	assert_int_equal(make(f, &b, HSHM_POSIX_SHM_MMAP, SIZE,
			      HSHM_INIT_NORESERVE), 0);
	assert_false(hshm_reserves(&b));
	/* mapped: only the header page, which init writes through the map */
	assert_int_equal(wrap_calls(WRAP_FALLOCATE), 1);
	assert_int_equal(hshm_image_size(&b), SIZE + 4096);
	assert_true(held(&b) <= FEW_BYTES);
	assert_int_equal(hshm_backend_id(&b).major, 3);
	memset(hshm_data(&b), 0x5a, MIB); /* touched pages come into being */
	assert_true(held(&b) >= MIB);
	assert_true(held(&b) <= MIB + FEW_BYTES);
	hshm_shm_destroy(&b);
}

static void test_nomap_sparse(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend b;
	char v = 7;

	f->ctx.no_map = true;
	wrap_reset();
	assert_int_equal(make(f, &b, HSHM_POSIX_SHM_MMAP, SIZE,
			      HSHM_INIT_NORESERVE), 0);
	assert_int_equal(wrap_calls(WRAP_FALLOCATE), 0); /* header by pwrite */
	assert_true(held(&b) <= FEW_BYTES);
	assert_int_equal(hshm_image_pwrite(&b, &v, 1, 8192 + 10 * MIB), 1);
	assert_true(held(&b) <= 2 * FEW_BYTES);
	v = 0;
	assert_int_equal(hshm_image_pread(&b, &v, 1, 8192 + 10 * MIB), 1);
	assert_int_equal(v, 7);
	hshm_shm_destroy(&b);
}

/* Through the daemon's write window, a write allocates only its pages. */
static void test_window_sparse(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend b;
	char v[4096];

	f->ctx.no_map = true;
	f->ctx.write_window = true;
	memset(v, 7, sizeof(v));
	assert_int_equal(make(f, &b, HSHM_POSIX_SHM_MMAP, SIZE,
			      HSHM_INIT_NORESERVE), 0);
	assert_int_equal(hshm_image_pwrite(&b, v, sizeof(v), 8192 + 10 * MIB),
			 (ssize_t)sizeof(v));
	assert_int_equal(hshm_image_pwrite(&b, v, 100, 8192 + 20 * MIB + 50),
			 100);
	assert_true(held(&b) <= 2 * FEW_BYTES);
	hshm_shm_destroy(&b);
	/* reserved: the window may fill whole chunks, the pages are there */
	assert_int_equal(make(f, &b, HSHM_POSIX_SHM_MMAP, SIZE, 0), 0);
	assert_int_equal(hshm_image_pwrite(&b, v, sizeof(v), 8192 + 10 * MIB),
			 (ssize_t)sizeof(v));
	assert_true(held(&b) >= hshm_image_size(&b));
	hshm_shm_destroy(&b);
}

/* The only thing that could fail for want of memory is never called. */
static void test_full_shm_dir(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend b;

	f->ctx.no_map = true;
	wrap_fail(WRAP_FALLOCATE, 0, ENOSPC);
	assert_int_equal(make(f, &b, HSHM_POSIX_SHM_MMAP, SIZE, 0), -ENOSPC);
	assert_int_equal(fixture_entries(f), 0); /* nothing left behind */
	wrap_fail(WRAP_FALLOCATE, 0, ENOSPC);
	assert_int_equal(make(f, &b, HSHM_POSIX_SHM_MMAP, SIZE,
			      HSHM_INIT_NORESERVE), 0);
	hshm_shm_destroy(&b);
	wrap_reset();
}

static void test_grow_follows_choice(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend b;

	assert_int_equal(make(f, &b, HSHM_POSIX_SHM_MMAP, MIB,
			      HSHM_INIT_NORESERVE), 0);
	assert_int_equal(hshm_shm_resize(&b, SIZE), 0);
	assert_true(held(&b) <= FEW_BYTES);
	hshm_set_reserve(&b, true);
	assert_true(hshm_reserves(&b));
	assert_int_equal(hshm_shm_resize(&b, 2 * SIZE), 0);
	/* the grown part is reserved, the rest stays a hole */
	assert_true(held(&b) >= SIZE);
	assert_true(held(&b) <= SIZE + FEW_BYTES);
	hshm_set_reserve(&b, false);
	assert_int_equal(hshm_image_zero(&b, SIZE, SIZE), 0);
	assert_true(held(&b) <= FEW_BYTES); /* punched, not reserved again */
	hshm_shm_destroy(&b);
}

static void test_attached_view_reserves(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend b, c;

	assert_int_equal(make(f, &b, HSHM_POSIX_SHM_MMAP, MIB,
			      HSHM_INIT_NORESERVE), 0);
	assert_int_equal(hshm_shm_attach(&c, &f->ctx, HSHM_POSIX_SHM_MMAP,
					 URL), 0);
	assert_true(hshm_reserves(&c));
	assert_int_equal(hshm_shm_resize(&c, 8 * MIB), 0);
	assert_true(held(&c) >= 7 * MIB);
	hshm_shm_detach(&c);
	hshm_shm_destroy(&b);
}

static void test_malloc_sparse(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend b;

	assert_int_equal(make(f, &b, HSHM_MALLOC, SIZE, HSHM_INIT_NORESERVE),
			 0);
	assert_true(held(&b) <= FEW_BYTES);
	hshm_data(&b)[0] = 1;
	hshm_shm_destroy(&b);
	assert_int_equal(make(f, &b, HSHM_MALLOC, SIZE, 0), 0);
	assert_true(held(&b) >= SIZE);
	hshm_shm_destroy(&b);
}

static void test_unknown_flag(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend b;
	int logs = f->logs;

	assert_int_equal(make(f, &b, HSHM_POSIX_SHM_MMAP, MIB, 0x80), -EINVAL);
	assert_int_equal(f->logs, logs + 1);
	assert_int_equal(fixture_entries(f), 0);
	assert_int_equal(hshm_backend_fd(&b), -1);
	hshm_set_reserve(NULL, false); /* no crash */
	assert_false(hshm_reserves(NULL));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_default_reserves),
		T(test_posix_sparse),
		T(test_nomap_sparse),
		T(test_window_sparse),
		T(test_full_shm_dir),
		T(test_grow_follows_choice),
		T(test_attached_view_reserves),
		T(test_malloc_sparse),
		T(test_unknown_flag),
	};

	return cmocka_run_group_tests_name("reserve", tests, NULL, NULL);
}
