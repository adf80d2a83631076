/* SPDX-License-Identifier: BSD-3-Clause */
/* dir.c: namespace handlers: lookup, mkdir, unlink, rename, links, readdir. */
#include <errno.h>
#include <stdio.h> /* RENAME_NOREPLACE */
#include <stdlib.h>
#include <string.h>

#include "fs_i.h"
#include "ns.h"

void fs_req_cred(fuse_req_t req, uid_t *uid, gid_t *gid, mode_t *umask)
{
	const struct fuse_ctx *c = fuse_req_ctx(req);

	*uid = c->uid;
	*gid = c->gid;
	if (umask)
		*umask = c->umask;
}

int dir_name_check(const char *name)
{
	size_t n = strlen(name);

	if (n > NAME_MAX)
		return -ENAMETOOLONG;
	if (n == 0 || strchr(name, '/'))
		return -EINVAL;
	return 0;
}

/*
 * Read-lock the tree for a request on directory @ino.  A /.hshm directory
 * is rescanned first (under the write lock), so what upstream processes
 * published since shows up; any other directory costs nothing extra.
 */
static void tree_rdlock_dir(fuse_req_t req, struct hshmfs *fs, fuse_ino_t ino)
{
	struct hnode *d;

	tree_rdlock(fs);
	d = hnode_by_ino(fs, ino);
	if (!d || !d->dir || !d->dir->view)
		return;
	tree_unlock(fs);
	upstream_refresh(fs, req, ino);
	tree_rdlock(fs);
}

/* Lookup of @name in @parent (tree_lock held); entry filled on success. */
static int do_lookup(struct hshmfs *fs, fuse_ino_t parent, const char *name,
		     struct fuse_entry_param *e)
{
	struct hnode *dir = hnode_by_ino(fs, parent), *n;

	if (!dir)
		return -ENOENT;
	if (!dir->dir)
		return -ENOTDIR;
	if (strlen(name) > NAME_MAX)
		return -ENAMETOOLONG;
	n = hnode_target(hnode_child(dir, name));
	if (!n)
		return -ENOENT;
	if (n->region)
		region_refresh(fs, n);
	node_lock(n);
	hnode_entry(fs, n, e);
	node_unlock(n);
	return 0;
}

void fs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct hshmfs *fs = fs_of(req);
	struct fuse_entry_param e;
	int err;

	tree_rdlock_dir(req, fs, parent);
	err = do_lookup(fs, parent, name, &e);
	tree_unlock(fs);
	if (err == -ENOENT) {
		/* negative entry: cached for entry_timeout */
		memset(&e, 0, sizeof(e));
		e.entry_timeout = fs->entry_timeout;
		fuse_reply_entry(req, &e);
		return;
	}
	if (err)
		fuse_reply_err(req, -err);
	else
		fuse_reply_entry(req, &e);
}

void fs_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	struct hshmfs *fs = fs_of(req);
	struct hnode *n;

	tree_wrlock(fs);
	n = hnode_by_ino(fs, ino);
	if (n)
		hnode_forget(fs, n, nlookup);
	tree_unlock(fs);
	fuse_reply_none(req);
}

void fs_forget_multi(fuse_req_t req, size_t count,
		     struct fuse_forget_data *forgets)
{
	struct hshmfs *fs = fs_of(req);

	tree_wrlock(fs);
	for (size_t i = 0; i < count; i++) {
		struct hnode *n = hnode_by_ino(fs, forgets[i].ino);

		if (n)
			hnode_forget(fs, n, forgets[i].nlookup);
	}
	tree_unlock(fs);
	fuse_reply_none(req);
}

int dir_may_add(const struct hnode *dir, const char *name)
{
	int err = dir_name_check(name);

	if (err)
		return err;
	if (!dir || dir->unlinked)
		return -ENOENT;
	if (!dir->dir)
		return -ENOTDIR;
	if (hnode_child(dir, name))
		return -EEXIST;
	if (dir->foreign)
		return -EROFS; /* the /.hshm view shows what upstream published */
	return 0;
}

