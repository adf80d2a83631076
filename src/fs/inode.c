/* SPDX-License-Identifier: BSD-3-Clause */
/* inode.c: the inode table and directory hashes of the hshmfs namespace. */

/*
 * How regions become inodes
 * -------------------------
 * The namespace lives in the daemon: every file, directory and symlink is an
 * hnode, numbered from a 64-bit counter that starts at 2 (1 is the root) and
 * never goes back, so an inode number is never reused within a mount and the
 * FUSE generation can stay 0.  Numbers are per mount: after a remount the
 * regions recovered from shm_dir get fresh numbers (nothing outside the
 * kernel's dcache remembers the old ones, and the kernel forgot them at
 * unmount).
 *
 * A region file's identity is not its inode number but its object: the
 * object "<prefix>.r<serial>" under shm_dir, whose name (the region's URL)
 * does not change when the file is renamed.
 *
 * Lifetime follows POSIX: a node stays while the kernel holds lookup
 * references (nlookup) or it has open handles (nopen), even after unlink;
 * the region is released (destroyed if owned, else detached) when the last
 * of those goes.
 *
 * Two hash tables keep lookups O(1) with tens of thousands of regions: one
 * by inode number for the whole mount, one by name per directory.  Each
 * directory also keeps its children in creation order with a monotonically
 * growing cookie, which gives readdir stable offsets.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs_i.h"

#define INO_BUCKETS0 1024u
#define DIR_BUCKETS0 16u

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

int hnode_table_init(struct hshmfs *fs)
{
	fs->ino_nbuckets = INO_BUCKETS0;
	fs->ino_buckets = calloc(fs->ino_nbuckets, sizeof(*fs->ino_buckets));
	if (!fs->ino_buckets)
		return -ENOMEM;
	fs->next_ino = 1;
	fs->next_cookie = 1;
	return 0;
}

static void ino_insert(struct hshmfs *fs, struct hnode *n)
{
	size_t b = n->ino % fs->ino_nbuckets;

	n->ino_next = fs->ino_buckets[b];
	fs->ino_buckets[b] = n;
	fs->ino_count++;
}

static void ino_grow(struct hshmfs *fs)
{
	size_t nb = fs->ino_nbuckets * 2;
	struct hnode **nbk = calloc(nb, sizeof(*nbk));

	if (!nbk)
		return; /* keep the old table: slower, still correct */
	for (size_t i = 0; i < fs->ino_nbuckets; i++) {
		struct hnode *n = fs->ino_buckets[i], *next;

		for (; n; n = next) {
			next = n->ino_next;
			n->ino_next = nbk[n->ino % nb];
			nbk[n->ino % nb] = n;
		}
	}
	free(fs->ino_buckets);
	fs->ino_buckets = nbk;
	fs->ino_nbuckets = nb;
}

static void ino_remove(struct hshmfs *fs, struct hnode *n)
{
	struct hnode **p = &fs->ino_buckets[n->ino % fs->ino_nbuckets];

	for (; *p; p = &(*p)->ino_next) {
		if (*p == n) {
			*p = n->ino_next;
			fs->ino_count--;
			return;
		}
	}
}

struct hnode *hnode_by_ino(struct hshmfs *fs, fuse_ino_t ino)
{
	struct hnode *n = fs->ino_buckets[ino % fs->ino_nbuckets];

	while (n && n->ino != ino)
		n = n->ino_next;
	return n;
}

static struct hdir *hdir_new(void)
{
	struct hdir *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->nbuckets = DIR_BUCKETS0;
	d->buckets = calloc(d->nbuckets, sizeof(*d->buckets));
	if (!d->buckets) {
		free(d);
		return NULL;
	}
	d->gpu = -1;
	d->dview = -1;
	d->reserve = -1;
	return d;
}

struct hnode *hnode_new(struct hshmfs *fs, mode_t mode, uid_t uid, gid_t gid)
{
	struct hnode *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	if (S_ISDIR(mode) && !(n->dir = hdir_new())) {
		free(n);
		return NULL;
	}
	pthread_mutex_init(&n->lock, NULL);
	n->mode = mode;
	n->special = S_ISFIFO(mode) || S_ISSOCK(mode) || S_ISCHR(mode) ||
		     S_ISBLK(mode);
	n->uid = uid;
	n->gid = gid;
	n->nlink = S_ISDIR(mode) ? 2 : 1;
	clock_gettime(CLOCK_REALTIME, &n->atime);
	n->mtime = n->ctime = n->atime;
	n->unlinked = true; /* not in the tree until hnode_link() */
	n->ino = fs->next_ino++;
	if (fs->ino_count >= fs->ino_nbuckets)
		ino_grow(fs);
	ino_insert(fs, n);
	return n;
}

