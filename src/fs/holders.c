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
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fs_i.h"

#define HOLD_TTL_NS (200 * 1000000LL)  /* a scan answers for 200 ms, */
#define HOLD_TTL_SCANS 4                /* or 4 times what it took */
#define HOLD_MAX_DEVS 8                 /* devices regions live on */
#define HOLD_VAL_MAX 65536              /* XATTR_SIZE_MAX */
#define HOLD_LINE_MAX 192               /* one line of user.hshm.holders */
#define XPFX "user.hshm."

enum { HOW_FD = 1, HOW_MAP = 2, HOW_IPC = 4 };
enum { VIA_MOUNT = 1, VIA_OBJECT = 2 };

/* A process seen holding something of interest. */
struct hold_proc {
	pid_t pid;
	bool loaded, gone;      /* the fields below read (on first query) */
	bool dumpable;
	uid_t uid[3];           /* real, effective, saved */
	gid_t gid[3];
	uint64_t start;         /* clock ticks after boot */
	char comm[16];
};

/* One file a process holds: how, and the bytes it maps. */
struct hold_ent {
	uint64_t dev, ino;
	uint32_t proc;          /* index in procs */
	uint8_t how;
	uint64_t bytes;
};

struct hshmfs_holders {
	pthread_mutex_t lock;   /* everything below but the fixed fields */
	char mnt[PATH_MAX];     /* fixed: the mount point */
	int procfd;             /* fixed: /proc */
	long tick;              /* fixed: clock ticks per second */
	dev_t mnt_dev;          /* 0 until first needed */
	dev_t devs[HOLD_MAX_DEVS];
	size_t ndevs;
	bool valid;             /* procs/ents are a scan younger than TTL */
	bool partial;           /* that scan could not read everything */
	int64_t when;           /* CLOCK_MONOTONIC ns of that scan */
	int64_t ttl;            /* how long it answers, ns */
	struct hold_proc *procs;
	size_t nprocs, cprocs;
	struct hold_ent *ents;
	size_t nents, cents;
};

/* What a query needs of a region, copied under its locks. */
struct hold_query {
	uint64_t keys[2][2];    /* (dev, ino): mount file, object */
	uint8_t via[2];
	size_t nkeys;
	struct hshmfs_ipc_pid ipc[HSHMFS_IPC_PIDS];
	unsigned nipc;
	bool ipc_lost;
	int objfd;              /* dup of the object's fd, or -1 */
	time_t changed;         /* the node's latest of mtime and ctime */
};

/* One holder as a caller is told about it. */
struct holder {
	pid_t pid;
	uint8_t how, via;
	bool visible;
	uint64_t bytes;
	const struct hold_proc *p;
	struct hold_proc ipc;   /* a process known only by its IPC handle */
};

/* ---- small /proc readers -------------------------------------------------- */

static int64_t now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Read /proc/<pid>/<what> (at most @len - 1 bytes) as a C string. */
static int read_small(int procfd, pid_t pid, const char *what, char *buf,
		      size_t len)
{
	char path[300];
	ssize_t got;
	int fd;

	snprintf(path, sizeof(path), "%d/%s", (int)pid, what);
	fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	got = read(fd, buf, len - 1);
	if (got < 0)
		got = -errno;
	close(fd);
	if (got < 0)
		return (int)got;
	buf[got] = '\0';
	return 0;
}

/* comm and start time (field 22) from /proc/<pid>/stat. */
static int read_stat(int procfd, struct hold_proc *p)
{
	char buf[1024], *open_p, *close_p, *s;
	size_t l;

	if (read_small(procfd, p->pid, "stat", buf, sizeof(buf)))
		return -ESRCH;
	open_p = strchr(buf, '(');
	close_p = strrchr(buf, ')');
	if (!open_p || !close_p || close_p < open_p)
		return -EINVAL;
	l = (size_t)(close_p - open_p - 1);
	if (l >= sizeof(p->comm))
		l = sizeof(p->comm) - 1;
	memcpy(p->comm, open_p + 1, l);
	p->comm[l] = '\0';
	s = close_p + 1;
	for (int field = 3; field < 22 && s; field++) /* s: before field 3 */
		s = strchr(s + 1, ' ');
	if (!s)
		return -EINVAL;
	p->start = strtoull(s + 1, NULL, 10);
	return 0;
}

static int parse_ids(const char *buf, const char *key, unsigned out[3])
{
	const char *s = strstr(buf, key);

	if (!s || sscanf(s + strlen(key), "%u %u %u", &out[0], &out[1],
			 &out[2]) != 3)
		return -EINVAL;
	return 0;
}