void dir_new_owner(fuse_req_t req, const struct hnode *dir, mode_t *mode,
		   uid_t *uid, gid_t *gid)
{
	fs_req_cred(req, uid, gid, NULL);
	if (dir->mode & S_ISGID) {
		*gid = dir->gid;
		if (S_ISDIR(*mode))
			*mode |= S_ISGID;
	}
}

int dir_add(struct hshmfs *fs, struct hnode *dir, const char *name,
	    mode_t mode, uid_t uid, gid_t gid, struct hnode **out)
{
	struct hnode *n = hnode_new(fs, mode, uid, gid);
	int err;

	if (!n)
		return -ENOMEM;
	err = hnode_adopt(fs, dir, n, name);
	if (err)
		return err;
	hnode_touch(dir, false, true, true);
	*out = n;
	return 0;
}

/* mkdir and symlink: a node for the caller of @req (tree_lock held for
 * writing). */
static int new_child(fuse_req_t req, struct hshmfs *fs, fuse_ino_t parent,
		     const char *name, mode_t mode, struct hnode **out)
{
	struct hnode *dir = hnode_by_ino(fs, parent);
	uid_t uid;
	gid_t gid;
	int err = dir_may_add(dir, name);

	if (err)
		return err;
	dir_new_owner(req, dir, &mode, &uid, &gid);
	return dir_add(fs, dir, name, mode, uid, gid, out);
}

/*
 * Make daemon-side node @name (a directory, symlink, FIFO, socket or
 * device node) in @parent for the caller of @req and reply with its entry,
 * or with @err, a check the caller made first.  @target, a symlink's
 * (allocated), becomes the node's, or is freed; @rdev is a device's.
 */
static void reply_new_node(fuse_req_t req, int err, fuse_ino_t parent,
			   const char *name, mode_t mode, dev_t rdev,
			   char *target)
{
	struct hshmfs *fs = fs_of(req);
	struct fuse_entry_param e;
	struct hnode *n;

	if (!err) {
		tree_wrlock(fs);
		err = new_child(req, fs, parent, name, mode, &n);
		if (!err) {
			n->target = target;
			target = NULL;
			n->rdev = rdev;
			hnode_entry(fs, n, &e);
		}
		tree_unlock(fs);
	}
	free(target);
	if (err) {
		fuse_reply_err(req, -err);
		return;
	}
	ns_dirty(fs);
	fuse_reply_entry(req, &e);
}

void fs_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	reply_new_node(req, 0, parent, name, S_IFDIR | (mode & 07777), 0, NULL);
}

void fs_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
		const char *name)
{
	char *target = strdup(link);
	int err = target ? 0 : -ENOMEM;

	if (!err && strlen(link) >= PATH_MAX)
		err = -ENAMETOOLONG;
	reply_new_node(req, err, parent, name, S_IFLNK | 0777, 0, target);
}

void fs_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct hshmfs *fs = fs_of(req);
	char buf[PATH_MAX];
	struct hnode *n;
	int err = 0;

	tree_rdlock(fs);
	n = hnode_by_ino(fs, ino);
	if (!n)
		err = -ENOENT;
	else if (!n->target)
		err = -EINVAL;
	else
		strcpy(buf, n->target);
	tree_unlock(fs);
	if (err)
		fuse_reply_err(req, -err);
	else
		fuse_reply_readlink(req, buf);
}

/*
 * FIFOs and sockets are names with attributes in the daemon (the kernel
 * does their I/O).  Device nodes too, for root, on a mount with
 * -o devnodes only: every mount is nodev, so they never open as devices,
 * but without the option the namespace holds no device node at all (a
 * copy of it, by tar or rsync as root, onto a file system mounted with dev
 * would make them live).  0 or -EPERM (logged).
 */
