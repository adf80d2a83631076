/* SPDX-License-Identifier: BSD-3-Clause */
/* test_gpu_malloc.c: GpuMalloc over the GPU test double (HSHM_GPU_DOUBLE). */
/*
 * Every test runs with ctx->gpu = hshm_gpu_double() (the name of each test
 * says so) in its own temporary directory under /dev/shm.  The image is read
 * through hshm_image_pread() (device to host copies); expected header bytes
 * come from the offsets in shared/reference/hshm-format.md.
 */
#include <stdbool.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"
#include "hshm/backend.h"
#include "wrap.h"

#define MIB (UINT64_C(1) << 20)
#define PAGE 4096
#define H HSHM_IPC_HANDLE_SIZE
#define BS (MIB + 8192) /* backend_size of a 1 MiB region */

static int setup(void **state)
{
	return fixture_setup_gpu(state, "hshm-gm");
}

static void make(struct fixture *f, struct hshm_backend *b, uint64_t size)
{
	struct hshm_init_args a = { .id = { 7, 9 }, .size = size, .device = 0 };

	assert_int_equal(hshm_shm_init(b, &f->ctx, HSHM_GPU_MALLOC, &a), 0);
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 13 + seed);
}

/* The two metadata pages at the reference offsets, read from the device. */
static void expect_pages(struct hshm_backend *b, uint64_t data_size)
{
	static const unsigned char zero[PAGE];
	unsigned char p[2 * PAGE], h[H];

	assert_int_equal(hshm_image_pread(b, p, sizeof(p), 0), sizeof(p));
	assert_int_equal(get_le(p + 0, 4), 7);
	assert_int_equal(get_le(p + 4, 4), 9);
	assert_int_equal(get_le(p + 8, 8), 0);
	/* backend_size */
	assert_int_equal(get_le(p + 16, 8), data_size + 8192);
	assert_int_equal(get_le(p + 24, 8), data_size); /* data_capacity */
	assert_int_equal(get_le(p + 32, 4), 0);         /* data_id */
	assert_int_equal(get_le(p + 36, 4), 0);
	assert_int_equal(get_le(p + 40, 8), 4096); /* priv_header_off */
	assert_memory_equal(p + 48, zero, PAGE - 48);
	assert_int_equal(hshm_gpu_malloc_ipc_handle(b, h), 0);
	assert_memory_equal(p + PAGE, h, H); /* GpuMallocPrivateHeader */
	assert_memory_equal(p + PAGE + H, zero, PAGE - H);
}

static void double_gpu_malloc_layout(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend b;

	make(f, &b, 1000); /* data raised to 1 MiB */
	expect_pages(&b, MIB);
	assert_true(hshm_is_owner(&b));
	assert_int_equal(hshm_backend_size(&b), MIB + 8192);
	assert_int_equal(hshm_data_capacity(&b), MIB);
	assert_int_equal(hshm_image_size(&b), MIB + 8192);
	assert_int_equal(hshm_data_offset(&b), 8192);
	assert_int_equal(hshm_priv_header_off(&b), 4096);
	assert_int_equal(hshm_data_id(&b), 0);
	assert_null(hshm_region(&b));
	assert_int_equal(hshm_backend_fd(&b), -1);
	assert_non_null(hshm_data(&b));
	hshm_shm_destroy(&b);
}

