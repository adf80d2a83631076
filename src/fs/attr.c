/* SPDX-License-Identifier: BSD-3-Clause */
/* attr.c: getattr, setattr (chmod, chown = ownership hand-over, truncate,
 * times) and statfs. */
#include <errno.h>
#include <string.h>
#include <sys/statvfs.h>

#include "fs_i.h"
#include "ns.h"

void fs_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct hshmfs *fs = fs_of(req);
	struct hnode *n;
	struct stat st;

	tree_rdlock(fs);
	n = hnode_by_ino(fs, ino);
	if (n) {
		if (n->region)
			region_refresh(fs, n);
		node_lock(n);
		hnode_stat(fs, n, &st);
		node_unlock(n);
	}
	tree_unlock(fs);
	if (!n)
		fuse_reply_err(req, ENOENT);
	else
		fuse_reply_attr(req, &st, fs->attr_timeout);
}

/*
 * chown of a region hands it over: the old owner's claim is dropped
 * (UnsetOwner) and the new owner's taken (SetOwner), so after a chown hshmfs
 * destroys the region on behalf of its new owner when the file is removed.
 * The backing object's owner follows, so a process attaching natively faces
 * the same permissions as one going through the filesystem.
 */
static int set_owner(struct hshmfs *fs, struct hnode *n, uid_t uid, gid_t gid)
{
	uid_t ouid = n->uid;
	gid_t ogid = n->gid;
	int err;

	n->uid = uid;
	n->gid = gid;
	if (!n->region || n->region->damaged)
		return 0;
	err = region_sync_perm(fs, n);
	if (err) {
		n->uid = ouid;
		n->gid = ogid;
		region_sync_perm(fs, n);
		return err;
	}
	hshm_unset_owner(&n->region->be);
	hshm_set_owner(&n->region->be);
	upstream_unpublish(fs, n);
	upstream_publish(fs, n);
	return 0;
}

static int set_mode(struct hshmfs *fs, struct hnode *n, mode_t mode)
{
	mode_t old = n->mode;
	int err;

	/* all of 07777, regions too: setuid and setgid are dropped on write,
	 * truncate and chown (kill_suidgid, passthrough.c); the object keeps
	 * only the permission bits (region.c).  The kernel has already
	 * cleared S_ISGID when the caller is neither in the file's group nor
	 * privileged (setattr_prepare, default_permissions). */
	n->mode = (n->mode & S_IFMT) | (mode & 07777);
	if (!n->region || n->region->damaged)
		return 0;
	err = region_sync_perm(fs, n);
	if (err)
		n->mode = old;
	return err;
}

/* Times as tmpfs sets them: ctime follows any change (a truncate to the
 * size the file already has is none), mtime follows a new size. */
static void set_times(struct hnode *n, const struct stat *a, int to_set,
		      bool resized)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	if (to_set & FUSE_SET_ATTR_ATIME_NOW)
		n->atime = now;
	else if (to_set & FUSE_SET_ATTR_ATIME)
		n->atime = a->st_atim;
	if (to_set & FUSE_SET_ATTR_MTIME_NOW)
		n->mtime = now;
	else if (to_set & FUSE_SET_ATTR_MTIME)
		n->mtime = a->st_mtim;
	else if (resized)
		n->mtime = now;
	if (to_set & FUSE_SET_ATTR_CTIME)
		n->ctime = a->st_ctim;
	else if (resized || (to_set & ~FUSE_SET_ATTR_SIZE))
		n->ctime = now;
}

/* st_size: the data view's length or the image's size. */
static uint64_t file_size(struct hnode *n)
{
	return n->region->dview ? n->region->length : region_size(n);
}

static int set_size(struct hshmfs *fs, struct hnode *n, off_t size)
{
	if (n->dir)
		return -EISDIR;
	if (!n->region)
		return -EINVAL;
	if (size < 0)
		return -EINVAL;
	if (n->region->dview)
		return n->region->damaged ? -EIO
					  : dview_set_length(fs, n, (uint64_t)size);
	return region_resize(fs, n, (uint64_t)size);
}

/*
 * The kernel's FATTR_KILL_SUIDGID (hshmfs_pt_kill_asked): a truncate by a
 * caller without CAP_FSETID, or any chown, of a non-directory.  The
 * kernel leaves dropping the bits to hshmfs (FUSE_HANDLE_KILLPRIV_V2), as
 * tmpfs drops them itself; the reply's attributes give the kernel the new
 * mode.
 */
static void kill_suidgid(struct hnode *n, bool asked)
{
	if (asked && !n->dir)
		n->mode = hnode_kill_suidgid(n->mode);
}

static int do_setattr(struct hshmfs *fs, struct hnode *n, struct stat *a,
		      int to_set, bool kill)
{
	uint64_t old_size = n->region ? file_size(n) : 0;
	int err = 0;

	if (to_set & FUSE_SET_ATTR_SIZE)
		err = set_size(fs, n, a->st_size);
	if (!err && (to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)))
		err = set_owner(fs, n,
				(to_set & FUSE_SET_ATTR_UID) ? a->st_uid : n->uid,
				(to_set & FUSE_SET_ATTR_GID) ? a->st_gid : n->gid);
	if (!err && (to_set & FUSE_SET_ATTR_MODE))
		err = set_mode(fs, n, a->st_mode);
	if (err)
		return err;
	kill_suidgid(n, kill);
	set_times(n, a, to_set, n->region && file_size(n) != old_size);
	return 0;
}

void fs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		struct fuse_file_info *fi)
{
	struct hshmfs *fs = fs_of(req);
	struct hnode *n;
	struct stat st;
	int err = -ENOENT;

	tree_rdlock(fs);
	n = hnode_by_ino(fs, ino);
	if (n) {
		node_lock(n);
		err = upstream_setattr_check(req, fs, n, to_set);
		if (!err)
			err = do_setattr(fs, n, attr, to_set,
					 hshmfs_pt_kill_asked(ino));
		if (!err && n->region)
			region_save_meta(fs, n);
		if (!err && !n->region && !n->foreign)
			ns_dirty(fs);
		hnode_stat(fs, n, &st);
		node_unlock(n);
	}
	tree_unlock(fs);
	if (err)
		fuse_reply_err(req, -err);
	else
		fuse_reply_attr(req, &st, fs->attr_timeout);
}

void fs_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct hshmfs *fs = fs_of(req);
	struct statvfs sv;

	if (fstatvfs(fs->hctx.shm_dirfd, &sv) == -1) {
		int err = errno;

		HSHMFS_LOG(FUSE_LOG_ERR, "statfs of %s: %s\n", fs->cfg.shm_dir,
			   strerror(err));
		fuse_reply_err(req, err);
		return;
	}
	sv.f_namemax = NAME_MAX;
	tree_rdlock(fs);
	sv.f_files = fs->ino_count + sv.f_ffree;
	tree_unlock(fs);
	fuse_reply_statfs(req, &sv);
}
