/* SPDX-License-Identifier: BSD-3-Clause */
/* itool.c: the C side of the integration tests: syscalls with exact errno
 * results, header dumps, mmap ping-pong, page frames, crash writer/verifier. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

/*
 * Most commands print "ok" (sometimes with a value) or the errno name
 * (EPERM, ENOSPC, ...) on stdout and exit 0, so that a script can assert the
 * exact error.  Exit status 2 means the tool itself was misused or a step
 * that is not under test failed.
 */

#define DIE(...) do { fprintf(stderr, "itool: " __VA_ARGS__); \
		      fputc('\n', stderr); exit(2); } while (0)

static int report(int ret)
{
	if (ret < 0)
		printf("%s\n", strerrorname_np(errno));
	else
		printf("ok\n");
	return 0;
}

static uint64_t num(const char *s)
{
	int saved = errno; /* callers report errno of the call under test */
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || !*s)
		DIE("bad number '%s'", s);
	errno = saved;
	return v;
}

static int open_flags(const char *spec)
{
	char buf[128], *save = NULL, *t;
	int fl = 0;

	snprintf(buf, sizeof(buf), "%s", spec);
	for (t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (!strcmp(t, "r")) fl |= O_RDONLY;
		else if (!strcmp(t, "w")) fl |= O_WRONLY;
		else if (!strcmp(t, "rw")) fl |= O_RDWR;
		else if (!strcmp(t, "trunc")) fl |= O_TRUNC;
		else if (!strcmp(t, "creat")) fl |= O_CREAT;
		else if (!strcmp(t, "excl")) fl |= O_EXCL;
		else DIE("bad open flag '%s'", t);
	}
	return fl;
}

static int cmd_open(char **a)
{
	int fd = open(a[0], open_flags(a[1]), 0644);

	report(fd);
	if (fd >= 0)
		close(fd);
	return 0;
}

