/* SPDX-License-Identifier: BSD-3-Clause */
/* client.c: attach to hshmfs GPU regions (ioctl, then the backend library). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hshm/backend.h"
#include "hshmfs/client.h"

#define EXPORT __attribute__((visibility("default")))

_Static_assert(HSHMFS_KIND_GPU_SHM_MMAP == HSHM_GPU_SHM_MMAP &&
	       HSHMFS_KIND_GPU_MALLOC == HSHM_GPU_MALLOC,
	       "ioctl kinds are the backend kinds");
_Static_assert(HSHMFS_RUNTIME_CUDA == HSHM_GPU_CUDA &&
	       HSHMFS_RUNTIME_HIP == HSHM_GPU_HIP &&
	       HSHMFS_RUNTIME_DOUBLE == HSHM_GPU_DOUBLE,
	       "ioctl runtimes are the runtime layer's ids");
_Static_assert(sizeof(((struct hshmfs_gpu_info *)0)->ipc_handle) ==
	       HSHM_IPC_HANDLE_SIZE, "one IPC handle");

/** What an attachment holds behind its priv pointer. */
struct attach_priv {
	struct hshm_ctx ctx;    /* the runtime; the backend points here */
	struct hshm_backend be; /* the region's view in this process */
};

EXPORT const char *hshmfs_gpu_kind_name(uint32_t kind)
{
	switch (kind) {
	case HSHMFS_KIND_GPU_MALLOC:
		return "gpu_malloc";
	case HSHMFS_KIND_GPU_SHM_MMAP:
		return "gpu_shm_mmap";
	default:
		return "unknown";
	}
}

