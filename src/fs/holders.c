/* SPDX-License-Identifier: BSD-3-Clause */
/* holders.c: who has each region open or mapped (a /proc scan), liveness. */

/*
 * A region is held by a process that has an fd on it or a mapping of it,
 * through the mount (the FUSE inode: dev of the mount, ino = the node's) or
 * directly on its object (the dev and ino of the fd the daemon keeps open:
 * the file in shm_dir, the one behind an upstream link, the memfd).  On
 * 6.18 a shared mmap through the mount (kernel FUSE passthrough) shows the
 * FUSE inode in /proc/<pid>/maps; both keys are looked up anyway.
 *
 * One scan of /proc records, for every process but the daemon, the fds and
 * mappings whose device is one of the few devices regions live on.  It is
 * kept for HOLD_TTL_NS, or HOLD_TTL_SCANS times what it took if that is
 * longer (so scanning never takes more than a fifth of a thread), and it
 * answers every region meanwhile (a listing of a thousand regions costs a
 * scan or two, not a thousand).  fds are stat'ed with
 * AT_STATX_DONT_SYNC, so a file on a FUSE mount (this one included) costs
 * no request to its server.
 *
 * What a caller sees is what /proc would show her: root every process; any
 * other uid only the processes whose fd and maps she could read there (the
 * ptrace "read" rule: real, effective and saved uid and gid all hers, and
 * the process dumpable).  user.hshm.liveness alone counts every holder, so
 * that a cleanup never removes a region someone else still uses.
 */

#include "holders_i.h"

/* ---- from the scan to a region's holders ----------------------------------- */

static bool may_see(uid_t uid, gid_t gid, const struct hold_proc *p)
{
	if (uid == 0)
		return true;
	if (!p->dumpable)
		return false;
	for (int i = 0; i < 3; i++)
		if (p->uid[i] != uid || p->gid[i] != gid)
			return false;
	return true;
}

static struct holder *holder_of(struct holder *hs, size_t *n, pid_t pid)
{
	for (size_t i = 0; i < *n; i++)
		if (hs[i].pid == pid)
			return &hs[i];
	memset(&hs[*n], 0, sizeof(hs[*n]));
	hs[*n].pid = pid;
	return &hs[(*n)++];
}

