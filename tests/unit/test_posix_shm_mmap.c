/* SPDX-License-Identifier: BSD-3-Clause */
/* test_posix_shm_mmap.c: PosixShmMmap on a private directory under /dev/shm. */
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
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"
#include "hshm/backend.h"
#include "wrap.h"
#include "yield_hook.h"

#define MIB (UINT64_C(1) << 20)
#define URL "/region"

static int setup(void **state)
{
	return fixture_setup(state, "hshm-ut");
}

static int obj_fd(struct fixture *f, const char *url)
{
	int fd = openat(f->ctx.shm_dirfd, url + 1, O_RDWR | O_CLOEXEC);

	assert_true(fd >= 0);
	return fd;
}

static int make(struct fixture *f, struct hshm_backend *b,
		const char *url, uint64_t size)
{
	struct hshm_init_args a = {
		.id = { 7, 9 }, .size = size, .url = url, .device = 0,
	};

	return hshm_shm_init(b, &f->ctx, HSHM_POSIX_SHM_MMAP, &a);
}

/* ---- layout ---- */

static void test_init_layout(void **state)
{
	struct fixture *f = *state;
	unsigned char page[4096];
	struct hshm_backend b;
	struct stat st;
	size_t len;
	int fd;

	assert_int_equal(make(f, &b, URL, MIB), 0);
	fd = obj_fd(f, URL);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, MIB + 4096);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(pread_le(fd, 0, 4), 7);
	assert_int_equal(pread_le(fd, 4, 4), 9);
	assert_int_equal(pread_le(fd, 8, 8), 0);
	assert_int_equal(pread_le(fd, 16, 8), MIB);
	assert_int_equal(pread_le(fd, 24, 8), MIB - 8192);
	assert_int_equal(pread_le(fd, 32, 4), 0xffffffffu);
	assert_int_equal(pread_le(fd, 36, 4), 0);
	assert_int_equal(pread_le(fd, 40, 8), 8192);
	assert_int_equal(pread(fd, page, 4096, 0), 4096);
	for (int i = 48; i < 4096; i++)
		assert_int_equal(page[i], 0);
	assert_int_equal(pread(fd, page, 4096, 4096), 4096);
	for (int i = 0; i < 4096; i++)
		assert_int_equal(page[i], 0);
	/* the view */
	assert_int_equal(hshm_backend_kind(&b), HSHM_POSIX_SHM_MMAP);
	assert_int_equal(b.layout, HSHM_LAYOUT_V1);
	assert_int_equal(hshm_image_size(&b), MIB + 4096);
	assert_int_equal(hshm_backend_size(&b), MIB);
	assert_int_equal(hshm_data_capacity(&b), MIB - 8192);
	assert_int_equal(hshm_data_offset(&b), 8192);
	assert_ptr_equal(hshm_data(&b), hshm_region(&b) + 8192);
	assert_int_equal(hshm_data_id(&b), -1);
	assert_int_equal(hshm_priv_header_off(&b), 8192);
	assert_int_equal(hshm_backend_id(&b).major, 7);
	assert_int_equal(hshm_backend_id(&b).minor, 9);
	assert_string_equal(hshm_backend_url(&b), URL);
	assert_true(hshm_backend_fd(&b) >= 0);
	assert_true(fcntl(hshm_backend_fd(&b), F_GETFD) & FD_CLOEXEC);
	assert_non_null(b.priv_header);
	assert_true((char *)b.priv_header < hshm_region(&b) ||
		    (char *)b.priv_header >= hshm_region(&b) + MIB + 4096);
	assert_ptr_equal(hshm_spare(&b, &len), hshm_region(&b) + MIB);
	assert_int_equal(len, 4096);
	/* data written through the mapping reaches the file at 8192 */
	memcpy(hshm_data(&b), "abc", 3);
	assert_int_equal(pread_le(fd, 8192, 3), 0x636261);
	close(fd);
	assert_int_equal(hshm_shm_destroy(&b), 0);
	assert_int_equal(fixture_entries(f), 0);
	assert_int_equal(f->logs, 0);
}

static void test_init_sizes_and_mode(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend b;
	struct stat st;
	int fd;

	f->ctx.mode = 0640;
	assert_int_equal(make(f, &b, URL, 1), 0); /* raised to 1 MiB */
	assert_int_equal(hshm_backend_size(&b), MIB);
	fd = obj_fd(f, URL);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	close(fd);
	hshm_shm_destroy(&b);
	/* not page aligned: object = backend_size + 4096 */
	assert_int_equal(make(f, &b, URL, MIB + 100), 0);
	assert_int_equal(hshm_image_size(&b), MIB + 100 + 4096);
	assert_int_equal(hshm_data_capacity(&b), MIB + 100 - 8192);
	hshm_shm_destroy(&b);
	assert_int_equal(make(f, &b, URL, UINT64_MAX), -EFBIG);
	assert_int_equal(fixture_entries(f), 0);
}

