/* SPDX-License-Identifier: BSD-3-Clause */
/* stress.c: many processes and threads working on one hshmfs directory. */

/*
 * stress DIR PROCS THREADS SECONDS
 * Every thread loops over: create a region (its own name), write a pattern
 * unique to (thread, round) through write(2) and through mmap, read it back
 * both ways, grow it with ftruncate, chown it, rename it inside DIR (and
 * onto a name another thread may be using, which must be atomic), list DIR,
 * and unlink it.  Any byte that reads back wrong, or any syscall failing
 * with an errno a user would not expect, is counted as an error.  Exit
 * status: 0 if no error, 1 otherwise; a summary line goes to stdout.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DATA_OFF 8192
#define CHUNK 65536

struct worker {
	const char *dir;
	int proc, thread;
	time_t until;
	unsigned long rounds, errors;
};

static void err(struct worker *w, const char *what, const char *path)
{
	fprintf(stderr, "stress[%d.%d]: %s %s: %s\n", w->proc, w->thread, what,
		path, strerror(errno));
	w->errors++;
}

static void pattern(unsigned char *buf, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (unsigned char)(seed * 131u + i * 7u);
}

static int rw_check(struct worker *w, int fd, const char *path, unsigned seed)
{
	unsigned char a[CHUNK], b[CHUNK];

	pattern(a, sizeof(a), seed);
	if (pwrite(fd, a, sizeof(a), DATA_OFF) != (ssize_t)sizeof(a))
		return err(w, "pwrite", path), -1;
	if (pread(fd, b, sizeof(b), DATA_OFF) != (ssize_t)sizeof(b))
		return err(w, "pread", path), -1;
	if (memcmp(a, b, sizeof(a))) {
		errno = EILSEQ;
		return err(w, "read-back after write(2)", path), -1;
	}
	return 0;
}

static int mmap_check(struct worker *w, int fd, const char *path, unsigned seed)
{
	unsigned char a[CHUNK], b[CHUNK];
	size_t len = DATA_OFF + 2 * CHUNK;
	unsigned char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
				fd, 0);

	if (m == MAP_FAILED)
		return err(w, "mmap", path), -1;
	pattern(a, sizeof(a), seed + 1);
	memcpy(m + DATA_OFF + CHUNK, a, sizeof(a));
	if (pread(fd, b, sizeof(b), DATA_OFF + CHUNK) != (ssize_t)sizeof(b) ||
	    memcmp(a, b, sizeof(a))) {
		errno = EILSEQ;
		err(w, "pread after a store through mmap", path);
	}
	munmap(m, len);
	return 0;
}

static void one_round(struct worker *w)
{
	char p1[512], p2[512], shared[512];
	unsigned seed = (unsigned)(w->proc * 1000 + w->thread) * 7919u +
			(unsigned)w->rounds;
	struct stat st;
	int fd;

	snprintf(p1, sizeof(p1), "%s/p%dt%d", w->dir, w->proc, w->thread);
	snprintf(p2, sizeof(p2), "%s/p%dt%d.moved", w->dir, w->proc, w->thread);
	snprintf(shared, sizeof(shared), "%s/shared%d", w->dir, w->thread % 2);
	fd = open(p1, O_RDWR | O_CREAT | O_EXCL, 0640);
	if (fd < 0)
		return err(w, "create", p1);
	rw_check(w, fd, p1, seed);
	mmap_check(w, fd, p1, seed);
	if (ftruncate(fd, 4 << 20))
		err(w, "ftruncate grow", p1);
	else if (fstat(fd, &st) || st.st_size != 4 << 20)
		err(w, "size after ftruncate", p1);
	rw_check(w, fd, p1, seed + 2); /* data survives the resize */
	if (fchown(fd, 65534, 65534))
		err(w, "fchown", p1);
	close(fd);
	if (rename(p1, p2))
		return err(w, "rename", p1);
	if (w->rounds % 3 == 0) { /* contended name: replaced atomically */
		if (rename(p2, shared))
			err(w, "rename over", shared);
		return;
	}
	if (unlink(p2))
		err(w, "unlink", p2);
}

static void list_dir(struct worker *w)
{
	DIR *d = opendir(w->dir);

	if (!d)
		return err(w, "opendir", w->dir);
	while (readdir(d))
		;
	closedir(d);
}

static void *thread_main(void *arg)
{
	struct worker *w = arg;

	while (time(NULL) < w->until) {
		one_round(w);
		list_dir(w);
		w->rounds++;
	}
	return NULL;
}

static int proc_main(const char *dir, int proc, int threads, time_t until)
{
	pthread_t tid[64];
	struct worker w[64];
	unsigned long rounds = 0, errors = 0;

	for (int t = 0; t < threads; t++) {
		w[t] = (struct worker){ .dir = dir, .proc = proc, .thread = t,
					.until = until };
		pthread_create(&tid[t], NULL, thread_main, &w[t]);
	}
	for (int t = 0; t < threads; t++) {
		pthread_join(tid[t], NULL);
		rounds += w[t].rounds;
		errors += w[t].errors;
	}
	printf("proc %d: %lu rounds, %lu errors\n", proc, rounds, errors);
	fflush(stdout);
	return errors ? 1 : 0;
}

int main(int argc, char **argv)
{
	int procs, threads, secs, status, bad = 0;
	time_t until;

	if (argc != 5) {
		fprintf(stderr, "usage: stress DIR PROCS THREADS SECONDS\n");
		return 2;
	}
	procs = atoi(argv[2]);
	threads = atoi(argv[3]);
	secs = atoi(argv[4]);
	if (procs < 1 || procs > 32 || threads < 1 || threads > 64 || secs < 1)
		return 2;
	until = time(NULL) + secs;
	for (int p = 0; p < procs; p++)
		if (fork() == 0)
			_exit(proc_main(argv[1], p, threads, until));
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			bad++;
	printf("stress: %d of %d processes saw errors\n", bad, procs);
	return bad ? 1 : 0;
}
