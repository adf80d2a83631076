/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gpu_helper: the "second process" of the GPU tests, and small syscall
 * probes that print an errno name for the shell to compare.
 *
 *   pattern SEED LEN             pattern bytes on stdout
 *   write PATH SEED [LEN]        attach (hshmfs_gpu_attach) and write the
 *                                pattern at the data through the runtime's
 *                                H2D copy (gpu_malloc) or the host pointer
 *   check PATH SEED [LEN]        attach and compare the data with the pattern
 *                                (D2H copy / host pointer); exit 1 if differs
 *   kernel PATH SEED [LEN]       attach and run a CUDA kernel that writes the
 *                                pattern (exit 77 without a CUDA kernel)
 *   info PATH                    attach and print key=value of the attachment
 *   hold PATH SEED               attach, write 4 KiB of pattern, print "ready",
 *                                wait for a line on stdin, print "valid" if
 *                                the data is still there, detach
 *   open-handle RT DEV HEX       open a raw IPC handle (128 hex digits) with
 *                                runtime RT on device DEV: OK or ERRNO
 *   attach-err PATH              print the errno name hshmfs_gpu_attach gives
 *   pwrite PATH OFF LEN          write LEN bytes at OFF: print OK or ERRNO
 *   truncate PATH SIZE           truncate(2): OK or ERRNO
 *   mmap PATH                    mmap MAP_SHARED rw: OK or ERRNO
 *   ioctl PATH                   HSHMFS_IOC_GPU_INFO: OK or ERRNO
 *   ioctl-ro PATH                the same on an O_RDONLY open
 *   ioctl-other PATH             other requests ('h' 2; 'h' 1 with another
 *                                size): OK or the first ERRNO
 *   create PATH                  open(O_CREAT|O_EXCL): OK or ERRNO
 *   mmap-write PATH OFF SEED LEN write the pattern through a shared mapping
 *   mmap-check PATH OFF SEED LEN compare a shared mapping with the pattern
 *
 * LEN defaults to the data capacity.  Exit 0 on success, 1 on a failed
 * check or call (with a message on stderr), 2 on usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hshmfs/client.h"
#include "pattern.h"

#if HAVE_TEST_KERNEL
int test_kernel_fill(void *p, size_t n, unsigned seed, int device, int host,
		     char *msg, size_t len);
#endif

static const char *ename(int e)
{
	const char *s = e ? strerrorname_np(e) : "OK";

	return s ? s : "E?";
}