static void test_init_errors(void **state)
{
	struct fixture *f = *state;
	char url[300];
	struct hshm_backend b, c;
	struct hshm_init_args a = { .id = HSHM_ID_NULL, .size = MIB,
				    .url = URL };

	assert_int_equal(make(f, &b, URL, MIB), 0);
	f->logs = 0;
	assert_int_equal(make(f, &c, URL, MIB), -EEXIST);
	assert_int_equal(f->logs, 1);
	assert_int_equal(fixture_entries(f), 1);
	assert_int_equal(hshm_shm_destroy(&b), 0);
	assert_int_equal(make(f, &b, "noslash", MIB), -EINVAL);
	assert_int_equal(make(f, &b, "/a/b", MIB), -EINVAL);
	assert_int_equal(make(f, &b, "/..", MIB), -EINVAL);
	assert_int_equal(make(f, &b, NULL, MIB), -EINVAL);
	url[0] = '/';
	memset(url + 1, 'x', 256);
	url[257] = '\0';
	assert_int_equal(make(f, &b, url, MIB), -ENAMETOOLONG);
	url[256] = '\0'; /* 255-byte name: the longest */
	assert_int_equal(make(f, &b, url, MIB), 0);
	assert_string_equal(hshm_backend_url(&b), url);
	assert_int_equal(hshm_shm_destroy(&b), 0);
	assert_int_equal(hshm_shm_init(&b, &f->ctx, HSHM_POSIX_SHM_MMAP, &a),
			 -EINVAL);
	assert_int_equal(fixture_entries(f), 0);
}

/* ---- sharing ---- */

static int child_work(const char *dir)
{
	struct hshm_backend b;
	struct hshm_ctx ctx;
	char buf[6] = { 0 };

	hshm_ctx_init(&ctx);
	if (hshm_ctx_open_dir(&ctx, dir) ||
	    hshm_shm_attach(&b, &ctx, HSHM_POSIX_SHM_MMAP, URL))
		return 1;
	if (hshm_is_owner(&b) || hshm_backend_id(&b).minor != 9)
		return 2;
	if (hshm_image_pread(&b, buf, 5, 8192 + 10) != 5 ||
	    strcmp(buf, "hello"))
		return 3;
	memcpy(hshm_data(&b) + 100, "world", 5);
	if (hshm_image_pwrite(&b, "!", 1, 8192 + 200) != 1)
		return 4;
	hshm_shm_detach(&b);
	hshm_ctx_fini(&ctx);
	return 0;
}

static void test_fork_attach(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend b;
	pid_t pid;

	assert_int_equal(make(f, &b, URL, MIB), 0);
	memcpy(hshm_data(&b) + 10, "hello", 5);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child_work(f->dir));
	assert_int_equal(wait_child(pid), 0);
	assert_memory_equal(hshm_data(&b) + 100, "world", 5);
	assert_int_equal(hshm_data(&b)[200], '!');
	assert_int_equal(hshm_shm_destroy(&b), 0);
}

static void test_owner_flags(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend a, b;

	assert_int_equal(make(f, &a, URL, MIB), 0);
	assert_true(hshm_is_owner(&a));
	assert_true(a.flags & HSHM_FLAG_INITIALIZED);
	assert_int_equal(hshm_shm_attach(&b, &f->ctx, HSHM_POSIX_SHM_MMAP, URL),
			 0);
	assert_false(hshm_is_owner(&b));
	assert_true(b.flags & HSHM_FLAG_INITIALIZED);
	assert_ptr_not_equal(a.priv_header, b.priv_header);
	hshm_set_owner(&b);
	hshm_unset_owner(&a);
	assert_true(hshm_is_owner(&b));
	assert_false(hshm_is_owner(&a));
	/* never stored in the region */
	assert_int_equal(a.header->flags, 0);
	hshm_shm_detach(&a);
	assert_int_equal(hshm_shm_detach(&a), 0); /* idempotent */
	assert_int_equal(hshm_shm_destroy(&b), 0);
	assert_int_equal(fixture_entries(f), 0);
}

static void test_attach_fd(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend a, b;
	int fd;

	assert_int_equal(make(f, &a, URL, MIB), 0);
	fd = obj_fd(f, URL);
	assert_int_equal(hshm_shm_attach_fd(&b, &f->ctx, HSHM_POSIX_SHM_MMAP,
					    fd, NULL), 0);
	assert_string_equal(hshm_backend_url(&b), "");
	assert_int_not_equal(hshm_backend_fd(&b), fd);
	assert_int_equal(hshm_shm_destroy(&b), 0); /* no name: detach only */
	assert_int_equal(fixture_entries(f), 1);
	assert_int_equal(hshm_shm_attach_fd(&b, &f->ctx, HSHM_POSIX_SHM_MMAP,
					    fd, URL), 0);
	assert_string_equal(hshm_backend_url(&b), URL);
	hshm_shm_detach(&b);
	assert_true(fcntl(fd, F_GETFD) >= 0); /* still the caller's */
	close(fd);
	assert_int_equal(hshm_shm_destroy(&a), 0);
}

