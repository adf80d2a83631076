/* SPDX-License-Identifier: BSD-3-Clause */
/* hshmfs_bench.c: hshmfs against plain /dev/shm files, side by side, one run.
 *
 * Every test runs on two sides in the same process: a directory on tmpfs
 * (the "/dev/shm" side) and an hshmfs mount (the "hshmfs" side).  Each
 * repetition runs both sides, alternating which goes first, and the table
 * shows the median of the repetitions and the ratio
 * devshm_time / hshmfs_time (= hshmfs / devshm throughput): higher is
 * better, 1.0 is parity.
 *
 * The mounts are made by the caller (scripts/bench.sh): --daemon-mnt is an
 * hshmfs mount with its defaults (io=readthrough), --pt-mnt one with
 * io=passthrough (optional),
 * --shm-dir a scratch directory on tmpfs.  Region files are sized so that
 * their data area (from user.hshm.data_offset) holds the test size; the
 * /dev/shm files are that size, accessed from offset 0.
 *
 * This is a measurement, not a test: it exits 0 when targets are missed
 * (they are marked MISS) and non-zero only when it cannot measure.
 */
#include <dirent.h>
#include <sched.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define KIB (UINT64_C(1) << 10)
#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)
#define CHUNK MIB
#define SMALL 4096
#define MAX_REPS 101
#define MAX_ROWS 40

enum { DEVSHM = 0, HSHMFS = 1 };
enum unit { U_GBPS, U_USEC, U_OPS };

struct opts {
	const char *shm_dir;
	const char *daemon_mnt;
	const char *pt_mnt;
	uint64_t size;
	int reps;
	unsigned pread_n;
	unsigned meta_n;
	uint64_t meta_size;
	unsigned lat_n;
	unsigned readdir_n;
	unsigned readdir_regions;
	unsigned seed;
	const char *only; /* comma list of groups to run; NULL: all */
};

/* One place a test runs: a directory and where file data starts. */
struct side {
	const char *dir;
	bool hshmfs;
};

/* A file of the test size, open and mapped, data at base + data_off. */
struct wfile {
	char path[4096];
	int fd;
	int rfd; /* a second, read-only open: what cat, cp and readers use */
	off_t data_off;
	char *map; /* the data area, size bytes */
};

struct row {
	char name[96];
	enum unit unit;
	double work; /* bytes (U_GBPS) or operations (U_USEC, U_OPS) */
	double target; /* 0: report only */
	const char *note;
	int n[2];
	double t[2][MAX_REPS]; /* seconds per repetition */
};

static struct opts o = {
	.size = GIB,
	.reps = 5,
	.pread_n = 65536,
	.meta_n = 2000,
	.meta_size = 2 * MIB,
	.lat_n = 20000,
	.readdir_n = 10000,
	.readdir_regions = 1000,
	.seed = 42,
};
static struct row rows[MAX_ROWS];
static int nrows;
static char *buf;   /* o.size bytes, page-aligned, pre-faulted */
static char *chunk; /* CHUNK bytes, page-aligned */
static bool xattr_fallback; /* tmpfs refused user xattrs: stat instead */

__attribute__((format(printf, 1, 2), noreturn))
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "hshmfs_bench: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void barrier(void)
{
	__asm__ volatile("" ::: "memory");
}

static struct row *row_add(const char *name, enum unit u, double work,
			   double target, const char *note)
{
	struct row *r;

	if (nrows == MAX_ROWS)
		die("too many rows");
	r = &rows[nrows++];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->unit = u;
	r->work = work;
	r->target = target;
	r->note = note;
	return r;
}

static void row_put(struct row *r, int side, double secs)
{
	if (r->n[side] < MAX_REPS)
		r->t[side][r->n[side]++] = secs;
}

/* ---- files ---------------------------------------------------------------- */

static void path_of(char *out, size_t len, const struct side *s,
		    const char *name)
{
	if ((size_t)snprintf(out, len, "%s/%s", s->dir, name) >= len)
		die("path too long: %s/%s", s->dir, name);
}

static uint64_t xattr_u64(const char *path, const char *name)
{
	char v[64];
	ssize_t n = getxattr(path, name, v, sizeof(v) - 1);

	if (n < 0)
		die("getxattr %s %s: %s", path, name, strerror(errno));
	v[n] = '\0';
	return strtoull(v, NULL, 10);
}

/* Size the open file @fd at @path so that its data area holds @data bytes;
 * return where the data starts. */
