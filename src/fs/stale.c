/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stale.c: one-step remount after a crash.
 *
 * A daemon that dies (SIGKILL, a crash) leaves its mount behind: every
 * access to the mount point fails with ENOTCONN (statfs at once; stat
 * once the cached attributes expire), and libfuse refuses to
 * mount there.  Each mount therefore notes its mount point in
 * "<shm_dir>/.<prefix>.mnt" (a dot file, like the namespace file) and
 * removes the note when it ends cleanly.  A later mount of the same
 * shm_dir and prefix that finds its mount point dead, a fuse.hshmfs mount
 * and named by that note, detaches it (a lazy unmount, as `umount -l`)
 * and mounts, with one log line.  A dead mount of another shm_dir or
 * prefix, or of another filesystem, is left alone with a line saying so.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs_i.h"

extern char **environ;

static void note_name(const struct hshmfs_config *cfg, char *buf, size_t len)
{
	snprintf(buf, len, "%s/.%s.mnt", cfg->shm_dir, cfg->prefix);
}

/* @mnt made absolute without touching it (a dead mount cannot be
 * resolved): the real path of its parent, then its last component. */
static int abs_mountpoint(const char *mnt, char *out, size_t len)
{
	char a[PATH_MAX], b[PATH_MAX], parent[PATH_MAX];

	if (strlen(mnt) >= sizeof(a))
		return -ENAMETOOLONG;
	strcpy(a, mnt);
	strcpy(b, mnt);
	if (!realpath(dirname(a), parent))
		return -errno;
	if ((size_t)snprintf(out, len, "%s/%s", strcmp(parent, "/") ? parent
			     : "", basename(b)) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *d = s;

	for (; *s; s++, d++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] &&
		    s[3]) {
			*d = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) |
				    (s[3] - '0'));
			s += 3;
		} else {
			*d = *s;
		}
	}
	*d = '\0';
}

/* The file system type of the topmost mount at @mnt, in @type. */
static int mount_type(const char *mnt, char *type, size_t len)
{
	char line[3 * PATH_MAX], point[PATH_MAX], fstype[64];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - ");

		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", point) != 1 ||
		    sscanf(sep + 3, "%63s", fstype) != 1)
			continue;
		unescape(point);
		if (!strcmp(point, mnt)) {
			snprintf(type, len, "%s", fstype);
			err = 0; /* keep going: the last one is on top */
		}
	}
	fclose(f);
	return err;
}

/* Whether the note of @cfg's shm_dir and prefix names @mnt. */
static bool noted_here(const struct hshmfs_config *cfg, const char *mnt)
{
	char name[PATH_MAX + 80], buf[PATH_MAX + 2];
	ssize_t n;
	int fd;

	note_name(cfg, name, sizeof(name));
	fd = open(name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return !strcmp(buf, mnt);
}

/* umount2(MNT_DETACH) as root, else the setuid fusermount3 -u -z. */
static int detach(const char *mnt)
{
	char *argv[] = { "fusermount3", "-u", "-z", "-q", (char *)mnt, NULL };
	int status;
	pid_t pid;

	if (!umount2(mnt, MNT_DETACH | UMOUNT_NOFOLLOW))
		return 0;
	if (errno != EPERM)
		return -errno;
	if (posix_spawnp(&pid, "fusermount3", NULL, NULL, argv, environ))
		return -EPERM;
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EPERM;
}

int hshmfs_stale_clear(const struct hshmfs_config *cfg, const char *mnt)
{
	char abs[PATH_MAX], type[64];
	struct statfs sf;
	int err;

	/* statfs always asks the daemon; stat may answer from the attribute
	 * cache of a mount that died a moment ago */
	if (!mnt || !statfs(mnt, &sf) || errno != ENOTCONN)
		return 0;
	err = abs_mountpoint(mnt, abs, sizeof(abs));
	if (!err)
		err = mount_type(abs, type, sizeof(type));
	if (err || strcmp(type, "fuse.hshmfs") || !noted_here(cfg, abs)) {
		HSHMFS_LOG(FUSE_LOG_ERR, "mount point %s is a dead mount (%s) "
			   "but not one left by hshmfs with shm_dir=%s and "
			   "prefix=%s: left alone; detach it first with "
			   "'umount -l %s'\n", mnt, strerror(ENOTCONN),
			   cfg->shm_dir, cfg->prefix, mnt);
		return -ENOTCONN;
	}
	err = detach(abs);
	if (err) {
		HSHMFS_LOG(FUSE_LOG_ERR, "mount point %s: cannot detach the "
			   "dead mount of a crashed hshmfs: %s\n", abs,
			   strerror(-err));
		return err;
	}
	HSHMFS_LOG(FUSE_LOG_NOTICE, "mount point %s: detached the dead mount "
		   "of a crashed hshmfs (shm_dir=%s, prefix=%s) and mounting "
		   "again\n", abs, cfg->shm_dir, cfg->prefix);
	return 0;
}

int hshmfs_stale_note(const struct hshmfs_config *cfg, const char *mnt)
{
	char name[PATH_MAX + 80], tmp[PATH_MAX + 90];
	size_t len = strlen(mnt);
	int fd, err = 0;

	note_name(cfg, name, sizeof(name));
	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	unlink(tmp); /* shm_dir is often world-writable: never reuse a file */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0644);
	if (fd < 0 || write(fd, mnt, len) != (ssize_t)len ||
	    write(fd, "\n", 1) != 1)
		err = -errno;
	if (fd >= 0)
		close(fd);
	if (!err && rename(tmp, name))
		err = -errno;
	if (err) {
		unlink(tmp);
		HSHMFS_LOG(FUSE_LOG_WARNING, "%s: %s (after a crash, the mount "
			   "point will need 'umount -l' before a remount)\n",
			   name, strerror(-err));
	}
	return err;
}

void hshmfs_stale_unnote(const struct hshmfs_config *cfg)
{
	char name[PATH_MAX + 80];

	note_name(cfg, name, sizeof(name));
	unlink(name);
}
