/* SPDX-License-Identifier: BSD-3-Clause */
/* hardlink.c: hard links: one region (or node), one record, several names. */

/*
 * A region's node is its first name.  Each further name (link(2)) is a
 * name-only node in its directory, with no region and no attributes of its
 * own: link_of points at the region's node, which lists its other names
 * (links/link_next) and counts them all in nlink.  Lookup and readdir
 * answer with the region's inode, so the kernel sees one inode with
 * several names, and chmod, chown, xattrs and I/O through any of them
 * reach the one region; a name-only node is never looked up by inode.
 *
 * The region's record (in its object) holds the path of the region's
 * node.  When that name is removed and others are left, the region's node
 * moves to one of the others (which goes), and the record follows.  The
 * other names are kept in the namespace file ('H' entries: a path and the
 * region's serial), made again after recovery.  Symlinks, FIFOs, sockets
 * and device nodes take hard links the same way; their 'H' entries name
 * the path of the node (saved as an entry of its own) instead of a serial.
 * Directories take none (the kernel refuses them first).
 *
 * Everything here holds the tree lock for writing; the node lock of the
 * region for its nlink, ctime and record.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fs_i.h"
#include "ns.h"

struct hlink_pending {
	uint64_t serial;             /* the region's, or 0 */
	char *path;
	char *target;                /* the node's path when serial is 0 */
};

/* What may get another name: anything but a directory, of this mount,
 * still linked. */
static int link_check(struct hshmfs *fs, struct hnode *n)
{
	if (!n)
		return -ENOENT;
	if (n->foreign)
		return upstream_readonly(fs, n) ? -EROFS : -EPERM;
	if (n->unlinked)
		return -ENOENT;
	return n->dir ? -EPERM : 0;
}

/* @r's nlink and ctime changed: a region's record keeps the times. */
static void names_changed(struct hshmfs *fs, struct hnode *r, int by)
{
	node_lock(r);
	r->nlink = (nlink_t)((long)r->nlink + by);
	hnode_touch(r, false, false, true);
	if (r->region)
		region_save_meta(fs, r);
	node_unlock(r);
}

/* A name-only node @name in @dir for region @r (checked); @restore: one
 * the namespace file kept, which changes no time. */
static int link_add(struct hshmfs *fs, struct hnode *r, struct hnode *dir,
		    const char *name, bool restore)
{
	struct hnode *a = hnode_new(fs, S_IFREG, 0, 0);
	int err;

	if (!a)
		return -ENOMEM;
	err = hnode_adopt(fs, dir, a, name);
	if (err)
		return err;
	a->link_of = r;
	a->link_next = r->links;
	r->links = a;
	if (restore) {
		r->nlink++; /* no other thread runs yet */
		return 0;
	}
	hnode_touch(dir, false, true, true);
	names_changed(fs, r, 1);
	ns_dirty(fs);
	return 0;
}

void fs_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
	     const char *newname)
{
	struct hshmfs *fs = fs_of(req);
	struct fuse_entry_param e;
	struct hnode *n, *dir;
	int err;

	tree_wrlock(fs);
	n = hnode_by_ino(fs, ino);
	dir = hnode_by_ino(fs, newparent);
	err = link_check(fs, n);
	if (!err)
		err = dir_may_add(dir, newname);
	if (!err)
		err = link_add(fs, n, dir, newname, false);
	if (!err) {
		node_lock(n);
		hnode_entry(fs, n, &e);
		node_unlock(n);
	}
	tree_unlock(fs);
	if (err)
		fuse_reply_err(req, -err);
	else
		fuse_reply_entry(req, &e);
}

/* Take name-only node @a out of its region's list. */
static void links_remove(struct hnode *a)
{
	struct hnode **p = &a->link_of->links;

	while (*p && *p != a)
		p = &(*p)->link_next;
	if (*p)
		*p = a->link_next;
	a->link_next = NULL;
}

