/* SPDX-License-Identifier: BSD-3-Clause */
/* ns.c: directories and symlinks outlive the daemon: the namespace file. */

/*
 * Regions carry their own record (meta.h); directories and symlinks have no
 * object to carry one, so the mount keeps them in one file per shm_dir and
 * prefix, "<state_dir>/<base>.ns" (state.c: the daemon's private
 * directory, never shm_dir, which every user can write), mode 0600.  A file
 * that a previous version kept at "<shm_dir>/.<prefix>.ns" is moved there
 * once, and only if it is the daemon's own regular file.
 *
 * The file is a snapshot, rewritten whole (an O_EXCL temporary, then
 * renamed over, so a reader sees the old or the new one, never half) by a
 * flusher thread at most every NS_DELAY_MS after a change, and once more at
 * unmount; a failed save is retried with a growing delay (up to
 * NS_BACKOFF_MAX_MS).  A daemon killed with SIGKILL loses at most the
 * directory and symlink changes of that last interval; region bytes and
 * region records are never behind.  A directory or symlink whose path
 * would reach PATH_MAX is not saved (nor what is below it; logged once per
 * change of their number); everything else is.
 *
 * Layout, little-endian:  header  magic "HSHMFSN1", u32 version (2; 1 is
 *                                 still read), u32 count, u64 body length,
 *                                 u32 body crc32, u32 zero
 *                         entries (count of them), each:
 *   u8 type ('R' root, 'D' directory, 'L' symlink; version 2 adds 'N' FIFO,
 *   socket or device node, 'F' the user attributes of a region, 'H' a hard
 *   link), u8 flags (1: backend set, 2: size set, 4: view set, 8: the view
 *   is data, 16: reserve set, 32: reserve is 1), u16 path length, u32 mode,
 *   u32 uid, u32 gid, u32 backend, i32 gpu (-1: inherit), u64 size ('N':
 *   rdev; 'F', 'H': the region's serial), i64 mtime s,
 *   u32 mtime ns, u32 target length, then the path (relative to the root,
 *   no NUL; none for 'F'), then the symlink target; version 2 then has u32
 *   the number of user attributes (only on 'R', 'D' and 'F', at least one
 *   on 'F'), each u8 name length, u32 value length, the name ("user.*",
 *   not "user.hshm.*", in strictly increasing order), the value.
 *   'H' is another name (a hard link): its path, then either the serial
 *   of its region in size or (size 0) the path of the node it names in
 *   the target (a symlink, FIFO, socket or device node saved by its own
 *   entry); everything else zero (mode S_IFREG).
 * A version 1 file (written before special nodes and user attributes) has
 * no attribute count and only 'R', 'D', 'L'.  The reader checks every
 * length and field before it creates anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fs_i.h"
#include "meta.h"
#include "ns.h"
#include "state.h"

#define NS_DELAY_MS 100
#define NS_BACKOFF_MAX_MS 60000
#define NS_MAX_FILE (UINT64_C(256) << 20)
#define NS_NAME_LEN 96 /* "." + prefix (< 64) + ".ns.tmp" */

struct hshmfs_ns {
	pthread_t thread;
	pthread_mutex_t lock;        /* guards dirty and stop */
	pthread_cond_t cond;         /* dirty or stop set (with lock) */
	bool dirty, stop;
	bool running;                /* set before the thread runs, then fixed */
	uint32_t skipped;            /* flusher only: paths last not saved */
	unsigned backoff_ms;         /* flusher only: delay after a failure */
};

/* ---- encoding ------------------------------------------------------------ */

struct buf {
	unsigned char *p;
	size_t len, cap;
	int err;
};

static void put(struct buf *b, const void *v, size_t n)
{
	if (b->err)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		unsigned char *p;

		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->err = -ENOMEM;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, v, n);
	b->len += n;
}

#define PUT(b, type, v) do { type v_ = (type)(v); put(b, &v_, sizeof(v_)); } while (0)

/* What put_entry() reads under the node lock. */
struct entry_attrs {
	uint32_t mode, uid, gid, backend;
	int32_t gpu;
	uint8_t flags;
	uint64_t size;
	struct timespec mtime;
};

