/* SPDX-License-Identifier: BSD-3-Clause */
/* hshmfs-ls: list the regions of an hshmfs mount, who holds them, since when. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

/* Exit codes (also in the usage text). */
enum {
	EX_LS_OK = 0,
	EX_LS_NOTHSHM = 1,  /* a PATH is not on an hshmfs mount */
	EX_LS_USAGE = 2,
	EX_LS_ERROR = 3,    /* a PATH or an attribute could not be read */
};

#define FUSE_MAGIC 0x65735546
#define XP "user.hshm."
#define VAL_MAX 65536       /* the largest xattr value */
#define VIEW_NAME ".hshm"

struct opts {
	bool json, all, orphans, print0;
	long long min_age;  /* -1: any */
};

/* One region, as read through its attributes. */
struct region {
	char *path;
	struct stat st;
	char backend[32], url[300], state[128], liveness[16], owned[4];
	char id[32], layout[16], kind[8], mmap[16];
	char backend_size[24], data_capacity[24], data_offset[24];
	char data_id[16], nholders[16], created[24];
	char *holders;      /* user.hshm.holders, lines */
};

struct list {
	struct region *r;
	size_t n, cap;
	int err;            /* first error met (positive exit code) */
};

static void usage(FILE *f, const char *argv0)
{
	fprintf(f,
"usage: %s [-j] [-a] [-o] [-A SECONDS] [-0] [PATH...]\n"
"List the regions of an hshmfs mount: backend, size, owner, state, how many\n"
"processes hold each one, liveness and age.  A directory PATH (default .) is\n"
"walked recursively; a region file PATH is shown in detail, holders included.\n"
"Works on the /.hshm view too (give it as PATH, or use -a).\n"
"\n"
"  -j, --json          JSON instead of a table (holders always included)\n"
"  -a, --all           also walk the /.hshm view under a mount's root\n"
"  -o, --orphans       only orphans: held by no process and owned by nobody\n"
"                      alive (user.hshm.liveness = orphan)\n"
"  -A, --min-age SECS  only regions created at least SECS seconds ago\n"
"  -0, --print0        print only the paths, each followed by a NUL\n"
"  -h, --help          this text\n"
"\n"
"STATE is owned (hshmfs destroys the region when its file is removed),\n"
"detached (user.hshm.owned = 0: removing the file only detaches) or damaged.\n"
"HOLDERS counts the processes you may see in /proc (root: all); LIVENESS\n"
"(in-use, orphan, unknown) counts every process.\n"
"Remove the orphans older than an hour:\n"
"  %s -o -A 3600 -0 MOUNT | xargs -0r rm -f --\n"
"\n"
"Exit: 0 ok; 1 a PATH is not on hshmfs (or not a region or directory of it);\n"
"      2 usage; 3 another error (a PATH or attribute could not be read).\n",
		argv0, argv0);
}

/* ---- attributes ------------------------------------------------------------ */

/* user.hshm.@name of @path into @buf as a string ("" when absent). */
static int xget(const char *path, const char *name, char *buf, size_t len)
{
	char full[64];
	ssize_t got;

	snprintf(full, sizeof(full), XP "%s", name);
	got = lgetxattr(path, full, buf, len - 1);
	if (got < 0) {
		buf[0] = '\0';
		return errno == ENODATA ? 0 : -errno;
	}
	buf[got] = '\0';
	return 0;
}

#define XGET(path, r, field) xget(path, #field, (r)->field, sizeof((r)->field))

static int read_header_attrs(const char *path, struct region *r)
{
	int err = 0;

	err = err ? err : XGET(path, r, id);
	err = err ? err : XGET(path, r, layout);
	err = err ? err : XGET(path, r, kind);
	err = err ? err : XGET(path, r, mmap);
	err = err ? err : XGET(path, r, backend_size);
	err = err ? err : XGET(path, r, data_capacity);
	err = err ? err : XGET(path, r, data_offset);
	err = err ? err : XGET(path, r, data_id);
	return err;
}

/* Read region @path (lstat'ed into @st).  0, -ENODATA (not a region) or
 * -errno. */
static int region_read(const char *path, const struct stat *st,
		       struct region *r)
{
	int err;

	memset(r, 0, sizeof(*r));
	r->st = *st;
	err = XGET(path, r, backend);
	if (!err && !r->backend[0])
		return -ENODATA;
	err = err ? err : XGET(path, r, url);
	err = err ? err : XGET(path, r, state);
	err = err ? err : XGET(path, r, owned);
	err = err ? err : XGET(path, r, liveness);
	err = err ? err : XGET(path, r, nholders);
	err = err ? err : XGET(path, r, created);
	err = err ? err : read_header_attrs(path, r);
	if (err)
		return err;
	r->holders = malloc(VAL_MAX);
	r->path = strdup(path);
	if (!r->holders || !r->path)
		return -ENOMEM;
	return xget(path, "holders", r->holders, VAL_MAX);
}

