/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sectool.c: what an attacker does to hshmfs' files from outside the mount
 * (tests/integration/test_security*.sh).  Run as an unprivileged user.
 *
 *   sectool record OBJ [field=value...]   rewrite the hshmfs record in the
 *       last page of OBJ as the versions before issue 16 wrote it there
 *       (version 1, crc32; magic and kind posix_shm_mmap where the page held
 *       none), fields: uid gid mode path (path_len follows path) path_len
 *       version flags; "raw=1" leaves the crc alone.  Prints the record's
 *       fields.
 *   sectool xrecord OBJ                   print the fields of the record in
 *       OBJ's attribute trusted.hshmfs.record (root)
 *   sectool unmigrate OBJ                 put OBJ as a version before issue
 *       16 left it: the record from its attribute into its last page, the
 *       attribute removed (root)
 *   sectool nsforge FILE UID MODE         write a namespace file holding only
 *       a root entry with UID and MODE (octal)
 *   sectool bindabs NAME SECS             bind the abstract socket "\0NAME"
 *       and hold it SECS seconds
 *   sectool deep DIR DEPTH NAMELEN        a chain of DEPTH directories with
 *       names of NAMELEN bytes under DIR (relative mkdir + chdir)
 *   sectool renameloop DIR NAME SECS      for SECS seconds keep a fresh
 *       object of one's own at DIR/NAME: the first is renamed over NAME,
 *       each next one is made as NAME.t and exchanged with it
 *       (RENAME_EXCHANGE), the old one then removed.  An exchange that finds
 *       NAME gone means someone else removed the object of ours there.
 *       Prints "ok EXCHANGES lost=TIMES".
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

/* The record layout (src/fs/meta.h), written here from its description. */
struct rec {
	char magic[8];
	uint32_t version, kind, uid, gid, mode, flags;
	int64_t atime_sec, mtime_sec, ctime_sec;
	uint32_t atime_nsec, mtime_nsec, ctime_nsec;
	uint32_t path_len;
	uint64_t serial;
	char path[3072];
	uint32_t crc, pad;
};

static uint32_t crc32(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint32_t c = 0xffffffffu;

	while (len--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
	}
	return ~c;
}

static int die(const char *what)
{
	fprintf(stderr, "sectool: %s: %s\n", what, strerror(errno));
	return 1;
}

static void set_field(struct rec *r, const char *kv, int *raw)
{
	const char *v = strchr(kv, '=');
	size_t k = v ? (size_t)(v - kv) : 0;

	if (!v)
		return;
	v++;
	if (!strncmp(kv, "path", k) && k == 4) {
		size_t n = strlen(v) < sizeof(r->path) ? strlen(v) : sizeof(r->path);

		memset(r->path, 0, sizeof(r->path));
		memcpy(r->path, v, n);
		r->path_len = (uint32_t)n;
	} else if (!strncmp(kv, "path_len", k) && k == 8) {
		r->path_len = (uint32_t)strtoul(v, NULL, 0);
	} else if (!strncmp(kv, "uid", k) && k == 3) {
		r->uid = (uint32_t)strtoul(v, NULL, 0);
	} else if (!strncmp(kv, "gid", k) && k == 3) {
		r->gid = (uint32_t)strtoul(v, NULL, 0);
	} else if (!strncmp(kv, "mode", k) && k == 4) {
		r->mode = (uint32_t)strtoul(v, NULL, 8);
	} else if (!strncmp(kv, "version", k) && k == 7) {
		r->version = (uint32_t)strtoul(v, NULL, 0);
	} else if (!strncmp(kv, "flags", k) && k == 5) {
		r->flags = (uint32_t)strtoul(v, NULL, 0);
	} else if (!strncmp(kv, "raw", k) && k == 3) {
		*raw = 1;
	}
}

static void print_rec(const struct rec *r)
{
	printf("version=%u uid=%u gid=%u mode=%o path=%.*s\n", r->version,
	       r->uid, r->gid, r->mode,
	       (int)(r->path_len < 3072 ? r->path_len : 0), r->path);
}

static int cmd_record(int argc, char **argv)
{
	struct rec r;
	struct stat st;
	int fd = open(argv[0], O_RDWR | O_NOFOLLOW), raw = 0;
	off_t at;

	if (fd < 0 || fstat(fd, &st))
		return die(argv[0]);
	at = st.st_size - 4096;
	if (pread(fd, &r, sizeof(r), at) != (ssize_t)sizeof(r))
		return die("read record");
	if (argc > 1 && memcmp(r.magic, "HSHMFSM1", 8)) {
		memcpy(r.magic, "HSHMFSM1", 8);
		r.kind = 1; /* posix_shm_mmap */
	}
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			set_field(&r, argv[i], &raw);
		if (!raw) {
			r.crc = crc32(&r, offsetof(struct rec, crc));
			r.pad = 0;
		}
		if (pwrite(fd, &r, sizeof(r), at) != (ssize_t)sizeof(r))
			return die("write record");
	}
	print_rec(&r);
	close(fd);
	return 0;
}

#define XNAME "trusted.hshmfs.record"
#define FIXED offsetof(struct rec, path)

/* The record in @fd's attribute (the compact form of src/fs/meta.h: the
 * fields before path, path_len bytes of path, the 8-byte tag). */
static int xattr_rec(int fd, struct rec *r)
{
	unsigned char x[sizeof(struct rec)];
	ssize_t n = fgetxattr(fd, XNAME, x, sizeof(x));

	memset(r, 0, sizeof(*r));
	if (n < (ssize_t)FIXED + 8)
		return -1;
	memcpy(r, x, FIXED);
	if (r->path_len != (size_t)n - FIXED - 8) {
		errno = EBADMSG;
		return -1;
	}
	memcpy(r->path, x + FIXED, r->path_len);
	memcpy(&r->crc, x + n - 8, 4);
	memcpy(&r->pad, x + n - 4, 4);
	return 0;
}

