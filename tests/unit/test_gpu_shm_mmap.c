/* SPDX-License-Identifier: BSD-3-Clause */
/* test_gpu_shm_mmap.c: GpuShmMmap over the GPU test double (HSHM_GPU_DOUBLE) */
/*
 * Every test runs with ctx->gpu = hshm_gpu_double() (the name of each test
 * says so) in its own temporary directory under /dev/shm.  Expected header
 * bytes are built from the offsets in shared/reference/hshm-format.md, not
 * from struct hshm_backend_header.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"
#include "hshm/backend.h"
#include "wrap.h"
#include "yield_hook.h"

#define MIB (UINT64_C(1) << 20)
#define PAGE 4096

static int setup(void **state)
{
	return fixture_setup_gpu(state, "hshm-gsm");
}

static int obj_open(struct fixture *f, const char *name, int flags)
{
	return openat(f->ctx.shm_dirfd, name, flags | O_CLOEXEC, 0600);
}

static uint64_t obj_size(struct fixture *f, const char *name)
{
	struct stat st;

	assert_int_equal(fstatat(f->ctx.shm_dirfd, name, &st, 0), 0);
	return (uint64_t)st.st_size;
}

static bool obj_exists(struct fixture *f, const char *name)
{
	return faccessat(f->ctx.shm_dirfd, name, F_OK, 0) == 0;
}

/* pread @n bytes at @off of the object file, as another reader would. */
static void obj_read(struct fixture *f, const char *name, void *buf,
		     size_t n, off_t off)
{
	int fd = obj_open(f, name, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, n, off), (ssize_t)n);
	close(fd);
}

static void make(struct fixture *f, struct hshm_backend *b,
		 const char *url, uint64_t size, int device)
{
	struct hshm_init_args a = { .id = { 7, 9 }, .size = size, .url = url,
				    .device = device };

	assert_int_equal(hshm_shm_init(b, &f->ctx, HSHM_GPU_SHM_MMAP, &a), 0);
}

/* Header bytes at the reference offsets for an object of backend_size @bs. */
static void expect_header(const unsigned char *p, uint64_t bs, int device)
{
	static const unsigned char zero[PAGE];

	assert_int_equal(get_le(p + 0, 4), 7);   /* id.major */
	assert_int_equal(get_le(p + 4, 4), 9);   /* id.minor */
	assert_int_equal(get_le(p + 8, 8), 0);   /* flags: never stored */
	assert_int_equal(get_le(p + 16, 8), bs); /* backend_size */
	assert_int_equal(get_le(p + 24, 8), bs - 8192); /* data_capacity */
	assert_int_equal(get_le(p + 32, 4), (uint32_t)device); /* data_id */
	assert_int_equal(get_le(p + 36, 4), 0);    /* padding */
	assert_int_equal(get_le(p + 40, 8), 8192); /* priv_header_off */
	assert_memory_equal(p + 48, zero, PAGE - 48);
}

static void double_gpu_shm_init_header_bytes(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend b;
	unsigned char page[PAGE], got[16];
	size_t spare_len;
	char *spare;

	make(f, &b, "/r1", 1000, 0); /* raised to 1 MiB */
	assert_int_equal(obj_size(f, "r1"), MIB);
	obj_read(f, "r1", page, PAGE, 0);
	expect_header(page, MIB, 0);
	assert_true(hshm_is_owner(&b));
	assert_int_equal(hshm_backend_size(&b), MIB);
	assert_int_equal(hshm_data_capacity(&b), MIB - 8192);
	assert_int_equal(hshm_data_offset(&b), 4096);
	assert_int_equal(hshm_data_id(&b), 0);
	assert_int_equal(hshm_priv_header_off(&b), 8192);
	assert_int_equal(hshm_image_size(&b), MIB);
	assert_ptr_equal(hshm_data(&b), hshm_region(&b) + 4096);
	assert_true(hshm_backend_fd(&b) >= 0);
	assert_string_equal(hshm_backend_url(&b), "/r1");
	spare = hshm_spare(&b, &spare_len);
	assert_ptr_equal(spare, hshm_region(&b) + MIB - 4096);
	assert_int_equal(spare_len, 4096);
	memcpy(hshm_data(&b), "gpu-shm-data", 12);
	obj_read(f, "r1", got, 12, 4096); /* data at file offset 4096 */
	assert_memory_equal(got, "gpu-shm-data", 12);
	assert_int_equal(hshm_shm_destroy(&b), 0);
	assert_false(obj_exists(f, "r1"));
}