static void double_gpu_malloc_data_round_trip(void **state)
{
	struct fixture *f = *state;
	unsigned char in[10000], out[10000];
	struct hshm_backend b;

	fill(in, sizeof(in), 3);
	make(f, &b, MIB);
	assert_int_equal(hshm_image_pwrite(&b, in, sizeof(in), 8192 + 100),
			 sizeof(in));
	assert_int_equal(hshm_image_pread(&b, out, sizeof(out), 8192 + 100),
			 sizeof(out));
	assert_memory_equal(in, out, sizeof(in));
	/* hshm_data() is the device pointer of that same byte 8192. */
	memset(out, 0, sizeof(out));
	assert_int_equal(f->ctx.gpu->memcpy(0, out, hshm_data(&b) + 100,
					    sizeof(out), HSHM_GPU_D2H), 0);
	assert_memory_equal(in, out, sizeof(in));
	assert_int_equal(hshm_image_pwrite(&b, in, 100, MIB + 8192 - 10), 10);
	assert_int_equal(hshm_image_pread(&b, out, 100, MIB + 8192 - 10), 10);
	assert_memory_equal(in, out, 10);
	assert_int_equal(hshm_image_pread(&b, out, 100, MIB + 8192), 0);
	hshm_shm_destroy(&b);
}

/* Child: attach with the handle, check, write back; exit code = failed step. */
static int child_attach(struct fixture *f, const uint8_t h[H])
{
	unsigned char want[4096], buf[4096];
	uint8_t h2[H];
	struct hshm_backend c;

	fill(want, sizeof(want), 1);
	if (hshm_gpu_malloc_attach_ipc(&c, &f->ctx, h, 0, BS))
		return 10;
	if (hshm_is_owner(&c) || hshm_data_capacity(&c) != MIB ||
	    hshm_backend_size(&c) != MIB + 8192 || hshm_data_id(&c) != 0)
		return 11;
	if (hshm_image_pread(&c, buf, sizeof(buf), 8192) != sizeof(buf) ||
	    memcmp(buf, want, sizeof(buf)))
		return 12;
	fill(buf, sizeof(buf), 2);
	if (hshm_image_pwrite(&c, buf, sizeof(buf), 8192 + MIB / 2) !=
	    sizeof(buf))
		return 13;
	if (hshm_shm_resize(&c, 2 * MIB) != -EOPNOTSUPP)
		return 14;
	if (hshm_gpu_malloc_ipc_handle(&c, h2) || memcmp(h, h2, H))
		return 15;
	hshm_shm_detach(&c);
	return 0;
}

static void double_gpu_malloc_child_attaches_by_handle(void **state)
{
	struct fixture *f = *state;
	unsigned char pat[4096], buf[4096];
	struct hshm_backend b;
	uint8_t h[H];
	pid_t pid;

	make(f, &b, MIB);
	fill(pat, sizeof(pat), 1);
	assert_int_equal(hshm_image_pwrite(&b, pat, sizeof(pat), 8192),
			 sizeof(pat));
	assert_int_equal(hshm_gpu_malloc_ipc_handle(&b, h), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child_attach(f, h));
	assert_int_equal(wait_child(pid), 0);
	fill(pat, sizeof(pat), 2);
	assert_int_equal(hshm_image_pread(&b, buf, sizeof(buf), 8192 + MIB / 2),
			 sizeof(buf));
	assert_memory_equal(buf, pat, sizeof(buf));
	hshm_shm_destroy(&b);
}

static void double_gpu_malloc_creator_own_handle_einval(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend b, c;
	uint8_t h[H];

	make(f, &b, MIB);
	assert_int_equal(hshm_gpu_malloc_ipc_handle(&b, h), 0);
	f->logs = 0;
	assert_int_equal(hshm_gpu_malloc_attach_ipc(&c, &f->ctx, h, 0, BS), -EINVAL);
	assert_int_equal(f->logs, 1);
	memset(h, 0, sizeof(h));
	assert_int_equal(hshm_gpu_malloc_attach_ipc(&c, &f->ctx, h, 0, BS), -EINVAL);
	assert_int_equal(hshm_gpu_malloc_attach_ipc(&c, &f->ctx, NULL, 0, BS),
			 -EINVAL);
	hshm_shm_destroy(&b);
}

/* The view is detached: what every failed attach must leave. */
static bool cleared(const struct hshm_backend *c)
{
	return !c->ops && !c->ctx && !c->header && !c->device_base &&
	       c->fd == -1 && hshm_backend_kind(c) == HSHM_BACKEND_KIND_COUNT;
}

