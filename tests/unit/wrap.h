/* SPDX-License-Identifier: BSD-3-Clause */
/* wrap.h: failure injection for the unit tests through -Wl,--wrap=SYMBOL. */
#ifndef HSHM_TEST_WRAP_H
#define HSHM_TEST_WRAP_H

/*
 * Each wrapped libc call (and its 64-bit alias: openat64, mmap64, ...)
 * passes through to the real one unless armed: wrap_fail(fn, after, err)
 * lets @after calls succeed and makes the next one fail with @err, once.
 * Calls made by the test itself count too, so arm right before the call
 * under test.  Single-threaded tests only.
 */
enum wrap_fn {
	WRAP_SHM_OPEN,
	WRAP_OPENAT,
	WRAP_FTRUNCATE,
	WRAP_FALLOCATE,
	WRAP_MMAP,
	WRAP_MEMFD_CREATE,
	WRAP_COUNT
};

void wrap_fail(enum wrap_fn fn, int after, int err);
/** wrap_reset() - disarm everything and zero the call counts. */
void wrap_reset(void);
/** wrap_calls() - calls of @fn since the last wrap_reset(). */
int wrap_calls(enum wrap_fn fn);

#endif /* HSHM_TEST_WRAP_H */