static void test_destroy_twice(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend a, b;

	assert_int_equal(make(f, &a, URL, MIB), 0);
	assert_int_equal(hshm_shm_attach(&b, &f->ctx, HSHM_POSIX_SHM_MMAP, URL),
			 0);
	assert_int_equal(hshm_shm_destroy(&a), 0);
	assert_int_equal(fixture_entries(f), 0);
	assert_int_equal(hshm_shm_destroy(&b), -ENOENT);
	assert_null(b.ops);
	assert_int_equal(hshm_shm_attach(&b, &f->ctx, HSHM_POSIX_SHM_MMAP, URL),
			 -ENOENT);
}

/* Destroy removes the name only while it still names its own object. */
static void test_destroy_spares_replacement(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend a, c;
	int fd;

	assert_int_equal(make(f, &a, URL, MIB), 0);
	assert_int_equal(unlinkat(f->ctx.shm_dirfd, &URL[1], 0), 0);
	assert_int_equal(make(f, &c, URL, 2 * MIB), 0); /* another object */
	f->logs = 0;
	assert_int_equal(hshm_shm_destroy(&a), -ENOENT);
	assert_int_equal(f->logs, 1);
	assert_null(a.ops);
	assert_int_equal(fixture_entries(f), 1);
	fd = obj_fd(f, URL);
	assert_int_equal(fd_size(fd), 2 * MIB + 4096); /* the replacement */
	close(fd);
	assert_int_equal(hshm_shm_destroy(&c), 0);
	assert_int_equal(fixture_entries(f), 0);
}

/* hshm_shm_unlink_fd: the name goes only while it names @fd's object. */
static void test_unlink_fd(void **state)
{
	struct fixture *f = *state;
	int fd, other;

	fd = openat(f->ctx.shm_dirfd, &URL[1], O_RDWR | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(renameat(f->ctx.shm_dirfd, &URL[1], f->ctx.shm_dirfd,
				  "aside"), 0);
	other = openat(f->ctx.shm_dirfd, &URL[1], O_RDWR | O_CREAT | O_EXCL,
		       0600);
	assert_true(other >= 0);
	assert_int_equal(hshm_shm_unlink_fd(&f->ctx, URL, fd), -ESTALE);
	assert_int_equal(fixture_entries(f), 2); /* nothing removed */
	assert_int_equal(hshm_shm_unlink_fd(&f->ctx, URL, -1), -EBADF);
	assert_int_equal(hshm_shm_unlink_fd(&f->ctx, "noslash", fd), -EINVAL);
	assert_int_equal(hshm_shm_unlink_fd(&f->ctx, URL, other), 0);
	assert_int_equal(hshm_shm_unlink_fd(&f->ctx, URL, other), -ENOENT);
	assert_int_equal(unlinkat(f->ctx.shm_dirfd, "aside", 0), 0);
	assert_int_equal(fixture_entries(f), 0);
	close(fd);
	close(other);
}

/* ---- validation on attach ---- */

static int attach(struct fixture *f)
{
	struct hshm_backend b;
	int err;

	f->logs = 0;
	err = hshm_shm_attach(&b, &f->ctx, HSHM_POSIX_SHM_MMAP, URL);
	if (!err)
		hshm_shm_detach(&b);
	else
		assert_int_equal(f->logs, 1);
	return err;
}

static void test_attach_truncated(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend a;
	int fd;

	assert_int_equal(make(f, &a, URL, MIB), 0);
	hshm_shm_detach(&a);
	fd = obj_fd(f, URL);
	assert_int_equal(attach(f), 0);
	assert_int_equal(ftruncate(fd, MIB), 0);
	assert_int_equal(attach(f), -EBADMSG);
	assert_non_null(strstr(f->last, "truncated"));
	assert_int_equal(ftruncate(fd, MIB + 8192), 0);
	assert_int_equal(attach(f), -EBADMSG);
	assert_int_equal(ftruncate(fd, 100), 0);
	assert_int_equal(attach(f), -ENODATA);
	assert_int_equal(ftruncate(fd, 0), 0);
	assert_int_equal(attach(f), -ENODATA);
	close(fd);
}

static void test_attach_corrupt(void **state)
{
	static const struct {
		off_t off;
		uint64_t val;
		unsigned n;
		int err;
	} cases[] = {
		{ 0, UINT64_MAX, 8, -EBADMSG },         /* null id */
		{ 8, 1, 8, -EBADMSG },                  /* INITIALIZED stored */
		{ 8, 2, 8, -EBADMSG },                  /* OWNED stored */
		{ 16, UINT64_C(1) << 63, 8, -EBADMSG }, /* absurd size */
		{ 16, UINT64_MAX, 8, -EBADMSG },
		{ 16, MIB + 4096, 8, -EBADMSG },        /* size mismatch */
		{ 24, MIB, 8, -EBADMSG },               /* capacity */
		{ 24, 0, 8, -EBADMSG },
		{ 32, 0, 4, -EBADMSG },                 /* data_id */
		{ 40, 4096, 8, -EBADMSG },              /* priv_header_off */
		{ 40, 0, 8, -EBADMSG },
		{ 36, 0x12345678, 4, 0 },               /* padding: ignored */
	};
	struct fixture *f = *state;
	struct hshm_backend a;
	unsigned char good[48];
	int fd;

	assert_int_equal(make(f, &a, URL, MIB), 0);
	hshm_shm_detach(&a);
	fd = obj_fd(f, URL);
	assert_int_equal(pread(fd, good, 48, 0), 48);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(pwrite(fd, good, 48, 0), 48);
		pwrite_le(fd, cases[i].off, cases[i].val, cases[i].n);
		assert_int_equal(attach(f), cases[i].err);
	}
	close(fd);
}