/*
 * A child attaching with @h and @trusted as backend_size must get @err, one
 * log line and a cleared view.  Should the attach succeed anyway, the child
 * reads 64 bytes at @probe, or where the header says the region ends when
 * @probe is 0 (out of bounds if the header lied).
 */
static void child_attach_refused(struct fixture *f, const uint8_t h[H],
				 uint64_t trusted, int err, uint64_t probe)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct hshm_backend c;
		char buf[64];
		int r;

		signal(SIGSEGV, SIG_DFL); /* die, not cmocka's handler */
		signal(SIGBUS, SIG_DFL);
		f->logs = 0;
		r = hshm_gpu_malloc_attach_ipc(&c, &f->ctx, h, 0, trusted);
		if (r == 0) {
			if (!probe)
				probe = hshm_backend_size(&c) - sizeof(buf);
			hshm_image_pread(&c, buf, sizeof(buf), probe);
			_exit(2);
		}
		_exit(r == err && f->logs == 1 && cleared(&c) ? 0 : 1);
	}
	assert_int_equal(wait_child(pid), 0);
}

/*
 * Write @v (@n bytes) at @off of a fresh region's device header, then a
 * child attaching with @trusted as backend_size must get @err, one log line
 * and a cleared view.
 */
static void attach_case(struct fixture *f, int off, uint64_t v, int n,
			uint64_t trusted, int err)
{
	struct hshm_backend b;
	unsigned char bytes[8];
	uint8_t h[H];

	make(f, &b, MIB);
	put_le(bytes, v, n);
	assert_int_equal(hshm_image_pwrite(&b, bytes, n, off), n);
	assert_int_equal(hshm_gpu_malloc_ipc_handle(&b, h), 0);
	child_attach_refused(f, h, trusted, err, 0);
	hshm_shm_destroy(&b);
}

static void corrupt_case(struct fixture *f, int off, uint64_t v, int n, int err)
{
	attach_case(f, off, v, n, BS, err);
}

static void double_gpu_malloc_corrupt_header_ebadmsg(void **state)
{
	struct fixture *f = *state;

	corrupt_case(f, 40, 8192, 8, -EBADMSG);      /* priv_header_off */
	corrupt_case(f, 24, MIB - 4096, 8, -EBADMSG); /* data_capacity */
	corrupt_case(f, 32, 1, 4, -EBADMSG);         /* data_id != device */
	corrupt_case(f, 0, UINT64_MAX, 8, -EBADMSG); /* null id */
	corrupt_case(f, 16, 100, 8, -EBADMSG);       /* backend_size < a page */
}

/*
 * The owner raises backend_size and data_capacity by 1 GiB each (a
 * consistent header for a region 1 GiB larger than the allocation): the
 * attacher trusts the size it was told, not the header, so it refuses
 * (it used to accept, then read and write 1 GiB past the allocation).
 */
static void double_gpu_malloc_forged_size_ebadmsg(void **state)
{
	struct fixture *f = *state;
	const uint64_t gib = UINT64_C(1) << 30;
	struct hshm_backend b;
	unsigned char bytes[16];
	uint8_t h[H];

	make(f, &b, MIB);
	put_le(bytes, BS + gib, 8);
	put_le(bytes + 8, MIB + gib, 8);
	assert_int_equal(hshm_image_pwrite(&b, bytes, 16, 16), 16);
	assert_int_equal(hshm_gpu_malloc_ipc_handle(&b, h), 0);
	/* accepted, the old behaviour: this reads past the end */
	child_attach_refused(f, h, BS, -EBADMSG, BS + gib / 2);
	hshm_shm_destroy(&b);
}

