/* SPDX-License-Identifier: BSD-3-Clause */
/* bus_guard.c: copy into a shared mapping without dying of SIGBUS. */

/*
 * Another process can shrink a region's object at any time; a store into a
 * page past the new end raises SIGBUS.  The daemon's stores into regions go
 * through bus_guard_copy(), which turns that SIGBUS into -EIO for the one
 * request.  The jump buffer is per thread; a SIGBUS anywhere else keeps its
 * default meaning (the handler re-raises it).
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>

#include "fs_i.h"

static __thread sigjmp_buf *bus_env;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	if (bus_env)
		siglongjmp(*bus_env, 1);
	signal(sig, SIG_DFL);
	raise(sig);
	(void)si;
	(void)uc;
}

int bus_guard_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGBUS, &sa, NULL) ? -errno : 0;
}

int bus_guard_copy(void *dst, const void *src, size_t n)
{
	sigjmp_buf env;

	if (sigsetjmp(env, 1)) {
		bus_env = NULL;
		return -EIO;
	}
	bus_env = &env;
	memcpy(dst, src, n);
	bus_env = NULL;
	return 0;
}