static void test_attach_v2(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend b;
	size_t len = 1;
	int fd;

	fd = openat(f->ctx.shm_dirfd, "region", O_RDWR | O_CREAT | O_EXCL,
		    0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, MIB), 0);
	pwrite_le(fd, 0, 5, 4);
	pwrite_le(fd, 4, 6, 4);
	pwrite_le(fd, 16, MIB, 8);
	pwrite_le(fd, 24, MIB - 4096, 8);
	pwrite_le(fd, 32, 0xffffffffu, 4);
	pwrite_le(fd, 4096, 0x2a, 1);
	assert_int_equal(hshm_shm_attach(&b, &f->ctx, HSHM_POSIX_SHM_MMAP, URL),
			 0);
	assert_int_equal(b.layout, HSHM_LAYOUT_V2);
	assert_int_equal(hshm_data_offset(&b), 4096);
	assert_int_equal(hshm_data(&b)[0], 0x2a);
	assert_int_equal(hshm_image_size(&b), MIB);
	assert_int_equal(hshm_data_capacity(&b), MIB - 4096);
	assert_null(hshm_spare(&b, &len));
	assert_int_equal(len, 0);
	assert_int_equal(hshm_shm_resize(&b, 2 * MIB), -EOPNOTSUPP);
	assert_int_equal(fd_size(fd), MIB);
	hshm_shm_detach(&b);
	close(fd);
}

static void test_attach_not_a_file(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend b;

	assert_int_equal(symlinkat("/etc/passwd", f->ctx.shm_dirfd, "link"), 0);
	assert_int_equal(hshm_shm_attach(&b, &f->ctx, HSHM_POSIX_SHM_MMAP,
					 "/link"), -ELOOP);
	assert_int_equal(mkdirat(f->ctx.shm_dirfd, "dir", 0700), 0);
	assert_true(hshm_shm_attach(&b, &f->ctx, HSHM_POSIX_SHM_MMAP, "/dir") <
		    0);
	unlinkat(f->ctx.shm_dirfd, "dir", AT_REMOVEDIR);
	assert_int_equal(hshm_shm_attach(&b, &f->ctx, HSHM_POSIX_SHM_MMAP,
					 "/a/b"), -EINVAL);
}

/* A pipe is no region: -EINVAL, one line saying so. */
static void test_attach_fd_not_regular(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend b;
	int p[2];

	assert_int_equal(pipe(p), 0);
	f->logs = 0;
	assert_int_equal(hshm_shm_attach_fd(&b, &f->ctx, HSHM_POSIX_SHM_MMAP,
					    p[0], NULL), -EINVAL);
	assert_int_equal(f->logs, 1);
	assert_non_null(strstr(f->last, "not a regular file"));
	close(p[0]);
	close(p[1]);
}

/* A NULL buffer: -EINVAL and one line; n == 0 is fine. */
static void test_pread_pwrite_null_buf(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend b;

	assert_int_equal(make(f, &b, URL, MIB), 0);
	f->logs = 0;
	assert_int_equal(hshm_image_pread(&b, NULL, 4, 0), -EINVAL);
	assert_int_equal(hshm_image_pwrite(&b, NULL, 4, 0), -EINVAL);
	assert_int_equal(f->logs, 2);
	assert_int_equal(hshm_image_pread(&b, NULL, 0, 0), 0);
	assert_int_equal(f->logs, 2);
	hshm_shm_destroy(&b);
}