EXPORT const char *hshmfs_gpu_runtime_name(uint32_t runtime)
{
	switch (runtime) {
	case 0:
		return "none";
	case HSHMFS_RUNTIME_CUDA:
		return "cuda";
	case HSHMFS_RUNTIME_HIP:
		return "hip";
	case HSHMFS_RUNTIME_DOUBLE:
		return "double";
	default:
		return "unknown";
	}
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

EXPORT int hshmfs_gpu_info_check(const struct hshmfs_gpu_info *gi)
{
	if (!gi)
		return -EINVAL;
	if (gi->version != HSHMFS_GPU_INFO_VERSION || gi->size != sizeof(*gi))
		return -EPROTO;
	if (gi->kind != HSHMFS_KIND_GPU_MALLOC &&
	    gi->kind != HSHMFS_KIND_GPU_SHM_MMAP)
		return -EPROTO;
	if (gi->device < 0)
		return -EPROTO;
	/* data after the header page, inside backend_size, no wrap-around */
	if (gi->data_offset < HSHM_HEADER_PAGE ||
	    gi->data_offset > gi->backend_size ||
	    gi->data_capacity > gi->backend_size - gi->data_offset)
		return -EPROTO;
	if (gi->id_major == UINT32_MAX && gi->id_minor == UINT32_MAX)
		return -EPROTO;
	if (gi->kind == HSHMFS_KIND_GPU_MALLOC &&
	    all_zero(gi->ipc_handle, sizeof(gi->ipc_handle)))
		return -EPROTO;
	return 0;
}

EXPORT int hshmfs_gpu_info_get(int fd, struct hshmfs_gpu_info *gi)
{
	struct hshmfs_gpu_info r;

	if (!gi)
		return -EINVAL;
	memset(&r, 0, sizeof(r));
	if (ioctl(fd, HSHMFS_IOC_GPU_INFO, &r) < 0) {
		int err = errno;

		/* Not our ioctl on this file, whatever the filesystem says. */
		if (err == EINVAL || err == ENOSYS || err == EOPNOTSUPP)
			err = ENOTTY;
		return -err;
	}
	if (hshmfs_gpu_info_check(&r))
		return -EPROTO;
	*gi = r;
	return 0;
}

EXPORT int hshmfs_gpu_runtime_of(const struct hshmfs_gpu_info *gi,
				 const struct hshm_gpu_runtime **rt)
{
	if (!gi || !rt)
		return -EINVAL;
	*rt = NULL;
	switch (gi->runtime) {
	case 0:
		return -EOPNOTSUPP;
	case HSHMFS_RUNTIME_CUDA:
		*rt = hshm_gpu_cuda();
		break;
	case HSHMFS_RUNTIME_HIP:
		*rt = hshm_gpu_hip();
		break;
	case HSHMFS_RUNTIME_DOUBLE:
		*rt = hshm_gpu_double();
		break;
	default:
		return -EPROTO;
	}
	return *rt ? 0 : -EOPNOTSUPP;
}

static void clear(struct hshmfs_gpu_attachment *a)
{
	memset(a, 0, sizeof(*a));
	a->fd = -1;
	a->device = -1;
}

/** matches() - whether the attached view is the region the reply describes. */
static bool matches(const struct hshm_backend *be,
		    const struct hshmfs_gpu_info *gi)
{
	struct hshm_backend_id id = hshm_backend_id(be);

	return id.major == gi->id_major && id.minor == gi->id_minor &&
	       hshm_backend_size(be) == gi->backend_size &&
	       hshm_data_offset(be) == gi->data_offset &&
	       hshm_data_capacity(be) == gi->data_capacity &&
	       hshm_data_id(be) == gi->device;
}

/** attach_region() - the backend library's attach for the reply's kind. */
static int attach_region(struct attach_priv *p, int fd, int accmode,
			 const struct hshmfs_gpu_info *gi)
{
	if (gi->kind == HSHMFS_KIND_GPU_MALLOC)
		return hshm_gpu_malloc_attach_ipc(&p->be, &p->ctx,
						  gi->ipc_handle, gi->device,
						  gi->backend_size);
	if (accmode != O_RDWR)
		return -EACCES; /* a shared writable mapping needs O_RDWR */
	return hshm_shm_attach_fd(&p->be, &p->ctx, HSHM_GPU_SHM_MMAP, fd, NULL);
}

/** attach_owned() - attach through @fd, which the attachment then owns. */
static int attach_owned(int fd, struct hshmfs_gpu_attachment *out)
{
	struct hshmfs_gpu_info gi;
	const struct hshm_gpu_runtime *rt;
	struct attach_priv *p;
	int accmode, err;

	accmode = fcntl(fd, F_GETFL);
	if (accmode < 0) {
		err = -errno;
		goto close_fd;
	}
	accmode &= O_ACCMODE;
	err = hshmfs_gpu_info_get(fd, &gi);
	if (!err)
		err = hshmfs_gpu_runtime_of(&gi, &rt);
	if (err)
		goto close_fd;
	p = calloc(1, sizeof(*p));
	if (!p) {
		err = -ENOMEM;
		goto close_fd;
	}
	hshm_ctx_init(&p->ctx);
	p->ctx.gpu = rt;
	err = attach_region(p, fd, accmode, &gi);
	if (err)
		goto free_priv;
	if (!matches(&p->be, &gi)) {
		err = -ESTALE;
		hshm_shm_detach(&p->be);
		goto free_priv;
	}
	out->info = gi;
	out->runtime = rt;
	out->kind = gi.kind;
	out->device = gi.device;
	out->data = hshm_data(&p->be);
	out->data_capacity = gi.data_capacity;
	out->backend_size = gi.backend_size;
	out->fd = fd;
	out->priv = p;
	return 0;

free_priv:
	hshm_ctx_fini(&p->ctx);
	free(p);
close_fd:
	close(fd);
	return err;
}

EXPORT int hshmfs_gpu_attach(const char *path, struct hshmfs_gpu_attachment *out)
{
	int fd;

	if (!out)
		return -EINVAL;
	clear(out);
	if (!path)
		return -EINVAL;
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
	/* Fall back to read-only so that the ioctl can still say why: hshmfs
	 * hands a gpu_malloc handle only to writable opens, and attaching
	 * gpu_shm_mmap needs O_RDWR too (attach_region(): -EACCES). */
	if (fd < 0 && (errno == EACCES || errno == EROFS || errno == EPERM))
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	return attach_owned(fd, out);
}

EXPORT int hshmfs_gpu_attach_fd(int fd, struct hshmfs_gpu_attachment *out)
{
	int own;

	if (!out)
		return -EINVAL;
	clear(out);
	if (fd < 0)
		return -EBADF;
	own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (own < 0)
		return -errno;
	return attach_owned(own, out);
}

EXPORT int hshmfs_gpu_detach(struct hshmfs_gpu_attachment *a)
{
	struct attach_priv *p;

	if (!a)
		return -EINVAL;
	p = a->priv;
	if (p) {
		hshm_shm_detach(&p->be);
		hshm_ctx_fini(&p->ctx);
		free(p);
	}
	if (a->fd >= 0)
		close(a->fd);
	clear(a);
	return 0;
}
