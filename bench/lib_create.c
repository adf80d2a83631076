/* SPDX-License-Identifier: BSD-3-Clause */
/* lib_create.c: regions made and destroyed per second by the library alone. */

/*
 *   lib_create DIR N SIZE_MIB
 *
 * Times N hshm_shm_init + hshm_shm_destroy of posix_shm_mmap regions of
 * SIZE_MIB MiB in DIR (a tmpfs directory), reserved and with
 * HSHM_INIT_NORESERVE, as a mapping process (upstream's way) and under
 * no_map (the daemon's), beside N open + ftruncate + close + unlink of a
 * sparse file there.  Prints one line per case: ops/s.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hshm/backend.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double regions(struct hshm_ctx *ctx, unsigned n, uint64_t size,
		      uint32_t flags)
{
	struct hshm_init_args a = { .size = size, .url = "/lib_create",
				    .flags = flags };
	struct hshm_backend b;
	double t0 = now();

	for (unsigned i = 0; i < n; i++) {
		a.id = (struct hshm_backend_id){ 1, i };
		if (hshm_shm_init(&b, ctx, HSHM_POSIX_SHM_MMAP, &a)) {
			fprintf(stderr, "lib_create: init failed\n");
			exit(1);
		}
		hshm_shm_destroy(&b);
	}
	return n / (now() - t0);
}

static double files(int dirfd, unsigned n, uint64_t size)
{
	double t0 = now();

	for (unsigned i = 0; i < n; i++) {
		int fd = openat(dirfd, "lib_create.f", O_RDWR | O_CREAT | O_EXCL,
				0600);

		if (fd < 0 || ftruncate(fd, (off_t)size)) {
			fprintf(stderr, "lib_create: %s\n", strerror(errno));
			exit(1);
		}
		close(fd);
		unlinkat(dirfd, "lib_create.f", 0);
	}
	return n / (now() - t0);
}

int main(int argc, char **argv)
{
	struct hshm_ctx ctx;
	unsigned n;
	uint64_t size;

	if (argc != 4) {
		fprintf(stderr, "usage: lib_create DIR N SIZE_MIB\n");
		return 2;
	}
	n = (unsigned)strtoul(argv[2], NULL, 10);
	size = strtoull(argv[3], NULL, 10) << 20;
	hshm_ctx_init(&ctx);
	if (hshm_ctx_open_dir(&ctx, argv[1]))
		return 1;
	printf("sparse file            %10.0f /s\n", files(ctx.shm_dirfd, n, size));
	printf("region, reserved       %10.0f /s\n", regions(&ctx, n, size, 0));
	printf("region, NORESERVE      %10.0f /s\n",
	       regions(&ctx, n, size, HSHM_INIT_NORESERVE));
	ctx.no_map = true;
	printf("no_map, reserved       %10.0f /s\n", regions(&ctx, n, size, 0));
	printf("no_map, NORESERVE      %10.0f /s\n",
	       regions(&ctx, n, size, HSHM_INIT_NORESERVE));
	hshm_ctx_fini(&ctx);
	return 0;
}
