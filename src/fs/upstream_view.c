/* SPDX-License-Identifier: BSD-3-Clause */
/* upstream_view.c: the /.hshm view: scans of the links, outside the tree lock (see upstream.c). */

#include <sys/xattr.h>

#include "upstream_i.h"

/* ---- the /.hshm view ------------------------------------------------------ */

int upstream_view_init(struct hshmfs *fs)
{
	struct hshmfs_up *up;
	struct hnode *v;

	if (fs->cfg.upstream == HSHMFS_UPSTREAM_OFF)
		return 0;
	up = calloc(1, sizeof(*up));
	if (!up)
		return -ENOMEM;
	pthread_mutex_init(&up->lock, NULL);
	pthread_cond_init(&up->cond, NULL);
	fs->up = up;
	v = hnode_new(fs, S_IFDIR | 0555, 0, 0);
	if (!v)
		return -ENOMEM;
	v->foreign = true;
	v->dir->view = HSHMFS_VIEW_ROOT;
	return hnode_link(fs, fs->root, v, VIEW_NAME);
}

void upstream_fini(struct hshmfs *fs)
{
	struct hshmfs_up *up = fs->up;
	struct timespec dl;
	struct up_scan *s;

	if (!up)
		return;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += FINI_WAIT_MS / 1000;
	pthread_mutex_lock(&up->lock);
	up->closing = true;
	while (up->threads &&
	       pthread_cond_timedwait(&up->cond, &up->lock, &dl) != ETIMEDOUT)
		;
	fs->up = NULL;
	if (up->threads) { /* stuck on someone's file: it frees nothing of ours */
		HSHMFS_LOG(FUSE_LOG_WARNING, "upstream: %u scan(s) still "
			   "blocked at unmount\n", up->threads);
		pthread_mutex_unlock(&up->lock);
		return;
	}
	pthread_mutex_unlock(&up->lock);
	while ((s = up->scans)) {
		up->scans = s->next;
		free(s);
	}
	pthread_cond_destroy(&up->cond);
	pthread_mutex_destroy(&up->lock);
	free(up);
}

static bool dismissed(struct hdir *d, dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < d->ndismissed; i++)
		if (d->dismissed[i].dev == dev && d->dismissed[i].ino == ino)
			return true;
	return false;
}

/* A region this mount made and published itself: it is in the tree. */
static bool is_own_object(struct hshmfs *fs, const char *name, dev_t dev,
			  ino_t ino)
{
	size_t pl = strlen(fs->cfg.prefix);
	struct stat o;

	return !strncmp(name, fs->cfg.prefix, pl) && !strncmp(name + pl, ".r", 2) &&
	       !fstatat(fs->hctx.shm_dirfd, name, &o, AT_SYMLINK_NOFOLLOW) &&
	       o.st_dev == dev && o.st_ino == ino;
}

/* An hshmfs record in the object's attribute (record.c), or the magic of
 * one in its spare page, read through the fd: the daemon maps no region. */
static bool has_hshmfs_record(struct hregion *r)
{
	char magic[8];

	if (fgetxattr(hshm_backend_fd(&r->be), HSHMFS_META_XATTR, NULL, 0) >= 0)
		return true;
	return !hshm_spare_pread(&r->be, 0, magic, sizeof(magic)) &&
	       !memcmp(magic, HSHMFS_META_MAGIC, sizeof(magic));
}

static void view_region_free(struct hregion *r)
{
	hshm_shm_detach(&r->be);
	region_free(r);
}

/* The region of object @fd, reached by link @name (reading @target). */
static struct hregion *view_region(struct hshmfs *fs, int fd, const char *name,
				   const char *target, uid_t uid)
{
	size_t nl = strlen(name), tl = strlen(target);
	struct hregion *r = region_new(HSHM_POSIX_SHM_MMAP);
	char url[HSHM_URL_MAX + 1];
	struct stat st;

	if (!r || fstat(fd, &st) || !(r->link_path = malloc(nl + tl + 2))) {
		region_free(r);
		return NULL;
	}
	memcpy(r->link_path, name, nl + 1);
	memcpy(r->link_path + nl + 1, target, tl + 1);
	r->dev = st.st_dev;
	r->objino = st.st_ino;
	r->link_uid = uid;
	snprintf(url, sizeof(url), "/%s", name);
	snprintf(r->url, sizeof(r->url), "%s", url);
	if (hshm_shm_attach_fd(&r->be, &fs->hctx, r->kind, fd, url)) {
		r->damaged = true;
		r->obj_size = (uint64_t)st.st_size;
		snprintf(r->state, sizeof(r->state), "damaged: not an HSHM "
			 "region this build can attach");
	}
	r->peer = !r->damaged && has_hshmfs_record(r);
	return r;
}