static off_t size_for_data(const struct side *s, const char *path, int fd,
			   uint64_t data)
{
	struct stat st;
	uint64_t off, cap, over;

	if (!s->hshmfs) {
		if (ftruncate(fd, (off_t)data))
			die("ftruncate %s: %s", path, strerror(errno));
		return 0;
	}
	if (fstat(fd, &st))
		die("fstat %s: %s", path, strerror(errno));
	off = xattr_u64(path, "user.hshm.data_offset");
	cap = xattr_u64(path, "user.hshm.data_capacity");
	over = (uint64_t)st.st_size - cap; /* header pages + trailer */
	if (ftruncate(fd, (off_t)(data + over)))
		die("ftruncate %s to %" PRIu64 ": %s", path, data + over,
		    strerror(errno));
	if (xattr_u64(path, "user.hshm.data_capacity") < data)
		die("%s: data capacity below %" PRIu64 " after truncate", path,
		    data);
	return (off_t)off;
}

static void wfile_open(struct wfile *w, const struct side *s, const char *name)
{
	path_of(w->path, sizeof(w->path), s, name);
	unlink(w->path);
	w->fd = open(w->path, O_RDWR | O_CREAT | O_EXCL, 0644);
	if (w->fd < 0)
		die("create %s: %s", w->path, strerror(errno));
	w->data_off = size_for_data(s, w->path, w->fd, o.size);
	w->map = NULL;
	w->rfd = open(w->path, O_RDONLY);
	if (w->rfd < 0)
		die("open %s read-only: %s", w->path, strerror(errno));
}

static void wfile_map(struct wfile *w)
{
	void *p = mmap(NULL, o.size, PROT_READ | PROT_WRITE, MAP_SHARED, w->fd,
		       w->data_off);

	if (p == MAP_FAILED)
		die("mmap %s: %s", w->path, strerror(errno));
	w->map = p;
}

static void wfile_close(struct wfile *w)
{
	if (w->map)
		munmap(w->map, o.size);
	close(w->rfd);
	close(w->fd);
	if (unlink(w->path))
		die("unlink %s: %s", w->path, strerror(errno));
}

/* ---- the tests ---------------------------------------------------------------
 * Each runs one repetition on one side and records its time(s). */

/* Fresh file each time: mmap first-touch write, and the whole life cycle. */
static void t_first_touch(const struct side *s, struct row *touch,
			  struct row *life)
{
	struct wfile w;
	double t0 = now(), t1, t2, t3;

	wfile_open(&w, s, "first_touch");
	wfile_map(&w);
	t1 = now();
	memcpy(w.map, buf, o.size);
	barrier();
	t2 = now();
	munmap(w.map, o.size);
	w.map = NULL;
	close(w.fd);
	t3 = now();
	if (unlink(w.path))
		die("unlink %s: %s", w.path, strerror(errno));
	row_put(touch, s->hshmfs, t2 - t1);
	row_put(life, s->hshmfs, t3 - t0);
}

static void t_mmap_warm(struct wfile *w, int side, struct row *wr,
			struct row *rd)
{
	double t0 = now(), t1, t2;

	memcpy(w->map, buf, o.size);
	barrier();
	t1 = now();
	memcpy(buf, w->map, o.size);
	barrier();
	t2 = now();
	row_put(wr, side, t1 - t0);
	row_put(rd, side, t2 - t1);
}

/* 1 MiB read() calls over the data area on @fd (@rd), then, if @wr, 1 MiB
 * write() calls on the read-write open (@wr). */
static void t_rw(struct wfile *w, int fd, int side, struct row *rd,
		 struct row *wr)
{
	double t0, t1, t2;
	uint64_t done;

	if (lseek(fd, w->data_off, SEEK_SET) < 0)
		die("lseek %s: %s", w->path, strerror(errno));
	t0 = now();
	for (done = 0; done < o.size; done += CHUNK)
		if (read(fd, chunk, CHUNK) != (ssize_t)CHUNK)
			die("read %s at %" PRIu64 ": %s", w->path, done,
			    strerror(errno));
	t1 = now();
	row_put(rd, side, t1 - t0);
	if (!wr)
		return;
	if (lseek(w->fd, w->data_off, SEEK_SET) < 0)
		die("lseek %s: %s", w->path, strerror(errno));
	for (done = 0; done < o.size; done += CHUNK)
		if (write(w->fd, chunk, CHUNK) != (ssize_t)CHUNK)
			die("write %s at %" PRIu64 ": %s", w->path, done,
			    strerror(errno));
	t2 = now();
	row_put(wr, side, t2 - t1);
}

/* Run @argv with stdout to @out (truncated) and wait; seconds it took. */
static double t_spawn(char *const argv[], const char *out)
{
	posix_spawn_file_actions_t fa;
	extern char **environ;
	double t0;
	pid_t pid;
	int st;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT |
					 O_TRUNC, 0644);
	t0 = now();
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ))
		die("spawn %s: %s", argv[0], strerror(errno));
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st))
		die("%s %s failed (status %d)", argv[0], argv[1], st);
	t0 = now() - t0;
	posix_spawn_file_actions_destroy(&fa);
	return t0;
}