static void double_gpu_shm_data_id_is_device(void **state)
{
	struct fixture *f = *state;
	struct hshm_init_args a = { .id = { 1, 2 }, .size = MIB, .url = "/d3",
				    .device = 3 };
	struct hshm_backend b;
	unsigned char page[PAGE];

	setenv("HSHM_GPU_DOUBLE_DEVICES", "3", 1);
	make(f, &b, "/d2", 2 * MIB, 2);
	obj_read(f, "d2", page, PAGE, 0);
	expect_header(page, 2 * MIB, 2);
	assert_int_equal(hshm_data_id(&b), 2);
	hshm_shm_detach(&b);
	f->logs = 0;
	assert_int_equal(hshm_shm_init(&b, &f->ctx, HSHM_GPU_SHM_MMAP, &a),
			 -ENODEV);
	assert_int_equal(f->logs, 1);
	assert_false(obj_exists(f, "d3")); /* nothing left behind */
}

/* Child: attach by URL, check what the parent wrote, write back. */
static int child_attach(struct fixture *f)
{
	struct hshm_backend c;
	char want[256];

	memset(want, 0x11, sizeof(want));
	if (hshm_shm_attach(&c, &f->ctx, HSHM_GPU_SHM_MMAP, "/shared"))
		return 10;
	if (hshm_is_owner(&c) || hshm_data_id(&c) != 0 ||
	    hshm_data_capacity(&c) != 2 * MIB - 8192 ||
	    hshm_data(&c) != hshm_region(&c) + 4096)
		return 11;
	if (memcmp(hshm_data(&c), want, sizeof(want)))
		return 12;
	memset(hshm_data(&c) + MIB, 0x22, 256);
	hshm_shm_detach(&c);
	return 0;
}

static void double_gpu_shm_child_attaches_by_url(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend b;
	char want[256];
	pid_t pid;

	make(f, &b, "/shared", 2 * MIB, 0);
	memset(hshm_data(&b), 0x11, 256);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child_attach(f));
	assert_int_equal(wait_child(pid), 0);
	memset(want, 0x22, sizeof(want));
	assert_memory_equal(hshm_data(&b) + MIB, want, sizeof(want));
	assert_int_equal(hshm_shm_destroy(&b), 0);
}

static void double_gpu_shm_attach_fd_keeps_callers_fd(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend b, c;
	int fd;

	make(f, &b, "/byfd", MIB, 0);
	fd = obj_open(f, "byfd", O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(hshm_shm_attach_fd(&c, &f->ctx, HSHM_GPU_SHM_MMAP, fd,
					    "/byfd"), 0);
	assert_false(hshm_is_owner(&c));
	assert_string_equal(hshm_backend_url(&c), "/byfd");
	assert_int_not_equal(hshm_backend_fd(&c), fd);
	memcpy(hshm_data(&b), "seen", 4);
	assert_memory_equal(hshm_data(&c), "seen", 4);
	hshm_shm_detach(&c);
	assert_int_equal(fcntl(fd, F_GETFD) >= 0, 1); /* still the caller's */
	close(fd);
	hshm_shm_destroy(&b);
}

/* Attach to "name" expecting @err and exactly one log line. */
static void attach_fails(struct fixture *f, const char *url, int err)
{
	struct hshm_backend c = { .fd = -1 };

	f->logs = 0;
	assert_int_equal(hshm_shm_attach(&c, &f->ctx, HSHM_GPU_SHM_MMAP, url),
			 err);
	assert_int_equal(f->logs, 1);
	assert_null(hshm_region(&c));
}

static void double_gpu_shm_truncated_object_no_sigbus(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend b;
	int fd;

	make(f, &b, "/t", 2 * MIB, 0);
	hshm_shm_detach(&b);
	fd = obj_open(f, "t", O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, MIB), 0); /* shorter than backend_size */
	attach_fails(f, "/t", -EBADMSG);
	assert_int_equal(ftruncate(fd, 3 * MIB), 0); /* longer */
	attach_fails(f, "/t", -EBADMSG);
	assert_int_equal(ftruncate(fd, 100), 0); /* not even a header page */
	attach_fails(f, "/t", -ENODATA);
	assert_int_equal(ftruncate(fd, 0), 0);
	attach_fails(f, "/t", -ENODATA);
	close(fd);
	attach_fails(f, "/missing", -ENOENT);
}

