/* SPDX-License-Identifier: BSD-3-Clause */
/* state.c: the daemon's private state directory (namespace, key, lock). */

/*
 * Everything the daemon must trust lives here, never in shm_dir (which
 * every user can write): the namespace file, the key of the region records,
 * the prefix lock and the create intents.  The directory is /run/hshmfs
 * for root, $XDG_RUNTIME_DIR/hshmfs for a user, or state_dir=; it is made
 * 0700 and checked (a directory, the daemon's, no group or other access)
 * before every open in it.  Files are opened O_NOFOLLOW|O_NONBLOCK (a FIFO
 * or symlink never blocks or redirects the daemon), checked to be regular
 * and the daemon's, and replaced through an O_EXCL temporary + rename.
 *
 * One directory serves every mount of the daemon's user: each mount's
 * files are named "<prefix>-<64-bit hash of shm_dir's real path>.<what>".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <unistd.h>

#include "fs_i.h"
#include "meta.h"
#include "state.h"

#define STATE_NAME_LEN 160
#define INTENT_SFX ".c"

static int dir_err(const char *dir, const char *what, int err)
{
	fprintf(stderr, "hshmfs: state_dir %s: %s: %s\n", dir, what,
		strerror(err));
	return -err;
}

static int default_dir(char *out, size_t len)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int l;

	if (geteuid() == 0)
		l = snprintf(out, len, "/run/hshmfs");
	else if (xdg && xdg[0] == '/')
		l = snprintf(out, len, "%s/hshmfs", xdg);
	else
		return -ENOENT;
	return l < 0 || (size_t)l >= len ? -ENAMETOOLONG : 0;
}

static int check_dir(struct hshmfs *fs)
{
	struct stat st;

	if (fstat(fs->state_dirfd, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077)) {
		HSHMFS_LOG(FUSE_LOG_ERR, "state_dir %s: owned by uid %u, mode "
			   "%o: must be this daemon's (uid %u) directory, mode "
			   "0700\n", fs->cfg.state_dir, (unsigned)st.st_uid,
			   (unsigned)(st.st_mode & 07777), (unsigned)geteuid());
		return -EPERM;
	}
	return 0;
}

static int open_dir(struct hshmfs *fs)
{
	struct hshmfs_config *c = &fs->cfg;
	int err = 0;

	if (!c->state_dir[0] && (err = default_dir(c->state_dir,
						   sizeof(c->state_dir)))) {
		fprintf(stderr, "hshmfs: no state directory: set state_dir= "
			"(XDG_RUNTIME_DIR is not set)\n");
		return err;
	}
	if (mkdir(c->state_dir, 0700) && errno != EEXIST)
		return dir_err(c->state_dir, "cannot be made", errno);
	fs->state_dirfd = open(c->state_dir, O_RDONLY | O_DIRECTORY |
			       O_NOFOLLOW | O_CLOEXEC);
	if (fs->state_dirfd < 0)
		return dir_err(c->state_dir, "cannot be opened", errno);
	return check_dir(fs);
}

static uint64_t fnv64(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static int set_base(struct hshmfs *fs)
{
	char *real = realpath(fs->cfg.shm_dir, NULL);
	const char *p = real ? real : fs->cfg.shm_dir;
	int l = snprintf(fs->state_base, sizeof(fs->state_base), "%s-%016llx",
			 fs->cfg.prefix, (unsigned long long)fnv64(p));

	free(real);
	return l < 0 || (size_t)l >= sizeof(fs->state_base) ? -ENAMETOOLONG : 0;
}

static int state_name(struct hshmfs *fs, char *buf, const char *sfx)
{
	int l = snprintf(buf, STATE_NAME_LEN, "%s%s", fs->state_base, sfx);

	return l < 0 || l >= STATE_NAME_LEN ? -ENAMETOOLONG : 0;
}

/* Open "<base><sfx>" in the (checked) directory; the file must be regular,
 * the daemon's and not writable by group or others. */