static size_t lower_bound(const struct hshmfs_holders *h, uint64_t dev,
			  uint64_t ino)
{
	size_t lo = 0, hi = h->nents;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct hold_ent *e = &h->ents[mid];

		if (e->dev < dev || (e->dev == dev && e->ino < ino))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static size_t count_ents(const struct hshmfs_holders *h,
			 const struct hold_query *q)
{
	size_t n = 0;

	for (size_t k = 0; k < q->nkeys; k++)
		for (size_t i = lower_bound(h, q->keys[k][0], q->keys[k][1]);
		     i < h->nents && h->ents[i].dev == q->keys[k][0] &&
		     h->ents[i].ino == q->keys[k][1]; i++)
			n++;
	return n;
}

/* comm, start and credentials of a process of the scan, read once. */
static bool proc_load(const struct hshmfs_holders *h, struct hold_proc *p)
{
	if (!p->loaded) {
		p->loaded = true;
		p->gone = hold_read_proc(h->procfd, p) != 0;
	}
	return !p->gone;
}

static void collect_ents(struct hshmfs_holders *h,
			 const struct hold_query *q, struct holder *hs,
			 size_t *n)
{
	for (size_t k = 0; k < q->nkeys; k++) {
		for (size_t i = lower_bound(h, q->keys[k][0], q->keys[k][1]);
		     i < h->nents && h->ents[i].dev == q->keys[k][0] &&
		     h->ents[i].ino == q->keys[k][1]; i++) {
			const struct hold_ent *e = &h->ents[i];
			struct hold_proc *p = &h->procs[e->proc];
			struct holder *x;

			if (!proc_load(h, p))
				continue; /* exited since the scan */
			x = holder_of(hs, n, p->pid);

			x->p = p;
			x->how |= e->how;
			x->via |= q->via[k];
			x->bytes += e->bytes;
		}
	}
}

/* The IPC handle holders still alive (same pid, same start time). */
static void collect_ipc(const struct hshmfs_holders *h,
			const struct hold_query *q, struct holder *hs,
			size_t *n)
{
	for (unsigned i = 0; i < q->nipc; i++) {
		struct hold_proc p = { .pid = q->ipc[i].pid };
		struct holder *x;

		if (hold_read_proc(h->procfd, &p) || p.start != q->ipc[i].start)
			continue;
		x = holder_of(hs, n, p.pid);
		x->how |= HOW_IPC;
		if (!x->p)
			x->ipc = p; /* x->p is set once hs stops moving */
	}
}

static int holder_cmp(const void *a, const void *b)
{
	const struct holder *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* ---- values ------------------------------------------------------------------ */

static const char *how_name(uint8_t how)
{
	static const char *const names[] = {
		"-", "fd", "map", "fd,map", "ipc", "fd,ipc", "map,ipc",
		"fd,map,ipc",
	};

	return names[how & 7];
}

static const char *via_name(uint8_t via)
{
	static const char *const names[] = { "-", "mount", "object",
					     "mount,object" };

	return names[via & 3];
}

/* comm with bytes outside '!'..'~' and '\' written as \xHH. */
static void comm_escape(const char *c, char *out, size_t len)
{
	size_t o = 0;

	for (; *c && o + 5 < len; c++) {
		unsigned char ch = (unsigned char)*c;

		if (ch > ' ' && ch < 0x7f && ch != '\\')
			out[o++] = (char)ch;
		else
			o += (size_t)snprintf(out + o, len - o, "\\x%02x", ch);
	}
	out[o] = '\0';
}

static int64_t boot_epoch(void)
{
	return (hold_now_ns(CLOCK_REALTIME) - hold_now_ns(CLOCK_BOOTTIME)) / 1000000000LL;
}

/* "<pid> <uid> <how> <via> <bytes> <since> <comm>\n" per visible holder. */
static int format_holders(const struct holder *hs, size_t n, long tick,
			  char *out, size_t len)
{
	int64_t boot = boot_epoch();
	size_t used = 0, shown = 0, vis = 0;
	char comm[64];

	for (size_t i = 0; i < n; i++) {
		const struct holder *x = &hs[i];

		if (!x->visible)
			continue;
		vis++;
		if (used + 2 * HOLD_LINE_MAX > len)
			continue;
		comm_escape(x->p->comm, comm, sizeof(comm));
		used += (size_t)snprintf(out + used, len - used,
			"%d %u %s %s %" PRIu64 " %" PRId64 " %s\n", (int)x->pid,
			(unsigned)x->p->uid[0], how_name(x->how),
			via_name(x->via), x->bytes,
			boot + (int64_t)(x->p->start / (uint64_t)tick), comm);
		shown++;
	}
	if (shown < vis)
		used += (size_t)snprintf(out + used, len - used,
					 "+ %zu more\n", vis - shown);
	return (int)used;
}

/* ---- the query ----------------------------------------------------------------- */

/* Copy what a query needs from node @ino (tree lock, then node lock). */
static int query_of(struct hshmfs *fs, fuse_ino_t ino, struct hold_query *q)
{
	struct hnode *n;
	struct stat st;
	dev_t mdev = 0;
	int err;

	memset(q, 0, sizeof(*q));
	q->objfd = -1;
	pthread_mutex_lock(&fs->holders->lock);
	err = hold_mount_dev(fs->holders, &mdev);
	pthread_mutex_unlock(&fs->holders->lock);
	if (err)
		return err;
	tree_rdlock(fs);
	n = hnode_by_ino(fs, ino);
	if (!n || !n->region) {
		tree_unlock(fs);
		return n ? -ENODATA : -ENOENT;
	}
	node_lock(n);
	q->keys[0][0] = mdev;
	q->keys[0][1] = n->ino;
	q->via[0] = VIA_MOUNT;
	q->nkeys = 1;
	if (hshm_backend_fd(&n->region->be) >= 0 &&
	    !fstat(hshm_backend_fd(&n->region->be), &st)) {
		q->keys[1][0] = st.st_dev;
		q->keys[1][1] = st.st_ino;
		q->via[1] = VIA_OBJECT;
		q->nkeys = 2;
		q->objfd = fcntl(hshm_backend_fd(&n->region->be),
				 F_DUPFD_CLOEXEC, 0);
	}
	q->nipc = n->region->ipc_npids;
	memcpy(q->ipc, n->region->ipc_pids, sizeof(q->ipc));
	q->ipc_lost = n->region->ipc_lost;
	q->changed = n->mtime.tv_sec > n->ctime.tv_sec ? n->mtime.tv_sec
						       : n->ctime.tv_sec;
	node_unlock(n);
	tree_unlock(fs);
	return 0;
}

/* The object's birth time; with no object (gpu_malloc), or one without a
 * birth time, the file's last change: never earlier than its creation. */
static int value_created(const struct hold_query *q, char *out, size_t len)
{
	struct statx sx;

	if (q->objfd < 0 || statx(q->objfd, "", AT_EMPTY_PATH, STATX_BTIME,
				  &sx) || !(sx.stx_mask & STATX_BTIME))
		return snprintf(out, len, "%lld", (long long)q->changed);
	return snprintf(out, len, "%lld", (long long)sx.stx_btime.tv_sec);
}

/* Every holder of @q (h->lock held), each marked visible or not. */
static int holders_list(struct hshmfs_holders *h, const struct hold_query *q,
			uid_t uid, gid_t gid, struct holder **out, size_t *n)
{
	struct holder *hs;
	int err = hold_refresh(h, q);

	if (err)
		return err;
	hs = calloc(count_ents(h, q) + q->nipc + 1, sizeof(*hs));
	if (!hs)
		return -ENOMEM;
	*n = 0;
	collect_ents(h, q, hs, n);
	collect_ipc(h, q, hs, n);
	qsort(hs, *n, sizeof(*hs), holder_cmp);
	for (size_t i = 0; i < *n; i++) {
		if (!hs[i].p) /* known by its IPC handle only */
			hs[i].p = &hs[i].ipc;
		hs[i].visible = may_see(uid, gid, hs[i].p);
	}
	*out = hs;
	return 0;
}

static int value_of(struct hshmfs_holders *h, const struct hold_query *q,
		    const char *a, uid_t uid, gid_t gid, char *out, size_t len)
{
	struct holder *hs = NULL;
	size_t n = 0, vis = 0;
	int ret;

	pthread_mutex_lock(&h->lock);
	ret = holders_list(h, q, uid, gid, &hs, &n);
	if (!ret) {
		for (size_t i = 0; i < n; i++)
			vis += hs[i].visible;
		if (!strcmp(a, "holders"))
			ret = format_holders(hs, n, h->tick, out, len);
		else if (!strcmp(a, "nholders"))
			ret = snprintf(out, len, "%zu", vis);
		else
			ret = snprintf(out, len, "%s", n ? "in-use" :
				       h->partial || q->ipc_lost ? "unknown" :
				       "orphan");
	}
	pthread_mutex_unlock(&h->lock);
	free(hs);
	return ret;
}

bool holders_is_attr(const char *name)
{
	static const char *const names[] = { "holders", "nholders", "liveness",
					     "created" };

	if (strncmp(name, XPFX, sizeof(XPFX) - 1))
		return false;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name + sizeof(XPFX) - 1, names[i]))
			return true;
	return false;
}