/* A trusted size the header does not agree with, or one out of range. */
static void double_gpu_malloc_attach_ipc_size_checked(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend c;
	uint8_t h[H] = { 1 };

	attach_case(f, 0, 7, 4, BS + 4096, -EBADMSG); /* told larger */
	attach_case(f, 0, 7, 4, BS - 4096, -EBADMSG); /* told smaller */
	attach_case(f, 0, 7, 4, 8192, -EBADMSG);      /* the smallest */
	/* Refused before the handle is opened: a bogus handle is not looked at. */
	f->logs = 0;
	assert_int_equal(hshm_gpu_malloc_attach_ipc(&c, &f->ctx, h, 0, 8191),
			 -EINVAL);
	assert_int_equal(hshm_gpu_malloc_attach_ipc(&c, &f->ctx, h, 0,
						    (UINT64_C(1) << 46) + 1),
			 -EINVAL);
	assert_int_equal(hshm_gpu_malloc_attach_ipc(&c, &f->ctx, h, 0, 0),
			 -EINVAL);
	assert_int_equal(f->logs, 3);
	assert_true(cleared(&c));
}

/* Every failed attach logs one line and leaves the view detached. */
static void double_gpu_malloc_attach_ipc_failure_clears(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend b, c;
	uint8_t h[H];

	make(f, &b, MIB);
	assert_int_equal(hshm_gpu_malloc_ipc_handle(&b, h), 0);
	f->logs = 0;
	assert_int_equal(hshm_gpu_malloc_attach_ipc(&c, &f->ctx, NULL, 0, BS),
			 -EINVAL);
	assert_int_equal(f->logs, 1);
	assert_true(cleared(&c));
	assert_int_equal(hshm_gpu_malloc_attach_ipc(&c, &f->ctx, h, -1, BS),
			 -EINVAL);
	assert_int_equal(f->logs, 2);
	assert_true(cleared(&c));
	assert_int_equal(hshm_gpu_malloc_attach_ipc(&c, &f->ctx, h, 0, BS),
			 -EINVAL); /* the creator's own handle */
	assert_int_equal(f->logs, 3);
	assert_true(cleared(&c));
	assert_int_equal(hshm_gpu_malloc_attach_ipc(&c, NULL, h, 0, BS),
			 -EINVAL);
	assert_true(cleared(&c));
	f->ctx.gpu = NULL;
	assert_int_equal(hshm_gpu_malloc_attach_ipc(&c, &f->ctx, h, 0, BS),
			 -EOPNOTSUPP);
	assert_int_equal(f->logs, 4);
	assert_true(cleared(&c));
	f->ctx.gpu = hshm_gpu_double();
	hshm_shm_destroy(&b);
}

static void double_gpu_malloc_resize_preserves_data(void **state)
{
	struct fixture *f = *state;
	unsigned char in[8192], out[8192];
	struct hshm_backend b;
	uint8_t h0[H], h1[H];

	fill(in, sizeof(in), 9);
	make(f, &b, MIB);
	assert_int_equal(hshm_gpu_malloc_ipc_handle(&b, h0), 0);
	assert_int_equal(hshm_image_pwrite(&b, in, sizeof(in), 8192),
			 sizeof(in));
	assert_int_equal(hshm_shm_resize(&b, 3 * MIB + 8192), 0);
	expect_pages(&b, 3 * MIB);
	assert_int_equal(hshm_data_capacity(&b), 3 * MIB);
	assert_int_equal(hshm_image_size(&b), 3 * MIB + 8192);
	assert_int_equal(hshm_image_pread(&b, out, sizeof(out), 8192),
			 sizeof(out));
	assert_memory_equal(in, out, sizeof(in));
	assert_int_equal(hshm_gpu_malloc_ipc_handle(&b, h1), 0);
	assert_memory_not_equal(h0, h1, H); /* a new allocation, a new handle */
	assert_int_equal(hshm_shm_resize(&b, MIB + 8192), 0);
	expect_pages(&b, MIB);
	assert_int_equal(hshm_image_pread(&b, out, sizeof(out), 8192),
			 sizeof(out));
	assert_memory_equal(in, out, sizeof(in));
	assert_int_equal(hshm_shm_resize(&b, 8192 - 1), -EINVAL);
	assert_int_equal(hshm_image_size(&b), MIB + 8192);
	/* Smallest image: the two metadata pages, no data. */
	assert_int_equal(hshm_shm_resize(&b, 8192), 0);
	expect_pages(&b, 0);
	assert_int_equal(hshm_shm_resize(&b, MIB + 8192), 0);
	expect_pages(&b, MIB);
	hshm_shm_destroy(&b);
}

