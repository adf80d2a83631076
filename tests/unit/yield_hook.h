/* SPDX-License-Identifier: BSD-3-Clause */
/* yield_hook.h: a sched_yield() that plays another process's resize. */
#ifndef HSHM_TEST_YIELD_HOOK_H
#define HSHM_TEST_YIELD_HOOK_H

#include <stdint.h>

/*
 * yield_hook.c defines sched_yield(), which then replaces libc's for the
 * library linked in: link it only into the programs that want that, once.
 * Refresh yields between attempts; each call counts in @yields and, when
 * armed, plays the other process finishing its grow right then.
 */
extern int yields;

/*
 * yield_finish_grow() - arm the next sched_yield() to write @backend_size and
 * @data_capacity (offsets 16 and 24) into the header of the object open as
 * @fd, for the size the resizing process already set; then disarm.
 */
void yield_finish_grow(int fd, uint64_t backend_size, uint64_t data_capacity);

#endif /* HSHM_TEST_YIELD_HOOK_H */
