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
 *   full); a page once populated is marked and not populated again, so
 *   rewrites cost no system call, aligned or not;
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

#define WIN_BITS (8 * sizeof(unsigned long))

struct hshm_window {
	char *p;              /* the mapping, from object offset 0 */
	uint64_t len;         /* bytes mapped (image_size when made) */
	size_t npages;
	unsigned long hot[];  /* a bit a page: populated (atomic, relaxed);
			       * 1/32768 of the window */
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
static int guard_copy(void *dst, const void *src, size_t n)
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
	size_t npages = (size_t)((len + HSHM_PAGE - 1) / HSHM_PAGE);
	size_t nwords = (npages + WIN_BITS - 1) / WIN_BITS;
	struct hshm_window *w;

	w = calloc(1, sizeof(*w) + nwords * sizeof(w->hot[0]));
	if (!w)
		return NULL;
	w->p = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    0);
	if (w->p == MAP_FAILED) {
		free(w);
		return NULL;
	}
	w->len = len;
	w->npages = npages;
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

static bool page_hot(const struct hshm_window *w, size_t pg)
{
	unsigned long word = __atomic_load_n(&w->hot[pg / WIN_BITS],
					     __ATOMIC_RELAXED);

	return (word >> (pg % WIN_BITS)) & 1;
}

static void pages_mark_hot(struct hshm_window *w, size_t pg, size_t end)
{
	for (; pg < end; pg++)
		__atomic_fetch_or(&w->hot[pg / WIN_BITS], 1UL << (pg % WIN_BITS),
				  __ATOMIC_RELAXED);
}

/*
 * Page tables for the pages of [off, off+n): 0, or -EAGAIN when a page
 * cannot be had.  Only pages not populated before, and only those the
 * write covers, so that a sparse (unreserved) object gets no page nobody
 * wrote; each run of them is one madvise.
 */
static int win_populate(struct hshm_window *w, uint64_t off, size_t n)
{
	size_t pg = (size_t)(off / HSHM_PAGE);
	size_t end = (size_t)((off + n + HSHM_PAGE - 1) / HSHM_PAGE);
	size_t run;

	if (end > w->npages)
		end = w->npages;
	while (pg < end) {
		if (page_hot(w, pg)) {
			pg++;
			continue;
		}
		for (run = pg + 1; run < end && !page_hot(w, run); run++)
			;
		if (madvise(w->p + (uint64_t)pg * HSHM_PAGE,
			    (run - pg) * HSHM_PAGE, MADV_POPULATE_WRITE) &&
		    errno != EINVAL) /* EINVAL: an older kernel, faults do it */
			return -EAGAIN;
		pages_mark_hot(w, pg, run);
		pg = run;
	}
	return 0;
}

/*
 * Under ThreadSanitizer the window takes no writes (pwrite serves them):
 * a SIGBUS raised inside TSan's memcpy interceptor is not reliably handed
 * to the guard (the daemon sometimes died of it in it/hostile_object), and
 * stores into region memory would "race" with TSan's model of the kernel
 * reading the same pages for a reply.  So a TSan build reaches region
 * memory only through the kernel; ASan and plain builds test the guard.
 */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define HSHM_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define HSHM_TSAN 1
#endif

ssize_t hshm_win_pwrite(struct hshm_backend *b, const void *buf, size_t n,
			uint64_t off)
{
	struct hshm_window *w;
	int err;

#ifdef HSHM_TSAN
	return -EAGAIN;
#endif
	w = win_get(b);
	if (!w || off + n > w->len)
		return -EAGAIN;
	err = win_populate(w, off, n);
	if (!err)
		err = guard_copy(w->p + off, buf, n);
	return err ? err : (ssize_t)n;
}

HSHM_EXPORT bool hshm_win_reads(const struct hshm_backend *b)
{
	return b->ctx && b->ctx->write_window && b->fd >= 0 &&
	       !(b->flags & HSHM_FLAG_NORESERVE) &&
	       !__atomic_load_n(&b->win_off, __ATOMIC_RELAXED);
}

HSHM_EXPORT int hshm_win_span(struct hshm_backend *b, uint64_t off, size_t n,
				const void **p)
{
	struct hshm_window *w;

	*p = NULL;
	if (!n || !hshm_win_reads(b)) /* must not fill a sparse view's holes */
		return -EAGAIN;
	w = win_get(b);
	if (!w || off > w->len || n > w->len - off || win_populate(w, off, n))
		return -EAGAIN;
	*p = w->p + off;
	return 0;
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