/*
 * `cat FILE > tmpfs file` and `cp FILE tmpfs file`: the legacy readers.
 * Between two tmpfs files both use copy_file_range (one in-kernel copy);
 * from a FUSE file the kernel refuses it (EXDEV, another filesystem) and
 * they fall back to read+write.  `cat FILE > /dev/null` is read() on both.
 */
static void t_tools(struct wfile *w, int side, struct row *cat,
		    struct row *catn, struct row *cp)
{
	char out[4096];
	char *cat_argv[] = { "cat", w->path, NULL };
	char *cp_argv[] = { "cp", w->path, out, NULL };

	snprintf(out, sizeof(out), "%s/tool.out", o.shm_dir);
	row_put(cat, side, t_spawn(cat_argv, out));
	unlink(out);
	row_put(catn, side, t_spawn(cat_argv, "/dev/null"));
	row_put(cp, side, t_spawn(cp_argv, "/dev/null"));
	unlink(out);
}

static uint64_t *pread_offs; /* in 4 KiB pages of the data area */

static void pread_offs_make(void)
{
	uint64_t x = o.seed ? o.seed : 1, pages = o.size / SMALL;

	pread_offs = malloc(o.pread_n * sizeof(*pread_offs));
	if (!pread_offs)
		die("out of memory");
	for (unsigned i = 0; i < o.pread_n; i++) { /* xorshift64 */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		pread_offs[i] = x % pages;
	}
}

static void t_pread(struct wfile *w, int side, struct row *r)
{
	double t0 = now();

	for (unsigned i = 0; i < o.pread_n; i++) {
		off_t off = w->data_off + (off_t)(pread_offs[i] * SMALL);

		if (pread(w->rfd, chunk, SMALL, off) != SMALL)
			die("pread %s at %jd: %s", w->path, (intmax_t)off,
			    strerror(errno));
	}
	row_put(r, side, now() - t0);
}

static uint64_t meta_trunc[2]; /* file size giving meta_size of data */

/* @reserve: fallocate the /dev/shm file too, as an HSHM region reserves its
 * memory (hshmfs does that in the daemon on create and truncate). */
static void t_meta(const struct side *s, struct row *r, bool reserve)
{
	char p[4096];
	double t0 = now();

	for (unsigned i = 0; i < o.meta_n; i++) {
		char name[32];
		int fd;

		snprintf(name, sizeof(name), "meta.%u", i);
		path_of(p, sizeof(p), s, name);
		fd = open(p, O_RDWR | O_CREAT | O_EXCL, 0644);
		if (fd < 0)
			die("create %s: %s", p, strerror(errno));
		if (ftruncate(fd, (off_t)meta_trunc[s->hshmfs]))
			die("ftruncate %s: %s", p, strerror(errno));
		if (reserve && !s->hshmfs &&
		    fallocate(fd, 0, 0, (off_t)meta_trunc[0]))
			die("fallocate %s: %s", p, strerror(errno));
		close(fd);
		if (unlink(p))
			die("unlink %s: %s", p, strerror(errno));
	}
	row_put(r, s->hshmfs, now() - t0);
}

static void t_readdir(const struct side *s, struct row *r)
{
	char p[4096];
	unsigned count = 0;
	double t0 = now();
	DIR *d;

	path_of(p, sizeof(p), s, "readdir");
	d = opendir(p);
	if (!d)
		die("opendir %s: %s", p, strerror(errno));
	while (readdir(d))
		count++;
	closedir(d);
	row_put(r, s->hshmfs, now() - t0);
	if (count != o.readdir_n + 2)
		die("readdir %s: %u entries, want %u", p, count,
		    o.readdir_n + 2);
}

static void t_getxattr(const struct side *s, const char *path, struct row *r)
{
	const char *name = s->hshmfs ? "user.hshm.backend_size" : "user.bench";
	char v[64];
	struct stat st;
	double t0 = now();

	for (unsigned i = 0; i < o.lat_n; i++) {
		if (!s->hshmfs && xattr_fallback) {
			if (stat(path, &st))
				die("stat %s: %s", path, strerror(errno));
		} else if (getxattr(path, name, v, sizeof(v)) <= 0) {
			die("getxattr %s %s: %s", path, name, strerror(errno));
		}
	}
	row_put(r, s->hshmfs, now() - t0);
}

static void t_stat(const char *path, int side, struct row *r)
{
	struct stat st;
	double t0 = now();

	for (unsigned i = 0; i < o.lat_n; i++)
		if (stat(path, &st))
			die("stat %s: %s", path, strerror(errno));
	row_put(r, side, now() - t0);
}

