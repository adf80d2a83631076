/* SPDX-License-Identifier: BSD-3-Clause */
/* fake_upstream.c: plays an upstream HSHM process, from the byte format only. */

/*
 * Written from shared/reference/hshm-format.md, not from upstream code:
 *   create LINKDIR URL SIZE PATTERN  make a PosixShmMmap region the way
 *       upstream does on Linux (a memfd, published as LINKDIR/<url> ->
 *       /proc/<pid>/fd/<n>), fill its data with PATTERN, print "ready",
 *       then wait for a line on stdin; on "check PATTERN2" verify the data
 *       now holds PATTERN2 (written by someone else), print "ok"/"bad".
 *   create-v2 ...                   the same in the newer layout (40-byte
 *       header, data at 4096, object size = backend_size).
 *   attach LINK PATTERN              attach like upstream's shm_attach: open
 *       the link O_RDWR, validate the header against the object size, map,
 *       and check the data holds PATTERN; exit 0 if so.
 *   image FILE SIZE PATTERN          write the same region (v1 layout) into a
 *       regular file FILE (made 0644), for links to files rather than memfds.
 *   lease FILE                       hold a read lease on FILE (the caller
 *       must own it), print "ready", wait for a line on stdin.
 */
#include <signal.h>
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE 4096u

static void put64(unsigned char *p, size_t off, uint64_t v)
{
	memcpy(p + off, &v, 8);
}

static uint64_t get64(const unsigned char *p, size_t off)
{
	uint64_t v;

	memcpy(&v, p + off, 8);
	return v;
}

static void fill(unsigned char *d, uint64_t n, const char *pat)
{
	size_t l = strlen(pat);

	for (uint64_t i = 0; i < n; i++)
		d[i] = (unsigned char)pat[i % l];
}

static int same(const unsigned char *d, uint64_t n, const char *pat)
{
	size_t l = strlen(pat);

	for (uint64_t i = 0; i < n; i++)
		if (d[i] != (unsigned char)pat[i % l])
			return 0;
	return 1;
}

/* The header of a v1 (or v2) region of backend_size @bsz at @m. */
static void header(unsigned char *m, uint64_t bsz, int v2)
{
	uint64_t doff = v2 ? PAGE : 2 * PAGE;
	uint32_t id[2] = { 7, 42 };
	int32_t data_id = -1;

	memcpy(m, id, 8);
	put64(m, 8, 0);
	put64(m, 16, bsz);
	put64(m, 24, bsz - doff);
	memcpy(m + 32, &data_id, 4);
	put64(m, 40, v2 ? 0 : 2 * PAGE);
}

static int image(const char *file, uint64_t bsz, const char *pat)
{
	uint64_t obj = bsz + PAGE;
	unsigned char *m;
	int fd = open(file, O_RDWR | O_CREAT | O_EXCL, 0644);

	if (fd < 0 || fchmod(fd, 0644) || ftruncate(fd, (off_t)obj))
		return perror("image"), 1;
	m = mmap(NULL, obj, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return perror("mmap"), 1;
	header(m, bsz, 0);
	fill(m + 2 * PAGE, bsz - 2 * PAGE, pat);
	return munmap(m, obj) || close(fd);
}

static int lease(const char *file)
{
	char line[64];
	int fd = open(file, O_RDONLY);

	signal(SIGIO, SIG_IGN); /* a lease break is signalled: keep the lease */
	if (fd < 0 || fcntl(fd, F_SETLEASE, F_RDLCK))
		return perror("lease"), 1;
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin) && strncmp(line, "quit", 4))
		;
	return 0;
}

static int create(const char *dir, const char *url, uint64_t bsz,
		  const char *pat, int v2)
{
	uint64_t obj = v2 ? bsz : bsz + PAGE, doff = v2 ? PAGE : 2 * PAGE;
	uint64_t cap = bsz - doff;
	char link[4096], target[64];
	unsigned char *m;
	char line[256];
	int fd = memfd_create("fake-upstream", 0);

	if (fd < 0 || ftruncate(fd, (off_t)obj))
		return perror("memfd"), 1;
	m = mmap(NULL, obj, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return perror("mmap"), 1;
	header(m, bsz, v2);
	fill(m + doff, cap, pat);
	snprintf(target, sizeof(target), "/proc/%d/fd/%d", getpid(), fd);
	snprintf(link, sizeof(link), "%s/%s", dir, url + 1);
	if (symlink(target, link))
		return perror("symlink"), 1;
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "check ", 6)) {
			printf("%s\n", same(m + doff, cap, line + 6) ? "ok" : "bad");
			fflush(stdout);
		} else if (!strcmp(line, "quit")) {
			break;
		}
	}
	unlink(link);
	return 0;
}

static int attach(const char *link, const char *pat)
{
	unsigned char hdr[48], *m;
	struct stat st;
	uint64_t bsz, cap, off;
	int fd = open(link, O_RDWR);

	if (fd < 0 || fstat(fd, &st) || pread(fd, hdr, 48, 0) != 48)
		return perror("attach"), 1;
	bsz = get64(hdr, 16);
	cap = get64(hdr, 24);
	off = get64(hdr, 40);
	if (bsz + PAGE != (uint64_t)st.st_size || off != 2 * PAGE ||
	    cap != bsz - 2 * PAGE) {
		fprintf(stderr, "attach: header does not match the object\n");
		return 1;
	}
	m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 fd, 0);
	if (m == MAP_FAILED)
		return perror("mmap"), 1;
	if (!same(m + 2 * PAGE, cap, pat)) {
		fprintf(stderr, "attach: data differs from the pattern\n");
		return 1;
	}
	printf("attached %" PRIu64 " bytes of data\n", cap);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "create"))
		return create(argv[2], argv[3], strtoull(argv[4], NULL, 0),
			      argv[5], 0);
	if (argc == 6 && !strcmp(argv[1], "create-v2"))
		return create(argv[2], argv[3], strtoull(argv[4], NULL, 0),
			      argv[5], 1);
	if (argc == 5 && !strcmp(argv[1], "image"))
		return image(argv[2], strtoull(argv[3], NULL, 0), argv[4]);
	if (argc == 3 && !strcmp(argv[1], "lease"))
		return lease(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "attach"))
		return attach(argv[2], argv[3]);
	fprintf(stderr, "usage: fake_upstream create|create-v2 LINKDIR URL "
		"SIZE PATTERN | attach LINK PATTERN | image FILE SIZE PATTERN | "
		"lease FILE\n");
	return 2;
}