static int cmd_pwrite(char **a)
{
	int fd = open(a[0], O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return report(-1);
	n = pwrite(fd, a[2], strlen(a[2]), (off_t)num(a[1]));
	if (n < 0)
		report(-1);
	else
		printf("ok %zd\n", n);
	close(fd);
	return 0;
}

/* pread PATH OFF LEN: the bytes, raw, on stdout (errors: exit 1). */
static int cmd_pread(char **a)
{
	size_t len = (size_t)num(a[2]);
	char *buf = malloc(len + 1);
	int fd = open(a[0], O_RDONLY);
	ssize_t n;

	if (fd < 0 || !buf) {
		printf("%s\n", strerrorname_np(errno));
		return 1;
	}
	n = pread(fd, buf, len, (off_t)num(a[1]));
	if (n < 0) {
		printf("%s\n", strerrorname_np(errno));
		return 1;
	}
	fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
	free(buf);
	return 0;
}

static int cmd_truncate(char **a)
{
	return report(truncate(a[0], (off_t)num(a[1])));
}

static int cmd_mknod(char **a)
{
	mode_t m = !strcmp(a[1], "fifo") ? S_IFIFO : !strcmp(a[1], "sock") ? S_IFSOCK
		 : !strcmp(a[1], "chr") ? S_IFCHR : !strcmp(a[1], "blk") ? S_IFBLK
		 : !strcmp(a[1], "reg") ? S_IFREG : 0;

	if (!m)
		DIE("bad node type '%s'", a[1]);
	return report(mknod(a[0], m | 0644, makedev(1, 3)));
}

static int cmd_link(char **a)
{
	return report(link(a[0], a[1]));
}

static int cmd_setxattr(char **a)
{
	return report(setxattr(a[0], a[1], a[2], strlen(a[2]), 0));
}

/* mmap PATH OFF [STRING]: map shared (read-write when a string is given),
 * store the string, read it back through the mapping. */
static int cmd_mmap(char **a, int n)
{
	off_t off = (off_t)num(a[1]);
	long pg = sysconf(_SC_PAGESIZE);
	off_t base = off & ~(off_t)(pg - 1);
	size_t len = (size_t)(off - base) + (n > 2 ? strlen(a[2]) : 1);
	int fd = open(a[0], n > 2 ? O_RDWR : O_RDONLY);
	char *p;

	if (fd < 0)
		return report(-1);
	p = mmap(NULL, len, PROT_READ | (n > 2 ? PROT_WRITE : 0), MAP_SHARED,
		 fd, base);
	if (p == MAP_FAILED)
		return report(-1);
	if (n > 2) {
		memcpy(p + (off - base), a[2], strlen(a[2]));
		if (memcmp(p + (off - base), a[2], strlen(a[2])))
			DIE("mapping does not hold what was stored");
	} else {
		(void)*(volatile char *)(p + (off - base));
	}
	munmap(p, len);
	close(fd);
	return report(0);
}

/* hdr PATH: the 48-byte MemoryBackendHeader and hshmfs' record magic. */
static int cmd_hdr(char **a)
{
	unsigned char h[48];
	char magic[9] = { 0 };
	uint32_t major, minor;
	uint64_t flags, bsz, cap, poff;
	int32_t did, pad;
	struct stat st;
	int fd = open(a[0], O_RDONLY);

	if (fd < 0 || fstat(fd, &st) || pread(fd, h, 48, 0) != 48)
		DIE("%s: %s", a[0], strerror(errno));
	memcpy(&major, h, 4);
	memcpy(&minor, h + 4, 4);
	memcpy(&flags, h + 8, 8);
	memcpy(&bsz, h + 16, 8);
	memcpy(&cap, h + 24, 8);
	memcpy(&did, h + 32, 4);
	memcpy(&pad, h + 36, 4);
	memcpy(&poff, h + 40, 8);
	if (pread(fd, magic, 8, (off_t)bsz) != 8 || !magic[0])
		strcpy(magic, "none");
	printf("id=%" PRIu32 ".%" PRIu32 "\nflags=%" PRIu64 "\nbackend_size=%"
	       PRIu64 "\ndata_capacity=%" PRIu64 "\ndata_id=%" PRId32
	       "\npad=%" PRId32 "\npriv_header_off=%" PRIu64 "\nsize=%lld\n"
	       "meta=%s\n", major, minor, flags, bsz, cap, did, pad, poff,
	       (long long)st.st_size, magic);
	close(fd);
	return 0;
}

/* mkmany DIR N: create DIR/r00000 ... as regions; prints how many. */
static int cmd_mkmany(char **a)
{
	uint64_t n = num(a[1]), i;
	char path[4096];

	for (i = 0; i < n; i++) {
		int fd;

		snprintf(path, sizeof(path), "%s/r%05" PRIu64, a[0], i);
		fd = open(path, O_CREAT | O_EXCL | O_RDWR, 0644);
		if (fd < 0) {
			printf("%s at %" PRIu64 "\n", strerrorname_np(errno), i);
			return 0;
		}
		close(fd);
	}
	printf("ok %" PRIu64 "\n", i);
	return 0;
}

static void *map_rw(const char *path, off_t off, size_t len)
{
	int fd = open(path, O_RDWR);
	void *p;

	if (fd < 0)
		DIE("open %s: %s", path, strerror(errno));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	if (p == MAP_FAILED)
		DIE("mmap %s: %s", path, strerror(errno));
	close(fd);
	return p;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wait until *p == want; 0 on success, -1 after @secs. No msync anywhere. */
static int spin_for(volatile uint64_t *p, uint64_t want, double secs)
{
	double end = now_s() + secs;

	while (__atomic_load_n(p, __ATOMIC_ACQUIRE) != want)
		if (now_s() > end)
			return -1;
	return 0;
}

/*
 * pingpong A B OFF ROUNDS: the parent maps A, a child maps B (both at page
 * OFF); they take turns incrementing a counter and writing a 4 KiB-spanning
 * pattern, each waiting for the other's value through memory only.
 */
static int cmd_pingpong(char **a)
{
	off_t off = (off_t)num(a[2]);
	uint64_t rounds = num(a[3]);
	volatile uint64_t *pa, *pb;
	pid_t pid;
	int st;

	pa = map_rw(a[0], off, 8192);
	pb = map_rw(a[1], off, 8192);
	pa[0] = 0; /* both start from a known value, seen through A */
	if (spin_for(pb, 0, 2)) {
		printf("FAIL: store through A not seen through B\n");
		return 0;
	}
	munmap((void *)pb, 8192);
	pid = fork();
	if (pid < 0)
		DIE("fork: %s", strerror(errno));
	if (pid == 0) {
		volatile uint64_t *p = map_rw(a[1], off, 8192);

		munmap((void *)pa, 8192);
		for (uint64_t i = 1; i <= rounds; i += 2) {
			if (spin_for(p, i, 5))
				_exit(3);
			if (p[1000] != i) /* second page, written before the counter */
				_exit(4);
			p[1000] = i + 1;
			__atomic_store_n(p, i + 1, __ATOMIC_RELEASE);
		}
		_exit(0);
	}
	for (uint64_t i = 0; i < rounds; i += 2) {
		if (i && spin_for(pa, i, 5)) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			printf("FAIL: B's store %" PRIu64 " not seen through A "
			       "(have %" PRIu64 ")\n", i, pa[0]);
			return 0;
		}
		if (i && pa[1000] != i) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			printf("FAIL: B's second-page store %" PRIu64
			       " not seen through A\n", i);
			return 0;
		}
		pa[1000] = i + 1;
		__atomic_store_n(pa, i + 1, __ATOMIC_RELEASE);
	}
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		printf("FAIL: child (mapping B) status %d: A's stores not seen "
		       "through B\n", st);
		return 0;
	}
	printf("ok %" PRIu64 " rounds\n", rounds);
	return 0;
}

