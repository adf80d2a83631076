/* SPDX-License-Identifier: BSD-3-Clause */
/* window.c: no_map data writes through a guarded shared mapping. */

/*
 * Under ctx->no_map nothing of a region is mapped for reading its header or
 * record: those are pread/pwrite, always checked against the object's real
 * size.  A pwrite into tmpfs costs twice a memcpy into pages already mapped
 * (per-page lookup and locking: 3.6 against 7.1 GB/s on the project
 * machine), so with ctx->write_window the data bytes that a writer hands
 * over are copied into a shared mapping of the object instead, the window:
 *
 * - made at the first write of a view (mmap of image_size bytes, shared,
 *   read-write), dropped whenever the view's size changes and at detach;
 * - populated, for the pages a write covers, with MADV_POPULATE_WRITE,
 *   which reports a page it cannot supply (past a shrunk object's end, or
 *   a full tmpfs) as an errno, never a signal: the write then takes the
 *   pwrite path, whose errno is the precise one (-EIO shrunk, -ENOSPC
 *   full); a 1 MiB chunk that has been populated whole is not again;
 * - copied into under a SIGBUS guard, for a shrink that races the copy:
 *   the thread jumps back out of the fault and the write fails with -EIO.
 *
 * Nothing is ever read through the window, and no store lands outside the
 * caller's range: the callers check ranges (header pages, spare page)
 * before calling hshm_image_pwrite, as they did for pwrite.
 *
 * Threads: any number may write through one view at once (the window is
 * published with a compare-and-swap, its chunk flags are atomic); changing
 * the view's size (resize, refresh, detach) must exclude them, which is
 * the same rule as for the rest of struct hshm_backend.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "backend_i.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

/** Bytes populated at once, and the unit of the window's "filled" flags. */
#define WIN_CHUNK (1u << 20)

struct hshm_window {
	char *p;              /* the mapping, from object offset 0 */
	uint64_t len;         /* bytes mapped (image_size when made) */
	size_t nchunks;
	unsigned char hot[];  /* per WIN_CHUNK: populated (atomic, relaxed) */
};

/*
 * The guard's state is process-wide because a signal disposition is: the
 * handler finds the copy that faulted through a thread-local pointer (the
 * only one in the library), and what the process had installed before
 * (restored for any SIGBUS that is not ours).  Both are set once, under
 * guard_once, before the first guarded copy.
 */
static _Thread_local sigjmp_buf *volatile guard_env;
static struct sigaction guard_prev;
static pthread_once_t guard_once = PTHREAD_ONCE_INIT;
static int guard_ok; /* written once under guard_once */

static void guard_on_sigbus(int sig, siginfo_t *si, void *uc)
{
	sigjmp_buf *env = guard_env;

	(void)uc;
	if (env && si->si_code > 0) { /* a fault, inside a guarded copy */
		guard_env = NULL;
		siglongjmp(*env, 1);
	}
	/* not ours: the disposition found at install time takes over; a
	 * fault runs again and meets it, a sent signal is sent again */
	sigaction(SIGBUS, &guard_prev, NULL);
	if (si->si_code <= 0)
		raise(sig);
}

static void guard_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = guard_on_sigbus;
	/* NODEFER: SIGBUS stays unblocked across the jump, so sigsetjmp
	 * need not save the mask (no system call per copy) */
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	guard_ok = sigaction(SIGBUS, &sa, &guard_prev) == 0;
}

/* memcpy that returns -EIO instead of dying when a page of @dst is gone. */
static int guard_copy(char *dst, const void *src, size_t n)
{
	sigjmp_buf env;

	if (sigsetjmp(env, 0)) {
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		return -EIO;
	}
	guard_env = &env;
	__atomic_signal_fence(__ATOMIC_SEQ_CST); /* armed before any store */
	memcpy(dst, src, n);
	__atomic_signal_fence(__ATOMIC_SEQ_CST); /* every store done */
	guard_env = NULL;
	return 0;
}

static struct hshm_window *win_new(int fd, uint64_t len)
{
	size_t nchunks = (size_t)((len + WIN_CHUNK - 1) / WIN_CHUNK);
	struct hshm_window *w = calloc(1, sizeof(*w) + nchunks);

	if (!w)
		return NULL;
	w->p = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    0);
	if (w->p == MAP_FAILED) {
		free(w);
		return NULL;
	}
	w->len = len;
	w->nchunks = nchunks;
	return w;
}

/* The view's window, made now if need be; NULL: use pwrite. */
static struct hshm_window *win_get(struct hshm_backend *b)
{
	struct hshm_window *w = __atomic_load_n(&b->win, __ATOMIC_ACQUIRE);
	struct hshm_window *none = NULL;

	if (w || __atomic_load_n(&b->win_off, __ATOMIC_RELAXED))
		return w;
	if (!b->ctx || !b->ctx->write_window || b->fd < 0 || !b->image_size ||
	    b->image_size > SIZE_MAX)
		return NULL;
	pthread_once(&guard_once, guard_install);
	w = guard_ok ? win_new(b->fd, b->image_size) : NULL;
	if (!w) { /* out of mappings (vm.max_map_count) or memory */
		__atomic_store_n(&b->win_off, true, __ATOMIC_RELAXED);
		return NULL;
	}
	if (__atomic_compare_exchange_n(&b->win, &none, w, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return w;
	munmap(w->p, (size_t)w->len); /* another writer made one first */
	free(w);
	return none;
}

/*
 * Page tables for the pages of [off, off+n): 0, or -EAGAIN when a page
 * cannot be had.  Only the pages written are populated, so that a sparse
 * (unreserved) object gets no page nobody wrote; a chunk is marked filled
 * once a write has populated all of it, and is not populated again.
 */
static int win_populate(struct hshm_window *w, uint64_t off, size_t n)
{
	size_t c = (size_t)(off / WIN_CHUNK);
	size_t last = (size_t)((off + n - 1) / WIN_CHUNK);

	for (; c <= last; c++) {
		uint64_t clo = (uint64_t)c * WIN_CHUNK;
		uint64_t chi = w->len - clo < WIN_CHUNK ? w->len : clo + WIN_CHUNK;
		uint64_t lo = off > clo ? off & ~(uint64_t)(HSHM_PAGE - 1) : clo;
		uint64_t hi = off + n < chi ? off + n : chi;

		if (__atomic_load_n(&w->hot[c], __ATOMIC_RELAXED))
			continue;
		hi = (hi + HSHM_PAGE - 1) & ~(uint64_t)(HSHM_PAGE - 1);
		if (hi > chi)
			hi = chi;
		if (madvise(w->p + lo, (size_t)(hi - lo), MADV_POPULATE_WRITE) &&
		    errno != EINVAL) /* EINVAL: an older kernel, faults do it */
			return -EAGAIN;
		if (lo == clo && hi == chi)
			__atomic_store_n(&w->hot[c], 1, __ATOMIC_RELAXED);
	}
	return 0;
}

ssize_t hshm_win_pwrite(struct hshm_backend *b, const void *buf, size_t n,
			uint64_t off)
{
	struct hshm_window *w = win_get(b);
	int err;

	if (!w || off + n > w->len)
		return -EAGAIN;
	err = win_populate(w, off, n);
	if (!err)
		err = guard_copy(w->p + off, buf, n);
	return err ? err : (ssize_t)n;
}

void hshm_win_drop(struct hshm_backend *b)
{
	struct hshm_window *w = b->win;

	b->win = NULL;
	b->win_off = false;
	if (!w)
		return;
	munmap(w->p, (size_t)w->len);
	free(w);
}