/* A node's user attributes (node lock held). */
static void put_xattrs(struct buf *b, const struct hnode *n)
{
	const struct hxattrs *x = n->xattrs;

	PUT(b, uint32_t, x ? x->count : 0);
	for (size_t i = 0; x && i < x->count; i++) {
		PUT(b, uint8_t, x->v[i].name_len);
		PUT(b, uint32_t, x->v[i].value_len);
		put(b, x->v[i].name, x->v[i].name_len);
		put(b, x->v[i].value, x->v[i].value_len);
	}
}

/* tree_lock held (read): the tree, names and targets; the attributes and
 * directory defaults are the node lock's (setattr and setxattr change them
 * under it, tree_lock read only). */
static void put_entry(struct buf *b, char type, struct hnode *n,
		      const char *path)
{
	const struct hdir *d = n->dir;
	size_t tl = n->target ? strlen(n->target) : 0;
	struct entry_attrs a = { .gpu = -1 };

	node_lock(n);
	a.mode = n->mode;
	a.uid = n->uid;
	a.gid = n->gid;
	a.mtime = n->mtime;
	if (d) {
		a.flags = (d->has_backend ? 1 : 0) | (d->has_size ? 2 : 0) |
			  (d->dview >= 0 ? 4 : 0) | (d->dview == 1 ? 8 : 0) |
			  (d->reserve >= 0 ? 16 : 0) |
			  (d->reserve == 1 ? 32 : 0);
		a.backend = d->backend;
		a.gpu = d->gpu;
		a.size = d->size;
	} else if (type == 'N') {
		a.size = (uint64_t)n->rdev;
	}
	PUT(b, uint8_t, type);
	PUT(b, uint8_t, a.flags);
	PUT(b, uint16_t, strlen(path));
	PUT(b, uint32_t, a.mode);
	PUT(b, uint32_t, a.uid);
	PUT(b, uint32_t, a.gid);
	PUT(b, uint32_t, a.backend);
	PUT(b, int32_t, a.gpu);
	PUT(b, uint64_t, a.size);
	PUT(b, int64_t, a.mtime.tv_sec);
	PUT(b, uint32_t, a.mtime.tv_nsec);
	PUT(b, uint32_t, tl);
	put(b, path, strlen(path));
	put(b, n->target ? n->target : "", tl);
	put_xattrs(b, n);
	node_unlock(n);
}

/* An 'F' entry for region @n if it has user attributes and an object to
 * find it by at the next mount (tree_lock held).  Whether it wrote one. */
static bool put_region(struct buf *b, struct hnode *n)
{
	bool any;

	node_lock(n);
	any = uxattr_any(n) && n->region->url[0];
	if (any) {
		PUT(b, uint8_t, 'F');
		PUT(b, uint8_t, 0);
		PUT(b, uint16_t, 0);
		PUT(b, uint32_t, S_IFREG);
		PUT(b, uint32_t, 0);
		PUT(b, uint32_t, 0);
		PUT(b, uint32_t, 0);
		PUT(b, int32_t, -1);
		PUT(b, uint64_t, n->region->serial);
		PUT(b, int64_t, 0);
		PUT(b, uint32_t, 0);
		PUT(b, uint32_t, 0);
		put_xattrs(b, n);
	}
	node_unlock(n);
	return any;
}

/* An 'H' entry: the path of another name of a region with an object (its
 * serial) or of another node (its path, which the walk saves too; @tp). */
static void put_link(struct buf *b, const struct hnode *n, const char *path,
		     const char *tp)
{
	const struct hregion *r = n->link_of->region;

	PUT(b, uint8_t, 'H');
	PUT(b, uint8_t, 0);
	PUT(b, uint16_t, strlen(path));
	PUT(b, uint32_t, S_IFREG);
	PUT(b, uint32_t, 0);
	PUT(b, uint32_t, 0);
	PUT(b, uint32_t, 0);
	PUT(b, int32_t, -1);
	PUT(b, uint64_t, r ? r->serial : 0);
	PUT(b, int64_t, 0);
	PUT(b, uint32_t, 0);
	PUT(b, uint32_t, r ? 0 : strlen(tp));
	put(b, path, strlen(path));
	put(b, tp, r ? 0 : strlen(tp));
	PUT(b, uint32_t, 0); /* no attributes: they are the node's */
}

