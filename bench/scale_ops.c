/* SPDX-License-Identifier: BSD-3-Clause */
/* scale_ops.c: the timed steps of bench/scale.sh (many files, many threads). */

/*
 *   scale_ops mkmany DIR FROM TO        create DIR/r<FROM>..r<TO - 1> (7
 *                                       digits; open+close)
 *   scale_ops mkdirs DIR FROM TO        mkdir DIR/d<FROM>..
 *   scale_ops lookup DIR N COUNT [R]    stat COUNT names of the N, spread
 *                                       over the directory (a fixed stride);
 *                                       names from R on are d<i> (default:
 *                                       all are r<i>)
 *   scale_ops readdir DIR               one full listing (getdents)
 *   scale_ops io DIR THREADS MIB ONE    T threads, MIB MiB each: warm
 *                                       pwrite, pread, mmap write and read;
 *                                       ONE=1: slices of one file, 0: one
 *                                       file per thread
 *
 * Each prints "us_per_op X" or, for io, "write|read|mmap_write|mmap_read
 * GB/s".  Files in hshmfs are regions in the image view: the data starts at
 * user.hshm.data_offset, read from the file (0 on tmpfs).  Exit 1 on error.
 */
#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define MIB (UINT64_C(1) << 20)
#define CHUNK MIB
#define MAX_THREADS 64
#define PASSES 4

__attribute__((noreturn, format(printf, 1, 2)))
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "scale_ops: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void name_of(char *out, size_t len, const char *dir, char kind,
		    uint64_t i)
{
	if ((size_t)snprintf(out, len, "%s/%c%07" PRIu64, dir, kind, i) >= len)
		die("path too long under %s", dir);
}

static int do_mkmany(const char *dir, uint64_t from, uint64_t to, bool dirs)
{
	uint64_t n = to > from ? to - from : 0;
	char p[4096];
	double t0 = now();

	for (uint64_t i = from; i < to; i++) {
		int fd;

		name_of(p, sizeof(p), dir, dirs ? 'd' : 'r', i);
		if (dirs) {
			if (mkdir(p, 0755) && errno != EEXIST)
				die("mkdir %s: %s", p, strerror(errno));
			continue;
		}
		fd = open(p, O_CREAT | O_EXCL | O_RDWR, 0644);
		if (fd < 0)
			die("create %s: %s", p, strerror(errno));
		close(fd);
	}
	printf("us_per_op %.2f\n", (now() - t0) * 1e6 / (double)(n ? n : 1));
	return 0;
}

/* Names below @nreg are regions (r...), the rest directories (d...). */
static int do_lookup(const char *dir, uint64_t n, uint64_t count,
		     uint64_t nreg)
{
	uint64_t stride = 7919; /* a prime: every name once per n steps */
	char p[4096];
	struct stat st;
	double t0 = now();

	for (uint64_t k = 0; k < count; k++) {
		uint64_t i = (k * stride) % n;

		name_of(p, sizeof(p), dir, i < nreg ? 'r' : 'd', i);
		if (stat(p, &st))
			die("stat %s: %s", p, strerror(errno));
	}
	printf("us_per_op %.2f\n", (now() - t0) * 1e6 / (double)count);
	return 0;
}

static int do_readdir(const char *dir)
{
	uint64_t count = 0;
	double t0 = now();
	DIR *d = opendir(dir);

	if (!d)
		die("opendir %s: %s", dir, strerror(errno));
	while (readdir(d))
		count++;
	closedir(d);
	printf("us_per_op %.2f entries %" PRIu64 " ms %.1f\n",
	       (now() - t0) * 1e6 / (double)count, count,
	       (now() - t0) * 1e3);
	return 0;
}

/* ---- io ----------------------------------------------------------------- */

struct io_file {
	int fd;
	uint64_t doff;  /* data offset of the file (0 on tmpfs) */
	char *map;      /* the whole file, mapped */
	uint64_t size;  /* bytes mapped */
};

struct worker {
	pthread_t th;
	struct io_file *f;
	uint64_t off, len; /* this thread's range, from the data offset */
	char *buf;
	int op;
	pthread_barrier_t *bar;
};

enum { OP_WRITE, OP_READ, OP_MWRITE, OP_MREAD, OP_COUNT };
static const char *const op_names[OP_COUNT] = {
	"write", "read", "mmap_write", "mmap_read",
};

static void run_op(struct worker *w)
{
	char *base = w->f->map + w->f->doff + w->off;
	uint64_t at = w->f->doff + w->off;
	volatile uint64_t sink = 0;

	for (int p = 0; p < PASSES; p++)
		for (uint64_t o = 0; o < w->len; o += CHUNK) {
			ssize_t r = 0;

			if (w->op == OP_WRITE)
				r = pwrite(w->f->fd, w->buf, CHUNK, (off_t)(at + o));
			else if (w->op == OP_READ)
				r = pread(w->f->fd, w->buf, CHUNK, (off_t)(at + o));
			else if (w->op == OP_MWRITE)
				memcpy(base + o, w->buf, CHUNK);
			else
				memcpy(w->buf, base + o, CHUNK);
			if (w->op <= OP_READ && r != (ssize_t)CHUNK)
				die("%s: %zd: %s", op_names[w->op], r,
				    strerror(errno));
			sink += (uint64_t)w->buf[0];
		}
	(void)sink;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	pthread_barrier_wait(w->bar);
	run_op(w);
	pthread_barrier_wait(w->bar);
	return NULL;
}