/* ---- groups: setup, interleaved repetitions, cleanup ------------------------- */

/* Side order of repetition @rep: alternate so neither side always goes first. */
static int side_at(int rep, int k)
{
	return (rep + k) & 1;
}

static void g_first_touch(const struct side sd[2])
{
	struct row *touch, *life;

	touch = row_add("mmap memcpy write, first touch", U_GBPS,
			(double)o.size, 0.95,
			"fresh file each rep; time of memcpy only");
	life = row_add("create+truncate+mmap+first write+unmap", U_GBPS,
		       (double)o.size, 0.95,
		       "whole life of a fresh file, unlink not timed");
	for (int rep = 0; rep < o.reps; rep++)
		for (int k = 0; k < 2; k++)
			t_first_touch(&sd[side_at(rep, k)], touch, life);
}

static void g_warm(const struct side sd[2], const struct side *pt)
{
	struct wfile w[2];
	struct row *mw, *mr, *rd, *rdw, *wr, *pr, *cat, *catn, *cp;

	mw = row_add("mmap memcpy write, warm", U_GBPS, (double)o.size, 0.95,
		     NULL);
	mr = row_add("mmap memcpy read, warm", U_GBPS, (double)o.size, 0.95,
		     NULL);
	rd = row_add("read() 1 MiB, default", U_GBPS, (double)o.size, 0.95,
		     "O_RDONLY open");
	rdw = row_add(" same, on an O_RDWR open", U_GBPS, (double)o.size, 0,
		      NULL);
	wr = row_add("write() 1 MiB, default", U_GBPS, (double)o.size, 0.65,
		     NULL);
	pr = row_add("pread 4 KiB random, default", U_USEC, o.pread_n, 0.85,
		     "O_RDONLY open");
	cat = row_add("cat FILE > tmpfs, default", U_GBPS, (double)o.size,
		      0.90, NULL);
	catn = row_add("cat FILE > /dev/null, default", U_GBPS,
		       (double)o.size, 0.90, NULL);
	cp = row_add("cp FILE tmpfs, default", U_GBPS, (double)o.size, 0.90,
		     NULL);
	for (int i = 0; i < 2; i++) {
		wfile_open(&w[i], &sd[i], "warm");
		wfile_map(&w[i]);
		memcpy(w[i].map, buf, o.size); /* fault everything in */
	}
	for (int rep = 0; rep < o.reps; rep++)
		for (int k = 0; k < 2; k++) {
			int i = side_at(rep, k);

			t_mmap_warm(&w[i], i, mw, mr);
			t_rw(&w[i], w[i].rfd, i, rd, NULL);
			t_rw(&w[i], w[i].fd, i, rdw, wr);
			t_pread(&w[i], i, pr);
			t_tools(&w[i], i, cat, catn, cp);
		}
	wfile_close(&w[HSHMFS]);
	if (pt) { /* the same on the passthrough mount, /dev/shm measured again */
		struct row *prd, *pwr, *ppr;

		prd = row_add("read() 1 MiB, io=passthrough", U_GBPS,
			      (double)o.size, 0.95, NULL);
		pwr = row_add("write() 1 MiB, io=passthrough", U_GBPS,
			      (double)o.size, 0.95, NULL);
		ppr = row_add("pread 4 KiB random, io=passthrough", U_USEC,
			      o.pread_n, 0, NULL);
		wfile_open(&w[HSHMFS], pt, "warm");
		wfile_map(&w[HSHMFS]);
		memcpy(w[HSHMFS].map, buf, o.size);
		for (int rep = 0; rep < o.reps; rep++)
			for (int k = 0; k < 2; k++) {
				int i = side_at(rep, k);

				t_rw(&w[i], w[i].fd, i, prd, pwr);
				t_pread(&w[i], i, ppr);
			}
		wfile_close(&w[HSHMFS]);
	}
	wfile_close(&w[DEVSHM]);
}

/* @out: a directory of @s whose regions are made sparse (user.hshm.reserve
 * 0), path in @dir.  Return: false for an hshmfs without the attribute
 * (an older build: the row is left out). */
static bool sparse_side(const struct side *s, struct side *out, char *dir,
			size_t len)
{
	path_of(dir, len, s, "meta.sparse");
	if (mkdir(dir, 0755))
		die("mkdir %s: %s", dir, strerror(errno));
	if (setxattr(dir, "user.hshm.reserve", "0", 1, 0)) {
		fprintf(stderr, "hshmfs_bench: setxattr %s user.hshm.reserve=0: "
			"%s (an hshmfs without it): no reserve=0 row\n", dir,
			strerror(errno));
		rmdir(dir);
		return false;
	}
	*out = (struct side){ .dir = dir, .hshmfs = true };
	return true;
}

