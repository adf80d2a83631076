/* SPDX-License-Identifier: BSD-3-Clause */
/* recover.c: rebuild the namespace from this mount's objects under shm_dir. */

/*
 * posix_shm_mmap and gpu_shm_mmap regions live in their objects, not in the
 * daemon.  Each object carries hshmfs' record (meta.h) in bytes that HSHM
 * never uses, so a new mount with the same shm_dir and prefix finds every
 * "<prefix>.r<serial>" object, validates the record and then the HSHM header
 * against the object's real size, and puts the region back at its path with
 * its owner, mode, times and ownership state.  An object that fails any
 * check is never deleted: it appears under /lost+found/<object name> with
 * user.hshm.state saying why, and every open of it fails with EIO.
 * Directories are not recorded: they come back as needed by the regions in
 * them (mode 0755, owned by the region's owner).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs_i.h"
#include "meta.h"

#define LOST_FOUND HSHMFS_LOST_FOUND

static bool parse_name(const char *prefix, const char *name, uint64_t *serial)
{
	size_t pl = strlen(prefix);
	const char *p = name + pl + 2;
	uint64_t v = 0;

	if (strncmp(name, prefix, pl) || name[pl] != '.' || name[pl + 1] != 'r' ||
	    !*p)
		return false;
	for (; *p; p++) {
		if (*p < '0' || *p > '9' || v > UINT64_MAX / 10 - 1)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*serial = v;
	return true;
}

/*
 * The record is in the object's last page for both kinds (posix_shm_mmap:
 * the page at backend_size, which is the last; gpu_shm_mmap: its unused
 * last page), so it is found even when the header is damaged.
 */
static int read_meta(int fd, uint64_t size, struct hshmfs_meta *m)
{
	if (size < 8192 ||
	    pread(fd, m, sizeof(*m), (off_t)(size - 4096)) != sizeof(*m))
		return -ENODATA;
	return meta_check(m, sizeof(*m)) ? -ENODATA : 0;
}

static struct hnode *mkdir_p(struct hshmfs *fs, char *path, uid_t uid, gid_t gid)
{
	struct hnode *d = fs->root, *c;
	char *save = NULL, *comp;

	for (comp = strtok_r(path, "/", &save); comp;
	     comp = strtok_r(NULL, "/", &save)) {
		c = hnode_child(d, comp);
		if (!c) {
			c = hnode_new(fs, S_IFDIR | 0755, uid, gid);
			if (!c || hnode_adopt(fs, d, c, comp))
				return NULL;
		}
		if (!c->dir)
			return NULL;
		d = c;
	}
	return d;
}

/*
 * No place in the tree for a recovered region: only this mount's view of
 * it goes (detached first, so dropping the node can never destroy it).
 */
static void abandon(struct hshmfs *fs, struct hnode *n, const char *obj)
{
	HSHMFS_LOG(FUSE_LOG_ERR, "recover: no place for object %s: left in "
		   "shm_dir as it is\n", obj);
	hshm_shm_detach(&n->region->be);
	hnode_maybe_drop(fs, n);
}

/* Link @n at @path (from a record) or, failing that, at lost+found/@obj.
 * Return: whether it was placed (if not, @n is gone). */
static bool place(struct hshmfs *fs, struct hnode *n, const char *path,
		  const char *obj)
{
	char buf[HSHMFS_META_PATH_MAX + 1], *slash;
	struct hnode *dir = NULL;
	const char *name = obj;

	if (path) {
		snprintf(buf, sizeof(buf), "%s", path);
		slash = strrchr(buf, '/');
		name = path + (slash ? slash - buf + 1 : 0);
		if (slash)
			*slash = '\0';
		dir = slash ? mkdir_p(fs, buf, n->uid, n->gid) : fs->root;
	}
	if (!dir || hnode_child(dir, name)) {
		snprintf(buf, sizeof(buf), LOST_FOUND);
		dir = mkdir_p(fs, buf, fs->cfg.root_uid, fs->cfg.root_gid);
		name = obj;
		if (dir) /* as /tmp: each removes only their own (purge) */
			dir->mode = S_IFDIR | 01777;
	}
	if (!dir || hnode_child(dir, name) || hnode_link(fs, dir, n, name)) {
		abandon(fs, n, obj);
		return false;
	}
	return true;
}