/* ---- resize and refresh ---- */

static void test_resize(void **state)
{
	struct fixture *f = *state;
	const uint64_t big = 2 * MIB + 4096 + 300;
	struct hshm_backend b;
	char buf[4];
	int fd;

	assert_int_equal(make(f, &b, URL, MIB), 0);
	fd = obj_fd(f, URL);
	memcpy(hshm_data(&b), "head", 4);
	memcpy(hshm_data(&b) + MIB - 8192 - 4, "tail", 4);
	assert_int_equal(hshm_shm_resize(&b, big), 0);
	assert_int_equal(fd_size(fd), big);
	assert_int_equal(pread_le(fd, 16, 8), big - 4096);
	assert_int_equal(pread_le(fd, 24, 8), big - 4096 - 8192);
	assert_int_equal(hshm_backend_size(&b), big - 4096);
	assert_int_equal(hshm_data_capacity(&b), big - 4096 - 8192);
	assert_memory_equal(hshm_data(&b), "head", 4);
	assert_memory_equal(hshm_data(&b) + MIB - 8192 - 4, "tail", 4);
	assert_int_equal(hshm_data(&b)[big - 8192 - 1], 0);
	assert_int_equal(pread_le(fd, 0, 4), 7); /* id kept */
	assert_int_equal(hshm_shm_resize(&b, 12288), 0); /* the smallest */
	assert_int_equal(fd_size(fd), 12288);
	assert_int_equal(pread_le(fd, 16, 8), 8192);
	assert_int_equal(pread_le(fd, 24, 8), 0);
	assert_int_equal(hshm_data_capacity(&b), 0);
	assert_int_equal(hshm_image_pread(&b, buf, 4, 0), 4);
	assert_int_equal(hshm_shm_resize(&b, 12287), -EINVAL);
	assert_int_equal(hshm_shm_resize(&b, UINT64_MAX), -EFBIG);
	assert_int_equal(fd_size(fd), 12288);
	assert_int_equal(hshm_shm_resize(&b, 12288), 0); /* same size */
	close(fd);
	assert_int_equal(attach(f), 0); /* still valid */
	hshm_shm_destroy(&b);
}

static void test_refresh(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend a, b;
	int fd;

	assert_int_equal(make(f, &a, URL, MIB), 0);
	assert_int_equal(hshm_shm_attach(&b, &f->ctx, HSHM_POSIX_SHM_MMAP, URL),
			 0);
	assert_int_equal(hshm_shm_refresh(&b), 0);
	assert_int_equal(hshm_shm_resize(&a, 4 * MIB), 0);
	memcpy(hshm_data(&a) + 3 * MIB, "far", 3);
	assert_int_equal(hshm_image_size(&b), MIB + 4096);
	assert_int_equal(hshm_shm_refresh(&b), 0);
	assert_int_equal(hshm_image_size(&b), 4 * MIB);
	assert_int_equal(hshm_data_capacity(&b), 4 * MIB - 4096 - 8192);
	assert_memory_equal(hshm_data(&b) + 3 * MIB, "far", 3);
	/* a change that does not validate leaves the old view */
	fd = obj_fd(f, URL);
	assert_int_equal(ftruncate(fd, 5 * MIB), 0);
	assert_int_equal(hshm_shm_refresh(&b), -EBADMSG);
	assert_int_equal(hshm_image_size(&b), 4 * MIB);
	assert_memory_equal(hshm_data(&b) + 3 * MIB, "far", 3);
	close(fd);
	hshm_shm_detach(&b);
	hshm_shm_destroy(&a);
}