static void g_meta(const struct side sd[2])
{
	char p[4096], name[96], sparse_dir[4096];
	struct row *r, *rr, *rz;
	struct side nr[2];
	bool sparse;

	for (int i = 0; i < 2; i++) {
		int fd;

		path_of(p, sizeof(p), &sd[i], "meta.size");
		fd = open(p, O_RDWR | O_CREAT | O_EXCL, 0644);
		if (fd < 0)
			die("create %s: %s", p, strerror(errno));
		meta_trunc[i] = o.meta_size;
		if (sd[i].hshmfs) {
			struct stat st;

			fstat(fd, &st);
			meta_trunc[i] += (uint64_t)st.st_size -
				xattr_u64(p, "user.hshm.data_capacity");
		}
		close(fd);
		unlink(p);
	}
	snprintf(name, sizeof(name), "create+truncate(%" PRIu64 " MiB)+unlink",
		 o.meta_size / MIB);
	r = row_add(name, U_OPS, o.meta_n, 0, NULL);
	snprintf(name, sizeof(name), " same, /dev/shm also fallocates");
	rr = row_add(name, U_OPS, o.meta_n, 0.25, NULL);
	sparse = sparse_side(&sd[HSHMFS], &nr[HSHMFS], sparse_dir,
			     sizeof(sparse_dir));
	snprintf(name, sizeof(name), " same, user.hshm.reserve=0");
	rz = sparse ? row_add(name, U_OPS, o.meta_n, 0.25, NULL) : NULL;
	nr[DEVSHM] = sd[DEVSHM];
	for (int rep = 0; rep < o.reps; rep++)
		for (int k = 0; k < 2; k++) {
			t_meta(&sd[side_at(rep, k)], r, false);
			t_meta(&sd[side_at(rep, k)], rr, true);
			if (rz)
				t_meta(&nr[side_at(rep, k)], rz, false);
		}
	if (sparse && rmdir(sparse_dir))
		die("rmdir %s: %s", sparse_dir, strerror(errno));
}

static void readdir_fill(const struct side *s, bool make)
{
	char p[4096];

	for (unsigned i = 0; i < o.readdir_n; i++) {
		char name[40];

		snprintf(name, sizeof(name), "readdir/e%05u", i);
		path_of(p, sizeof(p), s, name);
		if (i < o.readdir_regions) {
			int fd;

			if (!make) {
				unlink(p);
				continue;
			}
			fd = open(p, O_RDWR | O_CREAT | O_EXCL, 0644);
			if (fd < 0)
				die("create %s: %s", p, strerror(errno));
			/* something for getfattr -d to dump on tmpfs too */
			if (!s->hshmfs && !xattr_fallback)
				fsetxattr(fd, "user.bench", "1048576", 7, 0);
			close(fd);
		} else if (!make) {
			rmdir(p);
		} else if (mkdir(p, 0755)) {
			die("mkdir %s: %s", p, strerror(errno));
		}
	}
}

/* argv of `getfattr -d` on the regions of the readdir directory of @s. */
static char **getfattr_argv(const struct side *s)
{
	char **argv = calloc(o.readdir_regions + 4, sizeof(*argv));
	char p[4096];

	if (!argv)
		die("out of memory");
	argv[0] = "getfattr";
	argv[1] = "-d";
	argv[2] = "--absolute-names";
	for (unsigned i = 0; i < o.readdir_regions; i++) {
		char name[40];

		snprintf(name, sizeof(name), "readdir/e%05u", i);
		path_of(p, sizeof(p), s, name);
		argv[3 + i] = strdup(p);
		if (!argv[3 + i])
			die("out of memory");
	}
	return argv;
}

static void argv_free(char **argv)
{
	for (unsigned i = 0; i < o.readdir_regions; i++)
		free(argv[3 + i]);
	free(argv);
}

/* `ls -l` of the directory and `getfattr -d` of its regions. */
static void t_listing(const struct side *s, char **gf, struct row *ls,
		      struct row *xd)
{
	char p[4096];
	char *ls_argv[] = { "ls", "-l", p, NULL };

	path_of(p, sizeof(p), s, "readdir");
	row_put(ls, s->hshmfs, t_spawn(ls_argv, "/dev/null"));
	if (o.readdir_regions)
		row_put(xd, s->hshmfs, t_spawn(gf, "/dev/null"));
}