static int free_calls;

/* The double's free, then a failure: the resize is done all the same. */
static int failing_free(int device, void *dptr)
{
	free_calls++;
	hshm_gpu_double()->free(device, dptr);
	return -EIO;
}

/*
 * Resize keeps the bytes of both metadata pages beyond what it rewrites
 * (the header's 48 bytes, the 64-byte handle); a failed free of the old
 * allocation is a warning and the resize still succeeds.
 */
static void double_gpu_malloc_resize_keeps_metadata_pages(void **state)
{
	struct fixture *f = *state;
	struct hshm_gpu_runtime rt = *hshm_gpu_double();
	unsigned char out[8];
	struct hshm_backend b;

	make(f, &b, MIB);
	assert_int_equal(hshm_image_pwrite(&b, "hdrpage", 8, 100), 8);
	assert_int_equal(hshm_image_pwrite(&b, "privpag", 8, PAGE + H + 10), 8);
	rt.free = failing_free;
	f->ctx.gpu = &rt;
	f->logs = 0;
	free_calls = 0;
	assert_int_equal(hshm_shm_resize(&b, 2 * MIB + 8192), 0);
	assert_int_equal(free_calls, 1);
	assert_int_equal(f->logs, 1);
	f->ctx.gpu = hshm_gpu_double();
	assert_int_equal(hshm_image_pread(&b, out, 8, 100), 8);
	assert_memory_equal(out, "hdrpage", 8);
	assert_int_equal(hshm_image_pread(&b, out, 8, PAGE + H + 10), 8);
	assert_memory_equal(out, "privpag", 8);
	assert_int_equal(hshm_backend_size(&b), 2 * MIB + 8192);
	hshm_shm_destroy(&b);
}

static void double_gpu_malloc_attach_by_url_eopnotsupp(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend c;

	assert_int_equal(hshm_shm_attach(&c, &f->ctx, HSHM_GPU_MALLOC, "/x"),
			 -EOPNOTSUPP);
	assert_int_equal(hshm_shm_attach_fd(&c, &f->ctx, HSHM_GPU_MALLOC, 0,
					    NULL), -EOPNOTSUPP);
}

static void double_gpu_malloc_no_runtime_eopnotsupp(void **state)
{
	struct fixture *f = *state;
	struct hshm_init_args a = { .id = { 1, 1 }, .size = MIB };
	struct hshm_backend b;
	uint8_t h[H] = { 0 };

	f->ctx.gpu = NULL;
	assert_int_equal(hshm_shm_init(&b, &f->ctx, HSHM_GPU_MALLOC, &a),
			 -EOPNOTSUPP);
	assert_int_equal(hshm_gpu_malloc_attach_ipc(&b, &f->ctx, h, 0, BS),
			 -EOPNOTSUPP);
}

static void double_gpu_malloc_device_out_of_range_enodev(void **state)
{
	struct fixture *f = *state;
	struct hshm_init_args a = { .id = { 1, 1 }, .size = MIB, .device = 1 };
	struct hshm_backend b;

	f->logs = 0;
	assert_int_equal(hshm_shm_init(&b, &f->ctx, HSHM_GPU_MALLOC, &a),
			 -ENODEV);
	assert_int_equal(f->logs, 1);
}