static int special_ok(fuse_req_t req, struct hshmfs *fs, const char *name,
		      mode_t mode)
{
	uid_t uid;
	gid_t gid;

	if (S_ISFIFO(mode) || S_ISSOCK(mode))
		return 0;
	fs_req_cred(req, &uid, &gid, NULL);
	if ((S_ISCHR(mode) || S_ISBLK(mode)) && fs->cfg.devnodes && uid == 0)
		return 0;
	HSHMFS_LOG(FUSE_LOG_INFO, "mknod of '%s' (type 0%o) refused: %s\n",
		   name, mode & S_IFMT, !S_ISCHR(mode) && !S_ISBLK(mode) ?
		   "not a type hshmfs holds" : fs->cfg.devnodes ?
		   "device nodes are root's" : "device nodes need -o devnodes");
	return -EPERM;
}

static void mknod_special(fuse_req_t req, fuse_ino_t parent, const char *name,
			  mode_t mode, dev_t rdev)
{
	reply_new_node(req, special_ok(req, fs_of(req), name, mode), parent,
		       name, mode & (S_IFMT | 07777),
		       S_ISCHR(mode) || S_ISBLK(mode) ? rdev : 0, NULL);
}

/* Regular files become regions; the rest are daemon-side nodes. */
void fs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
	      dev_t rdev)
{
	if (S_ISREG(mode))
		file_mknod_region(req, parent, name, mode);
	else
		mknod_special(req, parent, name, mode, rdev);
}

/*
 * rm of a region in /lost+found by its owner (or root, or the owner of
 * lost+found, who is the mounter) destroys its object, whatever its state:
 * the way to purge damaged, record-less and unplaced objects (errors.md).
 * The kernel's sticky-bit check has already refused anybody else.  A
 * damaged region anywhere else is purged by its owner's or root's rm too
 * (its record survives a truncation, so it is at its path: record.c);
 * anybody else's rm only drops it from the tree.  Node lock held.
 */
static void mark_purge(const struct hnode *dir, struct hnode *n, uid_t uid)
{
	bool lf = dir->name && !strcmp(dir->name, HSHMFS_LOST_FOUND) &&
		  dir->parent && !dir->parent->parent;

	if (!n->region || n->foreign)
		return;
	if (lf && (uid == 0 || uid == n->uid || uid == dir->uid))
		n->region->purge = PURGE_LOST_FOUND;
	else if (n->region->damaged && (uid == 0 || uid == n->uid))
		n->region->purge = PURGE_DAMAGED;
}

static int do_remove(struct hshmfs *fs, fuse_ino_t parent, const char *name,
		     bool want_dir, uid_t uid)
{
	struct hnode *dir = hnode_by_ino(fs, parent), *n;

	if (!dir || !dir->dir)
		return dir ? -ENOTDIR : -ENOENT;
	n = hnode_child(dir, name);
	if (!n)
		return -ENOENT;
	if (want_dir && !n->dir)
		return -ENOTDIR;
	if (!want_dir && n->dir)
		return -EISDIR;
	if (want_dir && n->dir->count)
		return -ENOTEMPTY;
	if (n->foreign && n->dir)
		return -EROFS;
	if (n->foreign)
		upstream_dismiss(dir, n);
	if (n->link_of || n->links) {
		int err = link_unname(fs, n); /* the region keeps other names */

		if (!err)
			hnode_touch(dir, false, true, true);
		return err;
	}
	if (hnode_in_ns(n) || n->xattrs) /* xattrs: no setter under our lock */
		ns_dirty(fs);
	hnode_unlink(fs, n);
	hnode_touch(dir, false, true, true);
	node_lock(n);
	mark_purge(dir, n, uid); /* the node lock: r->damaged */
	n->nlink = 0;
	hnode_touch(n, false, false, true);
	node_unlock(n);
	hnode_maybe_drop(fs, n);
	return 0;
}

void fs_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct hshmfs *fs = fs_of(req);
	uid_t uid;
	gid_t gid;
	int err;

	fs_req_cred(req, &uid, &gid, NULL);
	tree_wrlock(fs);
	err = do_remove(fs, parent, name, false, uid);
	tree_unlock(fs);
	fuse_reply_err(req, -err);
}

void fs_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct hshmfs *fs = fs_of(req);
	int err;

	tree_wrlock(fs);
	err = do_remove(fs, parent, name, true, 0);
	tree_unlock(fs);
	fuse_reply_err(req, -err);
}