static void g_readdir(const struct side sd[2])
{
	char p[4096], name[96];
	struct row *r, *ls, *xd;
	char **gf[2];

	snprintf(name, sizeof(name), "readdir %u entries", o.readdir_n);
	r = row_add(name, U_USEC, 1, 0.25, NULL);
	snprintf(name, sizeof(name), "ls -l of %u entries", o.readdir_n);
	ls = row_add(name, U_USEC, 1, 0.25, NULL);
	snprintf(name, sizeof(name), "getfattr -d of %u regions",
		 o.readdir_regions);
	xd = row_add(name, U_USEC, 1, 0.25, NULL);
	for (int i = 0; i < 2; i++) {
		path_of(p, sizeof(p), &sd[i], "readdir");
		if (mkdir(p, 0755))
			die("mkdir %s: %s", p, strerror(errno));
		readdir_fill(&sd[i], true);
	}
	for (int i = 0; i < 2; i++)
		gf[i] = getfattr_argv(&sd[i]);
	for (int rep = 0; rep < o.reps; rep++)
		for (int k = 0; k < 2; k++) {
			int i = side_at(rep, k);

			t_readdir(&sd[i], r);
			t_listing(&sd[i], gf[i], ls, xd);
		}
	for (int i = 0; i < 2; i++) {
		argv_free(gf[i]);
		readdir_fill(&sd[i], false);
		path_of(p, sizeof(p), &sd[i], "readdir");
		if (rmdir(p))
			die("rmdir %s: %s", p, strerror(errno));
	}
}

/* Whether tmpfs here takes user xattrs (6.6+); if not, the getxattr row
 * times stat() on /dev/shm instead. */
static void xattr_probe(const struct side *s)
{
	char p[4096];
	int fd;

	path_of(p, sizeof(p), s, "xattr.probe");
	fd = open(p, O_RDWR | O_CREAT, 0644);
	if (fd < 0)
		die("create %s: %s", p, strerror(errno));
	if (fsetxattr(fd, "user.bench", "1", 1, 0)) {
		fprintf(stderr, "hshmfs_bench: tmpfs refuses user xattrs (%s): "
			"the getxattr row compares against stat() on "
			"/dev/shm\n", strerror(errno));
		xattr_fallback = true;
	}
	close(fd);
	unlink(p);
}

static void g_latency(const struct side sd[2])
{
	char p[2][4096];
	struct row *xr, *sr;

	for (int i = 0; i < 2; i++) {
		int fd;

		path_of(p[i], sizeof(p[i]), &sd[i], "small");
		fd = open(p[i], O_RDWR | O_CREAT | O_EXCL, 0644);
		if (fd < 0)
			die("create %s: %s", p[i], strerror(errno));
		close(fd);
	}
	if (!xattr_fallback &&
	    setxattr(p[DEVSHM], "user.bench", "1048576", 7, 0))
		die("setxattr %s: %s", p[DEVSHM], strerror(errno));
	xr = row_add(xattr_fallback ? "getxattr (vs stat on /dev/shm)" :
		     "getxattr", U_USEC, o.lat_n, 0.25, NULL);
	sr = row_add("stat", U_USEC, o.lat_n, 0.25, NULL);
	for (int rep = 0; rep < o.reps; rep++)
		for (int k = 0; k < 2; k++) {
			int i = side_at(rep, k);

			t_getxattr(&sd[i], p[i], xr);
			t_stat(p[i], i, sr);
		}
	for (int i = 0; i < 2; i++)
		unlink(p[i]);
}

/* ---- report ----------------------------------------------------------------- */

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	if (n == 0)
		return 0;
	qsort(v, (size_t)n, sizeof(*v), cmp_dbl);
	return n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void fmt_val(char *out, size_t len, const struct row *r, double secs)
{
	switch (r->unit) {
	case U_GBPS:
		snprintf(out, len, "%.2f GB/s", r->work / secs / 1e9);
		break;
	case U_USEC:
		if (r->work == 1)
			snprintf(out, len, "%.2f ms", secs * 1e3);
		else
			snprintf(out, len, "%.2f us", secs / r->work * 1e6);
		break;
	case U_OPS:
		snprintf(out, len, "%.0f /s", r->work / secs);
		break;
	}
}

static void print_machine(void)
{
	struct utsname u;
	char line[256], model[256] = "unknown";
	unsigned long mem_kb = 0;
	FILE *f;
	time_t t = time(NULL);
	char date[64];

	uname(&u);
	if ((f = fopen("/proc/cpuinfo", "r"))) {
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "model name", 10)) {
				char *c = strchr(line, ':');

				snprintf(model, sizeof(model), "%s",
					 c ? c + 2 : line);
				model[strcspn(model, "\n")] = '\0';
				break;
			}
		fclose(f);
	}
	if ((f = fopen("/proc/meminfo", "r"))) {
		if (fgets(line, sizeof(line), f))
			sscanf(line, "MemTotal: %lu", &mem_kb);
		fclose(f);
	}
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", gmtime(&t));
	printf("hshmfs benchmark, %s\n", date);
	printf("machine: Linux %s %s, %ld CPUs (%s), %.1f GiB memory\n",
	       u.release, u.machine, sysconf(_SC_NPROCESSORS_ONLN), model,
	       (double)mem_kb / (1024.0 * 1024.0));
}