static uint64_t num(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || !*s) {
		fprintf(stderr, "gpu_helper: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static void fill(uint8_t *buf, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = test_pattern(i, seed);
}

static int attach(const char *path, struct hshmfs_gpu_attachment *a)
{
	int err = hshmfs_gpu_attach(path, a);

	if (err)
		fprintf(stderr, "gpu_helper: attach %s: %s (%s)\n", path,
			strerror(-err), ename(-err));
	return err;
}

/* length() - LEN from argv, or the capacity; never past the capacity. */
static size_t length(const struct hshmfs_gpu_attachment *a, int argc,
		     char **argv, int i)
{
	uint64_t n = argc > i ? num(argv[i]) : a->data_capacity;

	if (n > a->data_capacity) {
		fprintf(stderr, "gpu_helper: %" PRIu64 " bytes > capacity %"
			PRIu64 "\n", n, a->data_capacity);
		exit(2);
	}
	return (size_t)n;
}

/* copy() - between the attachment's data and @buf, by kind. */
static int copy(struct hshmfs_gpu_attachment *a, uint8_t *buf, size_t n,
		bool to_region)
{
	if (a->kind == HSHMFS_KIND_GPU_SHM_MMAP) {
		if (to_region)
			memcpy(a->data, buf, n);
		else
			memcpy(buf, a->data, n);
		return 0;
	}
	return to_region ? a->runtime->memcpy(a->device, a->data, buf, n,
					      HSHM_GPU_H2D)
			 : a->runtime->memcpy(a->device, buf, a->data, n,
					      HSHM_GPU_D2H);
}

static int cmd_write_check(int argc, char **argv, bool write)
{
	struct hshmfs_gpu_attachment a;
	uint32_t seed = (uint32_t)num(argv[3]);
	uint8_t *buf, *want;
	size_t n;
	int err, rc = 0;

	if (attach(argv[2], &a))
		return 1;
	n = length(&a, argc, argv, 4);
	buf = malloc(n ? n : 1);
	want = malloc(n ? n : 1);
	if (!buf || !want)
		return 1;
	fill(want, n, seed);
	if (write)
		memcpy(buf, want, n);
	err = copy(&a, buf, n, write);
	if (err) {
		fprintf(stderr, "gpu_helper: %s copy: %s\n", a.runtime->name,
			strerror(-err));
		rc = 1;
	} else if (!write && memcmp(buf, want, n)) {
		size_t i = 0;

		while (buf[i] == want[i])
			i++;
		fprintf(stderr, "gpu_helper: data differ at byte %zu: %#x, "
			"want %#x\n", i, buf[i], want[i]);
		rc = 1;
	} else {
		printf("%s %zu bytes: pid=%d kind=%s runtime=%s device=%d\n",
		       write ? "wrote" : "checked", n, (int)getpid(),
		       hshmfs_gpu_kind_name(a.kind), a.runtime->name, a.device);
	}
	free(buf);
	free(want);
	hshmfs_gpu_detach(&a);
	return rc;
}

static int cmd_kernel(int argc, char **argv)
{
#if HAVE_TEST_KERNEL
	struct hshmfs_gpu_attachment a;
	char msg[256];
	size_t n;
	int rc = 0;

	if (attach(argv[2], &a))
		return 1;
	if (a.runtime->id != HSHM_GPU_CUDA) {
		fprintf(stderr, "gpu_helper: the region's runtime is %s: the "
			"test kernel is CUDA\n", a.runtime->name);
		hshmfs_gpu_detach(&a);
		return 77;
	}
	n = length(&a, argc, argv, 4);
	if (test_kernel_fill(a.data, n, (unsigned)num(argv[3]), a.device,
			     a.kind == HSHMFS_KIND_GPU_SHM_MMAP, msg,
			     sizeof(msg))) {
		fprintf(stderr, "gpu_helper: %s\n", msg);
		rc = 1;
	} else {
		printf("kernel wrote %zu bytes: pid=%d kind=%s device=%d\n", n,
		       (int)getpid(), hshmfs_gpu_kind_name(a.kind), a.device);
	}
	hshmfs_gpu_detach(&a);
	return rc;
#else
	fprintf(stderr, "gpu_helper: built without a CUDA kernel (no nvcc)\n");
	return 77;
#endif
}

static int cmd_info(const char *path)
{
	struct hshmfs_gpu_attachment a;

	if (attach(path, &a))
		return 1;
	printf("kind=%s\nruntime=%s\ndevice=%d\nbackend_size=%" PRIu64
	       "\ndata_capacity=%" PRIu64 "\ndata_offset=%" PRIu64
	       "\nid=%u.%u\ndata=%s\nfd=%s\n",
	       hshmfs_gpu_kind_name(a.kind), a.runtime->name, a.device,
	       a.backend_size, a.data_capacity, a.info.data_offset,
	       a.info.id_major, a.info.id_minor, a.data ? "set" : "NULL",
	       a.fd >= 0 ? "open" : "closed");
	return hshmfs_gpu_detach(&a) ? 1 : 0;
}

static int cmd_hold(const char *path, uint32_t seed)
{
	struct hshmfs_gpu_attachment a;
	uint8_t want[4096], got[4096];
	char line[16];
	int err;

	if (attach(path, &a))
		return 1;
	fill(want, sizeof(want), seed);
	memcpy(got, want, sizeof(got));
	err = copy(&a, got, sizeof(got), true);
	printf("%s\n", err ? "write-failed" : "ready");
	fflush(stdout);
	if (!err && fgets(line, sizeof(line), stdin)) {
		memset(got, 0, sizeof(got));
		err = copy(&a, got, sizeof(got), false);
		printf("%s\n", err || memcmp(got, want, sizeof(got)) ? "invalid"
								   : "valid");
	}
	hshmfs_gpu_detach(&a);
	return err ? 1 : 0;
}

static int cmd_open_handle(const char *name, int device, const char *hex)
{
	const struct hshm_gpu_runtime *rt;
	uint8_t h[sizeof(((struct hshmfs_gpu_info *)0)->ipc_handle)];
	void *p;
	int err;

	if (strlen(hex) != 2 * sizeof(h))
		return 2;
	for (size_t i = 0; i < sizeof(h); i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return 2;
		h[i] = (uint8_t)v;
	}
	err = hshm_gpu_by_name(name, &rt);
	if (!err && !rt)
		err = -ENODEV;
	if (!err)
		err = rt->ipc_open(device, h, &p);
	if (!err)
		rt->ipc_close(device, p);
	printf("%s\n", ename(-err));
	return 0;
}

static int cmd_attach_err(const char *path)
{
	struct hshmfs_gpu_attachment a;
	int err = hshmfs_gpu_attach(path, &a);

	printf("%s\n", ename(-err));
	if (!err)
		hshmfs_gpu_detach(&a);
	else if (a.fd != -1 || a.data || a.priv)
		printf("attachment not cleared on failure\n");
	return 0;
}

/* A probe: print OK or the errno name. */
static int probe(const char *op, int argc, char **argv)
{
	const char *path = argv[2];
	int fd, e = 0;

	if (!strcmp(op, "truncate")) {
		if (argc != 4)
			return 2;
		e = truncate(path, (off_t)num(argv[3])) ? errno : 0;
	} else if (!strcmp(op, "create")) {
		fd = open(path, O_CREAT | O_EXCL | O_RDWR, 0644);
		e = fd < 0 ? errno : 0;
		if (fd >= 0)
			close(fd);
	} else {
		fd = open(path, O_RDWR);
		if (fd < 0) {
			printf("open:%s\n", ename(errno));
			return 0;
		}
		if (!strcmp(op, "pwrite") && argc == 5) {
			size_t n = (size_t)num(argv[4]);
			char *buf = calloc(1, n ? n : 1);
			ssize_t w = buf ? pwrite(fd, buf, n, (off_t)num(argv[3]))
					: -1;

			e = w < 0 ? errno : 0;
			free(buf);
		} else if (!strcmp(op, "mmap") && argc == 3) {
			void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				       MAP_SHARED, fd, 0);

			e = p == MAP_FAILED ? errno : 0;
			if (p != MAP_FAILED)
				munmap(p, 4096);
		} else if (!strcmp(op, "ioctl-other") && argc == 3) {
			struct hshmfs_gpu_info gi;
			uint8_t small[64];

			e = ioctl(fd, _IOR('h', 2, struct hshmfs_gpu_info), &gi)
				    ? errno : 0;
			if (!e)
				e = ioctl(fd, _IOR('h', 1, uint8_t[64]), small)
					    ? errno : 0;
		} else if (!strcmp(op, "ioctl") && argc == 3) {
			struct hshmfs_gpu_info gi;

			e = ioctl(fd, HSHMFS_IOC_GPU_INFO, &gi) ? errno : 0;
		} else if (!strcmp(op, "ioctl-ro") && argc == 3) {
			struct hshmfs_gpu_info gi;
			int ro = open(path, O_RDONLY);

			e = ro < 0 ? errno
				   : ioctl(ro, HSHMFS_IOC_GPU_INFO, &gi) ? errno : 0;
			if (ro >= 0)
				close(ro);
		} else {
			close(fd);
			return 2;
		}
		close(fd);
	}
	printf("%s\n", ename(e));
	return 0;
}