/* 'H' for name-only node @c at @path (tree_lock held); a node's own path
 * that does not fit is not saved, nor then this link.  Whether it wrote
 * one. */
static bool put_link_of(struct buf *b, struct hnode *c, const char *path,
			uint32_t *skipped)
{
	char tp[PATH_MAX] = "";

	if (!c->link_of->region && hnode_path(c->link_of, tp, sizeof(tp))) {
		(*skipped)++;
		return false;
	}
	put_link(b, c, path, tp);
	return true;
}

static char entry_type(const struct hnode *n)
{
	return n->dir ? 'D' : n->target ? 'L' : 'N';
}

/* Whether the walk writes an entry with a path for @n (tree_lock held). */
static bool has_path_entry(const struct hnode *n)
{
	return hnode_in_ns(n) || (n->link_of && (!n->link_of->region ||
						 n->link_of->region->url[0]));
}

/* The node after @c in a pre-order walk below @top that does not descend
 * into @c; @path/@plen (the path of @c's parent) follow it upwards. */
static struct hnode *walk_next(struct hnode *top, struct hnode *c, char *path,
			       size_t *plen)
{
	while (c->parent != top && !c->next) {
		size_t l = strlen(c->parent->name);

		c = c->parent;
		*plen = *plen > l ? *plen - l - 1 : 0;
		path[*plen] = '\0';
	}
	return c->next;
}

/*
 * Pre-order walk, parents before children, without recursion (a user makes
 * the depth; tree_lock held).  An entry whose path would reach PATH_MAX is
 * skipped with everything below it and counted in @skipped.
 */
static void walk(struct buf *b, struct hnode *top, uint32_t *count,
		 uint32_t *skipped)
{
	char path[PATH_MAX] = "";
	size_t plen = 0;
	struct hnode *c = top->dir->head;

	while (c && !b->err) {
		size_t l = strlen(c->name), at = plen ? plen + 1 : 0;

		if (c->region && !c->foreign && put_region(b, c))
			(*count)++;
		if (has_path_entry(c) && at + l >= PATH_MAX) {
			(*skipped)++;
		} else if (has_path_entry(c)) {
			if (plen)
				path[plen] = '/';
			memcpy(path + at, c->name, l + 1);
			if (!c->link_of)
				put_entry(b, entry_type(c), c, path);
			if (!c->link_of || put_link_of(b, c, path, skipped))
				(*count)++;
			if (c->dir && c->dir->head) {
				plen = at + l;
				c = c->dir->head;
				continue;
			}
			path[plen] = '\0';
		}
		c = walk_next(top, c, path, &plen);
	}
}

static int ns_encode(struct hshmfs *fs, struct buf *b, uint32_t *skipped);

static int snapshot(struct hshmfs *fs, void **out, size_t *len,
		    uint32_t *skipped)
{
	struct buf b = { 0 };
	int err = ns_encode(fs, &b, skipped);

	if (err) {
		free(b.p);
		return err;
	}
	*out = b.p;
	*len = b.len;
	return 0;
}

int ns_snapshot(struct hshmfs *fs, void **out, size_t *len)
{
	uint32_t skipped = 0;

	return snapshot(fs, out, len, &skipped);
}

static int ns_encode(struct hshmfs *fs, struct buf *b, uint32_t *skipped)
{
	uint32_t count = 1, crc;
	uint64_t body;

	put(b, NS_MAGIC, 8);
	PUT(b, uint32_t, NS_VERSION);
	PUT(b, uint32_t, 0);    /* count, patched below */
	PUT(b, uint64_t, 0);    /* body length */
	PUT(b, uint32_t, 0);    /* body crc */
	PUT(b, uint32_t, 0);
	put_entry(b, 'R', fs->root, "");
	*skipped = 0;
	walk(b, fs->root, &count, skipped);
	if (b->err)
		return b->err;
	body = b->len - NS_HEAD;
	crc = meta_crc32(b->p + NS_HEAD, (size_t)body);
	memcpy(b->p + 12, &count, 4);
	memcpy(b->p + 16, &body, 8);
	memcpy(b->p + 24, &crc, 4);
	return 0;
}

