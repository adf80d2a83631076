/* SPDX-License-Identifier: BSD-3-Clause */
/* recover.c: rebuild the namespace from this mount's objects under shm_dir. */

/*
 * posix_shm_mmap and gpu_shm_mmap regions live in their objects, not in the
 * daemon.  Each object carries hshmfs' record (meta.h) in bytes that HSHM
 * never uses, so a new mount with the same shm_dir and prefix finds every
 * "<prefix>.r<serial>" object and puts the region back at its path with its
 * owner, mode, times and ownership state.
 *
 * The objects are in shm_dir, which every user can write, and each object
 * belongs to its region's owner, who may rewrite it at will: nothing in it
 * is believed before it is authenticated (docs/security.md).
 *  - A record counts only with a valid tag under this mount's key (state.c),
 *    when the object's real owner (fstat) is the one it names, and when
 *    its serial is the one of the object's name (no copying a record of
 *    one's own onto another object).
 *  - A record of the previous version (no tag) is believed only when the
 *    object's owner is the one it names, its path does not start with
 *    lost+found and the root and every directory of it that exists are
 *    ones its owner could have made an entry in herself (hers, or writable
 *    by her through the other or group bits); such regions are placed after all authenticated ones
 *    (never displacing one) and their record is sealed at once.
 *  - Anything else is damaged: shown only in the daemon's lost+found (root,
 *    0755: everyone sees that their region is there and why; only the
 *    daemon's user adds or removes entries) under the object's name, with
 *    the object's real owner and mode without setuid/setgid/sticky, never
 *    attached, never published; every open fails with EIO; the object is
 *    never deleted.
 *  - An authentic record marked detached (its region was removed from
 *    hshmfs while hshmfs did not own it) is attached, not owned, in
 *    lost+found under the object's name, so that its owner (or root) can
 *    purge it there with rm once nobody holds it.
 *  - A "lost+found" in the root that is not the daemon's (a user made it)
 *    is renamed aside to "lost+found.<uid>" and a new one made.
 *  - An object whose create intent is still in the state directory and
 *    that has no authentic record was being made when the last daemon died
 *    (it never answered that create): it is removed.
 * Setuid, setgid and sticky come back on a region only from an authentic
 * record (never from a legacy one, nor from the object, whose mode holds
 * only permission bits: region.c).  Directories are
 * not recorded: the namespace file brings them back; missing ones come
 * back as needed by the regions in them (mode 0755, the region's owner).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fs_i.h"
#include "meta.h"
#include "state.h"

#define LOST_FOUND HSHMFS_LOST_FOUND
/* the daemon's, sticky like /tmp: each removes (purges) only their own
 * entries (dir.c), nobody renames or replaces another's */
#define LF_MODE (S_IFDIR | 01777)

enum rec_trust { REC_NONE, REC_AUTH, REC_LEGACY };

/* What recovery learnt about one object. */
struct found {
	const char *obj;
	uint64_t serial;
	struct stat st;
	struct hshmfs_meta m;
	enum rec_trust trust;
	bool spare;                 /* the record was in the spare page */
	bool detached;              /* its record says HSHMFS_META_DETACHED */
	const char *why;            /* damaged: why */
};

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

/* ---- lost+found ------------------------------------------------------------ */

static bool lf_ours(const struct hnode *c)
{
	return c->dir && !c->foreign && c->uid == geteuid() &&
	       (c->mode == LF_MODE || c->mode == (S_IFDIR | 0700) ||
		c->mode == (S_IFDIR | 0755));
}

/* A "lost+found" in the root that is not the daemon's directory (a user's
 * directory, or any file): renamed to lost+found.<uid>[.n]. */
static int lf_move_aside(struct hshmfs *fs, struct hnode *c)
{
	char name[NAME_MAX + 1];

	for (unsigned i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), i ? LOST_FOUND ".%u.%u" :
			 LOST_FOUND ".%u", (unsigned)c->uid, i);
		if (hnode_child(fs->root, name))
			continue;
		hnode_unlink(fs, c);
		if (hnode_link(fs, fs->root, c, name)) {
			hnode_link(fs, fs->root, c, LOST_FOUND);
			return -ENOMEM;
		}
		HSHMFS_LOG(FUSE_LOG_WARNING, "lost+found: the one in the root "
			   "was not the daemon's (uid %u): renamed to %s\n",
			   (unsigned)c->uid, name);
		if (c->region) { /* its record: the new path */
			node_lock(c);
			region_save_meta(fs, c);
			node_unlock(c);
		}
		return 0;
	}
	return -EEXIST;
}

/* The daemon's lost+found, made (or reclaimed) on first use. */
static struct hnode *lf_dir(struct hshmfs *fs)
{
	struct hnode *c = hnode_child(fs->root, LOST_FOUND);

