/* SPDX-License-Identifier: BSD-3-Clause */
/* holdtool.c: processes that hold regions (open, mapped, IPC handle), for
 * the inspection tests and their cost measurement. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "hshmfs/ioctl.h"

/*
 * holdtool hold READY SPEC...
 *     hold every SPEC, then create the file READY (its content: our pid) and
 *     wait for SIGTERM.  SPEC is HOW:PATH with HOW one of
 *       fd    open read-only, keep the fd
 *       map   open, mmap the whole file MAP_SHARED, close the fd
 *       both  open and mmap, keep both
 *       ipc   open read-write, ioctl HSHMFS_IOC_GPU_INFO, close
 *     A leading "fork+" (fork+fd:PATH) forks once all is held: the child
 *     inherits everything, and both wait.
 * holdtool spawn READY N HOW PATTERN
 *     fork N children, child i holding HOW:PATTERN with %d replaced by i;
 *     READY once all of them are ready; SIGTERM ends them all.
 * holdtool xtime FILE ATTR N GAP_MS
 *     N getxattr(FILE, ATTR) calls GAP_MS ms apart; prints the minimum,
 *     median and maximum time of one call in microseconds, and the value's
 *     length.
 * Exit status 2 when a step fails (the message on stderr).
 */

#define DIE(...) do { fprintf(stderr, "holdtool: " __VA_ARGS__); \
		      fputc('\n', stderr); exit(2); } while (0)

static bool is(const char *spec, size_t how, const char *word)
{
	return how == strlen(word) && !strncmp(spec, word, how);
}

static void hold_one(const char *spec)
{
	const char *path = strchr(spec, ':');
	size_t how = path ? (size_t)(path - spec) : 0;
	struct hshmfs_gpu_info gi;
	struct stat st;
	bool map, keep;
	int fd;

	if (!path)
		DIE("bad spec '%s'", spec);
	path++;
	if (is(spec, how, "ipc")) {
		fd = open(path, O_RDWR);
		if (fd < 0 || ioctl(fd, HSHMFS_IOC_GPU_INFO, &gi))
			DIE("ipc %s: %s", path, strerror(errno));
		close(fd);
		return;
	}
	map = is(spec, how, "map") || is(spec, how, "both");
	keep = is(spec, how, "fd") || is(spec, how, "both");
	if (!map && !keep)
		DIE("bad spec '%s'", spec);
	fd = open(path, map ? O_RDWR : O_RDONLY);
	if (fd < 0 || fstat(fd, &st))
		DIE("open %s: %s", path, strerror(errno));
	if (map && mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
			MAP_SHARED, fd, 0) == MAP_FAILED)
		DIE("mmap %s: %s", path, strerror(errno));
	if (!keep)
		close(fd);
}

static void ready(const char *file)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) ||
	    rename(tmp, file))
		DIE("ready file %s: %s", file, strerror(errno));
}

static void wait_term(void)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigwait(&set, &sig);
}

static int cmd_hold(int argc, char **argv)
{
	bool fork_after = false;

	for (int i = 0; i < argc; i++) {
		const char *s = argv[i];

		if (!strncmp(s, "fork+", 5)) {
			fork_after = true;
			s += 5;
		}
		hold_one(s);
	}
	if (fork_after) {
		pid_t c = fork();

		if (c < 0)
			DIE("fork: %s", strerror(errno));
		if (c == 0) {
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			wait_term();
			return 0;
		}
	}
	ready(argv[-1]);
	wait_term();
	return 0;
}

/* @pattern with its first "%d" replaced by @i. */
static void subst(const char *pattern, int i, char *out, size_t len)
{
	const char *d = strstr(pattern, "%d");

	if (!d)
		DIE("pattern '%s' has no %%d", pattern);
	snprintf(out, len, "%.*s%d%s", (int)(d - pattern), pattern, i, d + 2);
}

static int cmd_spawn(char **argv)
{
	int n = atoi(argv[1]), p[2];
	char spec[4096], path[4000], c;
	pid_t *kids;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL); /* children inherit it */
	kids = calloc((size_t)(n > 0 ? n : 1), sizeof(*kids));
	if (n <= 0 || !kids || pipe(p))
		DIE("spawn: bad count, no memory or no pipe");
	for (int i = 0; i < n; i++) {
		pid_t pid = kids[i] = fork();

		if (pid < 0)
			DIE("fork %d: %s", i, strerror(errno));
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			close(p[0]);
			subst(argv[3], i, path, sizeof(path));
			snprintf(spec, sizeof(spec), "%s:%s", argv[2], path);
			hold_one(spec);
			if (write(p[1], "x", 1) != 1)
				DIE("ready pipe");
			close(p[1]);
			wait_term();
			_exit(0);
		}
	}
	close(p[1]);
	for (int i = 0; i < n; i++)
		if (read(p[0], &c, 1) != 1)
			DIE("a child failed (%d of %d ready)", i, n);
	ready(argv[0]);
	wait_term();
	for (int i = 0; i < n; i++)
		kill(kids[i], SIGTERM);
	while (wait(NULL) > 0)
		;
	free(kids);
	return 0;
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmd_xtime(char **argv)
{
	int n = atoi(argv[2]), gap = atoi(argv[3]);
	static char val[65536];
	double *t = calloc((size_t)(n > 0 ? n : 1), sizeof(*t));
	struct timespec ts = { gap / 1000, (long)(gap % 1000) * 1000000L };
	ssize_t len = 0;

	if (n <= 0 || !t)
		DIE("xtime: bad count");
	for (int i = 0; i < n; i++) {
		double t0;

		if (gap)
			nanosleep(&ts, NULL);
		t0 = now_us();
		len = getxattr(argv[0], argv[1], val, sizeof(val));
		t[i] = now_us() - t0;
		if (len < 0)
			DIE("getxattr %s: %s", argv[1], strerror(errno));
	}
	qsort(t, (size_t)n, sizeof(*t), dbl_cmp);
	printf("min %.0f us, median %.0f us, max %.0f us, %zd bytes\n", t[0],
	       t[n / 2], t[n - 1], len);
	free(t);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "xtime"))
		return cmd_xtime(argv + 2);
	if (argc >= 4 && !strcmp(argv[1], "hold"))
		return cmd_hold(argc - 3, argv + 3);
	if (argc == 6 && !strcmp(argv[1], "spawn"))
		return cmd_spawn(argv + 2);
	fprintf(stderr, "usage: holdtool hold READY SPEC... | "
		"holdtool spawn READY N HOW PATTERN | "
		"holdtool xtime FILE ATTR N GAP_MS\n");
	return 2;
}
