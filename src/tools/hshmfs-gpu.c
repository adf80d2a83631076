/* SPDX-License-Identifier: BSD-3-Clause */
/* hshmfs-gpu: print the GPU information of hshmfs region files, for scripts. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hshm/gpu.h"
#include "hshmfs/client.h"

/* Exit codes (also in the usage text). */
enum {
	EX_GPU_OK = 0,       /* every file is a GPU region (or a device found) */
	EX_GPU_NOTGPU = 1,   /* a file is not a GPU region (ENOTTY); no device */
	EX_GPU_USAGE = 2,    /* bad command line */
	EX_GPU_ERROR = 3,    /* open, ioctl, attach or runtime error */
};

static const char *const fields[] = {
	"kind", "runtime", "device", "backend_size", "data_offset",
	"data_capacity", "id", "ipc_handle", NULL,
};

static void usage(FILE *f, const char *argv0)
{
	fprintf(f,
"usage: %s [-a] [-f FIELD] FILE...\n"
"       %s -d [RUNTIME]\n"
"Print the GPU information hshmfs gives for region FILEs (ioctl\n"
"HSHMFS_IOC_GPU_INFO), one key=value per line; a blank line between files.\n"
"\n"
"  -f, --field FIELD  print only FIELD's value, one line per file; FIELD is\n"
"                     kind, runtime, device, backend_size, data_offset,\n"
"                     data_capacity, id, ipc_handle\n"
"  -a, --attach       also attach with hshmfs_gpu_attach() (open the IPC\n"
"                     handle or register the mapping) and detach; prints\n"
"                     attach=ok or fails\n"
"  -d, --devices [RT] print the device count of runtime RT (auto, cuda, hip,\n"
"                     double; default auto) as RT=N; exit 1 when N is 0\n"
"  -h, --help         this text\n"
"\n"
"Keys: path, kind (gpu_malloc|gpu_shm_mmap), runtime (cuda|hip|double),\n"
"device, backend_size, data_offset, data_capacity (bytes), id (major.minor),\n"
"ipc_handle (128 hex digits; zero for gpu_shm_mmap).\n"
"Note: on a gpu_malloc file the ioctl hands out the IPC handle, after which\n"
"hshmfs refuses to truncate the file (ETXTBSY).\n"
"\n"
"Exit: 0 all GPU regions; 1 a FILE is not a GPU region (or no device);\n"
"      2 usage; 3 another error (open, ioctl, attach, runtime).\n",
		argv0, argv0);
}

static void print_hex(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
	putchar('\n');
}

/* print_field() - @name's value and a newline; false for an unknown name. */
static bool print_field(const struct hshmfs_gpu_info *gi, const char *name)
{
	if (!strcmp(name, "kind"))
		printf("%s\n", hshmfs_gpu_kind_name(gi->kind));
	else if (!strcmp(name, "runtime"))
		printf("%s\n", hshmfs_gpu_runtime_name(gi->runtime));
	else if (!strcmp(name, "device"))
		printf("%d\n", (int)gi->device);
	else if (!strcmp(name, "backend_size"))
		printf("%llu\n", (unsigned long long)gi->backend_size);
	else if (!strcmp(name, "data_offset"))
		printf("%llu\n", (unsigned long long)gi->data_offset);
	else if (!strcmp(name, "data_capacity"))
		printf("%llu\n", (unsigned long long)gi->data_capacity);
	else if (!strcmp(name, "id"))
		printf("%u.%u\n", (unsigned)gi->id_major, (unsigned)gi->id_minor);
	else if (!strcmp(name, "ipc_handle"))
		print_hex(gi->ipc_handle, sizeof(gi->ipc_handle));
	else
		return false;
	return true;
}

static bool known_field(const char *name)
{
	for (int i = 0; fields[i]; i++)
		if (!strcmp(fields[i], name))
			return true;
	return false;
}