/* Refresh while another process is mid-grow: retried, not an error. */
static void test_refresh_mid_grow(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend a, b;
	int grow_fd;

	assert_int_equal(make(f, &a, URL, MIB), 0);
	assert_int_equal(hshm_shm_attach(&b, &f->ctx, HSHM_POSIX_SHM_MMAP, URL),
			 0);
	grow_fd = obj_fd(f, URL);
	assert_int_equal(ftruncate(grow_fd, 4 * MIB), 0); /* header not yet */
	/* the resizing process writes the header for the size it already set */
	yield_finish_grow(grow_fd, 4 * MIB - 4096, 4 * MIB - 4096 - 8192);
	yields = 0;
	f->logs = 0;
	assert_int_equal(hshm_shm_refresh(&b), 0);
	assert_int_equal(yields, 1);
	assert_int_equal(f->logs, 0);
	assert_int_equal(hshm_image_size(&b), 4 * MIB);
	assert_int_equal(hshm_data_capacity(&b), 4 * MIB - 4096 - 8192);
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

static void test_pread_pwrite_clamp(void **state)
{
	struct fixture *f = *state;
	const uint64_t size = MIB + 4096;
	struct hshm_backend b;
	char buf[16];

	assert_int_equal(make(f, &b, URL, MIB), 0);
	assert_int_equal(hshm_image_pwrite(&b, "0123456789", 10, size - 4), 4);
	assert_int_equal(hshm_image_pread(&b, buf, 16, size - 4), 4);
	assert_memory_equal(buf, "0123", 4);
	assert_int_equal(hshm_image_pread(&b, buf, 16, size), 0);
	assert_int_equal(hshm_image_pwrite(&b, buf, 16, UINT64_MAX), 0);
	assert_int_equal(hshm_image_pread(&b, buf, 0, 0), 0);
	assert_int_equal(hshm_image_pread(&b, buf, 8, 0), 8);
	assert_int_equal(buf[0], 7);
	hshm_shm_destroy(&b);
}

/* ---- no_map: everything through the fd ---- */

static void test_nomap_io(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend b, m;
	char buf[8];
	int fd;

	f->ctx.no_map = true;
	assert_int_equal(make(f, &b, URL, MIB), 0);
	assert_null(hshm_region(&b));
	assert_null(hshm_data(&b));
	assert_null(hshm_spare(&b, NULL));
	fd = obj_fd(f, URL);
	assert_int_equal(pread_le(fd, 0, 4), 7); /* the header reached the object */
	assert_int_equal(pread_le(fd, 16, 8), MIB);
	assert_int_equal(pread_le(fd, 24, 8), MIB - 8192);
	assert_int_equal(hshm_data_capacity(&b), MIB - 8192);
	assert_int_equal(hshm_image_pwrite(&b, "data", 4, 8192), 4);
	assert_int_equal(hshm_spare_pwrite(&b, 0, "spare", 5), 0);
	assert_int_equal(hshm_spare_pread(&b, 0, buf, 5), 0);
	assert_memory_equal(buf, "spare", 5);
	assert_int_equal(hshm_spare_pwrite(&b, 4092, "tail", 4), 0);
	assert_int_equal(hshm_spare_pwrite(&b, 4093, "tail", 4), -ENODATA);
	assert_int_equal(pread(fd, buf, 4, MIB + 4092), 4);
	assert_memory_equal(buf, "tail", 4);
	assert_int_equal(pread(fd, buf, 5, MIB), 5); /* the last page */
	assert_memory_equal(buf, "spare", 5);
	assert_int_equal(hshm_set_id(&b, (struct hshm_backend_id){ 3, 4 }), 0);
	assert_int_equal(pread_le(fd, 0, 4), 3);
	/* grow: the header follows on the object, data stays */
	assert_int_equal(hshm_shm_resize(&b, 4 * MIB), 0);
	assert_int_equal(fd_size(fd), 4 * MIB);
	assert_int_equal(pread_le(fd, 16, 8), 4 * MIB - 4096);
	assert_int_equal(hshm_image_pread(&b, buf, 4, 8192), 4);
	assert_memory_equal(buf, "data", 4);
	/* another process (mapped) resizes; refresh follows from the fd */
	f->ctx.no_map = false;
	assert_int_equal(hshm_shm_attach(&m, &f->ctx, HSHM_POSIX_SHM_MMAP, URL),
			 0);
	assert_int_equal(hshm_shm_resize(&m, 2 * MIB), 0);
	assert_int_equal(hshm_spare_pwrite(&b, 0, "x", 1), -ESTALE);
	assert_int_equal(hshm_shm_refresh(&b), 0);
	assert_int_equal(hshm_image_size(&b), 2 * MIB);
	assert_int_equal(hshm_backend_size(&b), 2 * MIB - 4096);
	assert_int_equal(hshm_spare_pwrite(&b, 0, "x", 1), 0);
	hshm_shm_detach(&m);
	close(fd);
	hshm_shm_destroy(&b);
}

/* An object truncated behind a no_map view: errors, never a signal, and
 * nothing grows the object back. */
static void test_nomap_truncated(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend b;
	char buf[8];
	int fd;

	f->ctx.no_map = true;
	assert_int_equal(make(f, &b, URL, MIB), 0);
	fd = obj_fd(f, URL);
	assert_int_equal(ftruncate(fd, 0), 0);
	f->logs = 0;
	assert_int_equal(hshm_image_pread(&b, buf, 8, 8192), -EIO);
	assert_int_equal(hshm_image_pwrite(&b, "x", 1, 8192), -EIO);
	assert_int_equal(fd_size(fd), 0);
	assert_int_equal(hshm_spare_pwrite(&b, 0, "x", 1), -ESTALE);
	assert_int_equal(hshm_spare_pread(&b, 0, buf, 1), -ESTALE);
	assert_int_equal(hshm_set_id(&b, (struct hshm_backend_id){ 3, 4 }),
			 -ESTALE);
	assert_int_equal(fd_size(fd), 0);
	assert_int_not_equal(hshm_shm_refresh(&b), 0);
	assert_int_equal(hshm_image_size(&b), MIB + 4096); /* old view stays */
	assert_int_equal(hshm_backend_id(&b).major, 7);
	close(fd);
	hshm_shm_destroy(&b);
}

/*
 * write_window: data writes through the guarded mapping.  A chunk written
 * before the object shrank faults inside the copy (the guard's SIGBUS
 * path); one never written fails at populate (the pwrite path): both give
 * -EIO, the process lives, and nothing grows the object back.  Putting the
 * object right makes the same view write again.
 */
static void test_window_io(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend b;
	char buf[8];
	int fd;

	f->ctx.no_map = true;
	f->ctx.write_window = true;
	assert_int_equal(make(f, &b, URL, 4 * MIB), 0);
	fd = obj_fd(f, URL);
	assert_int_equal(hshm_image_pwrite(&b, "abcd", 4, 8192), 4);
	assert_non_null(b.win);
	assert_int_equal(pread(fd, buf, 4, 8192), 4);
	assert_memory_equal(buf, "abcd", 4);
	assert_int_equal(hshm_image_pwrite(&b, "efgh", 4, 8192 + 4), 4);
	assert_int_equal(hshm_image_pread(&b, buf, 8, 8192), 8);
	assert_memory_equal(buf, "abcdefgh", 8);
	assert_int_equal(ftruncate(fd, 0), 0);
	f->logs = 0;
	assert_int_equal(hshm_image_pread(&b, buf, 1, 8192), -EIO); /* hot */
	assert_int_equal(hshm_image_pwrite(&b, "x", 1, 8192), -EIO); /* hot */
	assert_int_equal(hshm_image_pwrite(&b, "x", 1, 3 * MIB), -EIO);
	assert_int_equal(fd_size(fd), 0);
	assert_int_equal(ftruncate(fd, 4 * MIB + 4096), 0);
	assert_int_equal(hshm_image_pwrite(&b, "y", 1, 8192), 1);
	assert_int_equal(hshm_image_pwrite(&b, "z", 1, 3 * MIB), 1);
	assert_int_equal(pread(fd, buf, 1, 3 * MIB), 1);
	assert_int_equal(buf[0], 'z');
	/* a resize drops the window; the next write maps the new size */
	assert_int_equal(hshm_shm_resize(&b, 8 * MIB), 0);
	assert_null(b.win);
	assert_int_equal(hshm_image_pwrite(&b, "w", 1, 7 * MIB), 1);
	assert_non_null(b.win);
	assert_int_equal(pread(fd, buf, 1, 7 * MIB), 1);
	assert_int_equal(buf[0], 'w');
	close(fd);
	hshm_shm_destroy(&b);
	assert_null(b.win);
}

/* A small write populates its own pages only: a sparse object stays so. */
static void test_window_sparse(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend b;
	struct stat st;
	blkcnt_t blocks;
	int fd;

	f->ctx.no_map = true;
	f->ctx.write_window = true;
	assert_int_equal(make(f, &b, URL, 4 * MIB), 0);
	fd = obj_fd(f, URL);
	assert_int_equal(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				   8192, 4 * MIB - 8192), 0);
	assert_int_equal(fstat(fd, &st), 0);
	blocks = st.st_blocks;
	assert_int_equal(hshm_image_pwrite(&b, "abcd", 4, 3 * MIB + 10), 4);
	assert_int_equal(hshm_image_pwrite(&b, "efgh", 4, 2 * MIB - 2), 4);
	assert_int_equal(fstat(fd, &st), 0);
	/* the page written, and the two the second write crosses */
	assert_int_equal((st.st_blocks - blocks) * 512, 3 * 4096);
	close(fd);
	hshm_shm_destroy(&b);
}