static void region_free(struct region *r)
{
	free(r->path);
	free(r->holders);
}

static const char *state_of(const struct region *r)
{
	if (strcmp(r->state, "ok"))
		return "damaged";
	return !strcmp(r->owned, "1") ? "owned" : "detached";
}

/* Seconds since the region was created, or -1 when not known. */
static long long age_of(const struct region *r, time_t now)
{
	char *end;
	long long c;

	if (!r->created[0])
		return -1;
	c = strtoll(r->created, &end, 10);
	if (*end || c > now)
		return *end ? -1 : 0;
	return now - c;
}

/* ---- the walk -------------------------------------------------------------- */

static int list_add(struct list *l, struct region *r)
{
	if (l->n == l->cap) {
		size_t c = l->cap ? 2 * l->cap : 64;
		struct region *p = realloc(l->r, c * sizeof(*p));

		if (!p)
			return -ENOMEM;
		l->r = p;
		l->cap = c;
	}
	l->r[l->n++] = *r;
	return 0;
}

static void note_err(struct list *l, const char *path, int err)
{
	fprintf(stderr, "hshmfs-ls: %s: %s\n", path, strerror(-err));
	if (!l->err)
		l->err = EX_LS_ERROR;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of directory @path, sorted, or NULL (errno set). */
static char **dir_names(const char *path, size_t *n)
{
	DIR *d = opendir(path);
	char **names = NULL, **p;
	struct dirent *de;
	size_t cap = 0;

	*n = 0;
	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			p = realloc(names, cap * sizeof(*p));
			if (!p)
				break;
			names = p;
		}
		names[*n] = strdup(de->d_name);
		if (!names[*n])
			break;
		(*n)++;
	}
	closedir(d);
	if (*n)
		qsort(names, *n, sizeof(*names), name_cmp);
	if (!names)
		names = calloc(1, sizeof(*names));
	return names;
}

static void walk(struct list *l, const struct opts *o, const char *path,
		 const struct stat *st, bool top);

static void walk_dir(struct list *l, const struct opts *o, const char *path,
		     const struct stat *st)
{
	size_t n;
	char **names = dir_names(path, &n);

	if (!names) {
		note_err(l, path, -errno);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char sub[PATH_MAX];
		struct stat cst;

		/* the upstream view is other processes' regions: on request */
		if (st->st_ino == 1 && !o->all && !strcmp(names[i], VIEW_NAME))
			goto next;
		if ((size_t)snprintf(sub, sizeof(sub), "%s%s%s", path,
				     path[strlen(path) - 1] == '/' ? "" : "/",
				     names[i]) >= sizeof(sub)) {
			note_err(l, path, -ENAMETOOLONG);
			goto next;
		}
		if (lstat(sub, &cst))
			note_err(l, sub, -errno);
		else if (cst.st_dev == st->st_dev) /* stay on this mount */
			walk(l, o, sub, &cst, false);
next:
		free(names[i]);
	}
	free(names);
}

static void walk(struct list *l, const struct opts *o, const char *path,
		 const struct stat *st, bool top)
{
	struct region r;
	int err;

	if (S_ISDIR(st->st_mode)) {
		walk_dir(l, o, path, st);
		return;
	}
	if (!S_ISREG(st->st_mode))
		return;
	err = region_read(path, st, &r);
	if (!err)
		err = list_add(l, &r);
	if (err) {
		region_free(&r);
		if (err != -ENODATA)
			note_err(l, path, err);
		else if (top)
			fprintf(stderr, "hshmfs-ls: %s: not a region\n", path);
		if (err == -ENODATA && top && !l->err)
			l->err = EX_LS_NOTHSHM;
	}
}

/* ---- output ----------------------------------------------------------------- */

static void human(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "BKMGTPE";
	double d = (double)v;
	int u = 0;

	while (d >= 1024 && u < 6) {
		d /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%" PRIu64 "B", v);
	else
		snprintf(buf, len, "%.*f%c", d < 10 ? 1 : 0, d, units[u]);
}

static void human_age(long long s, char *buf, size_t len)
{
	if (s < 0)
		snprintf(buf, len, "-");
	else if (s < 120)
		snprintf(buf, len, "%llds", s);
	else if (s < 7200)
		snprintf(buf, len, "%lldm", s / 60);
	else if (s < 172800)
		snprintf(buf, len, "%lldh", s / 3600);
	else
		snprintf(buf, len, "%lldd", s / 86400);
}

static void user_of(uid_t uid, char *buf, size_t len)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];

	if (!getpwuid_r(uid, &pw, tmp, sizeof(tmp), &res) && res)
		snprintf(buf, len, "%s", pw.pw_name);
	else
		snprintf(buf, len, "%u", (unsigned)uid);
}