static void io_open(struct io_file *f, const char *dir, int i, uint64_t len)
{
	char p[4096], v[32] = "";

	name_of(p, sizeof(p), dir, 'f', (uint64_t)i);
	f->fd = open(p, O_RDWR | O_CREAT, 0644);
	if (f->fd < 0)
		die("create %s: %s", p, strerror(errno));
	f->doff = fgetxattr(f->fd, "user.hshm.data_offset", v, sizeof(v) - 1) > 0
		  ? strtoull(v, NULL, 10) : 0;
	/* hshmfs: the record page follows the data (docs/model.md) */
	f->size = f->doff + len + (f->doff ? 4096 : 0);
	if (ftruncate(f->fd, (off_t)f->size))
		die("ftruncate %s: %s", p, strerror(errno));
	f->map = mmap(NULL, f->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      f->fd, 0);
	if (f->map == MAP_FAILED)
		die("mmap %s: %s", p, strerror(errno));
	memset(f->map + f->doff, 1, len); /* every page exists: warm runs */
}

static void io_close(struct io_file *f, const char *dir, int i)
{
	char p[4096];

	munmap(f->map, f->size);
	close(f->fd);
	name_of(p, sizeof(p), dir, 'f', (uint64_t)i);
	unlink(p);
}

static double io_round(struct worker *w, int threads, int op,
		       pthread_barrier_t *bar)
{
	double t0;

	for (int i = 0; i < threads; i++) {
		w[i].op = op;
		w[i].bar = bar;
		if (pthread_create(&w[i].th, NULL, worker_main, &w[i]))
			die("pthread_create");
	}
	pthread_barrier_wait(bar);
	t0 = now();
	pthread_barrier_wait(bar);
	t0 = now() - t0;
	for (int i = 0; i < threads; i++)
		pthread_join(w[i].th, NULL);
	return t0;
}

static int do_io(const char *dir, int threads, uint64_t mib, bool one)
{
	uint64_t len = mib * MIB;
	int nfiles = one ? 1 : threads;
	struct io_file f[MAX_THREADS];
	struct worker w[MAX_THREADS];
	pthread_barrier_t bar;

	if (threads < 1 || threads > MAX_THREADS || mib == 0)
		die("io: 1..%d threads, MIB > 0", MAX_THREADS);
	for (int i = 0; i < nfiles; i++)
		io_open(&f[i], dir, i, one ? len * (uint64_t)threads : len);
	pthread_barrier_init(&bar, NULL, (unsigned)threads + 1);
	for (int i = 0; i < threads; i++) {
		w[i] = (struct worker){ .f = &f[one ? 0 : i],
					.off = one ? len * (uint64_t)i : 0,
					.len = len };
		w[i].buf = aligned_alloc(4096, CHUNK);
		if (!w[i].buf)
			die("out of memory");
		memset(w[i].buf, 0x5a, CHUNK);
	}
	for (int op = 0; op < OP_COUNT; op++) {
		double t = io_round(w, threads, op, &bar);

		printf("%s %.2f\n", op_names[op],
		       (double)(len * (uint64_t)threads * PASSES) / t / 1e9);
	}
	for (int i = 0; i < threads; i++)
		free(w[i].buf);
	for (int i = 0; i < nfiles; i++)
		io_close(&f[i], dir, i);
	pthread_barrier_destroy(&bar);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && (!strcmp(argv[1], "mkmany") ||
			  !strcmp(argv[1], "mkdirs")))
		return do_mkmany(argv[2], strtoull(argv[3], NULL, 10),
				 strtoull(argv[4], NULL, 10),
				 !strcmp(argv[1], "mkdirs"));
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "lookup"))
		return do_lookup(argv[2], strtoull(argv[3], NULL, 10),
				 strtoull(argv[4], NULL, 10),
				 strtoull(argv[argc == 6 ? 5 : 3], NULL, 10));
	if (argc == 3 && !strcmp(argv[1], "readdir"))
		return do_readdir(argv[2]);
	if (argc == 6 && !strcmp(argv[1], "io"))
		return do_io(argv[2], atoi(argv[3]),
			     strtoull(argv[4], NULL, 10), atoi(argv[5]) != 0);
	fprintf(stderr, "usage: scale_ops mkmany|mkdirs DIR FROM TO | lookup DIR N "
		"COUNT [R] | readdir DIR | io DIR THREADS MIB ONE\n");
	return 2;
}