static void double_gpu_malloc_handle_of_other_kind_einval(void **state)
{
	struct fixture *f = *state;
	struct hshm_init_args a = { .id = { 1, 1 }, .size = MIB, .url = "/o" };
	struct hshm_backend b;
	uint8_t h[H];

	assert_int_equal(hshm_shm_init(&b, &f->ctx, HSHM_GPU_SHM_MMAP, &a), 0);
	assert_int_equal(hshm_gpu_malloc_ipc_handle(&b, h), -EINVAL);
	assert_int_equal(hshm_gpu_malloc_ipc_handle(NULL, h), -EINVAL);
	hshm_shm_destroy(&b);
}

/* The double's memfd/mmap failing: the errno comes through, one log line. */
static void double_gpu_malloc_alloc_failure_errno(void **state)
{
	struct fixture *f = *state;
	struct hshm_init_args a = { .id = { 1, 1 }, .size = MIB };
	struct hshm_backend b;

	f->logs = 0;
	wrap_reset();
	wrap_fail(WRAP_MEMFD_CREATE, 0, EMFILE);
	assert_int_equal(hshm_shm_init(&b, &f->ctx, HSHM_GPU_MALLOC, &a),
			 -EMFILE);
	wrap_fail(WRAP_FTRUNCATE, 0, ENOSPC);
	assert_int_equal(hshm_shm_init(&b, &f->ctx, HSHM_GPU_MALLOC, &a),
			 -ENOSPC);
	wrap_reset();
	assert_int_equal(f->logs, 2);
}

static void double_gpu_malloc_failed_resize_changes_nothing(void **state)
{
	struct fixture *f = *state;
	unsigned char out[4];
	struct hshm_backend b;
	uint8_t h0[H], h1[H];

	make(f, &b, MIB);
	assert_int_equal(hshm_image_pwrite(&b, "keep", 4, 8192), 4);
	assert_int_equal(hshm_gpu_malloc_ipc_handle(&b, h0), 0);
	wrap_reset();
	wrap_fail(WRAP_MEMFD_CREATE, 0, ENOMEM);
	assert_int_equal(hshm_shm_resize(&b, 2 * MIB), -ENOMEM);
	wrap_reset();
	assert_int_equal(hshm_image_size(&b), MIB + 8192);
	expect_pages(&b, MIB);
	assert_int_equal(hshm_gpu_malloc_ipc_handle(&b, h1), 0);
	assert_memory_equal(h0, h1, H);
	assert_int_equal(hshm_image_pread(&b, out, 4, 8192), 4);
	assert_memory_equal(out, "keep", 4);
	hshm_shm_destroy(&b);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, fixture_teardown)
	const struct CMUnitTest tests[] = {
		T(double_gpu_malloc_layout),
		T(double_gpu_malloc_data_round_trip),
		T(double_gpu_malloc_child_attaches_by_handle),
		T(double_gpu_malloc_creator_own_handle_einval),
		T(double_gpu_malloc_corrupt_header_ebadmsg),
		T(double_gpu_malloc_forged_size_ebadmsg),
		T(double_gpu_malloc_attach_ipc_size_checked),
		T(double_gpu_malloc_attach_ipc_failure_clears),
		T(double_gpu_malloc_resize_preserves_data),
		T(double_gpu_malloc_resize_keeps_metadata_pages),
		T(double_gpu_malloc_attach_by_url_eopnotsupp),
		T(double_gpu_malloc_no_runtime_eopnotsupp),
		T(double_gpu_malloc_device_out_of_range_enodev),
		T(double_gpu_malloc_handle_of_other_kind_einval),
		T(double_gpu_malloc_alloc_failure_errno),
		T(double_gpu_malloc_failed_resize_changes_nothing),
	};
#undef T

	return cmocka_run_group_tests_name("gpu_malloc", tests, NULL, NULL);
}
