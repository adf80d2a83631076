/* SPDX-License-Identifier: BSD-3-Clause */
/* obj.c: backing objects: open, unlink, size, map, read, reserve, private pages. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend_i.h"

/* ---- objects: open, size, map, reserve ----------------------------------- */

int hshm_obj_open(const struct hshm_ctx *ctx, const char *url, int flags,
		  mode_t mode)
{
	int dirfd = ctx ? ctx->shm_dirfd : -1;
	int fd, err;

	err = hshm_url_check(url);
	if (err)
		return err;
	if (dirfd < 0) {
		dirfd = open("/dev/shm", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0)
			return -errno;
	}
	fd = openat(dirfd, url + 1, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	err = fd < 0 ? -errno : 0;
	if (!ctx || ctx->shm_dirfd < 0)
		close(dirfd);
	return err ? err : fd;
}

int hshm_obj_unlink(const struct hshm_ctx *ctx, const char *url)
{
	int dirfd = ctx ? ctx->shm_dirfd : -1;
	int err = hshm_url_check(url);

	if (err)
		return err;
	if (dirfd < 0) {
		dirfd = open("/dev/shm", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0)
			return -errno;
	}
	err = unlinkat(dirfd, url + 1, 0) ? -errno : 0;
	if (!ctx || ctx->shm_dirfd < 0)
		close(dirfd);
	return err;
}

/* Same file: fstatat(@name, no follow) against fstat(@fd). */
static int same_file(int dirfd, const char *name, int fd)
{
	struct stat at, of;

	if (fstatat(dirfd, name, &at, AT_SYMLINK_NOFOLLOW))
		return -errno;
	if (fstat(fd, &of))
		return -errno;
	return at.st_dev == of.st_dev && at.st_ino == of.st_ino ? 0 : -ESTALE;
}

int hshm_obj_unlink_fd(const struct hshm_ctx *ctx, const char *url, int fd,
		       bool *replaced)
{
	int dirfd = ctx ? ctx->shm_dirfd : -1;
	int err = hshm_url_check(url);

	*replaced = false;
	if (err)
		return err;
	if (dirfd < 0) {
		dirfd = open("/dev/shm", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0)
			return -errno;
	}
	err = same_file(dirfd, url + 1, fd);
	if (!err && unlinkat(dirfd, url + 1, 0))
		err = -errno;
	*replaced = err == -ESTALE;
	if (*replaced)
		err = -ENOENT;
	if (!ctx || ctx->shm_dirfd < 0)
		close(dirfd);
	return err;
}

int hshm_obj_size(int fd, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	*size = (uint64_t)st.st_size;
	return 0;
}

int hshm_map_shared(int fd, uint64_t len, char **out)
{
	void *p;

	if (len == 0)
		return -EINVAL;
	if (len > SIZE_MAX)
		return -ENOMEM;
	p = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	*out = p;
	return 0;
}

int hshm_obj_read_page(int fd, uint64_t size, unsigned char page[HSHM_PAGE])
{
	size_t want = size < HSHM_PAGE ? (size_t)size : HSHM_PAGE;
	size_t got = 0;

	memset(page, 0, HSHM_PAGE);
	while (got < want) {
		ssize_t n = pread(fd, page + got, want - got, (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENODATA; /* shrunk under us */
		got += (size_t)n;
	}
	return 0;
}

int hshm_obj_reserve(int fd, uint64_t off, uint64_t len)
{
	int err;

	if (len == 0)
		return 0;
	if (fallocate(fd, 0, (off_t)off, (off_t)len) == 0)
		return 0;
	if (errno != EOPNOTSUPP)
		return -errno;
	err = posix_fallocate(fd, (off_t)off, (off_t)len);
	return -err;
}

int hshm_priv_page_alloc(void **out)
{
	void *p = mmap(NULL, HSHM_PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	*out = p;
	return 0;
}

void hshm_priv_page_free(void *page)
{
	if (page)
		munmap(page, HSHM_PAGE);
}