static bool is_ancestor(struct hnode *a, struct hnode *n)
{
	for (; n; n = n->parent)
		if (n == a)
			return true;
	return false;
}

/* Every record below @top (its paths changed).  No recursion: a user
 * makes the depth (tree_lock held for writing). */
static void save_subtree(struct hshmfs *fs, struct hnode *top)
{
	struct hnode *c = top;

	for (;;) {
		if (c->region) {
			node_lock(c);
			region_save_meta(fs, c);
			node_unlock(c);
		}
		if (c->dir && c->dir->head) {
			c = c->dir->head;
			continue;
		}
		while (c != top && !c->next)
			c = c->parent;
		if (c == top)
			return;
		c = c->next;
	}
}

static int rename_target_ok(struct hnode *src, struct hnode *dst)
{
	if (!dst || dst == src)
		return 0;
	if (src->dir && !dst->dir)
		return -ENOTDIR;
	if (!src->dir && dst->dir)
		return -EISDIR;
	if (dst->dir && dst->dir->count)
		return -ENOTEMPTY;
	return 0;
}

static int do_rename(struct hshmfs *fs, fuse_ino_t parent, const char *name,
		     fuse_ino_t newparent, const char *newname,
		     unsigned int flags)
{
	struct hnode *sd = hnode_by_ino(fs, parent);
	struct hnode *dd = hnode_by_ino(fs, newparent);
	struct hnode *src, *dst;
	int err;

	if (flags & ~RENAME_NOREPLACE)
		return -EINVAL;
	if (!sd || !dd)
		return -ENOENT;
	if (!sd->dir || !dd->dir)
		return -ENOTDIR;
	if ((err = dir_name_check(newname)))
		return err;
	src = hnode_child(sd, name);
	if (!src)
		return -ENOENT;
	if (src->foreign || dd->foreign)
		return -EROFS;
	if (src->dir && is_ancestor(src, dd))
		return -EINVAL;
	dst = hnode_child(dd, newname);
	if (dst && (flags & RENAME_NOREPLACE))
		return -EEXIST;
	/* two names of one file: nothing to do (POSIX rename) */
	if ((err = rename_target_ok(src, dst)) ||
	    (dst && hnode_target(dst) == hnode_target(src)))
		return err;
	if (dst && (dst->link_of || dst->links)) {
		if ((err = link_unname(fs, dst)))
			return err;
	} else if (dst) {
		if (hnode_in_ns(dst) || dst->xattrs)
			ns_dirty(fs);
		hnode_unlink(fs, dst);
		dst->nlink = 0;
		hnode_maybe_drop(fs, dst);
	}
	hnode_unlink(fs, src);
	err = hnode_link(fs, dd, src, newname);
	if (err) { /* only ENOMEM for the name copy: relink under the old one */
		hnode_link(fs, sd, src, src->name);
		return err;
	}
	hnode_touch(sd, false, true, true);
	hnode_touch(dd, false, true, true);
	hnode_touch(hnode_target(src), false, false, true);
	save_subtree(fs, src);
	if (hnode_in_ns(src) || src->link_of)
		ns_dirty(fs);
	return 0;
}

void fs_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
	       fuse_ino_t newparent, const char *newname, unsigned int flags)
{
	struct hshmfs *fs = fs_of(req);
	int err;

	tree_wrlock(fs);
	err = do_rename(fs, parent, name, newparent, newname, flags);
	tree_unlock(fs);
	fuse_reply_err(req, -err);
}

/* ---- readdir: a snapshot taken at opendir gives stable offsets ---------- */

struct snap_ent {
	uint64_t ino;
	mode_t mode;
	char *name;
};

struct dir_snap {
	size_t n;
	struct snap_ent *e;
};

static int snap_add(struct dir_snap *s, uint64_t ino, mode_t mode,
		    const char *name)
{
	s->e[s->n].name = strdup(name);
	if (!s->e[s->n].name)
		return -ENOMEM;
	s->e[s->n].ino = ino;
	s->e[s->n].mode = mode;
	s->n++;
	return 0;
}