/* show() - one file; returns an exit code. */
static int show(const char *path, const char *field, bool attach)
{
	struct hshmfs_gpu_attachment a;
	struct hshmfs_gpu_info gi;
	int fd, err;

	/* a gpu_malloc handle is only handed to writable opens */
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && (errno == EACCES || errno == EROFS || errno == EPERM))
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		fprintf(stderr, "hshmfs-gpu: %s: %s\n", path, strerror(errno));
		return EX_GPU_ERROR;
	}
	err = hshmfs_gpu_info_get(fd, &gi);
	close(fd);
	if (err == -ENOTTY) {
		fprintf(stderr, "hshmfs-gpu: %s: not a GPU region of an hshmfs "
			"mount\n", path);
		return EX_GPU_NOTGPU;
	}
	if (err) {
		fprintf(stderr, "hshmfs-gpu: %s: %s%s\n", path, strerror(-err),
			err == -EPROTO ? " (reply of another ABI version?)" : "");
		return EX_GPU_ERROR;
	}
	if (field) {
		print_field(&gi, field);
	} else {
		printf("path=%s\n", path);
		for (int i = 0; fields[i]; i++) {
			printf("%s=", fields[i]);
			print_field(&gi, fields[i]);
		}
	}
	if (!attach)
		return EX_GPU_OK;
	fflush(stdout);
	err = hshmfs_gpu_attach(path, &a);
	if (err) {
		fprintf(stderr, "hshmfs-gpu: %s: attach: %s\n", path,
			strerror(-err));
		return EX_GPU_ERROR;
	}
	if (!field)
		printf("attach=ok\n");
	hshmfs_gpu_detach(&a);
	return EX_GPU_OK;
}

static int devices(const char *name)
{
	const struct hshm_gpu_runtime *rt;
	int n = 0;
	int err = hshm_gpu_by_name(name, &rt);

	if (err) {
		fprintf(stderr, "hshmfs-gpu: runtime %s: %s\n", name,
			err == -EOPNOTSUPP ? "not compiled into this build"
					   : "unknown (auto, cuda, hip, double)");
		return err == -EOPNOTSUPP ? EX_GPU_NOTGPU : EX_GPU_USAGE;
	}
	if (rt) {
		err = rt->device_count(&n);
		if (err && err != -ENODEV) {
			fprintf(stderr, "hshmfs-gpu: %s: device count: %s\n",
				rt->name, strerror(-err));
			return EX_GPU_ERROR;
		}
	}
	printf("%s=%d\n", rt ? rt->name : name, n);
	return n > 0 ? EX_GPU_OK : EX_GPU_NOTGPU;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "field", required_argument, NULL, 'f' },
		{ "attach", no_argument, NULL, 'a' },
		{ "devices", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *field = NULL;
	bool attach = false, devs = false;
	int c, rc = EX_GPU_OK;

	while ((c = getopt_long(argc, argv, "+f:adh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			field = optarg;
			break;
		case 'a':
			attach = true;
			break;
		case 'd':
			devs = true;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return EX_GPU_OK;
		default:
			usage(stderr, argv[0]);
			return EX_GPU_USAGE;
		}
	}
	if (devs) {
		if (argc - optind > 1 || field || attach) {
			usage(stderr, argv[0]);
			return EX_GPU_USAGE;
		}
		return devices(optind < argc ? argv[optind] : "auto");
	}
	if (optind >= argc || (field && !known_field(field))) {
		if (field && !known_field(field))
			fprintf(stderr, "hshmfs-gpu: unknown field '%s'\n", field);
		usage(stderr, argv[0]);
		return EX_GPU_USAGE;
	}
	for (int i = optind; i < argc; i++) {
		int r;

		if (i > optind && !field)
			putchar('\n');
		r = show(argv[i], field, attach);
		/* the worst: error (3) over not-GPU (1) over ok (0) */
		if (r == EX_GPU_ERROR || (r == EX_GPU_NOTGPU && rc == EX_GPU_OK))
			rc = r;
	}
	return rc;
}
