/* SPDX-License-Identifier: BSD-3-Clause */
/* upstream_follow.c: following a user's link with that user's rights (see upstream.c). */

#include "upstream_i.h"

/* ---- following a link with its owner's rights --------------------------- */

/* Clear this thread's effective capabilities (the permitted stay). */
static int drop_caps(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &h, d))
		return -errno;
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		d[i].effective = 0;
	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

/*
 * Take @uid's file system identity in this (scan) thread, for good: the
 * thread ends after its scan.  Raw syscalls, since glibc's setgroups()
 * would apply to every thread; fsuid and capabilities are per thread.
 */
int up_become(uid_t uid, gid_t gid)
{
	if (uid == 0)
		return 0;
	if (syscall(SYS_setgroups, 0, NULL))
		return -errno;
	setfsgid(gid);
	setfsuid(uid);
	if ((uid_t)setfsuid((uid_t)-1) != uid || (gid_t)setfsgid((gid_t)-1) != gid)
		return -EPERM;
	return drop_caps(); /* no CAP_SYS_PTRACE etc. while following links */
}

/* "/proc/<pid>/fd/<n>": @pid gets "<pid>", @fdpath "fd/<n>". */
static bool proc_fd_target(const char *t, char *pid, size_t plen,
			   const char **fdpath)
{
	size_t np, nf;

	if (strncmp(t, "/proc/", 6))
		return false;
	t += 6;
	np = strspn(t, "0123456789");
	if (np == 0 || np >= plen || strncmp(t + np, "/fd/", 4))
		return false;
	nf = strspn(t + np + 4, "0123456789");
	if (nf == 0 || t[np + 4 + nf])
		return false;
	memcpy(pid, t, np);
	pid[np] = '\0';
	*fdpath = t + np + 1;
	return true;
}

/* An O_PATH fd of what link @name of @dfd (reading @target) reaches. */
int up_open_path(int dfd, const char *name, const char *target, uid_t uid,
		 const char **why)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC,
				.resolve = RESOLVE_NO_MAGICLINKS };
	char pid[16], proc[32];
	const char *fdpath;
	struct stat st;
	int pd, p;

	if (!proc_fd_target(target, pid, sizeof(pid), &fdpath)) {
		/* ordinary symlinks only: no /proc/.../fd on the way */
		p = (int)syscall(SYS_openat2, dfd, name, &how, sizeof(how));
		return p < 0 ? -errno : p;
	}
	snprintf(proc, sizeof(proc), "/proc/%s", pid);
	pd = open(proc, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (pd < 0)
		return -errno;
	if (fstat(pd, &st) || st.st_uid != uid || atoi(pid) == getpid()) {
		*why = "a process of another user";
		close(pd);
		return -EPERM;
	}
	p = openat(pd, fdpath, O_PATH | O_CLOEXEC); /* pinned to that process */
	close(pd);
	return p < 0 ? -errno : p;
}

/* What the O_PATH fd @p is: a regular file of a non-FUSE filesystem. */
int up_path_check(int p, dev_t *dev, ino_t *ino, const char **why)
{
	struct statx sx;

	if (statx(p, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC,
		  STATX_TYPE | STATX_INO, &sx))
		return -errno;
	if (!S_ISREG(sx.stx_mode)) {
		*why = "not a regular file";
		return -EINVAL;
	}
	*dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
	*ino = sx.stx_ino;
	return 0;
}

int up_not_fuse(int p, const char **why)
{
	struct statfs sf;

	if (fstatfs(p, &sf))
		return -errno;
	if (sf.f_type == FUSE_SUPER_MAGIC) {
		*why = "inside a FUSE mount";
		return -EXDEV;
	}
	return 0;
}

/* Open the object behind the O_PATH fd @p itself (no path resolved). */
int up_reopen(int p)
{
	char self[40];
	int fd;

	snprintf(self, sizeof(self), "/proc/self/fd/%d", p);
	fd = open(self, O_RDWR | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}