static const struct up_known *known_find(const struct up_known *k, size_t n,
					 dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < n; i++)
		if (k[i].dev == dev && k[i].ino == ino)
			return &k[i];
	return NULL;
}

/* Follow link @name of @dfd (this thread has its owner's rights). */
static int scan_link(struct hshmfs *fs, int dfd, const char *name, uid_t uid,
		     const struct up_known *k, size_t nk, struct up_found *f,
		     const char **why)
{
	const struct up_known *kn;
	char target[PATH_MAX];
	ssize_t l = readlinkat(dfd, name, target, sizeof(target) - 1);
	int p, fd, err;

	if (l < 0)
		return errno == EINVAL ? (*why = "not a symlink", -EINVAL) : -errno;
	target[l] = '\0';
	p = up_open_path(dfd, name, target, uid, why);
	if (p == -ELOOP && !*why)
		*why = "a symlink loop, or through a /proc magic link";
	if (p < 0)
		return p;
	err = up_path_check(p, &f->dev, &f->ino, why);
	kn = err ? NULL : known_find(k, nk, f->dev, f->ino);
	if (!err && kn) { /* in the tree already, or rm'ed: nothing to open */
		close(p);
		return kn->name ? 0 : -ECANCELED;
	}
	if (!err && is_own_object(fs, name, f->dev, f->ino))
		err = -ECANCELED; /* this mount's own: in the tree already */
	if (!err)
		err = up_not_fuse(p, why);
	fd = err ? err : up_reopen(p);
	close(p);
	if (fd < 0)
		return fd == -EWOULDBLOCK ? (*why = "leased by its owner", fd) : fd;
	f->r = view_region(fs, fd, name, target, uid);
	close(fd);
	return f->r ? 0 : -ENOMEM;
}

static void found_free(struct up_found *f)
{
	struct up_found *next;

	for (; f; f = next) {
		next = f->next;
		if (f->r)
			view_region_free(f->r);
		free(f);
	}
}

static bool link_name_ok(const char *name)
{
	char url[HSHM_URL_MAX + 1];

	if (name[0] == '.' || strlen(name) >= HSHM_URL_MAX)
		return false;
	snprintf(url, sizeof(url), "/%s", name);
	return !hshm_url_check(url);
}

/* Every link of @dfd, followed with @uid's rights; a bad one is skipped. */
static struct up_found *scan_dir(struct hshmfs *fs, int dfd, const char *user,
				 uid_t uid, const struct up_known *k, size_t nk)
{
	struct up_found *head = NULL, *f;
	struct dirent *de;
	const char *why;
	size_t n = 0;
	int err;
	DIR *d = fdopendir(dup(dfd));

	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		if (n == USER_ENTRIES_MAX) {
			HSHMFS_LOG(FUSE_LOG_WARNING, "upstream: %s/"
				   LINK_DIR_PREFIX "%s: more than %d links: "
				   "the rest not shown\n", fs->cfg.links_root,
				   user, USER_ENTRIES_MAX);
			break;
		}
		why = NULL;
		if (!link_name_ok(de->d_name) || !(f = calloc(1, sizeof(*f))))
			continue;
		strcpy(f->name, de->d_name);
		err = scan_link(fs, dfd, f->name, uid, k, nk, f, &why);
		if (err) {
			if (err != -ENOENT && err != -ECANCELED)
				HSHMFS_LOG(FUSE_LOG_INFO, "upstream: %s/"
					   LINK_DIR_PREFIX "%s/%s: %s: not "
					   "shown\n", fs->cfg.links_root, user,
					   f->name, why ? why : strerror(-err));
			free(f);
			continue;
		}
		f->next = head;
		head = f;
		n++;
	}
	closedir(d);
	return head;
}