/* Write a 1 MiB object whose header page is @page. */
static void write_obj(struct fixture *f, const char *name,
		      const unsigned char *page)
{
	int fd = obj_open(f, name, O_RDWR | O_CREAT | O_TRUNC);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, MIB), 0);
	assert_int_equal(pwrite(fd, page, PAGE, 0), PAGE);
	close(fd);
}

/* A header built by hand from the reference offsets. */
static void ref_header(unsigned char *p)
{
	memset(p, 0, PAGE);
	put_le(p + 0, 3, 4);
	put_le(p + 4, 4, 4);
	put_le(p + 16, MIB, 8);
	put_le(p + 24, MIB - 8192, 8);
	put_le(p + 32, 0, 4);
	put_le(p + 40, 8192, 8);
}

static void corrupt_case(struct fixture *f, int off, uint64_t v, int n, int err)
{
	unsigned char p[PAGE];

	ref_header(p);
	put_le(p + off, v, n);
	write_obj(f, "c", p);
	attach_fails(f, "/c", err);
}

static void double_gpu_shm_corrupt_header_errno(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend c;
	unsigned char p[PAGE];

	ref_header(p);
	write_obj(f, "c", p);
	assert_int_equal(hshm_shm_attach(&c, &f->ctx, HSHM_GPU_SHM_MMAP, "/c"), 0);
	assert_int_equal(hshm_data_capacity(&c), MIB - 8192);
	assert_int_equal(hshm_backend_id(&c).major, 3);
	hshm_shm_detach(&c);
	corrupt_case(f, 40, 4096, 8, -EBADMSG);       /* priv_header_off */
	corrupt_case(f, 24, MIB - 4096, 8, -EBADMSG); /* data_capacity */
	corrupt_case(f, 16, 2 * MIB, 8, -EBADMSG);    /* backend_size */
	corrupt_case(f, 32, UINT32_MAX, 4, -EBADMSG); /* data_id -1 */
	corrupt_case(f, 8, 2, 8, -EBADMSG);           /* stored flags */
	corrupt_case(f, 0, UINT64_MAX, 8, -EBADMSG);  /* null id */
	corrupt_case(f, 40, 0, 8, -EPROTONOSUPPORT);  /* newer upstream */
}

/*
 * A runtime that behaves like the double but, while registering, writes
 * data_id = 3 into the mapping it is given: another process changing the
 * header between validation and use.  It records the devices it was asked
 * for.
 */
static int scribble_reg_dev = -1, scribble_unreg_dev = -1;

static int scribble_register(int device, void *p, size_t n)
{
	scribble_reg_dev = device;
	put_le((unsigned char *)p + 32, 3, 4);
	return hshm_gpu_double()->host_register(device, p, n);
}

static int scribble_unregister(int device, void *p)
{
	scribble_unreg_dev = device;
	return hshm_gpu_double()->host_unregister(device, p);
}