static uint64_t pfn_of(void *addr)
{
	uint64_t ent = 0;
	long pg = sysconf(_SC_PAGESIZE);
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &ent, 8, (off_t)((uintptr_t)addr / (uintptr_t)pg) * 8) != 8)
		ent = 0;
	close(fd);
	if (!(ent & (UINT64_C(1) << 63)))
		return 0; /* not present */
	return ent & ((UINT64_C(1) << 55) - 1);
}

/* pagemap A B OFF: page frame of page OFF through both mappings. */
static int cmd_pagemap(char **a)
{
	off_t off = (off_t)num(a[2]);
	volatile char *pa = map_rw(a[0], off, 4096);
	volatile char *pb = map_rw(a[1], off, 4096);
	uint64_t fa, fb;

	pa[0] = pa[0]; /* fault both in, writable */
	pb[0] = pb[0];
	fa = pfn_of((void *)pa);
	fb = pfn_of((void *)pb);
	if (!fa || !fb)
		printf("unreadable\n");
	else if (fa == fb)
		printf("same\n");
	else
		printf("different %" PRIx64 " %" PRIx64 "\n", fa, fb);
	return 0;
}

/* coherent PATH OFF: one process: mmap store -> pread, pwrite -> mmap load. */
static int cmd_coherent(char **a)
{
	off_t off = (off_t)num(a[1]);
	int fd = open(a[0], O_RDWR);
	char buf[16] = { 0 };
	volatile char *p;

	if (fd < 0)
		return report(-1);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	if (p == MAP_FAILED)
		return report(-1);
	memcpy((char *)p, "mmap-store", 10);
	if (msync((void *)p, 4096, MS_SYNC))
		return report(-1);
	if (pread(fd, buf, 10, off) != 10 || memcmp(buf, "mmap-store", 10)) {
		printf("FAIL: pread after mmap store+msync read '%.10s'\n", buf);
		return 0;
	}
	if (pwrite(fd, "pwrite-str", 10, off + 100) != 10)
		return report(-1);
	if (memcmp((char *)p + 100, "pwrite-str", 10)) {
		printf("FAIL: mapping after pwrite holds '%.10s'\n", (char *)p + 100);
		return 0;
	}
	printf("ok\n");
	return 0;
}