void hnode_free(struct hnode *n)
{
	if (n->dir) {
		free(n->dir->dismissed);
		free(n->dir->buckets);
		free(n->dir);
	}
	region_free(n->region);
	uxattr_free(n->xattrs);
	pthread_mutex_destroy(&n->lock);
	free(n->target);
	free(n->name);
	free(n);
}

struct hnode *hnode_child(const struct hnode *dir, const char *name)
{
	struct hdir *d = dir->dir;
	struct hnode *n;

	if (!d)
		return NULL;
	n = d->buckets[hash_str(name) % d->nbuckets];
	while (n && strcmp(n->name, name))
		n = n->name_next;
	return n;
}

static void dir_grow(struct hdir *d)
{
	size_t nb = d->nbuckets * 4;
	struct hnode **nbk = calloc(nb, sizeof(*nbk));

	if (!nbk)
		return;
	for (struct hnode *n = d->head; n; n = n->next) {
		size_t b = hash_str(n->name) % nb;

		n->name_next = nbk[b];
		nbk[b] = n;
	}
	free(d->buckets);
	d->buckets = nbk;
	d->nbuckets = nb;
}

int hnode_link(struct hshmfs *fs, struct hnode *dir, struct hnode *n,
	       const char *name)
{
	struct hdir *d = dir->dir;

	assert(tree_held(true));
	char *copy = strdup(name);
	size_t b;

	if (!copy)
		return -ENOMEM;
	free(n->name);
	n->name = copy;
	n->parent = dir;
	n->unlinked = false;
	n->dir_cookie = fs->next_cookie++;
	if (d->count >= d->nbuckets)
		dir_grow(d);
	b = hash_str(name) % d->nbuckets;
	n->name_next = d->buckets[b];
	d->buckets[b] = n;
	n->prev = d->tail;
	n->next = NULL;
	if (d->tail)
		d->tail->next = n;
	else
		d->head = n;
	d->tail = n;
	d->count++;
	if (n->dir)
		dir->nlink++;
	return 0;
}

struct hnode *hnode_new_root(struct hshmfs *fs, mode_t mode, uid_t uid,
			     gid_t gid)
{
	struct hnode *root = hnode_new(fs, S_IFDIR | mode, uid, gid);

	if (root) {
		root->unlinked = false; /* the root is in the tree by definition */
		root->nlookup = 1;      /* the kernel's, never forgotten */
	}
	return root;
}

int hnode_adopt(struct hshmfs *fs, struct hnode *dir, struct hnode *n,
		const char *name)
{
	int err = hnode_link(fs, dir, n, name);

	if (err)
		hnode_maybe_drop(fs, n);
	return err;
}

void hnode_unlink(struct hshmfs *fs, struct hnode *n)
{
	struct hnode *dir = n->parent;
	struct hdir *d;

	assert(tree_held(true));
	struct hnode **p;

	if (!dir)
		return;
	d = dir->dir;
	p = &d->buckets[hash_str(n->name) % d->nbuckets];
	for (; *p; p = &(*p)->name_next) {
		if (*p == n) {
			*p = n->name_next;
			break;
		}
	}
	if (n->prev)
		n->prev->next = n->next;
	else
		d->head = n->next;
	if (n->next)
		n->next->prev = n->prev;
	else
		d->tail = n->prev;
	n->prev = n->next = n->name_next = NULL;
	d->count--;
	if (n->dir)
		dir->nlink--;
	n->parent = NULL;
	n->unlinked = true;
}

/*
 * An unlinked node's region goes as soon as nothing has it open: no I/O can
 * reach it any more (a mapping holds the object itself).  The node stays
 * while the kernel still holds lookup references, and goes with the last.
 */
void hnode_maybe_drop(struct hshmfs *fs, struct hnode *n)
{
	if (n == fs->root || !n->unlinked || n->nopen)
		return;
	if (n->region)
		region_release(fs, n);
	if (n->nlookup)
		return;
	ino_remove(fs, n);
	hnode_free(n);
}

void hnode_forget(struct hshmfs *fs, struct hnode *n, uint64_t count)
{
	n->nlookup = count > n->nlookup ? 0 : n->nlookup - count;
	hnode_maybe_drop(fs, n);
}

/* Post-order, without recursion (a user makes the depth): always the
 * first child of the deepest directory that still has one. */