/* mmap-write / mmap-check: PATH OFF SEED LEN through a shared mapping. */
static int cmd_mmap(int argc, char **argv, bool write)
{
	uint64_t off = num(argv[3]);
	uint32_t seed = (uint32_t)num(argv[4]);
	size_t n = (size_t)num(argv[5]);
	int fd = open(argv[2], O_RDWR);
	uint8_t *p;
	int rc = 0;

	if (fd < 0 || (off & 4095)) {
		fprintf(stderr, "gpu_helper: %s: %s\n", argv[2],
			fd < 0 ? strerror(errno) : "offset not page aligned");
		return 1;
	}
	p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)off);
	close(fd);
	if (p == MAP_FAILED) {
		fprintf(stderr, "gpu_helper: mmap: %s\n", strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		if (write) {
			p[i] = test_pattern(i, seed);
		} else if (p[i] != test_pattern(i, seed)) {
			fprintf(stderr, "gpu_helper: mapping differs at %zu\n",
				i);
			rc = 1;
			break;
		}
	}
	munmap(p, n);
	return rc;
}

static int cmd_pattern(int argc, char **argv)
{
	uint32_t seed = (uint32_t)num(argv[2]);
	uint64_t n = num(argv[3]);
	uint8_t buf[65536];

	for (uint64_t done = 0; done < n;) {
		size_t k = n - done < sizeof(buf) ? (size_t)(n - done)
						  : sizeof(buf);

		for (size_t i = 0; i < k; i++)
			buf[i] = test_pattern(done + i, seed);
		if (fwrite(buf, 1, k, stdout) != k)
			return 1;
		done += k;
	}
	return fflush(stdout) ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (!strcmp(cmd, "pattern") && argc == 4)
		return cmd_pattern(argc, argv);
	if ((!strcmp(cmd, "write") || !strcmp(cmd, "check")) &&
	    (argc == 4 || argc == 5))
		return cmd_write_check(argc, argv, cmd[0] == 'w');
	if (!strcmp(cmd, "kernel") && (argc == 4 || argc == 5))
		return cmd_kernel(argc, argv);
	if (!strcmp(cmd, "info") && argc == 3)
		return cmd_info(argv[2]);
	if (!strcmp(cmd, "hold") && argc == 4)
		return cmd_hold(argv[2], (uint32_t)num(argv[3]));
	if (!strcmp(cmd, "open-handle") && argc == 5)
		return cmd_open_handle(argv[2], (int)num(argv[3]), argv[4]);
	if (!strcmp(cmd, "attach-err") && argc == 3)
		return cmd_attach_err(argv[2]);
	if ((!strcmp(cmd, "mmap-write") || !strcmp(cmd, "mmap-check")) &&
	    argc == 6)
		return cmd_mmap(argc, argv, cmd[5] == 'w');
	if (argc >= 3) {
		int r = probe(cmd, argc, argv);

		if (r != 2)
			return r;
	}
	fprintf(stderr, "usage: gpu_helper pattern|write|check|kernel|info|"
		"hold|open-handle|attach-err|pwrite|truncate|mmap|ioctl|ioctl-ro|create|mmap-write|"
		"mmap-check ... (see gpu_helper.c)\n");
	return 2;
}