	if (c && lf_ours(c)) {
		c->mode = LF_MODE;
		return c;
	}
	if (c && lf_move_aside(fs, c))
		return NULL;
	c = hnode_new(fs, LF_MODE, geteuid(), getegid());
	if (!c || hnode_adopt(fs, fs->root, c, LOST_FOUND))
		return NULL;
	return c;
}

/* ---- placing --------------------------------------------------------------- */

/* The directory @path (@len bytes, checked by meta_path_check) names,
 * made as needed, owned by @uid/@gid.  NULL when a component is no
 * directory, or is lost+found at the top. */
static struct hnode *mkdir_p(struct hshmfs *fs, const char *path, size_t len,
			     uid_t uid, gid_t gid)
{
	struct hnode *d = fs->root, *c;
	char comp[NAME_MAX + 1];
	size_t start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && path[i] != '/')
			continue;
		if (i == start || i - start > NAME_MAX)
			return NULL;
		memcpy(comp, path + start, i - start);
		comp[i - start] = '\0';
		start = i + 1;
		if (d == fs->root && !strcmp(comp, LOST_FOUND))
			return NULL;
		c = hnode_child(d, comp);
		if (!c) {
			c = hnode_new(fs, S_IFDIR | 0755, uid, gid);
			if (!c || hnode_adopt(fs, d, c, comp))
				return NULL;
		}
		if (!c->dir || c->foreign)
			return NULL;
		d = c;
	}
	return d;
}

/* Whether the owner of @m could have made an entry in @d herself. */
static bool may_add(const struct hnode *d, const struct hshmfs_meta *m)
{
	return d->uid == m->uid || (d->mode & S_IWOTH) ||
	       ((d->mode & S_IWGRP) && d->gid == m->gid);
}

/* Upgrade rule: the root and every directory of the path that exists are
 * ones the record's owner could have made an entry in herself; never
 * lost+found. */
