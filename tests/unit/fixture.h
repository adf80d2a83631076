/* SPDX-License-Identifier: BSD-3-Clause */
/* fixture.h: the scaffolding shared by the backend unit tests (fixture.c). */
#ifndef HSHM_TEST_FIXTURE_H
#define HSHM_TEST_FIXTURE_H

#include <stdint.h>
#include <sys/types.h>

#include "hshm/backend.h"

/*
 * A context whose log lines are counted in @logs (the last one kept in
 * @last) and, for the cmocka setups, a private directory under /dev/shm
 * opened as the context's shm_dirfd.
 */
struct fixture {
	char dir[64];
	struct hshm_ctx ctx;
	int logs;
	char last[512];
};

/** fixture_init() - @f with a capturing context, no directory; wrap_reset(). */
void fixture_init(struct fixture *f);

/*
 * cmocka setups: *state = a new fixture on a fresh "/dev/shm/@prefix-XXXXXX"
 * directory; _gpu also unsets HSHM_GPU_DOUBLE_DEVICES and sets ctx.gpu to
 * the test double.  fixture_teardown() empties and removes the directory,
 * frees the fixture, disarms the wraps and unsets HSHM_GPU_DOUBLE_DEVICES.
 */
int fixture_setup(void **state, const char *prefix);
int fixture_setup_gpu(void **state, const char *prefix);
int fixture_teardown(void **state);

/** fixture_entries() - names in the fixture's directory, "." and ".." aside. */
int fixture_entries(struct fixture *f);

/** wait_child() - reap @pid, which must have exited; its exit status. */
int wait_child(pid_t pid);

/* Little-endian fields: in memory, and read/written at @off of @fd. */
uint64_t get_le(const unsigned char *p, int n);
void put_le(unsigned char *p, uint64_t v, int n);
uint64_t pread_le(int fd, off_t off, int n);
void pwrite_le(int fd, off_t off, uint64_t v, int n);
/** fd_size() - st_size of @fd. */
uint64_t fd_size(int fd);

#endif /* HSHM_TEST_FIXTURE_H */