/* ---- writing -------------------------------------------------------------- */

static int legacy_name(struct hshmfs *fs, char *buf, size_t len)
{
	int l = snprintf(buf, len, ".%s.ns", fs->cfg.prefix);

	return l < 0 || (size_t)l >= len ? -ENAMETOOLONG : 0;
}

static void log_skipped(struct hshmfs *fs, uint32_t skipped)
{
	struct hshmfs_ns *ns = fs->ns;

	if (ns && skipped != ns->skipped && skipped)
		HSHMFS_LOG(FUSE_LOG_WARNING, "namespace: %u director(y/ies) or "
			   "symlink(s) not saved: their path reaches PATH_MAX "
			   "(%d bytes); the rest is saved\n", skipped, PATH_MAX);
	if (ns)
		ns->skipped = skipped;
}

static int ns_write(struct hshmfs *fs)
{
	uint32_t skipped = 0;
	void *img = NULL;
	size_t len = 0;
	int err;

	tree_rdlock(fs);
	err = snapshot(fs, &img, &len, &skipped);
	tree_unlock(fs);
	if (!err) {
		log_skipped(fs, skipped);
		err = state_write(fs, ".ns", img, len);
	}
	if (err)
		HSHMFS_LOG(FUSE_LOG_ERR, "namespace: saving directories and "
			   "symlinks to %s/%s.ns: %s (kept in memory, retried "
			   "later)\n", fs->cfg.state_dir, fs->state_base,
			   strerror(-err));
	free(img);
	return err;
}

/* Wait (ns->lock held) until @ms passed or stop is set. */
static void wait_ms(struct hshmfs_ns *ns, unsigned ms)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (!ns->stop &&
	       pthread_cond_timedwait(&ns->cond, &ns->lock, &until) != ETIMEDOUT)
		;
}

static void *ns_thread(void *arg)
{
	struct hshmfs *fs = arg;
	struct hshmfs_ns *ns = fs->ns;
	int err;

	pthread_mutex_lock(&ns->lock);
	for (;;) {
		while (!ns->dirty && !ns->stop)
			pthread_cond_wait(&ns->cond, &ns->lock);
		if (ns->stop)
			break; /* ns_stop saves what is pending */
		wait_ms(ns, NS_DELAY_MS); /* let a burst of changes settle */
		if (ns->stop)
			break;
		ns->dirty = false;
		pthread_mutex_unlock(&ns->lock);
		err = ns_write(fs);
		pthread_mutex_lock(&ns->lock);
		if (!err) {
			ns->backoff_ms = NS_DELAY_MS;
			continue;
		}
		ns->dirty = true; /* e.g. ENOSPC: retried, less and less often */
		wait_ms(ns, ns->backoff_ms);
		if (ns->backoff_ms < NS_BACKOFF_MAX_MS)
			ns->backoff_ms *= 2;
	}
	pthread_mutex_unlock(&ns->lock);
	return NULL;
}

int ns_start(struct hshmfs *fs)
{
	struct hshmfs_ns *ns = calloc(1, sizeof(*ns));
	pthread_condattr_t ca;
	int err;

	if (!ns)
		return -ENOMEM;
	pthread_mutex_init(&ns->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ns->cond, &ca);
	pthread_condattr_destroy(&ca);
	ns->backoff_ms = NS_DELAY_MS;
	fs->ns = ns;
	err = pthread_create(&ns->thread, NULL, ns_thread, fs);
	if (err)
		return -err;
	ns->running = true;
	return 0;
}

void ns_dirty(struct hshmfs *fs)
{
	struct hshmfs_ns *ns = fs->ns;

	if (!ns)
		return;
	pthread_mutex_lock(&ns->lock);
	ns->dirty = true;
	pthread_cond_signal(&ns->cond);
	pthread_mutex_unlock(&ns->lock);
}