static int cmd_xrecord(const char *obj)
{
	struct rec r;
	int fd = open(obj, O_RDONLY | O_NOFOLLOW);

	if (fd < 0 || xattr_rec(fd, &r))
		return die(obj);
	print_rec(&r);
	close(fd);
	return 0;
}

static int cmd_unmigrate(const char *obj)
{
	struct rec r;
	struct stat st;
	int fd = open(obj, O_RDWR | O_NOFOLLOW);

	if (fd < 0 || fstat(fd, &st) || xattr_rec(fd, &r))
		return die(obj);
	if (pwrite(fd, &r, sizeof(r), st.st_size - 4096) != (ssize_t)sizeof(r) ||
	    fremovexattr(fd, XNAME))
		return die("unmigrate");
	close(fd);
	return 0;
}

static void put(unsigned char **p, const void *v, size_t n)
{
	memcpy(*p, v, n);
	*p += n;
}

static int cmd_nsforge(char **argv)
{
	unsigned char buf[32 + 48] = { 0 }, *p = buf + 32;
	uint32_t uid = (uint32_t)strtoul(argv[1], NULL, 0);
	uint32_t mode = (uint32_t)strtoul(argv[2], NULL, 8), zero = 0, one = 1;
	int32_t gpu = -1;
	uint64_t body = 48, z64 = 0;
	uint8_t t = 'R', f = 0;
	uint16_t pl = 0;
	uint32_t crc;
	int fd;

	put(&p, &t, 1);
	put(&p, &f, 1);
	put(&p, &pl, 2);
	put(&p, &mode, 4);
	put(&p, &uid, 4);
	put(&p, &uid, 4);  /* gid */
	put(&p, &zero, 4); /* backend */
	put(&p, &gpu, 4);
	put(&p, &z64, 8);  /* size */
	put(&p, &z64, 8);  /* mtime */
	put(&p, &zero, 4);
	put(&p, &zero, 4); /* target length */
	crc = crc32(buf + 32, 48);
	memcpy(buf, "HSHMFSN1", 8);
	memcpy(buf + 8, &one, 4);
	memcpy(buf + 12, &one, 4);
	memcpy(buf + 16, &body, 8);
	memcpy(buf + 24, &crc, 4);
	fd = open(argv[0], O_WRONLY | O_CREAT | O_TRUNC, 0666);
	if (fd < 0 || write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		return die(argv[0]);
	close(fd);
	return 0;
}

static int cmd_bindabs(char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(argv[0]);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	if (len + 1 > sizeof(sa.sun_path))
		return 1;
	memcpy(sa.sun_path + 1, argv[0], len);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa,
			   (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
				       1 + len)))
		return die("bind");
	printf("bound\n");
	fflush(stdout);
	sleep((unsigned)atoi(argv[1]));
	return 0;
}

static int cmd_deep(char **argv)
{
	long depth = atol(argv[1]);
	size_t nl = (size_t)atol(argv[2]);
	char name[256];

	if (nl < 1 || nl > 255 || chdir(argv[0]))
		return die(argv[0]);
	memset(name, 'd', nl);
	name[nl] = '\0';
	for (long i = 0; i < depth; i++) {
		if (mkdir(name, 0755) && errno != EEXIST)
			return die("mkdir");
		if (chdir(name))
			return die("chdir");
	}
	return 0;
}

/* A new object of ours at @tmp in @dfd. */
static int decoy(int dfd, const char *tmp)
{
	int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0)
		return -1;
	if (write(fd, "decoy", 5) != 5) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static int cmd_renameloop(char **argv)
{
	int dfd = open(argv[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	time_t end = time(NULL) + atol(argv[2]);
	unsigned long n = 0, lost = 0;
	char tmp[300];

	snprintf(tmp, sizeof(tmp), "%s.t", argv[1]);
	if (dfd < 0 || decoy(dfd, tmp) || renameat(dfd, tmp, dfd, argv[1]))
		return die("the first rename over the name");
	while (time(NULL) < end) {
		if (decoy(dfd, tmp))
			return die(tmp);
		if (!renameat2(dfd, tmp, dfd, argv[1], RENAME_EXCHANGE)) {
			n++;
			if (unlinkat(dfd, tmp, 0))
				return die("unlink");
			continue;
		}
		if (errno != ENOENT)
			return die("exchange");
		lost++; /* ours at NAME was removed: put the new one there */
		if (renameat(dfd, tmp, dfd, argv[1]))
			return die("rename");
	}
	printf("ok %lu lost=%lu\n", n, lost);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "record"))
		return cmd_record(argc - 2, argv + 2);
	if (argc == 3 && !strcmp(argv[1], "xrecord"))
		return cmd_xrecord(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "unmigrate"))
		return cmd_unmigrate(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "nsforge"))
		return cmd_nsforge(argv + 2);
	if (argc == 4 && !strcmp(argv[1], "bindabs"))
		return cmd_bindabs(argv + 2);
	if (argc == 5 && !strcmp(argv[1], "deep"))
		return cmd_deep(argv + 2);
	if (argc == 5 && !strcmp(argv[1], "renameloop"))
		return cmd_renameloop(argv + 2);
	fprintf(stderr, "usage: sectool record|xrecord|unmigrate|nsforge|bindabs|"
		"deep|renameloop "
		"...\n");
	return 2;
}