/* No window when mmap fails: pwrite serves, and the view stops trying. */
static void test_window_fallback(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend b;
	char buf[4];
	int fd;

	f->ctx.no_map = true;
	f->ctx.write_window = true;
	assert_int_equal(make(f, &b, URL, MIB), 0);
	fd = obj_fd(f, URL);
	wrap_fail(WRAP_MMAP, 0, ENOMEM);
	assert_int_equal(hshm_image_pwrite(&b, "abcd", 4, 8192), 4);
	wrap_reset();
	assert_null(b.win);
	assert_true(b.win_off);
	assert_int_equal(hshm_image_pwrite(&b, "efgh", 4, 8192), 4);
	assert_null(b.win);
	assert_int_equal(pread(fd, buf, 4, 8192), 4);
	assert_memory_equal(buf, "efgh", 4);
	close(fd);
	hshm_shm_destroy(&b);
}

/* A scribbled data_capacity never reaches past backend_size (the spare
 * page), mapped or not. */
static void test_capacity_clamped(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend b;

	assert_int_equal(make(f, &b, URL, MIB), 0);
	put_le((unsigned char *)hshm_region(&b) + 24, UINT64_C(1) << 40, 8);
	assert_int_equal(hshm_data_capacity(&b), MIB - 8192);
	put_le((unsigned char *)hshm_region(&b) + 24, 4096, 8);
	assert_int_equal(hshm_data_capacity(&b), 4096);
	hshm_shm_destroy(&b);
}