/* Credentials from /proc/<pid>/status, dumpable from who owns /proc/<pid>
 * (root, for a process that is not dumpable). */
static int read_creds(int procfd, struct hold_proc *p)
{
	char buf[2048], name[16];
	unsigned u[3], g[3];
	struct stat st;

	snprintf(name, sizeof(name), "%d", (int)p->pid);
	if (fstatat(procfd, name, &st, 0) ||
	    read_small(procfd, p->pid, "status", buf, sizeof(buf)))
		return -ESRCH;
	if (parse_ids(buf, "\nUid:", u) || parse_ids(buf, "\nGid:", g))
		return -EINVAL;
	for (int i = 0; i < 3; i++) {
		p->uid[i] = u[i];
		p->gid[i] = g[i];
	}
	p->dumpable = st.st_uid == p->uid[1];
	return 0;
}

static int read_proc(int procfd, struct hold_proc *p)
{
	int err = read_stat(procfd, p);

	return err ? err : read_creds(procfd, p);
}

/* ---- the scan ------------------------------------------------------------- */

static bool dev_wanted(const struct hshmfs_holders *h, dev_t dev)
{
	for (size_t i = 0; i < h->ndevs; i++)
		if (h->devs[i] == dev)
			return true;
	return false;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t c = *cap ? *cap : 64;
	void *q;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	q = realloc(*p, c * elem);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

/* Add (or merge into) the entry of the process being scanned, whose
 * entries start at @first. */
static int add_ent(struct hshmfs_holders *h, size_t first, dev_t dev,
		   uint64_t ino, uint8_t how, uint64_t bytes)
{
	struct hold_ent *e;

	for (size_t i = first; i < h->nents; i++) {
		e = &h->ents[i];
		if (e->dev == dev && e->ino == ino) {
			e->how |= how;
			e->bytes += bytes;
			return 0;
		}
	}
	if (grow((void **)&h->ents, &h->cents, h->nents + 1, sizeof(*e)))
		return -ENOMEM;
	e = &h->ents[h->nents++];
	*e = (struct hold_ent){ .dev = dev, .ino = ino, .how = how,
				.bytes = bytes, .proc = (uint32_t)h->nprocs };
	return 0;
}

static int scan_fds(struct hshmfs_holders *h, const char *pid, size_t first)
{
	char path[300];
	struct dirent *de;
	struct statx sx;
	DIR *d;
	int dfd, err = 0;

	snprintf(path, sizeof(path), "%s/fd", pid);
	dfd = openat(h->procfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -ENOMEM;
	}
	while (!err && (de = readdir(d))) {
		dev_t dev;

		if (de->d_name[0] == '.' ||
		    statx(dfd, de->d_name, AT_STATX_DONT_SYNC, STATX_INO, &sx))
			continue;
		dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
		if (dev_wanted(h, dev))
			err = add_ent(h, first, dev, sx.stx_ino, HOW_FD, 0);
	}
	closedir(d);
	return err;
}

/* One line of /proc/<pid>/maps: "lo-hi perms off MAJ:MIN ino path". */
static int maps_line(const char *l, uint64_t *bytes, dev_t *dev,
		     uint64_t *ino)
{
	unsigned long long lo, hi, maj, min;
	char *e;

	lo = strtoull(l, &e, 16);
	if (*e != '-')
		return -EINVAL;
	hi = strtoull(e + 1, &e, 16);
	e = strchr(e + 1, ' ');                 /* past the perms */
	e = e ? strchr(e + 1, ' ') : NULL;      /* past the offset */
	if (!e || hi < lo)
		return -EINVAL;
	maj = strtoull(e + 1, &e, 16);
	if (*e != ':')
		return -EINVAL;
	min = strtoull(e + 1, &e, 16);
	*ino = strtoull(e, NULL, 10);
	*bytes = hi - lo;
	*dev = makedev(maj, min);
	return *ino ? 0 : -ENOENT;
}

static int maps_lines(struct hshmfs_holders *h, char *s, size_t *have,
		      size_t first)
{
	char *start = s, *nl;
	uint64_t bytes, ino;
	dev_t dev;
	int err = 0;

	while (!err && (nl = memchr(s, '\n', (size_t)(start + *have - s)))) {
		*nl = '\0';
		if (!maps_line(s, &bytes, &dev, &ino) && dev_wanted(h, dev))
			err = add_ent(h, first, dev, ino, HOW_MAP, bytes);
		s = nl + 1;
	}
	*have = (size_t)(start + *have - s);
	memmove(start, s, *have);
	return err;
}

static int scan_maps(struct hshmfs_holders *h, const char *pid, size_t first)
{
	char path[300], buf[16384];
	size_t have = 0;
	ssize_t got;
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/maps", pid);
	fd = openat(h->procfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (!err && (got = read(fd, buf + have, sizeof(buf) - have)) > 0) {
		have += (size_t)got;
		err = maps_lines(h, buf, &have, first);
		if (have == sizeof(buf))
			have = 0; /* a line longer than any path: skip it */
	}
	close(fd);
	return err;
}

/* Scan one process; drops what it found if the process went away. */
static int scan_pid(struct hshmfs_holders *h, const char *name, pid_t pid)
{
	size_t first = h->nents;
	struct hold_proc *p;
	int err = scan_fds(h, name, first);

	if (err == -EACCES)
		h->partial = true;
	if (err == -ENOMEM)
		return err;
	/* maps we may not read (an LSM): the fds above still count */
	err = scan_maps(h, name, first);
	if (err == -ENOMEM)
		return err;
	if (h->nents == first)
		return 0;
	if (grow((void **)&h->procs, &h->cprocs, h->nprocs + 1, sizeof(*p)))
		return -ENOMEM;
	p = &h->procs[h->nprocs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid; /* the rest when a query needs it: proc_load() */
	return 0;
}

static int ent_cmp(const void *a, const void *b)
{
	const struct hold_ent *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return x->proc < y->proc ? -1 : x->proc > y->proc;
}

static int scan(struct hshmfs_holders *h)
{
	pid_t self = getpid(); /* after fuse_daemonize() */
	int64_t t0 = now_ns(CLOCK_MONOTONIC);
	struct dirent *de;
	DIR *d;
	int fd, err = 0;

	h->nprocs = h->nents = 0;
	h->partial = false;
	h->valid = false;
	fd = openat(h->procfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		HSHMFS_LOG(FUSE_LOG_ERR, "holders: cannot list /proc: %s\n",
			   strerror(-err));
		return err;
	}
	while (!err && (de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0 || pid == self)
			continue;
		err = scan_pid(h, de->d_name, (pid_t)pid);
	}
	closedir(d);
	if (err) {
		HSHMFS_LOG(FUSE_LOG_ERR, "holders: scan of /proc: %s\n",
			   strerror(-err));
		return err;
	}
	qsort(h->ents, h->nents, sizeof(*h->ents), ent_cmp);
	h->when = now_ns(CLOCK_MONOTONIC);
	h->ttl = HOLD_TTL_SCANS * (h->when - t0);
	if (h->ttl < HOLD_TTL_NS)
		h->ttl = HOLD_TTL_NS;
	h->valid = true;
	return 0;
}

/* The mount's device, from its root without a request (DONT_SYNC). */
static int mount_dev(struct hshmfs_holders *h, dev_t *dev)
{
	struct statx sx;

	if (!h->mnt_dev) {
		if (statx(AT_FDCWD, h->mnt, AT_STATX_DONT_SYNC | AT_NO_AUTOMOUNT,
			  STATX_INO, &sx))
			return -errno;
		if (sx.stx_ino != FUSE_ROOT_ID)
			return -ENODEV; /* something is mounted over it */
		h->mnt_dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
	}
	*dev = h->mnt_dev;
	return 0;
}

/* Make the scan cover @q's devices and be fresh (h->lock held). */
static int refresh(struct hshmfs_holders *h, const struct hold_query *q)
{
	for (size_t k = 0; k < q->nkeys; k++) {
		dev_t dev = (dev_t)q->keys[k][0];

		if (dev_wanted(h, dev))
			continue;
		if (h->ndevs == HOLD_MAX_DEVS)
			return -ENOSPC;
		h->devs[h->ndevs++] = dev;
		h->valid = false;
	}
	if (h->valid && now_ns(CLOCK_MONOTONIC) - h->when < h->ttl)
		return 0;
	return scan(h);
}

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
		p->gone = read_proc(h->procfd, p) != 0;
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

		if (read_proc(h->procfd, &p) || p.start != q->ipc[i].start)
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
	return (now_ns(CLOCK_REALTIME) - now_ns(CLOCK_BOOTTIME)) / 1000000000LL;
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
	err = mount_dev(fs->holders, &mdev);
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
	int err = refresh(h, q);

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

			if (!read_stat(procfd, &o) &&
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
		     !read_stat(fs->holders->procfd, &p);

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