void ns_stop(struct hshmfs *fs)
{
	struct hshmfs_ns *ns = fs->ns;
	bool dirty;

	if (!ns)
		return;
	if (ns->running) {
		pthread_mutex_lock(&ns->lock);
		ns->stop = true;
		pthread_cond_signal(&ns->cond);
		pthread_mutex_unlock(&ns->lock);
		pthread_join(ns->thread, NULL);
		pthread_mutex_lock(&ns->lock);
		dirty = ns->dirty;
		ns->dirty = false;
		pthread_mutex_unlock(&ns->lock);
		if (dirty)
			ns_write(fs); /* the last changes, at unmount */
	}
	pthread_cond_destroy(&ns->cond);
	pthread_mutex_destroy(&ns->lock);
	free(ns);
	fs->ns = NULL;
}

/* ---- loading at mount ------------------------------------------------------ */

/* Never setuid from the file; setgid and sticky only on directories, where
 * they restrict or pick a group and grant nothing. */
static mode_t restored_mode(const struct ns_entry *e)
{
	if (e->type == 'L')
		return S_IFLNK | 0777;
	if (e->type == 'N')
		return (mode_t)e->mode & (mode_t)(S_IFMT | 0777);
	return (mode_t)e->mode & (mode_t)(S_IFMT | S_ISGID | S_ISVTX | 0777);
}

static void apply_attrs(struct hnode *n, const struct ns_entry *e)
{
	n->mode = restored_mode(e);
	n->uid = e->uid;
	n->gid = e->gid;
	n->mtime.tv_sec = e->mtime_sec;
	n->mtime.tv_nsec = e->mtime_nsec;
	n->atime = n->ctime = n->mtime;
	if (e->type == 'N')
		n->rdev = (dev_t)e->size;
	if (!n->dir)
		return;
	n->dir->has_backend = e->flags & 1;
	n->dir->backend = (enum hshm_backend_kind)e->backend;
	n->dir->has_size = (e->flags & 2) != 0;
	n->dir->dview = (e->flags & 4) ? (e->flags & 8) != 0 : -1;
	n->dir->reserve = (e->flags & 16) ? (e->flags & 32) != 0 : -1;
	n->dir->size = e->size;
	n->dir->gpu = e->gpu;
}

/* The root's saved attributes, except what this mount's options set. */
static void apply_root(struct hshmfs *fs, const struct ns_entry *e)
{
	const struct hshmfs_config *c = &fs->cfg;
	struct hnode *r = fs->root;

	apply_attrs(r, e);
	if (c->set_mode)
		r->mode = S_IFDIR | c->root_mode;
	if (c->set_uid)
		r->uid = c->root_uid;
	if (c->set_gid)
		r->gid = c->root_gid;
	if (c->set_backend)
		r->dir->has_backend = false;
	if (c->set_size)
		r->dir->has_size = false;
	if (c->set_gpu)
		r->dir->gpu = -1;
	if (c->set_reserve)
		r->dir->reserve = -1;
}

struct hnode *ns_parent_of(struct hshmfs *fs, const char *path, uint32_t len,
			   char *name)
{
	struct hnode *d = fs->root;
	uint32_t start = 0;

	for (uint32_t i = 0; i <= len; i++) {
		if (i < len && path[i] != '/')
			continue;
		memcpy(name, path + start, i - start);
		name[i - start] = '\0';
		if (i == len)
			return d;
		d = hnode_child(d, name);
		if (!d || !d->dir)
			return NULL;
		start = i + 1;
	}
	return NULL;
}

/* @e's user attributes into *@xp (checked by the parser). */
static int load_xattrs(struct hshmfs *fs, struct hxattrs **xp,
		       const struct ns_entry *e)
{
	const unsigned char *pos = e->xattrs;
	int err = 0;

	for (uint32_t i = 0; i < e->nxattrs && !err; i++) {
		const char *name;
		const void *value;
		size_t nl, vl;

		ns_xattr_next(&pos, &name, &nl, &value, &vl);
		err = uxattr_load(fs, xp, name, nl, value, vl);
	}
	return err;
}

/* A region's attributes, kept until recovery finds its object. */
static int load_region(struct hshmfs *fs, const struct ns_entry *e)
{
	struct hxattrs *x = NULL;
	int err = load_xattrs(fs, &x, e);

	if (err) {
		uxattr_free(x);
		return err;
	}
	return uxattr_pend(fs, e->size, x);
}