void holders_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
		      size_t size)
{
	struct hshmfs *fs = fs_of(req);
	const struct fuse_ctx *c = fuse_req_ctx(req);
	const char *a = name + sizeof(XPFX) - 1;
	struct hold_query q;
	char *val;
	int len;

	if (!fs->holders) {
		fuse_reply_err(req, EOPNOTSUPP);
		return;
	}
	val = malloc(HOLD_VAL_MAX);
	len = val ? query_of(fs, ino, &q) : -ENOMEM;
	if (len == 0)
		len = !strcmp(a, "created") ? value_created(&q, val, HOLD_VAL_MAX)
			: value_of(fs->holders, &q, a, c->uid, c->gid, val,
				   HOLD_VAL_MAX);
	if (val && q.objfd >= 0)
		close(q.objfd);
	xattr_reply(req, val, (int)len, size);
	free(val);
}

/* ---- gpu_malloc IPC handles ----------------------------------------------------- */

static void ipc_insert(struct hregion *r, const struct hold_proc *p,
		       int procfd)
{
	unsigned i, w = 0;

	for (i = 0; i < r->ipc_npids; i++)
		if (r->ipc_pids[i].pid == p->pid &&
		    r->ipc_pids[i].start == p->start)
			return;
	if (r->ipc_npids == HSHMFS_IPC_PIDS) {
		/* drop the ones that are gone */
		for (i = 0; i < r->ipc_npids; i++) {
			struct hold_proc o = { .pid = r->ipc_pids[i].pid };

			if (!hold_read_stat(procfd, &o) &&
			    o.start == r->ipc_pids[i].start)
				r->ipc_pids[w++] = r->ipc_pids[i];
		}
		r->ipc_npids = w;
	}
	if (r->ipc_npids == HSHMFS_IPC_PIDS) {
		r->ipc_lost = true; /* all alive: forget the oldest */
		memmove(r->ipc_pids, r->ipc_pids + 1,
			sizeof(r->ipc_pids[0]) * (HSHMFS_IPC_PIDS - 1));
		r->ipc_npids--;
	}
	r->ipc_pids[r->ipc_npids++] = (struct hshmfs_ipc_pid){
		.pid = p->pid, .start = p->start };
}

