/* SPDX-License-Identifier: BSD-3-Clause */
/* fixture.c: the scaffolding shared by the backend unit tests (fixture.h). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"
#include "wrap.h"

static void capture(void *arg, int level, const char *msg)
{
	struct fixture *f = arg;

	(void)level;
	f->logs++;
	snprintf(f->last, sizeof(f->last), "%s", msg);
}

void fixture_init(struct fixture *f)
{
	hshm_ctx_init(&f->ctx);
	f->logs = 0;
	f->last[0] = '\0';
	f->ctx.log = capture;
	f->ctx.log_arg = f;
	wrap_reset();
}

int fixture_setup(void **state, const char *prefix)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	fixture_init(f);
	snprintf(f->dir, sizeof(f->dir), "/dev/shm/%s-XXXXXX", prefix);
	if (!mkdtemp(f->dir) || hshm_ctx_open_dir(&f->ctx, f->dir)) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

int fixture_setup_gpu(void **state, const char *prefix)
{
	unsetenv("HSHM_GPU_DOUBLE_DEVICES");
	if (fixture_setup(state, prefix))
		return -1;
	((struct fixture *)*state)->ctx.gpu = hshm_gpu_double();
	return 0;
}

int fixture_teardown(void **state)
{
	struct fixture *f = *state;
	struct dirent *e;
	DIR *d;

	wrap_reset();
	d = fdopendir(dup(f->ctx.shm_dirfd));
	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(f->ctx.shm_dirfd, e->d_name, 0);
	if (d)
		closedir(d);
	hshm_ctx_fini(&f->ctx);
	rmdir(f->dir);
	free(f);
	unsetenv("HSHM_GPU_DOUBLE_DEVICES");
	return 0;
}

int fixture_entries(struct fixture *f)
{
	DIR *d = fdopendir(dup(f->ctx.shm_dirfd));
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	rewinddir(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

int wait_child(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

uint64_t get_le(const unsigned char *p, int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

void put_le(unsigned char *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++, v >>= 8)
		p[i] = (unsigned char)v;
}

uint64_t pread_le(int fd, off_t off, int n)
{
	unsigned char b[8] = { 0 };

	assert_int_equal(pread(fd, b, n, off), n);
	return get_le(b, n);
}

void pwrite_le(int fd, off_t off, uint64_t v, int n)
{
	unsigned char b[8];

	put_le(b, v, n);
	assert_int_equal(pwrite(fd, b, n, off), n);
}

uint64_t fd_size(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return (uint64_t)st.st_size;
}