static void print_setup(const struct side sd[2])
{
	char p[4096], mode[32] = "?";
	ssize_t n;
	int fd;

	path_of(p, sizeof(p), &sd[HSHMFS], "probe");
	fd = open(p, O_RDWR | O_CREAT, 0644);
	if (fd >= 0) {
		n = getxattr(p, "user.hshm.mmap", mode, sizeof(mode) - 1);
		mode[n > 0 ? n : 0] = '\0';
		close(fd);
		unlink(p);
	}
	printf("sides: /dev/shm = %s (tmpfs); hshmfs = %s (the default mount)%s%s, "
	       "mmap mode: %s\n", sd[DEVSHM].dir, sd[HSHMFS].dir,
	       o.pt_mnt ? " and " : "", o.pt_mnt ? o.pt_mnt : "", mode);
	if (o.pt_mnt)
		printf("       %s is the io=passthrough mount\n", o.pt_mnt);
	{
		cpu_set_t set;
		int on = 0;

		if (!sched_getaffinity(0, sizeof(set), &set))
			on = CPU_COUNT(&set);
		printf("affinity: the benchmark may run on %d of %ld CPUs%s\n",
		       on, sysconf(_SC_NPROCESSORS_ONLN),
		       on < sysconf(_SC_NPROCESSORS_ONLN) ?
		       " (pinned, see bench.sh --cpu)" : " (not pinned)");
	}
	printf("size %.0f MiB, %d reps (median; sides interleaved), "
	       "pread %u x 4 KiB (seed %u), metadata %u ops, latency %u calls,\n"
	       "readdir of %u entries = %u regions (hshmfs default posix "
	       "backend, 1 MiB each: the minimum size) + %u empty dirs\n",
	       (double)o.size / MIB, o.reps, o.pread_n, o.seed, o.meta_n,
	       o.lat_n, o.readdir_n, o.readdir_regions,
	       o.readdir_n - o.readdir_regions);
}

static int print_table(void)
{
	int misses = 0;

	printf("\n| %-40s | %12s | %12s | %6s | %-11s |\n", "test", "/dev/shm",
	       "hshmfs", "ratio", "target");
	printf("|------------------------------------------|--------------|"
	       "--------------|--------|-------------|\n");
	for (int i = 0; i < nrows; i++) {
		struct row *r = &rows[i];
		double a = median(r->t[DEVSHM], r->n[DEVSHM]);
		double b = median(r->t[HSHMFS], r->n[HSHMFS]);
		double ratio = b > 0 ? a / b : 0;
		char va[32], vb[32], tg[32];

		fmt_val(va, sizeof(va), r, a);
		fmt_val(vb, sizeof(vb), r, b);
		if (r->target == 0)
			snprintf(tg, sizeof(tg), "-");
		else if (ratio >= r->target)
			snprintf(tg, sizeof(tg), ">=%.2f ok", r->target);
		else {
			snprintf(tg, sizeof(tg), ">=%.2f MISS", r->target);
			misses++;
		}
		printf("| %-40s | %12s | %12s | %6.3f | %-11s |\n", r->name,
		       va, vb, ratio, tg);
	}
	printf("\nratio = /dev/shm time / hshmfs time (higher is better, 1.00 "
	       "is parity); %d row(s) below target%s\n", misses,
	       misses ? " (marked MISS)" : "");
	return misses;
}

/* ---- options ---------------------------------------------------------------- */

static uint64_t parse_size(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 10);

	switch (*end) {
	case 'k': case 'K': v *= KIB; end++; break;
	case 'm': case 'M': v *= MIB; end++; break;
	case 'g': case 'G': v *= GIB; end++; break;
	default: break;
	}
	if (end == s || (*end && strcmp(end, "iB") && strcmp(end, "B")))
		die("bad size '%s'", s);
	return v;
}

static unsigned parse_uint(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (end == s || *end || v > 100000000)
		die("bad number '%s'", s);
	return (unsigned)v;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hshmfs_bench --shm-dir DIR --daemon-mnt MNT [--pt-mnt MNT] [options]\n"
		"  --shm-dir DIR          scratch directory on tmpfs (the /dev/shm side)\n"
		"  --daemon-mnt MNT       hshmfs mount with its defaults\n"
		"  --pt-mnt MNT           hshmfs mount with io=passthrough (read/write rows)\n"
		"  --reps N               repetitions, median reported (5)\n"
		"  --size SIZE            bytes per mmap/read/write test (1G)\n"
		"  --pread-n N            random 4 KiB preads per rep (65536)\n"
		"  --meta-n N             create+truncate+unlink per rep (2000)\n"
		"  --meta-size SIZE       truncate target of those (2M of data)\n"
		"  --lat-n N              getxattr/stat calls per rep (20000)\n"
		"  --readdir-n N          directory entries (10000)\n"
		"  --readdir-regions N    how many of them are regions, 1 MiB of\n"
		"                         memory each; the rest are empty dirs (1000)\n"
		"  --seed N               seed of the pread offsets (42)\n"
		"  --only LIST            run only these groups: touch, io, meta,\n"
		"                         readdir, latency (comma separated)\n");
}