static void snap_free(struct dir_snap *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->e[i].name);
	free(s->e);
	free(s);
}

/* The file type of @n (tree lock held): the mode is the node lock's (a
 * chmod, or a write that drops setuid, changes it), the type never. */
static mode_t node_type(struct hnode *n)
{
	mode_t t;

	node_lock(n);
	t = n->mode & S_IFMT;
	node_unlock(n);
	return t;
}

static int snap_take(struct hnode *d, struct dir_snap **out)
{
	struct dir_snap *s = calloc(1, sizeof(*s));
	struct hnode *up = d->parent ? d->parent : d;
	int err = 0;

	if (!s)
		return -ENOMEM;
	s->e = calloc(d->dir->count + 2, sizeof(*s->e));
	if (!s->e) {
		free(s);
		return -ENOMEM;
	}
	err = snap_add(s, d->ino, node_type(d), ".");
	if (!err)
		err = snap_add(s, up->ino, node_type(up), "..");
	for (struct hnode *c = d->dir->head; c && !err; c = c->next)
		err = snap_add(s, hnode_target(c)->ino,
			       node_type(hnode_target(c)), c->name);
	if (err) {
		snap_free(s);
		return err;
	}
	*out = s;
	return 0;
}

void fs_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct hshmfs *fs = fs_of(req);
	struct dir_snap *s = NULL;
	struct hnode *d;
	int err;

	tree_rdlock_dir(req, fs, ino);
	d = hnode_by_ino(fs, ino);
	err = !d ? -ENOENT : !d->dir ? -ENOTDIR : snap_take(d, &s);
	tree_unlock(fs);
	if (err) {
		fuse_reply_err(req, -err);
		return;
	}
	fi->fh = (uintptr_t)s;
	fi->cache_readdir = 0;
	fuse_reply_open(req, fi);
}

void fs_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	snap_free((struct dir_snap *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

/* One readdirplus entry: a live lookup (skipped if gone since opendir). */
static size_t plus_entry(fuse_req_t req, struct hshmfs *fs, struct hnode *d,
			 const struct snap_ent *se, char *buf, size_t rem,
			 off_t next)
{
	struct fuse_entry_param e = { 0 };
	struct hnode *c;
	size_t len;

	if (!strcmp(se->name, ".") || !strcmp(se->name, "..")) {
		e.attr.st_ino = se->ino;
		e.attr.st_mode = se->mode;
		return fuse_add_direntry_plus(req, buf, rem, se->name, &e, next);
	}
	c = hnode_target(hnode_child(d, se->name));
	if (!c || c->ino != se->ino)
		return 0;
	node_lock(c);
	hnode_entry(fs, c, &e);
	node_unlock(c);
	len = fuse_add_direntry_plus(req, buf, rem, se->name, &e, next);
	if (len > rem) /* did not fit: give the reference back */
		__atomic_fetch_sub(&c->nlookup, 1, __ATOMIC_RELAXED);
	return len;
}

static void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi, bool plus)
{
	struct hshmfs *fs = fs_of(req);
	struct dir_snap *s = (struct dir_snap *)(uintptr_t)fi->fh;
	char *buf = malloc(size);
	size_t used = 0;
	struct hnode *d;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	tree_rdlock(fs);
	d = hnode_by_ino(fs, ino);
	for (size_t i = (size_t)off; d && i < s->n; i++) {
		struct stat st = { .st_ino = s->e[i].ino, .st_mode = s->e[i].mode };
		size_t len;

		if (plus)
			len = plus_entry(req, fs, d, &s->e[i], buf + used,
					 size - used, (off_t)i + 1);
		else
			len = fuse_add_direntry(req, buf + used, size - used,
						s->e[i].name, &st, (off_t)i + 1);
		if (len > size - used)
			break;
		used += len;
	}
	tree_unlock(fs);
	fuse_reply_buf(req, buf, used);
	free(buf);
}

void fs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, false);
}

void fs_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, true);
}