static int load_entry(void *arg, const struct ns_entry *e)
{
	struct hshmfs *fs = arg;
	char name[NAME_MAX + 1];
	struct hnode *d, *n;
	int err;

	if (e->type == 'R') {
		apply_root(fs, e);
		return load_xattrs(fs, &fs->root->xattrs, e);
	}
	if (e->type == 'F')
		return load_region(fs, e);
	if (e->type == 'H') /* made once recovery has found the regions */
		return link_pend(fs, e->size, e->path, e->path_len, e->target,
				 e->target_len);
	d = ns_parent_of(fs, e->path, e->path_len, name);
	if (!d || hnode_child(d, name)) {
		HSHMFS_LOG(FUSE_LOG_WARNING, "namespace file: no place for "
			   "'%.*s': skipped\n", (int)e->path_len, e->path);
		return 0;
	}
	n = hnode_new(fs, restored_mode(e), e->uid, e->gid);
	if (!n)
		return -ENOMEM;
	if ((e->type == 'L' && !(n->target = strndup(e->target, e->target_len))) ||
	    (err = load_xattrs(fs, &n->xattrs, e))) {
		hnode_maybe_drop(fs, n);
		return -ENOMEM;
	}
	apply_attrs(n, e);
	return hnode_adopt(fs, d, n, name);
}

/*
 * A previous version kept the file in shm_dir.  It is moved into the state
 * directory once, and only if it is the daemon's own regular file: anything
 * else there (another user's file, a FIFO, a symlink) is left alone, logged.
 */
static int migrate_legacy(struct hshmfs *fs, void **img, size_t *len)
{
	char name[NS_NAME_LEN];
	struct stat st, again;
	unsigned char *p;
	int fd;

	if (legacy_name(fs, name, sizeof(name)))
		return -ENOENT;
	fd = openat(fs->hctx.shm_dirfd, name, O_RDONLY | O_NOFOLLOW |
		    O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return -ENOENT;
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 022) ||
	    (uint64_t)st.st_size > NS_MAX_FILE) {
		HSHMFS_LOG(FUSE_LOG_WARNING, "namespace file %s/%s of a previous "
			   "version: not this daemon's regular file: ignored\n",
			   fs->cfg.shm_dir, name);
		if (fd >= 0)
			close(fd);
		return -ENOENT;
	}
	p = malloc((size_t)st.st_size + 1);
	if (!p || pread(fd, p, (size_t)st.st_size, 0) != st.st_size) {
		free(p);
		close(fd);
		return -EIO;
	}
	close(fd);
	*img = p;
	*len = (size_t)st.st_size;
	if (state_write(fs, ".ns", p, *len))
		return 0; /* loaded; the old one stays until a save works */
	if (!fstatat(fs->hctx.shm_dirfd, name, &again, AT_SYMLINK_NOFOLLOW) &&
	    again.st_ino == st.st_ino && again.st_dev == st.st_dev)
		unlinkat(fs->hctx.shm_dirfd, name, 0);
	HSHMFS_LOG(FUSE_LOG_INFO, "namespace file %s/%s moved to %s/%s.ns\n",
		   fs->cfg.shm_dir, name, fs->cfg.state_dir, fs->state_base);
	return 0;
}

int ns_load(struct hshmfs *fs)
{
	void *img = NULL;
	size_t len = 0;
	int err = state_read(fs, ".ns", &img, &len, NS_MAX_FILE);

	if (err == -ENOENT)
		err = migrate_legacy(fs, &img, &len);
	if (err == -ENOENT)
		return 0;
	if (!err && !(err = ns_decode(img, len, NULL, NULL)))
		err = ns_decode(img, len, load_entry, fs);
	free(img);
	if (err) {
		state_set_aside(fs, ".ns");
		HSHMFS_LOG(FUSE_LOG_ERR, "namespace file %s/%s.ns unusable "
			   "(%s): directories and symlinks not restored; kept "
			   "as %s.ns.bad\n", fs->cfg.state_dir, fs->state_base,
			   err == -EPERM ? "not a regular file of this daemon's"
			   : strerror(-err), fs->state_base);
	}
	return 0;
}