static void parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		}
		if (!v)
			die("option %s needs a value (see --help)", a);
		i++;
		if (!strcmp(a, "--shm-dir"))
			o.shm_dir = v;
		else if (!strcmp(a, "--daemon-mnt"))
			o.daemon_mnt = v;
		else if (!strcmp(a, "--pt-mnt"))
			o.pt_mnt = v;
		else if (!strcmp(a, "--reps"))
			o.reps = (int)parse_uint(v);
		else if (!strcmp(a, "--size"))
			o.size = parse_size(v);
		else if (!strcmp(a, "--pread-n"))
			o.pread_n = parse_uint(v);
		else if (!strcmp(a, "--meta-n"))
			o.meta_n = parse_uint(v);
		else if (!strcmp(a, "--meta-size"))
			o.meta_size = parse_size(v);
		else if (!strcmp(a, "--lat-n"))
			o.lat_n = parse_uint(v);
		else if (!strcmp(a, "--readdir-n"))
			o.readdir_n = parse_uint(v);
		else if (!strcmp(a, "--readdir-regions"))
			o.readdir_regions = parse_uint(v);
		else if (!strcmp(a, "--seed"))
			o.seed = parse_uint(v);
		else if (!strcmp(a, "--only"))
			o.only = v;
		else
			die("unknown option %s (see --help)", a);
	}
	if (!o.shm_dir || !o.daemon_mnt) {
		usage(stderr);
		exit(2);
	}
	if (o.reps < 1 || o.reps > MAX_REPS)
		die("--reps must be 1..%d", MAX_REPS);
	if (o.size < CHUNK || o.size % CHUNK)
		die("--size must be a positive multiple of 1 MiB");
	if (o.readdir_regions > o.readdir_n)
		o.readdir_regions = o.readdir_n;
}

/* Whether group @g runs (--only). */
static bool group_on(const char *g)
{
	size_t n = strlen(g);
	const char *p = o.only;

	if (!p)
		return true;
	for (;;) {
		if (!strncmp(p, g, n) && (p[n] == ',' || p[n] == '\0'))
			return true;
		p = strchr(p, ',');
		if (!p)
			return false;
		p++;
	}
}

static void *page_alloc(uint64_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("cannot allocate %" PRIu64 " bytes: %s", len,
		    strerror(errno));
	return p;
}

int main(int argc, char **argv)
{
	struct side sd[2], pt;

	parse_args(argc, argv);
	sd[DEVSHM] = (struct side){ .dir = o.shm_dir, .hshmfs = false };
	sd[HSHMFS] = (struct side){ .dir = o.daemon_mnt, .hshmfs = true };
	pt = (struct side){ .dir = o.pt_mnt, .hshmfs = true };
	setvbuf(stdout, NULL, _IOLBF, 0);

	buf = page_alloc(o.size);
	chunk = page_alloc(CHUNK);
	for (uint64_t i = 0; i < o.size; i += 8) /* fault in, not zero pages */
		*(uint64_t *)(buf + i) = i * UINT64_C(0x9e3779b97f4a7c15);
	memset(chunk, 0x5a, CHUNK);
	pread_offs_make();

	print_machine();
	print_setup(sd);
	xattr_probe(&sd[DEVSHM]);
	if (group_on("touch")) {
		fprintf(stderr, "hshmfs_bench: mmap first touch...\n");
		g_first_touch(sd);
	}
	if (group_on("io")) {
		fprintf(stderr, "hshmfs_bench: mmap warm, read/write, pread...\n");
		g_warm(sd, o.pt_mnt ? &pt : NULL);
	}
	if (group_on("meta")) {
		fprintf(stderr, "hshmfs_bench: create+truncate+unlink...\n");
		g_meta(sd);
	}
	if (group_on("readdir")) {
		fprintf(stderr, "hshmfs_bench: readdir, ls -l, getfattr -d...\n");
		g_readdir(sd);
	}
	if (group_on("latency")) {
		fprintf(stderr, "hshmfs_bench: getxattr, stat...\n");
		g_latency(sd);
	}
	print_table();
	return 0;
}
