/* SPDX-License-Identifier: BSD-3-Clause */
/* ops.c: the one FUSE operations table of hshmfs, and INIT/DESTROY. */
#include <string.h>

#include "fs_i.h"

void fs_init(void *userdata, struct fuse_conn_info *conn)
{
	struct hshmfs *fs = userdata;

	/* Passthrough needs the writeback cache off; regions are memory, so
	 * there is nothing for it to gain anyway. */
	conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	if (conn->capable & FUSE_CAP_PARALLEL_DIROPS)
		conn->want |= FUSE_CAP_PARALLEL_DIROPS;
	/* Read replies splice from the object's fd (file.c) through the
	 * custom I/O's splice_send hook (passthrough.c: libfuse offers
	 * SPLICE_WRITE to custom I/O only with one); requests are still read
	 * whole by the read hook. */
	conn->want &= ~(FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_MOVE);
	if (conn->capable & FUSE_CAP_SPLICE_WRITE)
		conn->want |= FUSE_CAP_SPLICE_WRITE;
	else
		conn->want &= ~FUSE_CAP_SPLICE_WRITE;
	if (conn->max_write < (1u << 20))
		conn->max_write = 1u << 20;
	conn->max_readahead = 1u << 20;
	if (fs->read_max) /* the mount option says it too (main.c) */
		conn->max_read = fs->read_max;
}

void fs_destroy(void *userdata)
{
	(void)userdata; /* regions are detached in main, after the loop */
}

const struct fuse_lowlevel_ops hshmfs_ops = {
	.init = fs_init,
	.destroy = fs_destroy,
	.lookup = fs_lookup,
	.forget = fs_forget,
	.forget_multi = fs_forget_multi,
	.getattr = fs_getattr,
	.setattr = fs_setattr,
	.readlink = fs_readlink,
	.mknod = fs_mknod,
	.mkdir = fs_mkdir,
	.unlink = fs_unlink,
	.rmdir = fs_rmdir,
	.symlink = fs_symlink,
	.rename = fs_rename,
	.link = fs_link,
	.open = fs_open,
	.read = fs_read,
	.write = fs_write,
	/* No flush and no fsync: regions are memory and every write reaches
	 * the object before it returns, so there is nothing to do at close(2)
	 * or fsync(2).  libfuse answers ENOSYS to the first of each, and the
	 * kernel then stops sending them (fc->no_flush, fc->no_fsync: it
	 * still writes back its own dirty pages first), which saves a round
	 * trip on every close(2), the 10th request of a create+truncate+
	 * close+unlink (docs/performance.md). */
	.release = fs_release,
	.opendir = fs_opendir,
	.readdir = fs_readdir,
	.readdirplus = fs_readdirplus,
	.releasedir = fs_releasedir,
	.statfs = fs_statfs,
	.setxattr = fs_setxattr,
	.getxattr = fs_getxattr,
	.listxattr = fs_listxattr,
	.removexattr = fs_removexattr,
	.create = fs_create,
	.ioctl = fs_ioctl,
	.fallocate = fs_fallocate,
};