static void print_table(const struct list *l, time_t now)
{
	char size[24], age[32], user[64];

	printf("%-14s %7s %-10s %-8s %7s %-8s %5s  %s\n", "BACKEND", "SIZE",
	       "OWNER", "STATE", "HOLDERS", "LIVENESS", "AGE", "PATH");
	for (size_t i = 0; i < l->n; i++) {
		const struct region *r = &l->r[i];

		human((uint64_t)r->st.st_size, size, sizeof(size));
		human_age(age_of(r, now), age, sizeof(age));
		user_of(r->st.st_uid, user, sizeof(user));
		printf("%-14s %7s %-10s %-8s %7s %-8s %5s  %s\n", r->backend,
		       size, user, state_of(r), r->nholders, r->liveness, age,
		       r->path);
	}
}

/* One holder line: "pid uid how via bytes since comm". */
struct hline {
	long pid, uid;
	char how[16], via[16], comm[80];
	unsigned long long bytes;
	long long since;
};

static bool hline_parse(const char *line, struct hline *h)
{
	return sscanf(line, "%ld %ld %15s %15s %llu %lld %79s", &h->pid,
		      &h->uid, h->how, h->via, &h->bytes, &h->since,
		      h->comm) == 7;
}

static void print_time(long long t)
{
	char buf[64];
	time_t tt = (time_t)t;
	struct tm tm;

	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", localtime_r(&tt, &tm));
	fputs(buf, stdout);
}

static void print_holders(const struct region *r)
{
	char user[64];
	char *s = r->holders, *nl;
	struct hline h;

	printf("%8s %-10s %-10s %-12s %12s %-19s %s\n", "PID", "USER", "HOW",
	       "VIA", "MAPPED", "SINCE", "COMMAND");
	for (; (nl = strchr(s, '\n')); s = nl + 1) {
		*nl = '\0';
		if (!hline_parse(s, &h)) {
			printf("%s\n", s); /* "+ N more" */
			*nl = '\n';
			continue;
		}
		user_of((uid_t)h.uid, user, sizeof(user));
		printf("%8ld %-10s %-10s %-12s %12llu ", h.pid, user, h.how,
		       h.via, h.bytes);
		print_time(h.since);
		printf(" %s\n", h.comm);
		*nl = '\n';
	}
}

static void print_detail(const struct region *r, time_t now)
{
	char user[64], age[32];
	long long a = age_of(r, now);

	user_of(r->st.st_uid, user, sizeof(user));
	human_age(a, age, sizeof(age));
	printf("path:          %s\n", r->path);
	printf("backend:       %s (%s)\n", r->backend, r->kind);
	printf("url:           %s\n", r->url[0] ? r->url : "-");
	printf("size:          %lld\n", (long long)r->st.st_size);
	printf("owner:         %s (%u:%u) mode %04o\n", user,
	       (unsigned)r->st.st_uid, (unsigned)r->st.st_gid,
	       (unsigned)(r->st.st_mode & 07777));
	printf("state:         %s%s%s\n", state_of(r),
	       strcmp(r->state, "ok") ? " - " : "",
	       strcmp(r->state, "ok") ? r->state : "");
	printf("liveness:      %s\n", r->liveness);
	printf("created:       ");
	if (a >= 0) {
		print_time(strtoll(r->created, NULL, 10));
		printf(" (%s ago)\n", age);
	} else {
		printf("-\n");
	}
	if (r->id[0])
		printf("id:            %s\nlayout:        %s\nbackend_size:  "
		       "%s\ndata_offset:   %s\ndata_capacity: %s\ndata_id:       "
		       "%s\n", r->id, r->layout, r->backend_size,
		       r->data_offset, r->data_capacity, r->data_id);
	printf("mmap:          %s\n", r->mmap);
	printf("holders:       %s\n", r->nholders);
	if (r->holders[0])
		print_holders(r);
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void json_num_or_null(const char *key, const char *v, bool comma)
{
	printf("\"%s\":%s%s", key, v[0] ? v : "null", comma ? "," : "");
}

static void json_holders(const struct region *r)
{
	char *s = r->holders, *nl;
	struct hline h;
	bool first = true;

	printf("\"holders\":[");
	for (; (nl = strchr(s, '\n')); s = nl + 1) {
		*nl = '\0';
		if (hline_parse(s, &h)) {
			printf("%s{\"pid\":%ld,\"uid\":%ld,\"how\":", first ? "" :
			       ",", h.pid, h.uid);
			json_str(h.how);
			printf(",\"via\":");
			json_str(h.via);
			printf(",\"bytes\":%llu,\"since\":%lld,\"comm\":",
			       h.bytes, h.since);
			json_str(h.comm);
			putchar('}');
			first = false;
		}
		*nl = '\n';
	}
	putchar(']');
}

static void json_region(const struct region *r, time_t now)
{
	long long a = age_of(r, now);

	printf("{\"path\":");
	json_str(r->path);
	printf(",\"backend\":");
	json_str(r->backend);
	printf(",\"url\":");
	json_str(r->url);
	printf(",\"size\":%lld,\"uid\":%u,\"gid\":%u,\"mode\":%u,\"state\":",
	       (long long)r->st.st_size, (unsigned)r->st.st_uid,
	       (unsigned)r->st.st_gid, (unsigned)(r->st.st_mode & 07777));
	json_str(state_of(r));
	printf(",\"state_detail\":");
	json_str(r->state);
	printf(",\"liveness\":");
	json_str(r->liveness);
	printf(",");
	json_num_or_null("nholders", r->nholders, true);
	json_num_or_null("created", r->created, false);
	if (a >= 0)
		printf(",\"age\":%lld", a);
	else
		printf(",\"age\":null");
	printf(",\"id\":");
	json_str(r->id);
	printf(",");
	json_num_or_null("backend_size", r->backend_size, true);
	json_num_or_null("data_offset", r->data_offset, true);
	json_num_or_null("data_capacity", r->data_capacity, true);
	json_holders(r);
	putchar('}');
}

static void print_json(const struct list *l, time_t now, bool one)
{
	if (one) {
		json_region(&l->r[0], now);
		putchar('\n');
		return;
	}
	printf("{\"regions\":[");
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			putchar(',');
		putchar('\n');
		json_region(&l->r[i], now);
	}
	printf("\n]}\n");
}