/* ---- failure injection: nothing may be left behind ---- */

static void test_inject_init(void **state)
{
	static const struct {
		enum wrap_fn fn;
		int after, err;
	} cases[] = {
		{ WRAP_OPENAT, 0, EACCES },
		{ WRAP_FTRUNCATE, 0, ENOSPC },
		{ WRAP_FALLOCATE, 0, ENOSPC },
		{ WRAP_MMAP, 0, ENOMEM },      /* the private page */
		{ WRAP_MMAP, 1, ENOMEM },      /* the object */
	};
	struct fixture *f = *state;
	struct hshm_backend b;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		wrap_reset();
		f->logs = 0;
		wrap_fail(cases[i].fn, cases[i].after, cases[i].err);
		assert_int_equal(make(f, &b, URL, MIB), -cases[i].err);
		assert_int_equal(f->logs, 1);
		assert_int_equal(fixture_entries(f), 0);
		assert_int_equal(b.fd, -1);
		assert_null(b.ops);
	}
	wrap_reset();
	assert_int_equal(make(f, &b, URL, MIB), 0);
	hshm_shm_destroy(&b);
}

static void test_inject_attach(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend a;

	assert_int_equal(make(f, &a, URL, MIB), 0);
	wrap_fail(WRAP_OPENAT, 0, EACCES);
	assert_int_equal(attach(f), -EACCES);
	wrap_fail(WRAP_MMAP, 0, ENOMEM);
	assert_int_equal(attach(f), -ENOMEM);
	wrap_fail(WRAP_MMAP, 1, ENOMEM);
	assert_int_equal(attach(f), -ENOMEM);
	wrap_reset();
	assert_int_equal(attach(f), 0);
	hshm_shm_destroy(&a);
}

static void test_inject_resize(void **state)
{
	struct fixture *f = *state;
	struct hshm_backend b;
	int fd;

	assert_int_equal(make(f, &b, URL, MIB), 0);
	fd = obj_fd(f, URL);
	memcpy(hshm_data(&b), "keep", 4);
	wrap_fail(WRAP_FALLOCATE, 0, ENOSPC);
	assert_int_equal(hshm_shm_resize(&b, 8 * MIB), -ENOSPC);
	wrap_fail(WRAP_FTRUNCATE, 0, EPERM);
	assert_int_equal(hshm_shm_resize(&b, 8 * MIB), -EPERM);
	wrap_fail(WRAP_MMAP, 0, ENOMEM);
	assert_int_equal(hshm_shm_resize(&b, 8 * MIB), -ENOMEM);
	wrap_fail(WRAP_MMAP, 0, ENOMEM);
	assert_int_equal(hshm_shm_resize(&b, 16384), -ENOMEM);
	wrap_fail(WRAP_FTRUNCATE, 0, EPERM);
	assert_int_equal(hshm_shm_resize(&b, 16384), -EPERM);
	wrap_reset();
	assert_int_equal(fd_size(fd), MIB + 4096);
	assert_int_equal(pread_le(fd, 16, 8), MIB);
	assert_int_equal(pread_le(fd, 24, 8), MIB - 8192);
	assert_int_equal(hshm_image_size(&b), MIB + 4096);
	assert_memory_equal(hshm_data(&b), "keep", 4);
	assert_int_equal(attach(f), 0);
	close(fd);
	hshm_shm_destroy(&b);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_init_layout),
		T(test_init_sizes_and_mode),
		T(test_init_errors),
		T(test_fork_attach),
		T(test_owner_flags),
		T(test_attach_fd),
		T(test_destroy_twice),
		T(test_destroy_spares_replacement),
		T(test_unlink_fd),
		T(test_attach_truncated),
		T(test_attach_corrupt),
		T(test_attach_v2),
		T(test_attach_not_a_file),
		T(test_attach_fd_not_regular),
		T(test_pread_pwrite_null_buf),
		T(test_resize),
		T(test_refresh),
		T(test_refresh_mid_grow),
		T(test_pread_pwrite_clamp),
		T(test_nomap_io),
		T(test_nomap_truncated),
	T(test_window_io),
	T(test_window_sparse),
	T(test_window_fallback),
		T(test_capacity_clamped),
		T(test_inject_init),
		T(test_inject_attach),
		T(test_inject_resize),
	};

	return cmocka_run_group_tests_name("posix_shm_mmap", tests, NULL, NULL);
}