static void double_gpu_shm_attach_uses_validated_data_id(void **state)
{
	struct fixture *f = *state;
	struct hshm_gpu_runtime rt = *hshm_gpu_double();
	struct hshm_backend a, b;

	setenv("HSHM_GPU_DOUBLE_DEVICES", "4", 1);
	make(f, &a, "/r", MIB, 0);
	rt.host_register = scribble_register;
	rt.host_unregister = scribble_unregister;
	f->ctx.gpu = &rt;
	assert_int_equal(hshm_shm_attach(&b, &f->ctx, HSHM_GPU_SHM_MMAP, "/r"),
			 0);
	assert_int_equal(scribble_reg_dev, 0);
	assert_int_equal(b.device, 0); /* the validated value, not 3 */
	hshm_shm_detach(&b);
	assert_int_equal(scribble_unreg_dev, 0);
	f->ctx.gpu = hshm_gpu_double();
	hshm_shm_destroy(&a);
}

/* Destroy removes the name only while it still names its own object. */
static void double_gpu_shm_destroy_spares_replacement(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend a, c;

	make(f, &a, "/r", MIB, 0);
	assert_int_equal(unlinkat(f->ctx.shm_dirfd, "r", 0), 0);
	make(f, &c, "/r", 2 * MIB, 0);
	f->logs = 0;
	assert_int_equal(hshm_shm_destroy(&a), -ENOENT);
	assert_int_equal(f->logs, 1);
	assert_true(obj_exists(f, "r"));
	assert_int_equal(obj_size(f, "r"), 2 * MIB);
	assert_int_equal(hshm_shm_destroy(&c), 0);
	assert_false(obj_exists(f, "r"));
}

static void double_gpu_shm_no_runtime_eopnotsupp(void **state)
{
	struct fixture *f = *state;
	struct hshm_init_args a = { .id = { 1, 1 }, .size = MIB, .url = "/n" };
	struct hshm_backend b;

	make(f, &b, "/n2", MIB, 0);
	f->ctx.gpu = NULL;
	assert_int_equal(hshm_shm_init(&b, &f->ctx, HSHM_GPU_SHM_MMAP, &a),
			 -EOPNOTSUPP);
	assert_false(obj_exists(f, "n"));
	attach_fails(f, "/n2", -EOPNOTSUPP);
	hshm_shm_detach(&b);
}

static void double_gpu_shm_name_in_use_eexist(void **state)
{
	struct fixture *f = *state;
	struct hshm_init_args a = { .id = { 1, 1 }, .size = MIB, .url = "/x" };
	struct hshm_backend b, c;

	make(f, &b, "/x", MIB, 0);
	assert_int_equal(hshm_shm_init(&c, &f->ctx, HSHM_GPU_SHM_MMAP, &a),
			 -EEXIST);
	assert_true(obj_exists(f, "x"));
	a.url = "no-slash";
	assert_int_equal(hshm_shm_init(&c, &f->ctx, HSHM_GPU_SHM_MMAP, &a),
			 -EINVAL);
	hshm_shm_destroy(&b);
}

static void fill(char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (char)(i * 31 + seed);
}

