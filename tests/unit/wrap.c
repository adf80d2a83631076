/* SPDX-License-Identifier: BSD-3-Clause */
/* wrap.c: the --wrap'ed libc calls of the unit tests (see wrap.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/types.h>

#include "wrap.h"

/*
 * LP64 Linux: off_t is 64-bit, so the plain and 64 aliases share a type.
 * Each real call and its wrapper, both declared (-Wmissing-prototypes).
 */
#define REAL_AND_WRAP(ret, name, params) \
	ret __real_##name params;        \
	ret __wrap_##name params

REAL_AND_WRAP(int, shm_open, (const char *name, int flags, mode_t mode));
REAL_AND_WRAP(int, openat, (int dirfd, const char *path, int flags, ...));
REAL_AND_WRAP(int, openat64, (int dirfd, const char *path, int flags, ...));
REAL_AND_WRAP(int, ftruncate, (int fd, off_t len));
REAL_AND_WRAP(int, ftruncate64, (int fd, off_t len));
REAL_AND_WRAP(int, fallocate, (int fd, int mode, off_t off, off_t len));
REAL_AND_WRAP(int, fallocate64, (int fd, int mode, off_t off, off_t len));
REAL_AND_WRAP(void *, mmap, (void *addr, size_t len, int prot, int flags,
			     int fd, off_t off));
REAL_AND_WRAP(void *, mmap64, (void *addr, size_t len, int prot, int flags,
			       int fd, off_t off));
REAL_AND_WRAP(int, memfd_create, (const char *name, unsigned int flags));

struct wrap_state {
	int countdown; /* < 0: disarmed */
	int err;
	int calls;
};

static struct wrap_state state[WRAP_COUNT] = {
	{ -1, 0, 0 }, { -1, 0, 0 }, { -1, 0, 0 },
	{ -1, 0, 0 }, { -1, 0, 0 }, { -1, 0, 0 },
};

void wrap_fail(enum wrap_fn fn, int after, int err)
{
	state[fn].countdown = after;
	state[fn].err = err;
}

void wrap_reset(void)
{
	for (int i = 0; i < WRAP_COUNT; i++)
		state[i] = (struct wrap_state){ -1, 0, 0 };
}

int wrap_calls(enum wrap_fn fn)
{
	return state[fn].calls;
}

/* Count the call; true (errno set) when this one must fail. */
static bool should_fail(enum wrap_fn fn)
{
	struct wrap_state *s = &state[fn];

	s->calls++;
	if (s->countdown < 0)
		return false;
	if (s->countdown-- > 0)
		return false;
	errno = s->err;
	return true;
}

static mode_t open_mode(int flags, va_list ap)
{
	return (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
}

int __wrap_shm_open(const char *name, int flags, mode_t mode)
{
	return should_fail(WRAP_SHM_OPEN) ? -1
					  : __real_shm_open(name, flags, mode);
}

/* openat and openat64: the mode is passed only when the flags say so. */
#define WRAP_OPENAT_AS(name)                                             \
	int __wrap_##name(int dirfd, const char *path, int flags, ...)   \
	{                                                                \
		va_list ap;                                              \
		mode_t mode;                                             \
									 \
		va_start(ap, flags);                                     \
		mode = open_mode(flags, ap);                             \
		va_end(ap);                                              \
		if (should_fail(WRAP_OPENAT))                            \
			return -1;                                       \
		return __real_##name(dirfd, path, flags, mode);          \
	}

WRAP_OPENAT_AS(openat)
WRAP_OPENAT_AS(openat64)

int __wrap_ftruncate(int fd, off_t len)
{
	return should_fail(WRAP_FTRUNCATE) ? -1 : __real_ftruncate(fd, len);
}

int __wrap_ftruncate64(int fd, off_t len)
{
	return should_fail(WRAP_FTRUNCATE) ? -1 : __real_ftruncate64(fd, len);
}

int __wrap_fallocate(int fd, int mode, off_t off, off_t len)
{
	return should_fail(WRAP_FALLOCATE) ? -1
					   : __real_fallocate(fd, mode, off, len);
}

int __wrap_fallocate64(int fd, int mode, off_t off, off_t len)
{
	return should_fail(WRAP_FALLOCATE)
		       ? -1 : __real_fallocate64(fd, mode, off, len);
}

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd,
		  off_t off)
{
	if (should_fail(WRAP_MMAP))
		return MAP_FAILED;
	return __real_mmap(addr, len, prot, flags, fd, off);
}

void *__wrap_mmap64(void *addr, size_t len, int prot, int flags, int fd,
		    off_t off)
{
	if (should_fail(WRAP_MMAP))
		return MAP_FAILED;
	return __real_mmap64(addr, len, prot, flags, fd, off);
}

int __wrap_memfd_create(const char *name, unsigned int flags)
{
	return should_fail(WRAP_MEMFD_CREATE) ? -1
					      : __real_memfd_create(name, flags);
}