/*
 * crashw PATH ACK: write 4 KiB blocks with write(2) into the first half of
 * the data area and with mmap stores into the second half, recording in ACK
 * (outside the mount) how many of each completed.  Stops at the end of the
 * area or when write(2) fails (the daemon died); the mmap half goes on until
 * full since its pages belong to the object.
 */
struct ack {
	uint64_t writes, stores;
};

static void fill(char *b, uint64_t idx, char tag)
{
	for (int i = 0; i < 4096; i += 16)
		snprintf(b + i, 17, "%c%014" PRIu64 "\n", tag,
			 idx % UINT64_C(100000000000000));
}

static void crash_geometry(const char *path, uint64_t *doff, uint64_t *nblk)
{
	char v[32] = { 0 };

	if (getxattr(path, "user.hshm.data_offset", v, sizeof(v) - 1) < 0)
		DIE("getxattr: %s", strerror(errno));
	*doff = num(v);
	memset(v, 0, sizeof(v));
	if (getxattr(path, "user.hshm.data_capacity", v, sizeof(v) - 1) < 0)
		DIE("getxattr: %s", strerror(errno));
	*nblk = num(v) / 4096 / 2;
}

static int cmd_crashw(char **a)
{
	uint64_t doff, nblk;
	struct ack k = { 0, 0 };
	char blk[4096 + 1];
	int fd, afd;
	char *m;
	bool wok = true;

	crash_geometry(a[0], &doff, &nblk);
	fd = open(a[0], O_RDWR);
	afd = open(a[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || afd < 0)
		DIE("open: %s", strerror(errno));
	m = mmap(NULL, nblk * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 (off_t)(doff + nblk * 4096));
	if (m == MAP_FAILED)
		DIE("mmap: %s", strerror(errno));
	while (k.stores < nblk) {
		if (wok && k.writes < nblk) {
			fill(blk, k.writes, 'W');
			if (pwrite(fd, blk, 4096, (off_t)(doff + k.writes * 4096)) == 4096)
				k.writes++;
			else
				wok = false;
		}
		fill(blk, k.stores, 'M');
		memcpy(m + k.stores * 4096, blk, 4096);
		k.stores++;
		if (pwrite(afd, &k, sizeof(k), 0) != sizeof(k))
			DIE("ack: %s", strerror(errno));
	}
	printf("writes=%" PRIu64 " stores=%" PRIu64 "\n", k.writes, k.stores);
	return 0;
}

/* crashv PATH ACK: every acknowledged block is there, intact. */
static int cmd_crashv(char **a)
{
	uint64_t doff, nblk, bad = 0;
	struct ack k;
	char want[4096 + 1], got[4096];
	int fd, afd;

	crash_geometry(a[0], &doff, &nblk);
	fd = open(a[0], O_RDONLY);
	afd = open(a[1], O_RDONLY);
	if (fd < 0 || afd < 0 || pread(afd, &k, sizeof(k), 0) != sizeof(k))
		DIE("open: %s", strerror(errno));
	for (uint64_t i = 0; i < k.writes + k.stores; i++) {
		bool w = i < k.writes;
		uint64_t idx = w ? i : i - k.writes;
		uint64_t at = doff + (w ? idx : nblk + idx) * 4096;

		fill(want, idx, w ? 'W' : 'M');
		if (pread(fd, got, 4096, (off_t)at) != 4096 ||
		    memcmp(want, got, 4096)) {
			if (!bad)
				printf("FAIL: %s block %" PRIu64 " at %" PRIu64
				       " lost\n", w ? "write(2)" : "mmap", idx, at);
			bad++;
		}
	}
	if (bad)
		printf("FAIL: %" PRIu64 " block(s) lost\n", bad);
	else
		printf("ok writes=%" PRIu64 " stores=%" PRIu64 "\n", k.writes,
		       k.stores);
	return 0;
}

/* ackwait ACK N SECS: wait until at least N write(2) blocks are acked. */
static int cmd_ackwait(char **a)
{
	double end = now_s() + (double)num(a[2]);
	struct ack k = { 0, 0 };

	while (now_s() < end) {
		int fd = open(a[0], O_RDONLY);

		if (fd >= 0) {
			if (pread(fd, &k, sizeof(k), 0) != sizeof(k))
				k.writes = 0;
			close(fd);
			if (k.writes >= num(a[1])) {
				printf("ok %" PRIu64 "\n", k.writes);
				return 0;
			}
		}
		usleep(2000);
	}
	printf("timeout %" PRIu64 "\n", k.writes);
	return 0;
}

/*
 * grow OBJ SIZE: resize a posix_shm_mmap object directly, as another HSHM
 * process would (V1 layout): ftruncate to SIZE, then backend_size =
 * SIZE - 4096 and data_capacity = backend_size - 8192 in its header.
 */
static int cmd_grow(char **a)
{
	uint64_t size = num(a[1]), h[2] = { size - 4096, size - 4096 - 8192 };
	int fd = open(a[0], O_RDWR);

	if (fd < 0)
		return report(-1);
	if (ftruncate(fd, (off_t)size) || pwrite(fd, h, sizeof(h), 16) != sizeof(h))
		report(-1);
	else
		printf("ok\n");
	close(fd);
	return 0;
}

/* poke PATH OFF VALUE: write VALUE as a little-endian u64 at OFF. */
static int cmd_poke(char **a)
{
	uint64_t v = num(a[2]);
	int fd = open(a[0], O_WRONLY);

	if (fd < 0)
		return report(-1);
	report(pwrite(fd, &v, sizeof(v), (off_t)num(a[1])) == sizeof(v) ? 0 : -1);
	close(fd);
	return 0;
}

/*
 * behind PATH OBJ OP [ARG]: open PATH (a file in the mount), truncate OBJ
 * (its object) to 0 behind hshmfs, then do OP on the open fd, so that no
 * lookup or open after the truncate can warn the daemon first.  OP: write
 * (one byte at ARG), read (one byte at ARG), utime, truncate (to ARG),
 * fallocate (ARG bytes).
 */
static int cmd_behind(char **a, int n)
{
	const char *op = a[2];
	uint64_t arg = n > 3 ? num(a[3]) : 0;
	int fd = open(a[0], O_RDWR), r;
	char c;

	if (fd < 0 || truncate(a[1], 0))
		DIE("behind: open %s / truncate %s: %s", a[0], a[1], strerror(errno));
	if (!strcmp(op, "write"))
		r = pwrite(fd, "x", 1, (off_t)arg) == 1 ? 0 : -1;
	else if (!strcmp(op, "read"))
		r = pread(fd, &c, 1, (off_t)arg) == 1 ? 0 : -1;
	else if (!strcmp(op, "utime"))
		r = futimens(fd, NULL);
	else if (!strcmp(op, "truncate"))
		r = ftruncate(fd, (off_t)arg);
	else if (!strcmp(op, "fallocate"))
		r = fallocate(fd, 0, 0, (off_t)arg);
	else
		DIE("behind: bad op '%s'", op);
	report(r);
	close(fd);
	return 0;
}

/* loop PATH SECS KIND: one of the request loops of test_races.sh, on one
 * fd for SECS seconds; prints "ok N" (iterations).  KIND: times (futimens
 * then fgetxattr of user.hshm.backend_size), fallocate (grow by a page each
 * time, then truncate back to 1 MiB every 256 rounds). */
static int cmd_loop(char **a)
{
	double end = now_s() + (double)num(a[1]);
	int fd = open(a[0], O_RDWR);
	uint64_t i = 0;
	char v[64];

	if (fd < 0)
		return report(-1);
	for (; now_s() < end; i++) {
		if (!strcmp(a[2], "times")) {
			futimens(fd, NULL);
			fgetxattr(fd, "user.hshm.backend_size", v, sizeof(v));
		} else if (!strcmp(a[2], "fallocate")) {
			if (i % 256 == 255)
				ftruncate(fd, 1 << 20);
			fallocate(fd, 0, 0, (off_t)((1 << 20) + 4096 * (i % 256)));
		} else {
			DIE("loop: bad kind '%s'", a[2]);
		}
	}
	close(fd);
	printf("ok %" PRIu64 "\n", i);
	return 0;
}

/* renloop A B SECS: rename A to B and back for SECS seconds; "ok N". */
static int cmd_renloop(char **a)
{
	double end = now_s() + (double)num(a[2]);
	uint64_t i = 0;

	for (; now_s() < end; i++) {
		rename(a[0], a[1]);
		rename(a[1], a[0]);
	}
	printf("ok %" PRIu64 "\n", i);
	return 0;
}

/* growloop OBJ SECS: grow the object OBJ a page at a time as another HSHM
 * process would (see grow), back to its first size every 256 rounds. */
static int cmd_growloop(char **a)
{
	double end = now_s() + (double)num(a[1]);
	struct stat st;
	uint64_t i = 0, base;
	int fd = open(a[0], O_RDWR);

	if (fd < 0 || fstat(fd, &st))
		return report(-1);
	base = (uint64_t)st.st_size;
	for (; now_s() < end; i++) {
		uint64_t size = base + 4096 * (i % 256);
		uint64_t h[2] = { size - 4096, size - 4096 - 8192 };

		if (ftruncate(fd, (off_t)size) ||
		    pwrite(fd, h, sizeof(h), 16) != sizeof(h))
			return report(-1);
	}
	close(fd);
	printf("ok %" PRIu64 "\n", i);
	return 0;
}

/* fill_round: 4096 bytes that name round @i and writer @who. */
static void fill_round(char *b, uint64_t i, char who)
{
	for (size_t k = 0; k < 4096; k++)
		b[k] = (char)(who + (int)((i + k) % 23));
}

static bool read_is(int fd, const char *want, off_t off, bool splice_it)
{
	char got[4096];
	ssize_t n;

	if (!splice_it) {
		n = pread(fd, got, sizeof(got), off);
	} else { /* sendfile into a pipe: the splice path of the read side */
		int p[2];
		off_t o = off;

		if (pipe(p))
			DIE("pipe: %s", strerror(errno));
		n = sendfile(p[1], fd, &o, sizeof(got));
		if (n == (ssize_t)sizeof(got))
			n = read(p[0], got, sizeof(got));
		close(p[0]);
		close(p[1]);
	}
	return n == (ssize_t)sizeof(got) && !memcmp(got, want, sizeof(got));
}

/*
 * rocoherent PATH OBJ OFF ROUNDS: a read-only open of PATH must see, at
 * once, every write made through a writable open of PATH (the daemon's
 * pwrite) and every write made on the region's object OBJ directly, by
 * pread and by sendfile; it must not write; and the writable open keeps
 * the daemon's checks (EPERM in the header pages) while it is open.
 * Prints "ok N rounds" or what failed.
 */
static int cmd_rocoherent(char **a)
{
	int r = open(a[0], O_RDONLY), w = open(a[0], O_RDWR);
	int o = open(a[1], O_RDWR);
	off_t off = (off_t)num(a[2]);
	uint64_t rounds = num(a[3]);
	char b[4096];

	if (r < 0 || w < 0 || o < 0)
		DIE("rocoherent: open: %s", strerror(errno));
	for (uint64_t i = 0; i < rounds; i++) {
		fill_round(b, i, 'a');
		if (pwrite(w, b, sizeof(b), off) != (ssize_t)sizeof(b))
			DIE("rocoherent: write through the mount: %s", strerror(errno));
		if (!read_is(r, b, off, i & 1)) {
			printf("FAIL: round %" PRIu64 ": a write through the mount "
			       "not seen by the read-only open\n", i);
			return 0;
		}
		fill_round(b, i, 'A');
		if (pwrite(o, b, sizeof(b), off + 4096) != (ssize_t)sizeof(b))
			DIE("rocoherent: write on the object: %s", strerror(errno));
		if (!read_is(r, b, off + 4096, !(i & 1))) {
			printf("FAIL: round %" PRIu64 ": a write on the object not "
			       "seen by the read-only open\n", i);
			return 0;
		}
	}
	if (pwrite(r, "x", 1, off) != -1 || errno != EBADF) {
		printf("FAIL: the read-only open could write\n");
		return 0;
	}
	if (pwrite(w, "x", 1, 0) != -1 || errno != EPERM) {
		printf("FAIL: header write beside a read-only open: %s\n",
		       strerrorname_np(errno));
		return 0;
	}
	close(r);
	close(w);
	close(o);
	printf("ok %" PRIu64 " rounds\n", rounds);
	return 0;
}

/* robehind PATH OBJ OFF: open PATH read-only, truncate its object OBJ to 0
 * behind hshmfs, then pread 1 byte at OFF on that fd: "ok N" (bytes read)
 * or the errno name. */
static int cmd_robehind(char **a)
{
	int fd = open(a[0], O_RDONLY);
	char c;
	ssize_t n;

	if (fd < 0 || truncate(a[1], 0))
		DIE("robehind: open %s / truncate %s: %s", a[0], a[1],
		    strerror(errno));
	n = pread(fd, &c, 1, (off_t)num(a[2]));
	if (n < 0)
		report(-1);
	else
		printf("ok %zd\n", n);
	close(fd);
	return 0;
}

static const struct {
	const char *name;
	int nargs, maxargs;
	int (*fn)(char **a);
	int (*fnn)(char **a, int n);
} cmds[] = {
	{ "open", 2, 2, cmd_open, NULL },
	{ "pwrite", 3, 3, cmd_pwrite, NULL },
	{ "pread", 3, 3, cmd_pread, NULL },
	{ "truncate", 2, 2, cmd_truncate, NULL },
	{ "mknod", 2, 2, cmd_mknod, NULL },
	{ "link", 2, 2, cmd_link, NULL },
	{ "setxattr", 3, 3, cmd_setxattr, NULL },
	{ "mmap", 2, 3, NULL, cmd_mmap },
	{ "hdr", 1, 1, cmd_hdr, NULL },
	{ "mkmany", 2, 2, cmd_mkmany, NULL },
	{ "pingpong", 4, 4, cmd_pingpong, NULL },
	{ "pagemap", 3, 3, cmd_pagemap, NULL },
	{ "coherent", 2, 2, cmd_coherent, NULL },
	{ "crashw", 2, 2, cmd_crashw, NULL },
	{ "crashv", 2, 2, cmd_crashv, NULL },
	{ "ackwait", 3, 3, cmd_ackwait, NULL },
	{ "grow", 2, 2, cmd_grow, NULL },
	{ "poke", 3, 3, cmd_poke, NULL },
	{ "behind", 3, 4, NULL, cmd_behind },
	{ "loop", 3, 3, cmd_loop, NULL },
	{ "renloop", 3, 3, cmd_renloop, NULL },
	{ "growloop", 2, 2, cmd_growloop, NULL },
	{ "rocoherent", 4, 4, cmd_rocoherent, NULL },
	{ "robehind", 3, 3, cmd_robehind, NULL },
};

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; argc > 1 && i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		int n = argc - 2;

		if (strcmp(argv[1], cmds[i].name))
			continue;
		if (n < cmds[i].nargs || n > cmds[i].maxargs)
			DIE("%s: wrong number of arguments", argv[1]);
		return cmds[i].fn ? cmds[i].fn(argv + 2)
				  : cmds[i].fnn(argv + 2, n);
	}
	DIE("usage: itool COMMAND ARGS (see itool.c)");
}
