/* SPDX-License-Identifier: BSD-3-Clause */
/* upstream.c: interoperation with upstream HSHM: published links, /.hshm view. */

/*
 * Upstream HSHM on Linux names a region by a symlink
 * <links_root>/chimaera_<user>/<url without '/'> (links_root is /tmp),
 * usually to /proc/<pid>/fd/<n> of a memfd, in a directory the user made
 * 0700.
 *
 * Publishing (-o hshm_links): for each host region this mount makes, a link
 * in its owner's directory points at the region's object, so an unmodified
 * upstream process attaches with shm_attach(url).
 *
 * The view (/.hshm/<user>/<url>): the links that upstream processes
 * published.  Each valid link becomes a region file attached through the
 * link (zero-copy mmap like any region), not owned by hshmfs: rm detaches
 * only (and hides the entry), root's chown takes it over.  It is read-only
 * unless -o upstream=rw.
 *
 * Everything under links_root is someone's to change at any moment, and the
 * daemon is root, so (docs/security.md, "The upstream view"):
 *  - a link directory is opened once, O_NOFOLLOW, and used only if it is a
 *    real directory of links_root's own mount, owned by its user and closed
 *    to everyone else; every later call is relative to that fd;
 *  - a link is followed with its owner's rights (a scan thread that takes
 *    the owner's fsuid, fsgid and no groups: that drops root's DAC
 *    capabilities), either as /proc/<pid>/fd/<n> of a process of that user,
 *    or as ordinary symlinks only (no magic links); the object reached is
 *    checked (a regular file, not on a FUSE mount) through an O_PATH fd and
 *    only then opened, O_NONBLOCK so a lease never makes it wait;
 *  - scans run in their own thread, outside the tree lock; a request waits
 *    at most SCAN_WAIT_MS for one and then goes on with what the tree has;
 *  - an entry belongs to the link's owner, mode VIEW_MODE (what the 0700
 *    directory grants), so the kernel (default_permissions) keeps others
 *    out exactly as upstream's directory does;
 *  - an object carrying an hshmfs record belongs to an hshmfs mount: another
 *    mount shows it read-only and never changes it.
 */

#include "upstream_i.h"

static int user_name(uid_t uid, char *buf, size_t len)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];

	if (getpwuid_r(uid, &pw, tmp, sizeof(tmp), &res) || !res)
		return -ENOENT;
	if ((size_t)snprintf(buf, len, "%s", pw.pw_name) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int up_user_ids(const char *user, uid_t *uid, gid_t *gid)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];

	if (getpwnam_r(user, &pw, tmp, sizeof(tmp), &res) || !res)
		return -ENOENT;
	*uid = pw.pw_uid;
	*gid = pw.pw_gid;
	return 0;
}

/* The mount id of @fd, without asking any filesystem (no FUSE request). */
static int mnt_id(int fd, uint64_t *id)
{
	struct statx sx;

	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_MNT_ID, &sx))
		return -errno;
	if (!(sx.stx_mask & STATX_MNT_ID))
		return -EOPNOTSUPP;
	*id = sx.stx_mnt_id;
	return 0;
}

/* Is the directory at O_PATH fd @p a plain directory of @root's mount? */
static int same_mount(int root, int p)
{
	uint64_t a = 0, b = 0; /* gcc -O3 cannot see mnt_id sets both */
	int err = mnt_id(root, &a);

	if (!err)
		err = mnt_id(p, &b);
	if (!err && a != b)
		err = -EXDEV; /* something is mounted on it */
	return err;
}