static const struct up_found *found_by_name(const struct up_found *f,
					    const char *name)
{
	for (; f; f = f->next)
		if (!strcmp(f->name, name))
			return f;
	return NULL;
}

static void view_drop(struct hshmfs *fs, struct hnode *c)
{
	hnode_unlink(fs, c);
	hnode_maybe_drop(fs, c);
}

/* Add @f's region as an entry of @dir, owned by @uid (tree_lock held for
 * writing).  The region is the tree's, or freed, afterwards. */
static void view_add(struct hshmfs *fs, struct hnode *dir, struct up_found *f,
		     uid_t uid, gid_t gid)
{
	struct hregion *r = f->r;
	struct hnode *n;

	f->r = NULL;
	if (hnode_child(dir, f->name) || dismissed(dir->dir, f->dev, f->ino) ||
	    is_own_object(fs, f->name, f->dev, f->ino) ||
	    !(n = hnode_new(fs, S_IFREG | (r->peer ? PEER_MODE : VIEW_MODE),
			    uid, gid))) {
		view_region_free(r);
		return;
	}
	if (r->peer)
		HSHMFS_LOG(FUSE_LOG_INFO, "upstream: %s/" LINK_DIR_PREFIX
			   "%s/%s: made by an hshmfs mount: read-only here\n",
			   fs->cfg.links_root, dir->name, f->name);
	n->foreign = true;
	n->region = r;
	hnode_adopt(fs, dir, n, f->name);
}

/*
 * Bring /.hshm/<user> (@ino) in line with what a scan found (tree_lock held
 * for writing).  @valid: the link directory could be read (else every
 * entry not taken over goes).  Entries taken over stay: they are hshmfs'
 * now, whatever happened to their link (the object lives on in our fd).
 */
static void view_merge(struct hshmfs *fs, fuse_ino_t ino, struct up_found *f,
		       bool valid, uid_t uid, gid_t gid)
{
	struct hnode *dir = hnode_by_ino(fs, ino), *c, *next;

	if (!dir || !dir->dir || dir->dir->view != HSHMFS_VIEW_USER)
		return;
	for (c = dir->dir->head; c; c = next) {
		const struct up_found *m = valid ? found_by_name(f, c->name) : NULL;

		next = c->next;
		if (!c->region || hshm_is_owner(&c->region->be))
			continue;
		if (!m || m->dev != c->region->dev || m->ino != c->region->objino)
			view_drop(fs, c);
	}
	for (; valid && f; f = f->next)
		if (f->r)
			view_add(fs, dir, f, uid, gid);
}

/* What a scan of @ino needs from the tree: the user and the entries. */
static int scan_prepare(struct hshmfs *fs, fuse_ino_t ino, char *user,
			size_t ulen, struct up_known **out, size_t *nout)
{
	struct hnode *dir, *c;
	struct up_known *k = NULL;
	size_t n = 0;
	int err = 0;

	tree_rdlock(fs);
	dir = hnode_by_ino(fs, ino);
	if (!dir || !dir->dir || !dir->name)
		err = -ENOENT;
	else if ((size_t)snprintf(user, ulen, "%s", dir->name) >= ulen)
		err = -ENAMETOOLONG;
	else if (!(k = calloc(dir->dir->count + dir->dir->ndismissed + 1,
			      sizeof(*k))))
		err = -ENOMEM;
	for (c = err ? NULL : dir->dir->head; c; c = c->next) {
		if (!c->region || !(k[n].name = strdup(c->name)))
			continue;
		k[n].dev = c->region->dev;
		k[n++].ino = c->region->objino;
	}
	for (size_t i = 0; !err && i < dir->dir->ndismissed; i++) {
		k[n].dev = dir->dir->dismissed[i].dev;
		k[n++].ino = dir->dir->dismissed[i].ino;
	}
	tree_unlock(fs);
	*out = k;
	*nout = n;
	return err;
}

static void known_free(struct up_known *k, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(k[i].name);
	free(k);
}