static void double_gpu_shm_resize_preserves_data(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend b;
	unsigned char page[PAGE];
	char want[8192];
	size_t len;

	fill(want, sizeof(want), 5);
	make(f, &b, "/rs", MIB, 0);
	memcpy(hshm_data(&b), want, sizeof(want));
	assert_int_equal(hshm_shm_resize(&b, 3 * MIB), 0);
	assert_int_equal(obj_size(f, "rs"), 3 * MIB);
	obj_read(f, "rs", page, PAGE, 0);
	expect_header(page, 3 * MIB, 0);
	assert_int_equal(hshm_data_capacity(&b), 3 * MIB - 8192);
	assert_memory_equal(hshm_data(&b), want, sizeof(want));
	assert_ptr_equal(hshm_spare(&b, &len), hshm_region(&b) + 3 * MIB - 4096);
	memset(hshm_data(&b) + 2 * MIB, 0x77, 16); /* new pages usable */
	assert_int_equal(hshm_shm_resize(&b, MIB + 8192), 0);
	assert_int_equal(obj_size(f, "rs"), MIB + 8192);
	obj_read(f, "rs", page, PAGE, 0);
	expect_header(page, MIB + 8192, 0);
	assert_memory_equal(hshm_data(&b), want, sizeof(want));
	assert_int_equal(hshm_shm_resize(&b, 8192 - 1), -EINVAL);
	assert_int_equal(hshm_image_size(&b), MIB + 8192);
	/* Smallest image: header page and the unused page, no data. */
	assert_int_equal(hshm_shm_resize(&b, 8192), 0);
	assert_int_equal(hshm_data_capacity(&b), 0);
	assert_ptr_equal(hshm_spare(&b, &len), hshm_region(&b) + 4096);
	assert_int_equal(hshm_shm_resize(&b, 2 * MIB), 0);
	obj_read(f, "rs", page, PAGE, 0);
	expect_header(page, 2 * MIB, 0);
	hshm_shm_destroy(&b);
}

static void double_gpu_shm_refresh_follows_resize(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend b, c;

	make(f, &b, "/rf", MIB, 0);
	memcpy(hshm_data(&b), "before", 6);
	assert_int_equal(hshm_shm_attach(&c, &f->ctx, HSHM_GPU_SHM_MMAP, "/rf"), 0);
	assert_int_equal(hshm_shm_resize(&b, 4 * MIB), 0);
	assert_int_equal(hshm_shm_refresh(&c), 0);
	assert_int_equal(hshm_image_size(&c), 4 * MIB);
	assert_int_equal(hshm_data_capacity(&c), 4 * MIB - 8192);
	memcpy(hshm_data(&b) + 3 * MIB, "after", 5);
	assert_memory_equal(hshm_data(&c), "before", 6);
	assert_memory_equal(hshm_data(&c) + 3 * MIB, "after", 5);
	assert_int_equal(hshm_shm_refresh(&c), 0); /* unchanged: no-op */
	hshm_shm_detach(&c);
	hshm_shm_destroy(&b);
}

/* Refresh while another process is mid-grow: retried, not an error. */
static void double_gpu_shm_refresh_mid_grow(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend a, b;
	int grow_fd;

	make(f, &a, "/r", MIB, 0);
	assert_int_equal(hshm_shm_attach(&b, &f->ctx, HSHM_GPU_SHM_MMAP, "/r"),
			 0);
	grow_fd = obj_open(f, "r", O_RDWR);
	assert_true(grow_fd >= 0);
	assert_int_equal(ftruncate(grow_fd, 4 * MIB), 0); /* header not yet */
	/* the resizing process writes the header for the size it already set */
	yield_finish_grow(grow_fd, 4 * MIB, 4 * MIB - 2 * PAGE);
	yields = 0;
	f->logs = 0;
	assert_int_equal(hshm_shm_refresh(&b), 0);
	assert_int_equal(yields, 1);
	assert_int_equal(f->logs, 0);
	assert_int_equal(hshm_image_size(&b), 4 * MIB);
	/* a mismatch that stays: three attempts, then one line */
	assert_int_equal(ftruncate(grow_fd, 5 * MIB), 0);
	yields = 0;
	assert_int_equal(hshm_shm_refresh(&b), -EBADMSG);
	assert_int_equal(yields, 2);
	assert_int_equal(f->logs, 1);
	assert_int_equal(hshm_image_size(&b), 4 * MIB);
	close(grow_fd);
	hshm_shm_detach(&b);
	hshm_shm_destroy(&a);
}