/* The fd's directory is @uid's own and closed to everyone else. */
static int dir_is_private(int dfd, uid_t uid)
{
	struct stat st;

	if (fstat(dfd, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != uid || (st.st_mode & 077))
		return -EPERM;
	return 0;
}

/*
 * Open links_root/chimaera_<user> (made, 0700 and @uid's, when @make and
 * missing): O_NOFOLLOW, on links_root's own mount, owned by @uid, no group
 * or other bits.  Return: the fd, or -errno (not logged: callers say why).
 */
int up_user_dir_open(struct hshmfs *fs, const char *user, uid_t uid,
		     gid_t gid, bool make)
{
	char name[NAME_MAX + 1];
	int root, p = -1, dfd = -1, err = 0;

	if ((size_t)snprintf(name, sizeof(name), LINK_DIR_PREFIX "%s", user) >=
	    sizeof(name))
		return -ENAMETOOLONG;
	root = open(fs->cfg.links_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return -errno;
	if (make && mkdirat(root, name, 0700) == 0 &&
	    fchownat(root, name, uid, gid, AT_SYMLINK_NOFOLLOW))
		err = -errno;
	if (!err) {
		p = openat(root, name, O_PATH | O_DIRECTORY | O_NOFOLLOW |
			   O_CLOEXEC);
		err = p < 0 ? -errno : same_mount(root, p);
	}
	if (!err) {
		dfd = openat(p, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		err = dfd < 0 ? -errno : dir_is_private(dfd, uid);
	}
	if (p >= 0)
		close(p);
	close(root);
	if (err && dfd >= 0)
		close(dfd);
	return err ? err : dfd;
}

const char *up_dir_why(int err)
{
	return err == -EPERM ? "not its user's own private directory" :
	       err == -ENOTDIR || err == -ELOOP ? "not a directory" :
	       err == -EXDEV ? "a mount point" : strerror(-err);
}

/* The link directory of @uid for publishing (logged when unusable). */
static int link_dir_open(struct hshmfs *fs, uid_t uid, gid_t gid)
{
	char user[256];
	int dfd;

	if (user_name(uid, user, sizeof(user)))
		return -ENOENT;
	dfd = up_user_dir_open(fs, user, uid, gid, true);
	if (dfd < 0)
		HSHMFS_LOG(FUSE_LOG_ERR, "hshm_links: %s/" LINK_DIR_PREFIX
			   "%s: %s: not publishing there\n", fs->cfg.links_root,
			   user, up_dir_why(dfd));
	return dfd;
}

static int link_target(struct hshmfs *fs, struct hregion *r, char *buf,
		       size_t len)
{
	int l = snprintf(buf, len, "%s%s", fs->cfg.shm_dir, r->url);

	return l < 0 || (size_t)l >= len ? -ENAMETOOLONG : 0;
}

void upstream_publish(struct hshmfs *fs, struct hnode *n)
{
	struct hregion *r = n->region;
	char target[PATH_MAX], cur[PATH_MAX];
	ssize_t l;
	int dfd;

	if (!fs->cfg.hshm_links || !r || r->damaged || n->foreign ||
	    r->kind != HSHM_POSIX_SHM_MMAP || r->linked)
		return;
	if (link_target(fs, r, target, sizeof(target)))
		return;
	dfd = link_dir_open(fs, n->uid, n->gid);
	if (dfd < 0)
		return;
	if (symlinkat(target, dfd, r->url + 1) == 0) {
		r->linked = true;
		r->link_uid = n->uid;
	} else if (errno == EEXIST &&
		   (l = readlinkat(dfd, r->url + 1, cur, sizeof(cur) - 1)) > 0 &&
		   (cur[l] = '\0', !strcmp(cur, target))) {
		r->linked = true;
		r->link_uid = n->uid;
	} else {
		HSHMFS_LOG(FUSE_LOG_WARNING, "hshm_links: cannot publish %s: "
			   "%s\n", r->url, strerror(errno));
	}
	close(dfd);
}

/* Remove link @name of @uid's directory if it still reads @target. */
static int link_remove(struct hshmfs *fs, uid_t uid, const char *name,
		       const char *target)
{
	char user[256], cur[PATH_MAX];
	ssize_t l;
	int dfd, err = user_name(uid, user, sizeof(user));

	if (err)
		return err;
	dfd = up_user_dir_open(fs, user, uid, 0, false);
	if (dfd < 0)
		return dfd;
	l = readlinkat(dfd, name, cur, sizeof(cur) - 1);
	if (l < 0)
		err = errno == ENOENT ? 0 : -errno; /* gone already */
	else if ((size_t)l != strlen(target) || memcmp(cur, target, (size_t)l))
		err = -ESTALE; /* someone else's link now: left alone */
	else if (unlinkat(dfd, name, 0))
		err = errno == ENOENT ? 0 : -errno;
	close(dfd);
	return err;
}

void upstream_unpublish(struct hshmfs *fs, struct hnode *n)
{
	struct hregion *r = n->region;
	char target[PATH_MAX];
	int err;

	if (!r || !r->linked)
		return;
	r->linked = false;
	if (link_target(fs, r, target, sizeof(target)))
		return;
	err = link_remove(fs, r->link_uid, r->url + 1, target);
	if (err && err != -ESTALE)
		HSHMFS_LOG(FUSE_LOG_WARNING, "hshm_links: cannot withdraw %s: "
			   "%s\n", r->url, strerror(-err));
}

void upstream_withdraw(struct hshmfs *fs, struct hregion *r)
{
	const char *name = r->link_path;
	char user[256];
	int err;

	if (!name)
		return;
	err = link_remove(fs, r->link_uid, name, name + strlen(name) + 1);
	if (err && user_name(r->link_uid, user, sizeof(user)))
		snprintf(user, sizeof(user), "<uid %u>", (unsigned)r->link_uid);
	if (err)
		HSHMFS_LOG(FUSE_LOG_WARNING, "upstream: %s/" LINK_DIR_PREFIX
			   "%s/%s: not removing the link: %s\n",
			   fs->cfg.links_root, user, name,
			   err == -ESTALE ? "it names another object now" :
			   up_dir_why(err));
}

/* ---- what may change in the view ------------------------------------------ */

bool upstream_readonly(const struct hshmfs *fs, const struct hnode *n)
{
	return n->foreign && (fs->cfg.upstream != HSHMFS_UPSTREAM_RW ||
			      (n->region && n->region->peer));
}

int upstream_setattr_check(fuse_req_t req, const struct hshmfs *fs,
			   const struct hnode *n, int to_set)
{
	uid_t uid;
	gid_t gid;

	if (!n->foreign)
		return 0;
	if (upstream_readonly(fs, n))
		return -EROFS;
	if (!n->region)
		return -EPERM; /* the view's directories are the daemon's */
	if (hshm_is_owner(&n->region->be))
		return 0; /* taken over: an hshmfs region like any other */
	fs_req_cred(req, &uid, &gid, NULL);
	if (to_set & FUSE_SET_ATTR_MODE)
		return -EPERM; /* the mode says what upstream's directory grants */
	if ((to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) &&
	    (uid != 0 || !(to_set & FUSE_SET_ATTR_UID)))
		return -EPERM; /* only root's chown takes over; never a chgrp */
	return 0;
}
