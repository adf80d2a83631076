/* SPDX-License-Identifier: BSD-3-Clause */
/* yield_hook.c: this program's sched_yield() (see yield_hook.h). */
#include <sched.h>
#include <stdbool.h>

#include "fixture.h"
#include "yield_hook.h"

int yields;

static bool armed;
static int grow_fd = -1;
static uint64_t grow_size, grow_capacity;

void yield_finish_grow(int fd, uint64_t backend_size, uint64_t data_capacity)
{
	grow_fd = fd;
	grow_size = backend_size;
	grow_capacity = data_capacity;
	armed = true;
}

int sched_yield(void)
{
	yields++;
	if (armed) {
		armed = false;
		pwrite_le(grow_fd, 16, grow_size, 8);
		pwrite_le(grow_fd, 24, grow_capacity, 8);
	}
	return 0;
}