static void free_subtree(struct hshmfs *fs, struct hnode *top)
{
	struct hnode *c = top, *up;

	while (c) {
		if (c->dir && c->dir->head) {
			c = c->dir->head;
			continue;
		}
		up = c == top ? NULL : c->parent;
		if (up)
			up->dir->head = c->next;
		if (c->region)
			region_unmount(fs, c);
		hnode_free(c);
		c = up;
	}
}

void hnode_table_fini(struct hshmfs *fs)
{
	/* Unlinked nodes still referenced by the kernel at unmount. */
	for (size_t i = 0; i < fs->ino_nbuckets; i++) {
		struct hnode *n = fs->ino_buckets[i], *next;

		for (; n; n = next) {
			next = n->ino_next;
			if (n->unlinked && n != fs->root) {
				if (n->region)
					region_release(fs, n);
				hnode_free(n);
			}
		}
	}
	if (fs->root)
		free_subtree(fs, fs->root);
	free(fs->ino_buckets);
	fs->ino_buckets = NULL;
	fs->root = NULL;
}

void hnode_touch(struct hnode *n, bool atime, bool mtime, bool ctime)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	if (atime)
		n->atime = now;
	if (mtime)
		n->mtime = now;
	if (ctime)
		n->ctime = now;
}

bool hnode_has_suidgid(mode_t mode)
{
	return (mode & S_ISUID) ||
	       (mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP);
}

mode_t hnode_kill_suidgid(mode_t mode)
{
	if (mode & S_IXGRP)
		mode &= ~(mode_t)S_ISGID;
	return mode & ~(mode_t)S_ISUID;
}

void hnode_stat(struct hshmfs *fs, struct hnode *n, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = n->ino;
	st->st_mode = n->mode;
	st->st_nlink = n->nlink;
	st->st_uid = n->uid;
	st->st_gid = n->gid;
	st->st_rdev = n->rdev;
	st->st_atim = n->atime;
	st->st_mtim = n->mtime;
	st->st_ctim = n->ctime;
	st->st_blksize = 4096;
	if (n->region) {
		st->st_size = (off_t)(n->region->dview ? n->region->length
						       : region_size(n));
		/* GPU regions always show the sticky bit (ls -l: 't'/'T'),
		 * which means nothing else on a regular file on Linux; a host
		 * region shows it only when chmod set it, so the bit alone
		 * does not tell the kinds apart (user.hshm.kind does). */
		if (n->region->kind == HSHM_GPU_MALLOC ||
		    n->region->kind == HSHM_GPU_SHM_MMAP)
			st->st_mode |= S_ISVTX;
	}
	else if (n->target)
		st->st_size = (off_t)strlen(n->target);
	else if (n->dir)
		st->st_size = (off_t)(n->dir->count + 2);
	st->st_blocks = (st->st_size + 511) / 512;
}

int hnode_path(struct hnode *n, char *buf, size_t len)
{
	const struct hnode *chain[PATH_MAX / 2];
	size_t depth = 0, used = 0;

	assert(tree_held(false)); /* a rename frees names */

	for (; n && n->parent; n = n->parent) {
		if (depth == sizeof(chain) / sizeof(chain[0]))
			return -ENAMETOOLONG;
		chain[depth++] = n;
	}
	if (n && n->unlinked)
		return -ENOENT;
	buf[0] = '\0';
	while (depth--) {
		size_t l = strlen(chain[depth]->name);

		if (used + l + 2 > len)
			return -ENAMETOOLONG;
		if (used)
			buf[used++] = '/';
		memcpy(buf + used, chain[depth]->name, l + 1);
		used += l;
	}
	return 0;
}

void hnode_dir_defaults(struct hshmfs *fs, struct hnode *dir,
			enum hshm_backend_kind *kind, uint64_t *size, int *gpu)
{
	bool k = false, s = false, g = false;

	*kind = fs->cfg.backend;
	*size = fs->cfg.size;
	*gpu = fs->cfg.gpu;
	for (; dir && !(k && s && g); dir = dir->parent) {
		struct hdir *d = dir->dir;

		if (!k && d->has_backend) {
			*kind = d->backend;
			k = true;
		}
		if (!s && d->has_size) {
			*size = d->size;
			s = true;
		}
		if (!g && d->gpu >= 0) {
			*gpu = d->gpu;
			g = true;
		}
	}
}

void hnode_entry(struct hshmfs *fs, struct hnode *n, struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(*e));
	e->ino = n->ino;
	e->attr_timeout = fs->attr_timeout;
	e->entry_timeout = fs->entry_timeout;
	hnode_stat(fs, n, &e->attr);
	__atomic_fetch_add(&n->nlookup, 1, __ATOMIC_RELAXED);
}