static int open_file(struct hshmfs *fs, const char *sfx, int flags, int *out)
{
	char name[STATE_NAME_LEN];
	struct stat st;
	int fd, err = check_dir(fs);

	if (!err)
		err = state_name(fs, name, sfx);
	if (err)
		return err;
	fd = openat(fs->state_dirfd, name, flags | O_NOFOLLOW | O_NONBLOCK |
		    O_CLOEXEC, 0600);
	if (fd < 0)
		return errno == ELOOP || errno == ENXIO ? -EPERM : -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 022)) {
		close(fd);
		return -EPERM;
	}
	*out = fd;
	return 0;
}

static void log_file(struct hshmfs *fs, const char *sfx, int err)
{
	HSHMFS_LOG(FUSE_LOG_ERR, "state file %s/%s%s: %s\n", fs->cfg.state_dir,
		   fs->state_base, sfx, err == -EPERM ? "not a regular file of "
		   "this daemon's (refused)" : strerror(-err));
}

int state_read(struct hshmfs *fs, const char *sfx, void **buf, size_t *len,
	       size_t max)
{
	struct stat st;
	unsigned char *p;
	int fd, err = open_file(fs, sfx, O_RDONLY, &fd);

	if (err)
		return err;
	if (fstat(fd, &st) || (uint64_t)st.st_size > max) {
		close(fd);
		return -EFBIG;
	}
	p = malloc((size_t)st.st_size + 1);
	if (!p || pread(fd, p, (size_t)st.st_size, 0) != st.st_size) {
		err = p ? -EIO : -ENOMEM;
		free(p);
		close(fd);
		return err;
	}
	close(fd);
	*buf = p;
	*len = (size_t)st.st_size;
	return 0;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return fdatasync(fd) ? -errno : 0;
}

int state_write(struct hshmfs *fs, const char *sfx, const void *buf,
		size_t len)
{
	char tsfx[STATE_NAME_LEN], tmp[STATE_NAME_LEN], fin[STATE_NAME_LEN];
	int fd, err;

	snprintf(tsfx, sizeof(tsfx), "%s.tmp", sfx);
	err = state_name(fs, tmp, tsfx);
	if (!err)
		err = state_name(fs, fin, sfx);
	if (err)
		return err;
	/* a temporary left by a killed daemon: only ours can be in here */
	err = open_file(fs, tsfx, O_WRONLY | O_CREAT | O_EXCL, &fd);
	if (err == -EEXIST && !unlinkat(fs->state_dirfd, tmp, 0))
		err = open_file(fs, tsfx, O_WRONLY | O_CREAT | O_EXCL, &fd);
	if (err)
		return err;
	err = write_all(fd, buf, len);
	close(fd);
	if (!err && renameat(fs->state_dirfd, tmp, fs->state_dirfd, fin))
		err = -errno;
	if (err)
		unlinkat(fs->state_dirfd, tmp, 0);
	return err;
}

void state_set_aside(struct hshmfs *fs, const char *sfx)
{
	char from[STATE_NAME_LEN], to[STATE_NAME_LEN], bsfx[STATE_NAME_LEN];

	snprintf(bsfx, sizeof(bsfx), "%s.bad", sfx);
	if (!state_name(fs, from, sfx) && !state_name(fs, to, bsfx))
		renameat(fs->state_dirfd, from, fs->state_dirfd, to);
}

/* One mount per shm_dir + prefix: flock on a file only the daemon's user
 * can reach (the kernel drops it however the daemon exits). */