static bool legacy_path_ok(struct hshmfs *fs, const struct hshmfs_meta *m)
{
	struct hnode *d = fs->root;
	char comp[NAME_MAX + 1];
	uint32_t start = 0;

	if (!may_add(d, m))
		return false;
	for (uint32_t i = 0; i < m->path_len && d; i++) {
		if (m->path[i] != '/')
			continue;
		memcpy(comp, m->path + start, i - start);
		comp[i - start] = '\0';
		start = i + 1;
		if (d == fs->root && !strcmp(comp, LOST_FOUND))
			return false;
		d = hnode_child(d, comp);
		if (d && (!d->dir || !may_add(d, m)))
			return false;
	}
	return !(start == 0 && m->path_len == strlen(LOST_FOUND) &&
		 !memcmp(m->path, LOST_FOUND, m->path_len));
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

/* Link @n at the record's path (@m, NULL for none) or, failing that, at
 * lost+found/@obj.  Return: 1 at its path, 0 in lost+found, -1 gone. */
static int place(struct hshmfs *fs, struct hnode *n,
		 const struct hshmfs_meta *m, const char *obj)
{
	const char *path = m ? m->path : NULL;
	size_t len = m ? m->path_len : 0, cut = len;
	struct hnode *dir = NULL;
	char name[NAME_MAX + 1];

	while (cut && path[cut - 1] != '/')
		cut--;
	if (path && len - cut <= NAME_MAX) {
		memcpy(name, path + cut, len - cut);
		name[len - cut] = '\0';
		dir = cut ? mkdir_p(fs, path, cut - 1, n->uid, n->gid) : fs->root;
		if (dir == fs->root && !strcmp(name, LOST_FOUND))
			dir = NULL;
	}
	if (dir && !hnode_child(dir, name) && !hnode_link(fs, dir, n, name))
		return 1;
	dir = lf_dir(fs);
	if (!dir || hnode_child(dir, obj) || hnode_link(fs, dir, n, obj)) {
		abandon(fs, n, obj);
		return -1;
	}
	return 0;
}

/* ---- one object ------------------------------------------------------------ */

/*
 * Setuid, setgid and sticky come back only from an authentic record: this
 * mount's daemon wrote them there (meta_seal), after chmod by the owner or
 * root.  A record of the previous version (@auth false) has no tag, and
 * that version never kept the bits anyway: permission bits only.
 */
static void node_from_meta(struct hnode *n, const struct hshmfs_meta *m,
			   bool auth)
{
	n->uid = m->uid;
	n->gid = m->gid;
	n->mode = S_IFREG | (m->mode & (auth ? 07777 : 0777));
	n->atime.tv_sec = m->atime_sec;
	n->atime.tv_nsec = m->atime_nsec;
	n->mtime.tv_sec = m->mtime_sec;
	n->mtime.tv_nsec = m->mtime_nsec;
	n->ctime.tv_sec = m->ctime_sec;
	n->ctime.tv_nsec = m->ctime_nsec;
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
	if (m->flags & HSHMFS_META_DVIEW)
		dview_restore(r);
	return 0;
}

/* How far the record of @f is believed (see the comment at the top). */
static void judge(struct hshmfs *fs, struct found *f, int err)
{
	bool owner = f->m.uid == f->st.st_uid && f->m.gid == f->st.st_gid;

	f->trust = REC_NONE;
	if (err == -ENODATA)
		f->why = "no hshmfs record (truncated or not ours)";
	else if (err == -EBADMSG)
		f->why = "hshmfs record damaged";
	else if (err == -EKEYREJECTED)
		f->why = "hshmfs record not authentic (not made by this mount)";
	else if (!owner)
		f->why = "hshmfs record names another owner than the object's";
	else if (f->m.serial != f->serial)
		f->why = "hshmfs record of another object (serial)";
	else if (err == -ENOKEY && !legacy_path_ok(fs, &f->m))
		f->why = "record of a previous version with a path in someone "
			 "else's directory";
	else
		f->trust = err ? REC_LEGACY : REC_AUTH;
}

static struct hregion *new_region(const char *obj, uint64_t serial)
{
	/* "unknown" kind until a record says */
	struct hregion *r = region_new(HSHM_BACKEND_KIND_COUNT);

	if (!r)
		return NULL;
	r->serial = serial;
	snprintf(r->url, sizeof(r->url), "/%s", obj);
	return r;
}

/* Build the node of @f (open @fd) and put it in the tree. */
static void restore(struct hshmfs *fs, struct found *f, int fd)
{
	struct hregion *r = new_region(f->obj, f->serial);
	struct hnode *n;
	int err = -EBADMSG, at;

	n = r ? hnode_new(fs, S_IFREG | (f->st.st_mode & 0777), f->st.st_uid,
			  f->st.st_gid) : NULL;
	if (!n) {
		region_free(r);
		return;
	}
	n->region = r;
	r->dev = f->st.st_dev; /* what a purge may remove (region.c) */
	r->objino = f->st.st_ino;
	uxattr_claim(fs, n); /* its user.* attributes (namespace file) */
	if (f->trust != REC_NONE) {
		node_from_meta(n, &f->m, f->trust == REC_AUTH);
		r->kind = (enum hshm_backend_kind)f->m.kind;
		err = attach(fs, r, fd, &f->m, r->url);
		if (err)
			f->why = hshmfs_damage_why(fd, (uint64_t)f->st.st_size,
						   r->kind, err);
	}
	if (err) {
		mark_damaged(r, (uint64_t)f->st.st_size, f->why);
		HSHMFS_LOG(FUSE_LOG_WARNING, "recover: %s: %s\n", f->obj, r->state);
	}
	/* an authenticated one keeps its path even when its header is bad;
	 * a detached one is no longer hshmfs': lost+found, for a purge */
	at = place(fs, n, f->trust != REC_NONE && !f->detached ? &f->m : NULL,
		   f->obj);
	if (at < 0 || err)
		return;
	if (at == 1)
		upstream_publish(fs, n);
	__atomic_store_n(&r->rec_spare, f->spare, __ATOMIC_RELAXED);
	if (at == 0 || f->trust == REC_LEGACY ||
	    (f->spare && !__atomic_load_n(&fs->rec_no_xattr, __ATOMIC_RELAXED))) {
		/* sealed: its path now, our key, in the object's attribute */
		node_lock(n);
		region_save_meta(fs, n);
		node_unlock(n);
	}
}

/* A create the last daemon never finished: the object has no authentic
 * record and its intent is still there.  Return: whether it was removed. */
static bool drop_unfinished(struct hshmfs *fs, const struct found *f, int err,
			    int fd)
{
	char url[NAME_MAX + 2];

	if (err == 0 || err == -ENOKEY || !state_intent_pending(fs, f->serial))
		return false;
	snprintf(url, sizeof(url), "/%s", f->obj);
	err = hshm_shm_unlink_fd(&fs->hctx, url, fd); /* only what we read */
	if (err) {
		HSHMFS_LOG(FUSE_LOG_ERR, "recover: %s: removing the object of an "
			   "unfinished create: %s\n", f->obj, strerror(-err));
		return false;
	}
	HSHMFS_LOG(FUSE_LOG_INFO, "recover: %s: removed (a create that the "
		   "last daemon never finished)\n", f->obj);
	return true;
}

/*
 * Examine object @obj.  With @legacy false, everything but well-formed
 * records of the previous version is restored and those return 1 (for the
 * second pass); with @legacy true, only those are.
 */
static int recover_one(struct hshmfs *fs, const char *obj, uint64_t serial,
		       bool legacy)
{
	struct found f = { .obj = obj, .serial = serial };
	int fd, err;

	fd = openat(fs->hctx.shm_dirfd, obj, O_RDWR | O_NOFOLLOW | O_NONBLOCK |
		    O_CLOEXEC);
	if (fd < 0 || fstat(fd, &f.st) || !S_ISREG(f.st.st_mode)) {
		HSHMFS_LOG(FUSE_LOG_ERR, "recover: %s: not a usable object\n", obj);
		if (fd >= 0)
			close(fd);
		return 0;
	}
	err = record_read(fs, fd, (uint64_t)f.st.st_size, &f.m, &f.spare);
	if ((err == -ENOKEY) != legacy) {
		close(fd);
		return err == -ENOKEY;
	}
	if (drop_unfinished(fs, &f, err, fd)) {
		close(fd);
		return 0;
	}
	judge(fs, &f, err);
	if (f.trust != REC_NONE && (f.m.flags & HSHMFS_META_DETACHED)) {
		f.detached = true;
		f.m.flags &= ~HSHMFS_META_OWNED; /* nobody's: never destroyed */
		HSHMFS_LOG(FUSE_LOG_INFO, "recover: %s was removed from hshmfs "
			   "while another owner held it: in lost+found (rm "
			   "there purges it)\n", obj);
	}
	restore(fs, &f, fd);
	close(fd);
	return 0;
}

struct objlist {
	char **names;
	uint64_t *serials;
	size_t count, cap;
};

static int objlist_add(struct objlist *l, const char *name, uint64_t serial)
{
	if (l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		char **nn = realloc(l->names, cap * sizeof(*nn));
		uint64_t *ns;

		if (!nn)
			return -ENOMEM;
		l->names = nn;
		ns = realloc(l->serials, cap * sizeof(*ns));
		if (!ns)
			return -ENOMEM;
		l->serials = ns;
		l->cap = cap;
	}
	if (!(l->names[l->count] = strdup(name)))
		return -ENOMEM;
	l->serials[l->count++] = serial;
	return 0;
}

static void objlist_free(struct objlist *l)
{
	for (size_t i = 0; i < l->count; i++)
		free(l->names[i]);
	free(l->names);
	free(l->serials);
}

static int list_objects(struct hshmfs *fs, struct objlist *l)
{
	int dfd = dup(fs->hctx.shm_dirfd), err = 0;
	struct dirent *de;
	uint64_t serial;
	DIR *d;

	if (dfd < 0 || !(d = fdopendir(dfd))) {
		err = -errno;
		if (dfd >= 0)
			close(dfd);
		HSHMFS_LOG(FUSE_LOG_ERR, "recover: reading %s: %s\n",
			   fs->cfg.shm_dir, strerror(-err));
		return err;
	}
	while (!err && (de = readdir(d)))
		if (parse_name(fs->cfg.prefix, de->d_name, &serial))
			err = objlist_add(l, de->d_name, serial);
	closedir(d);
	return err;
}

/* Every region keeps its object open: warn, once, when the objects found
 * cannot all be (those past the limit come up damaged, EMFILE). */
static void warn_fd_limit(size_t objects)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY ||
	    objects + 64 <= rl.rlim_cur)
		return;
	HSHMFS_LOG(FUSE_LOG_WARNING, "recover: %zu objects in shm_dir but an "
		   "open-file limit of %llu (one fd per region): those past it "
		   "come up damaged; raise the hard limit (LimitNOFILE=, "
		   "ulimit -Hn) and remount\n", objects,
		   (unsigned long long)rl.rlim_cur);
}

int region_recover(struct hshmfs *fs)
{
	struct objlist l = { 0 };
	bool legacy = false;
	int err = list_objects(fs, &l);

	if (!err)
		warn_fd_limit(l.count);

	for (size_t i = 0; !err && i < l.count; i++) {
		if (recover_one(fs, l.names[i], l.serials[i], false))
			legacy = true;
		if (l.serials[i] >= fs->next_serial)
			fs->next_serial = l.serials[i] + 1;
	}
	for (size_t i = 0; !err && legacy && i < l.count; i++)
		recover_one(fs, l.names[i], l.serials[i], true);
	if (!err)
		state_intent_clear(fs);
	if (!err && l.count)
		HSHMFS_LOG(FUSE_LOG_INFO, "recovered %zu object(s) from %s\n",
			   l.count, fs->cfg.shm_dir);
	objlist_free(&l);
	return err;
}