static void double_gpu_shm_pread_pwrite_clamped(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend b;
	char buf[64];

	make(f, &b, "/io", MIB, 0);
	assert_int_equal(hshm_image_pwrite(&b, "abcdef", 6, MIB - 3), 3);
	assert_int_equal(hshm_image_pread(&b, buf, sizeof(buf), MIB - 3), 3);
	assert_memory_equal(buf, "abc", 3);
	assert_int_equal(hshm_image_pread(&b, buf, sizeof(buf), MIB), 0);
	assert_int_equal(hshm_image_pread(&b, buf, 8, 16), 8);
	/* backend_size */
	assert_int_equal(get_le((unsigned char *)buf, 8), MIB);
	hshm_shm_destroy(&b);
	assert_int_equal(hshm_shm_detach(&b), 0); /* idempotent */
}

/* Init failing at @fn after @after calls: -@err, one log line, no object. */
static void init_fails_at(struct fixture *f, enum wrap_fn fn, int after,
			  int err)
{
	struct hshm_init_args a = { .id = { 1, 1 }, .size = MIB, .url = "/w" };
	struct hshm_backend b;

	f->logs = 0;
	wrap_reset();
	wrap_fail(fn, after, err);
	assert_int_equal(hshm_shm_init(&b, &f->ctx, HSHM_GPU_SHM_MMAP, &a), -err);
	wrap_reset();
	assert_int_equal(f->logs, 1);
	assert_false(obj_exists(f, "w"));
}

static void double_gpu_shm_init_failures_leave_nothing(void **state)
{
	struct fixture *f = *state;

	init_fails_at(f, WRAP_FALLOCATE, 0, ENOSPC); /* full tmpfs */
	init_fails_at(f, WRAP_MMAP, 0, ENOMEM);      /* private page */
	init_fails_at(f, WRAP_MMAP, 1, ENOMEM);      /* the object */
	init_fails_at(f, WRAP_OPENAT, 0, EACCES);
}

static void double_gpu_shm_failed_grow_changes_nothing(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend b;
	unsigned char page[PAGE];

	make(f, &b, "/g", MIB, 0);
	memcpy(hshm_data(&b), "keep", 4);
	wrap_reset();
	wrap_fail(WRAP_FALLOCATE, 0, ENOSPC);
	assert_int_equal(hshm_shm_resize(&b, 4 * MIB), -ENOSPC);
	wrap_fail(WRAP_MMAP, 0, ENOMEM);
	assert_int_equal(hshm_shm_resize(&b, 4 * MIB), -ENOMEM);
	wrap_reset();
	assert_int_equal(obj_size(f, "g"), MIB);
	obj_read(f, "g", page, PAGE, 0);
	expect_header(page, MIB, 0);
	assert_int_equal(hshm_image_size(&b), MIB);
	assert_memory_equal(hshm_data(&b), "keep", 4);
	hshm_shm_destroy(&b);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, fixture_teardown)
	const struct CMUnitTest tests[] = {
		T(double_gpu_shm_init_header_bytes),
		T(double_gpu_shm_data_id_is_device),
		T(double_gpu_shm_child_attaches_by_url),
		T(double_gpu_shm_attach_fd_keeps_callers_fd),
		T(double_gpu_shm_truncated_object_no_sigbus),
		T(double_gpu_shm_corrupt_header_errno),
		T(double_gpu_shm_attach_uses_validated_data_id),
		T(double_gpu_shm_destroy_spares_replacement),
		T(double_gpu_shm_no_runtime_eopnotsupp),
		T(double_gpu_shm_name_in_use_eexist),
		T(double_gpu_shm_resize_preserves_data),
		T(double_gpu_shm_refresh_follows_resize),
		T(double_gpu_shm_refresh_mid_grow),
		T(double_gpu_shm_pread_pwrite_clamped),
		T(double_gpu_shm_init_failures_leave_nothing),
		T(double_gpu_shm_failed_grow_changes_nothing),
	};
#undef T

	return cmocka_run_group_tests_name("gpu_shm_mmap", tests, NULL, NULL);
}