struct up_job {
	struct hshmfs *fs;
	struct hshmfs_up *up;
	struct up_scan *scan;
};

/* Collect outside every lock, with the link owner's rights, then merge. */
static void scan_run(struct up_job *j, struct up_found **found, bool *valid,
		     bool *merge, uid_t *uid, gid_t *gid)
{
	struct hshmfs *fs = j->fs;
	char user[NAME_MAX + 1];
	struct up_known *k = NULL;
	size_t nk = 0;
	int err = scan_prepare(fs, j->scan->ino, user, sizeof(user), &k, &nk);
	int dfd;

	*merge = !err;
	if (!err && up_user_ids(user, uid, gid))
		err = -ENOENT; /* no such user: nothing of theirs to show */
	else if (!err && (err = up_become(*uid, *gid))) {
		HSHMFS_LOG(FUSE_LOG_ERR, "upstream: cannot take the rights of "
			   "%s to scan their links: %s\n", user, strerror(-err));
		*merge = false;
	}
	if (!err) {
		dfd = up_user_dir_open(fs, user, *uid, 0, false);
		if (dfd < 0 && dfd != -ENOENT)
			HSHMFS_LOG(FUSE_LOG_WARNING, "upstream: link directory "
				   "%s/" LINK_DIR_PREFIX "%s: %s: ignored\n",
				   fs->cfg.links_root, user, up_dir_why(dfd));
		*valid = dfd >= 0;
		if (dfd >= 0) {
			*found = scan_dir(fs, dfd, user, *uid, k, nk);
			close(dfd);
		}
	}
	known_free(k, nk);
}

static void *scan_main(void *arg)
{
	struct up_job *j = arg;
	struct hshmfs_up *up = j->up;
	struct up_found *found = NULL;
	bool valid = false, merge;
	uid_t uid = 0;
	gid_t gid = 0;

	scan_run(j, &found, &valid, &merge, &uid, &gid);
	pthread_mutex_lock(&up->lock);
	if (merge && !up->closing) {
		tree_wrlock(j->fs);
		view_merge(j->fs, j->scan->ino, found, valid, uid, gid);
		tree_unlock(j->fs);
	}
	if (!up->closing)
		found_free(found); /* else the fs may be gone: leak, exiting */
	j->scan->running = false;
	j->scan->done++;
	up->threads--;
	pthread_cond_broadcast(&up->cond);
	pthread_mutex_unlock(&up->lock);
	free(j);
	return NULL;
}

/* The scan record of @ino (up->lock held). */
static struct up_scan *scan_get(struct hshmfs_up *up, fuse_ino_t ino)
{
	struct up_scan *s;

	for (s = up->scans; s; s = s->next)
		if (s->ino == ino)
			return s;
	s = calloc(1, sizeof(*s));
	if (s) {
		s->ino = ino;
		s->next = up->scans;
		up->scans = s;
	}
	return s;
}

/* Start a scan thread for @s (up->lock held).  0 or -errno (logged). */
static int scan_start(struct hshmfs *fs, struct up_scan *s)
{
	struct up_job *j = calloc(1, sizeof(*j));
	pthread_attr_t a;
	pthread_t t;
	int err;

	if (!j)
		return -ENOMEM;
	j->fs = fs;
	j->up = fs->up;
	j->scan = s;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	err = -pthread_create(&t, &a, scan_main, j);
	pthread_attr_destroy(&a);
	if (err) {
		HSHMFS_LOG(FUSE_LOG_ERR, "upstream: no scan thread: %s\n",
			   strerror(-err));
		free(j);
		return err;
	}
	s->running = true;
	s->told = false;
	clock_gettime(CLOCK_MONOTONIC, &s->started);
	fs->up->threads++;
	return 0;
}

/* A scan running for longer than a request may wait is stuck on a link:
 * later requests do not wait for it at all (up->lock held). */
static bool scan_stuck(struct up_scan *s)
{
	struct timespec now;
	long ms;

	if (!s->running)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (now.tv_sec - s->started.tv_sec) * 1000L +
	     (now.tv_nsec - s->started.tv_nsec) / 1000000L;
	if (ms < SCAN_WAIT_MS)
		return false;
	if (!s->told)
		HSHMFS_LOG(FUSE_LOG_WARNING, "upstream: the scan of view "
			   "directory %llu is blocked on a link: answering "
			   "without it\n", (unsigned long long)s->ino);
	s->told = true;
	return true;
}