static int take_lock(struct hshmfs *fs)
{
	int err = open_file(fs, ".lock", O_RDWR | O_CREAT, &fs->lock_fd);

	if (err) {
		fs->lock_fd = -1;
		log_file(fs, ".lock", err);
		return err;
	}
	if (flock(fs->lock_fd, LOCK_EX | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		fprintf(stderr, "hshmfs: prefix '%s' in %s is in use by another "
			"mount (pick another prefix=): %s\n", fs->cfg.prefix,
			fs->cfg.shm_dir, strerror(-err));
		return err;
	}
	return 0;
}

static int load_key(struct hshmfs *fs)
{
	void *buf = NULL;
	size_t len = 0;
	int err = state_read(fs, ".key", &buf, &len, HSHMFS_META_KEY_LEN);

	if (!err && len == HSHMFS_META_KEY_LEN) {
		memcpy(fs->meta_key, buf, len);
		free(buf);
		return 0;
	}
	free(buf);
	if (!err || err == -EFBIG)
		err = -EBADMSG;
	if (err != -ENOENT) {
		log_file(fs, ".key", err);
		return err; /* never replaced: that would orphan every record */
	}
	if (getrandom(fs->meta_key, sizeof(fs->meta_key), 0) !=
	    (ssize_t)sizeof(fs->meta_key))
		return -errno;
	err = state_write(fs, ".key", fs->meta_key, sizeof(fs->meta_key));
	if (err)
		log_file(fs, ".key", err);
	return err;
}

int state_open(struct hshmfs *fs)
{
	int err;

	fs->state_dirfd = -1;
	fs->lock_fd = -1;
	err = open_dir(fs);
	if (!err)
		err = set_base(fs);
	if (!err)
		err = take_lock(fs);
	if (!err)
		err = load_key(fs);
	return err;
}

void state_close(struct hshmfs *fs)
{
	if (fs->lock_fd >= 0)
		close(fs->lock_fd);
	if (fs->state_dirfd >= 0)
		close(fs->state_dirfd);
	fs->lock_fd = fs->state_dirfd = -1;
}

/* ---- create intents ------------------------------------------------------ */

static void intent_sfx(char *buf, uint64_t serial)
{
	snprintf(buf, 32, INTENT_SFX "%llu", (unsigned long long)serial);
}

int state_intent_begin(struct hshmfs *fs, uint64_t serial)
{
	char sfx[32];
	int fd, err;

	if (fs->state_dirfd < 0)
		return 0;
	intent_sfx(sfx, serial);
	err = open_file(fs, sfx, O_WRONLY | O_CREAT | O_EXCL, &fd);
	if (err == -EEXIST) /* left by the last daemon and not yet cleared */
		return 0;
	if (err) {
		log_file(fs, sfx, err);
		return err;
	}
	close(fd);
	return 0;
}

void state_intent_end(struct hshmfs *fs, uint64_t serial)
{
	char sfx[32], name[STATE_NAME_LEN];

	if (fs->state_dirfd < 0)
		return;
	intent_sfx(sfx, serial);
	if (!state_name(fs, name, sfx))
		unlinkat(fs->state_dirfd, name, 0);
}

bool state_intent_pending(struct hshmfs *fs, uint64_t serial)
{
	char sfx[32], name[STATE_NAME_LEN];
	struct stat st;

	intent_sfx(sfx, serial);
	return fs->state_dirfd >= 0 && !state_name(fs, name, sfx) &&
	       !fstatat(fs->state_dirfd, name, &st, AT_SYMLINK_NOFOLLOW) &&
	       S_ISREG(st.st_mode) && st.st_uid == geteuid();
}

void state_intent_clear(struct hshmfs *fs)
{
	char pfx[STATE_NAME_LEN];
	struct dirent *de;
	size_t pl;
	int dfd;
	DIR *d;

	if (fs->state_dirfd < 0 || state_name(fs, pfx, INTENT_SFX))
		return;
	pl = strlen(pfx);
	dfd = openat(fs->state_dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || !(d = fdopendir(dfd))) {
		if (dfd >= 0)
			close(dfd);
		return;
	}
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, pfx, pl))
			unlinkat(fs->state_dirfd, de->d_name, 0);
	closedir(d);
}