void holders_ipc_note(fuse_req_t req, struct hnode *n)
{
	struct hshmfs *fs = fs_of(req);
	struct hold_proc p = { .pid = fuse_req_ctx(req)->pid };
	bool known = fs->holders && p.pid > 0 &&
		     !hold_read_stat(fs->holders->procfd, &p);

	node_lock(n);
	if (known)
		ipc_insert(n->region, &p, fs->holders->procfd);
	else
		n->region->ipc_lost = true; /* a holder we cannot follow */
	node_unlock(n);
}

/* ---- set-up ----------------------------------------------------------------------- */

int holders_init(struct hshmfs *fs, const char *mountpoint)
{
	struct hshmfs_holders *h = calloc(1, sizeof(*h));
	const char *what = mountpoint;
	int err = 0;

	if (!h)
		return -ENOMEM;
	if (!realpath(mountpoint, h->mnt))
		err = -errno;
	else if ((h->procfd = open(what = "/proc", O_RDONLY | O_DIRECTORY |
				   O_CLOEXEC)) < 0)
		err = -errno;
	if (err) {
		HSHMFS_LOG(FUSE_LOG_ERR, "holders: %s: %s\n", what,
			   strerror(-err));
		free(h);
		return err;
	}
	h->tick = sysconf(_SC_CLK_TCK);
	if (h->tick <= 0)
		h->tick = 100;
	pthread_mutex_init(&h->lock, NULL);
	fs->holders = h;
	return 0;
}

void holders_fini(struct hshmfs *fs)
{
	struct hshmfs_holders *h = fs->holders;

	if (!h)
		return;
	pthread_mutex_destroy(&h->lock);
	close(h->procfd);
	free(h->procs);
	free(h->ents);
	free(h);
	fs->holders = NULL;
}