/* ---- main ------------------------------------------------------------------- */

/* Drop the regions the filters leave out. */
static void filter(struct list *l, const struct opts *o, time_t now)
{
	size_t w = 0;

	for (size_t i = 0; i < l->n; i++) {
		struct region *r = &l->r[i];
		long long a = age_of(r, now);
		bool keep = (!o->orphans || !strcmp(r->liveness, "orphan")) &&
			    (o->min_age < 0 || (a >= 0 && a >= o->min_age));

		if (keep)
			l->r[w++] = *r;
		else
			region_free(r);
	}
	l->n = w;
}

/* Add what @path holds to @l; false when @path is a region file. */
static bool add_path(struct list *l, const struct opts *o, const char *path)
{
	struct statfs sf;
	struct stat st;
	char b[32];

	if (lstat(path, &st) || statfs(path, &sf)) {
		note_err(l, path, -errno);
		return false;
	}
	if ((unsigned long)sf.f_type != FUSE_MAGIC ||
	    lgetxattr(path, XP "backend", b, sizeof(b)) < 0) {
		fprintf(stderr, "hshmfs-ls: %s: not on an hshmfs mount\n", path);
		if (!l->err)
			l->err = EX_LS_NOTHSHM;
		return false;
	}
	walk(l, o, path, &st, true);
	return S_ISREG(st.st_mode);
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "all", no_argument, NULL, 'a' },
		{ "orphans", no_argument, NULL, 'o' },
		{ "min-age", required_argument, NULL, 'A' },
		{ "print0", no_argument, NULL, '0' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	o->min_age = -1;
	while ((c = getopt_long(argc, argv, "jaoA:0h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': o->json = true; break;
		case 'a': o->all = true; break;
		case 'o': o->orphans = true; break;
		case '0': o->print0 = true; break;
		case 'A':
			errno = 0;
			o->min_age = strtoll(optarg, &end, 10);
			if (errno || *end || !*optarg || o->min_age < 0) {
				fprintf(stderr, "hshmfs-ls: bad --min-age '%s'\n",
					optarg);
				return -EINVAL;
			}
			break;
		case 'h':
			usage(stdout, argv[0]);
			exit(EX_LS_OK);
		default:
			usage(stderr, argv[0]);
			return -EINVAL;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct list l = { 0 };
	time_t now = time(NULL);
	bool one = false;

	if (parse_args(argc, argv, &o))
		return EX_LS_USAGE;
	if (optind == argc)
		one = add_path(&l, &o, ".");
	for (int i = optind; i < argc; i++)
		one = add_path(&l, &o, argv[i]) && argc - optind == 1;
	filter(&l, &o, now);
	if (o.print0)
		for (size_t i = 0; i < l.n; i++)
			fwrite(l.r[i].path, 1, strlen(l.r[i].path) + 1, stdout);
	else if (o.json)
		print_json(&l, now, one && l.n == 1);
	else if (one && l.n == 1)
		print_detail(&l.r[0], now);
	else
		print_table(&l, now);
	for (size_t i = 0; i < l.n; i++)
		region_free(&l.r[i]);
	free(l.r);
	return l.err;
}