static void node_from_meta(struct hnode *n, const struct hshmfs_meta *m)
{
	n->uid = m->uid;
	n->gid = m->gid;
	n->mode = m->mode;
	n->atime.tv_sec = m->atime_sec;
	n->atime.tv_nsec = m->atime_nsec % 1000000000u;
	n->mtime.tv_sec = m->mtime_sec;
	n->mtime.tv_nsec = m->mtime_nsec % 1000000000u;
	n->ctime.tv_sec = m->ctime_sec;
	n->ctime.tv_nsec = m->ctime_nsec % 1000000000u;
}

static void mark_damaged(struct hregion *r, uint64_t size, const char *why)
{
	r->damaged = true;
	r->obj_size = size;
	snprintf(r->state, sizeof(r->state), "damaged: %s", why);
}

static int attach(struct hshmfs *fs, struct hregion *r, int fd,
		  const struct hshmfs_meta *m, const char *url)
{
	int err;

	if (m->kind != HSHM_POSIX_SHM_MMAP && m->kind != HSHM_GPU_SHM_MMAP)
		return -EBADMSG;
	r->kind = (enum hshm_backend_kind)m->kind;
	err = hshm_shm_attach_fd(&r->be, &fs->hctx, r->kind, fd, url);
	if (err)
		return err;
	if (m->flags & HSHMFS_META_OWNED)
		hshm_set_owner(&r->be);
	return 0;
}

static void recover_one(struct hshmfs *fs, const char *obj, uint64_t serial)
{
	struct hshmfs_meta m;
	struct hregion *r = calloc(1, sizeof(*r));
	struct hnode *n = NULL;
	char url[HSHM_URL_MAX];
	struct stat st;
	int fd = -1, err;

	snprintf(url, sizeof(url), "/%s", obj);
	if (!r)
		return;
	pthread_rwlock_init(&r->map_lock, NULL);
	r->serial = serial;
	snprintf(r->url, sizeof(r->url), "%s", url);
	strcpy(r->state, "ok");
	fd = openat(fs->hctx.shm_dirfd, obj, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		HSHMFS_LOG(FUSE_LOG_ERR, "recover: %s: not a usable object\n", obj);
		goto out_free;
	}
	n = hnode_new(fs, S_IFREG | (st.st_mode & 07777), st.st_uid, st.st_gid);
	if (!n)
		goto out_free;
	n->region = r;
	r->kind = HSHM_BACKEND_KIND_COUNT; /* "unknown" until a record says */
	err = read_meta(fd, (uint64_t)st.st_size, &m);
	if (!err && (m.flags & HSHMFS_META_DETACHED)) {
		HSHMFS_LOG(FUSE_LOG_INFO, "recover: %s was removed from hshmfs "
			   "while another owner held it: left alone\n", obj);
		hnode_maybe_drop(fs, n); /* never attached: nothing to undo */
		close(fd);
		return;
	}
	if (!err) {
		node_from_meta(n, &m);
		r->kind = (enum hshm_backend_kind)m.kind;
	}
	if (!err)
		err = attach(fs, r, fd, &m, url);
	if (err) {
		mark_damaged(r, (uint64_t)st.st_size, err == -ENODATA ?
			     "no hshmfs record (truncated or not ours)" :
			     hshmfs_damage_why(fd, (uint64_t)st.st_size,
					       r->kind, err));
		HSHMFS_LOG(FUSE_LOG_WARNING, "recover: %s: %s\n", obj, r->state);
	}
	if (place(fs, n, err == -ENODATA ? NULL : m.path, obj) && !err)
		upstream_publish(fs, n);
	close(fd);
	return;
out_free:
	if (fd >= 0)
		close(fd);
	pthread_rwlock_destroy(&r->map_lock);
	free(r);
}

int region_recover(struct hshmfs *fs)
{
	int dfd = dup(fs->hctx.shm_dirfd);
	struct dirent *de;
	uint64_t serial;
	unsigned found = 0;
	DIR *d;

	if (dfd < 0 || !(d = fdopendir(dfd))) {
		int err = -errno;

		if (dfd >= 0)
			close(dfd);
		HSHMFS_LOG(FUSE_LOG_ERR, "recover: reading %s: %s\n",
			   fs->cfg.shm_dir, strerror(-err));
		return err;
	}
	while ((de = readdir(d))) {
		if (!parse_name(fs->cfg.prefix, de->d_name, &serial))
			continue;
		recover_one(fs, de->d_name, serial);
		if (serial >= fs->next_serial)
			fs->next_serial = serial + 1;
		found++;
	}
	closedir(d);
	if (found)
		HSHMFS_LOG(FUSE_LOG_INFO, "recovered %u object(s) from %s\n",
			   found, fs->cfg.shm_dir);
	return 0;
}