/* Rescan /.hshm/<user>: wait for it at most SCAN_WAIT_MS. */
static void user_refresh(struct hshmfs *fs, fuse_ino_t ino)
{
	struct hshmfs_up *up = fs->up;
	struct up_scan *s;
	struct timespec dl;
	uint64_t want;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_nsec += (SCAN_WAIT_MS % 1000) * 1000000L;
	dl.tv_sec += SCAN_WAIT_MS / 1000 + dl.tv_nsec / 1000000000L;
	dl.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&up->lock);
	s = up->closing ? NULL : scan_get(up, ino);
	if (s && !scan_stuck(s) && (s->running || !scan_start(fs, s))) {
		want = s->done + 1;
		while (s->done < want && !up->closing &&
		       pthread_cond_timedwait(&up->cond, &up->lock, &dl) !=
			       ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&up->lock);
}

struct up_user {
	char *name;
	uid_t uid;
	gid_t gid;
};

/* The users of links_root's chimaera_<user> directories (no lock held). */
static size_t users_collect(struct hshmfs *fs, struct up_user **out)
{
	size_t pl = sizeof(LINK_DIR_PREFIX) - 1, n = 0, cap = 0;
	struct up_user *u = NULL, *p;
	struct dirent *de;
	DIR *d = opendir(fs->cfg.links_root);

	while (d && (de = readdir(d))) {
		const char *name = de->d_name + pl;

		if (strncmp(de->d_name, LINK_DIR_PREFIX, pl) || !*name ||
		    dir_name_check(name))
			continue;
		if (n == cap && (p = realloc(u, (cap = cap * 2 + 8) * sizeof(*u))))
			u = p;
		if (n < cap && u && !up_user_ids(name, &u[n].uid, &u[n].gid) &&
		    (u[n].name = strdup(name)))
			n++; /* no such user: nobody to show it as */
	}
	if (d)
		closedir(d);
	*out = u;
	return n;
}

/* /.hshm itself: one directory per user with a chimaera_<user> directory,
 * theirs and closed to others as that directory is (no link is opened). */
static void root_refresh(struct hshmfs *fs, fuse_ino_t ino)
{
	struct up_user *users;
	size_t n = users_collect(fs, &users);
	struct hnode *v;

	tree_wrlock(fs);
	v = hnode_by_ino(fs, ino);
	for (size_t i = 0; v && v->dir && i < n; i++) {
		struct hnode *u;

		if (hnode_child(v, users[i].name) ||
		    !(u = hnode_new(fs, S_IFDIR | USER_DIR_MODE, users[i].uid,
				    users[i].gid)))
			continue;
		u->foreign = true;
		u->dir->view = HSHMFS_VIEW_USER;
		hnode_adopt(fs, v, u, users[i].name);
	}
	tree_unlock(fs);
	for (size_t i = 0; i < n; i++)
		free(users[i].name);
	free(users);
}

/* A request made by this daemon itself (a scan following a link into the
 * mount): it must never wait for a scan. */
static bool from_self(fuse_req_t req)
{
	const struct fuse_ctx *c = req ? fuse_req_ctx(req) : NULL;
	char task[48];

	if (!c || c->pid <= 0)
		return false;
	snprintf(task, sizeof(task), "/proc/self/task/%d", (int)c->pid);
	return access(task, F_OK) == 0;
}

void upstream_refresh(struct hshmfs *fs, fuse_req_t req, fuse_ino_t ino)
{
	struct hnode *n;
	int view = HSHMFS_VIEW_NONE;

	if (!fs->up || from_self(req))
		return;
	tree_rdlock(fs);
	n = hnode_by_ino(fs, ino);
	if (n && n->dir)
		view = n->dir->view;
	tree_unlock(fs);
	if (view == HSHMFS_VIEW_ROOT)
		root_refresh(fs, ino);
	else if (view == HSHMFS_VIEW_USER)
		user_refresh(fs, ino);
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
