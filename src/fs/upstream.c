/* SPDX-License-Identifier: BSD-3-Clause */
/* upstream.c: interoperation with upstream HSHM: published links, /.hshm view. */

/*
 * Upstream HSHM on Linux names a region by a symlink
 * <links_root>/chimaera_<user>/<url without '/'> (links_root is /tmp).
 *
 * Publishing (-o hshm_links): for each host region this mount makes, a link
 * in its owner's directory points at the region's object, so an unmodified
 * upstream process attaches with shm_attach(url).  The directory is opened
 * with O_NOFOLLOW and must belong to the user (or root) and not be writable
 * by others; an existing link of another target is never replaced.
 *
 * The view (/.hshm/<user>/<url>): the links that upstream processes
 * published, rescanned whenever such a directory is looked up or listed.
 * Each valid link becomes a region file attached through the link (zero-copy
 * mmap like any region), owned and moded like the object it reaches, and
 * not owned by hshmfs: rm detaches only (and hides the entry), chown takes it
 * over.  It is read-only unless -o upstream=rw.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs_i.h"

#define LINK_DIR_PREFIX "chimaera_"
#define VIEW_NAME ".hshm"

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

/* Open (making it if needed) the link directory of @uid, safely. */
static int link_dir_open(struct hshmfs *fs, uid_t uid, gid_t gid)
{
	char user[256], name[300];
	struct stat st;
	int root, dfd;

	if (user_name(uid, user, sizeof(user)))
		return -ENOENT;
	snprintf(name, sizeof(name), LINK_DIR_PREFIX "%s", user);
	root = open(fs->cfg.links_root, O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return -errno;
	if (mkdirat(root, name, 0700) == 0 && fchownat(root, name, uid, gid,
						       AT_SYMLINK_NOFOLLOW))
		HSHMFS_LOG(FUSE_LOG_WARNING, "chown of %s: %s\n", name,
			   strerror(errno));
	dfd = openat(root, name, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(root);
	if (dfd < 0)
		return -errno;
	if (fstat(dfd, &st) || (st.st_uid != uid && st.st_uid != 0) ||
	    (st.st_mode & 022)) {
		HSHMFS_LOG(FUSE_LOG_ERR, "hshm_links: %s is not %s's own "
			   "private directory: not publishing there\n", name,
			   user);
		close(dfd);
		return -EPERM;
	}
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

void upstream_unpublish(struct hshmfs *fs, struct hnode *n)
{
	struct hregion *r = n->region;
	char target[PATH_MAX], cur[PATH_MAX];
	ssize_t l;
	int dfd;

	if (!r || !r->linked)
		return;
	r->linked = false;
	if (link_target(fs, r, target, sizeof(target)))
		return;
	dfd = link_dir_open(fs, r->link_uid, n->gid);
	if (dfd < 0)
		return;
	l = readlinkat(dfd, r->url + 1, cur, sizeof(cur) - 1);
	if (l > 0 && (cur[l] = '\0', !strcmp(cur, target)))
		unlinkat(dfd, r->url + 1, 0);
	close(dfd);
}

/* ---- the /.hshm view ------------------------------------------------------ */

int upstream_view_init(struct hshmfs *fs)
{
	struct hnode *v;

	if (fs->cfg.upstream == HSHMFS_UPSTREAM_OFF)
		return 0;
	v = hnode_new(fs, S_IFDIR | 0555, 0, 0);
	if (!v)
		return -ENOMEM;
	v->foreign = true;
	v->dir->view = HSHMFS_VIEW_ROOT;
	return hnode_link(fs, fs->root, v, VIEW_NAME);
}

static bool dismissed(struct hdir *d, const struct stat *st)
{
	for (size_t i = 0; i < d->ndismissed; i++)
		if (d->dismissed[i].dev == st->st_dev &&
		    d->dismissed[i].ino == st->st_ino)
			return true;
	return false;
}

/* A link this mount published itself: its region is already in the tree. */
static bool is_own_link(struct hshmfs *fs, int dfd, const char *name)
{
	char cur[PATH_MAX], mine[PATH_MAX];
	ssize_t l = readlinkat(dfd, name, cur, sizeof(cur) - 1);
	int ml = snprintf(mine, sizeof(mine), "%s/%s.r", fs->cfg.shm_dir,
			  fs->cfg.prefix);

	if (l <= 0 || ml < 0 || (size_t)ml >= sizeof(mine))
		return false;
	cur[l] = '\0';
	return !strncmp(cur, mine, (size_t)ml);
}

/* Attach to the region behind link @name of directory @dfd. */
static struct hnode *view_attach(struct hshmfs *fs, struct hnode *dir, int dfd,
				 const char *name)
{
	int flags = O_CLOEXEC | O_RDWR;
	struct hregion *r;
	struct hnode *n;
	struct stat st;
	char url[HSHM_URL_MAX + 1];
	int fd;

	if (is_own_link(fs, dfd, name))
		return NULL;
	fd = openat(dfd, name, flags); /* follows the link: that is its use */
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || dismissed(dir->dir, &st) ||
	    !(r = calloc(1, sizeof(*r)))) {
		close(fd);
		return NULL;
	}
	pthread_rwlock_init(&r->map_lock, NULL);
	r->kind = HSHM_POSIX_SHM_MMAP;
	r->dev = st.st_dev;
	r->objino = st.st_ino;
	strcpy(r->state, "ok");
	snprintf(url, sizeof(url), "/%s", name);
	snprintf(r->url, sizeof(r->url), "%s", url);
	if (hshm_shm_attach_fd(&r->be, &fs->hctx, r->kind, fd, url)) {
		r->damaged = true;
		r->obj_size = (uint64_t)st.st_size;
		snprintf(r->state, sizeof(r->state), "damaged: not an HSHM "
			 "region this build can attach");
	}
	close(fd);
	r->link_path = malloc(PATH_MAX);
	if (r->link_path && snprintf(r->link_path, PATH_MAX, "%s/" LINK_DIR_PREFIX
				     "%s/%s", fs->cfg.links_root, dir->name,
				     name) >= PATH_MAX) {
		free(r->link_path); /* too long to remove later: keep none */
		r->link_path = NULL;
	}
	n = hnode_new(fs, S_IFREG | (st.st_mode & 0777), st.st_uid, st.st_gid);
	if (!n) {
		hshm_shm_detach(&r->be);
		pthread_rwlock_destroy(&r->map_lock);
		free(r->link_path);
		free(r);
		return NULL;
	}
	n->foreign = true;
	n->region = r;
	return n;
}

static void view_drop(struct hshmfs *fs, struct hnode *c)
{
	hnode_unlink(fs, c);
	hnode_maybe_drop(fs, c);
}

/* Rescan one user's links: add new ones, drop the ones that went away. */
static void view_scan_user(struct hshmfs *fs, struct hnode *dir, int dfd)
{
	struct hnode *c, *next;
	struct dirent *de;
	DIR *d = fdopendir(dup(dfd));

	if (!d)
		return;
	for (c = dir->dir->head; c; c = next) { /* gone or stale links */
		struct stat st;

		next = c->next;
		if (fstatat(dfd, c->name, &st, 0) || st.st_ino != c->region->objino ||
		    st.st_dev != c->region->dev)
			view_drop(fs, c);
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || hnode_child(dir, de->d_name) ||
		    strlen(de->d_name) >= HSHM_URL_MAX)
			continue;
		c = view_attach(fs, dir, dfd, de->d_name);
		if (c)
			hnode_adopt(fs, dir, c, de->d_name);
	}
	closedir(d);
}

static void view_scan_root(struct hshmfs *fs, struct hnode *v)
{
	size_t pl = sizeof(LINK_DIR_PREFIX) - 1;
	struct dirent *de;
	DIR *d = opendir(fs->cfg.links_root);

	if (!d)
		return;
	while ((de = readdir(d))) {
		struct hnode *u;
		const char *user = de->d_name + pl;

		if (strncmp(de->d_name, LINK_DIR_PREFIX, pl) || !*user ||
		    hnode_child(v, user))
			continue;
		u = hnode_new(fs, S_IFDIR | 0555, 0, 0);
		if (!u)
			break;
		u->foreign = true;
		u->dir->view = HSHMFS_VIEW_USER;
		hnode_adopt(fs, v, u, user);
	}
	closedir(d);
}

/* tree_lock held for writing. */
static void view_refresh(struct hshmfs *fs, struct hnode *dir)
{
	char path[PATH_MAX];
	int dfd;

	if (dir->dir->view == HSHMFS_VIEW_ROOT) {
		view_scan_root(fs, dir);
		return;
	}
	if (snprintf(path, sizeof(path), "%s/" LINK_DIR_PREFIX "%s",
		     fs->cfg.links_root, dir->name) >= (int)sizeof(path))
		return;
	dfd = open(path, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return;
	view_scan_user(fs, dir, dfd);
	close(dfd);
}

void upstream_refresh(struct hshmfs *fs, fuse_ino_t ino)
{
	struct hnode *n;

	pthread_rwlock_wrlock(&fs->tree_lock);
	n = hnode_by_ino(fs, ino);
	if (n && n->dir && n->dir->view)
		view_refresh(fs, n);
	pthread_rwlock_unlock(&fs->tree_lock);
}

/* rm in the view: detach (the region is not ours) and hide the link. */
void upstream_dismiss(struct hnode *dir, struct hnode *n)
{
	struct hdir *d = dir->dir;
	void *p;

	if (!d->view || !n->region || hshm_is_owner(&n->region->be))
		return;
	p = realloc(d->dismissed, (d->ndismissed + 1) * sizeof(*d->dismissed));
	if (!p)
		return;
	d->dismissed = p;
	d->dismissed[d->ndismissed].dev = n->region->dev;
	d->dismissed[d->ndismissed].ino = n->region->objino;
	d->ndismissed++;
}
