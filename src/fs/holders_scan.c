/* SPDX-License-Identifier: BSD-3-Clause */
/* holders_scan.c: the cached scan of /proc behind user.hshm.holders (see holders.c). */

#include "holders_i.h"

/* ---- small /proc readers -------------------------------------------------- */

int64_t hold_now_ns(clockid_t c)
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
int hold_read_stat(int procfd, struct hold_proc *p)
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

int hold_read_proc(int procfd, struct hold_proc *p)
{
	int err = hold_read_stat(procfd, p);

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
	int64_t t0 = hold_now_ns(CLOCK_MONOTONIC);
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
	if (h->nents > 1) /* ents is NULL until a first entry is kept */
		qsort(h->ents, h->nents, sizeof(*h->ents), ent_cmp);
	h->when = hold_now_ns(CLOCK_MONOTONIC);
	h->ttl = HOLD_TTL_SCANS * (h->when - t0);
	if (h->ttl < HOLD_TTL_NS)
		h->ttl = HOLD_TTL_NS;
	h->valid = true;
	return 0;
}

/* The mount's device, from its root without a request (DONT_SYNC). */
int hold_mount_dev(struct hshmfs_holders *h, dev_t *dev)
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
int hold_refresh(struct hshmfs_holders *h, const struct hold_query *q)
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
	if (h->valid && hold_now_ns(CLOCK_MONOTONIC) - h->when < h->ttl)
		return 0;
	return scan(h);
}