static void name_drop(struct hshmfs *fs, struct hnode *a)
{
	links_remove(a);
	a->link_of = NULL;
	hnode_unlink(fs, a);
	a->nlink = 0;
	hnode_maybe_drop(fs, a);
}

/* Region @r loses its own name: it moves to its first other name. */
static int promote(struct hshmfs *fs, struct hnode *r)
{
	struct hnode *a = r->links, *odir = r->parent, *ndir = a->parent;
	int err;

	hnode_unlink(fs, r);
	hnode_unlink(fs, a);
	err = hnode_link(fs, ndir, r, a->name);
	if (err) { /* only ENOMEM for the name copy: as it was */
		hnode_link(fs, odir, r, r->name);
		hnode_link(fs, ndir, a, a->name);
		return err;
	}
	links_remove(a);
	a->link_of = NULL;
	a->nlink = 0;
	hnode_maybe_drop(fs, a);
	return 0;
}

int link_unname(struct hshmfs *fs, struct hnode *n)
{
	struct hnode *r = hnode_target(n);
	int err = 0;

	if (n->link_of)
		name_drop(fs, n);
	else
		err = promote(fs, n);
	if (err)
		return err;
	names_changed(fs, r, -1); /* and a region's record path */
	ns_dirty(fs);
	return 0;
}

/* ---- across mounts ------------------------------------------------------ */

int link_pend(struct hshmfs *fs, uint64_t serial, const char *path,
	      size_t len, const char *target, size_t tlen)
{
	struct hlink_pending *p = realloc(fs->lpend, (fs->nlpend + 1) *
					  sizeof(*p));
	char *copy = strndup(path, len);
	char *tcopy = tlen ? strndup(target, tlen) : NULL;

	if (p)
		fs->lpend = p;
	if (!p || !copy || (tlen && !tcopy)) {
		free(copy);
		free(tcopy);
		return -ENOMEM;
	}
	p[fs->nlpend++] = (struct hlink_pending){ .serial = serial,
						  .path = copy,
						  .target = tcopy };
	return 0;
}

/* The region of @serial in the tree (tree_lock held), or NULL. */
static struct hnode *region_of(struct hshmfs *fs, uint64_t serial)
{
	for (size_t i = 0; i < fs->ino_nbuckets; i++)
		for (struct hnode *n = fs->ino_buckets[i]; n; n = n->ino_next)
			if (n->region && !n->foreign && !n->unlinked &&
			    n->region->serial == serial)
				return n;
	return NULL;
}

/* The node a pending link names (tree_lock held), or NULL. */
static struct hnode *target_of(struct hshmfs *fs, const struct hlink_pending *p)
{
	char name[NAME_MAX + 1];
	struct hnode *d, *n;

	if (!p->target)
		return region_of(fs, p->serial);
	d = ns_parent_of(fs, p->target, (uint32_t)strlen(p->target), name);
	n = d ? hnode_target(hnode_child(d, name)) : NULL;
	return n && !n->dir && !n->region ? n : NULL;
}

static void link_restore(struct hshmfs *fs, const struct hlink_pending *p)
{
	char name[NAME_MAX + 1];
	struct hnode *r = target_of(fs, p);
	struct hnode *d = ns_parent_of(fs, p->path, (uint32_t)strlen(p->path),
				       name);

	if (!r || !d || hnode_child(d, name)) {
		HSHMFS_LOG(FUSE_LOG_WARNING, "namespace file: hard link '%s': "
			   "%s: skipped\n", p->path, !r ? "what it names is gone"
			   : "no place for it");
		return;
	}
	link_add(fs, r, d, name, true);
}

/* At mount, tree lock held (build_tree). */
void link_pend_fini(struct hshmfs *fs)
{
	for (size_t i = 0; i < fs->nlpend; i++) {
		link_restore(fs, &fs->lpend[i]);
		free(fs->lpend[i].path);
		free(fs->lpend[i].target);
	}
	free(fs->lpend);
	fs->lpend = NULL;
	fs->nlpend = 0;
}
