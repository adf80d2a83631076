/* SPDX-License-Identifier: BSD-3-Clause */
/* opts.c: hshmfs mount options: the fuse_opt table, value parsers, validation. */
#include <ctype.h>
#include <errno.h>
#include <fuse_opt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs_i.h"
#include "hshm/gpu.h"

int hshmfs_parse_u32(const char *s, uint32_t *out)
{
	uint64_t v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return -ERANGE;
	}
	*out = (uint32_t)v;
	return 0;
}

static int size_shift(const char *suffix, unsigned *shift)
{
	static const char units[] = "KMGTP";
	const char *u;

	if (!*suffix) {
		*shift = 0;
		return 0;
	}
	u = strchr(units, toupper((unsigned char)suffix[0]));
	if (!u || !suffix[0])
		return -EINVAL;
	*shift = 10u * (unsigned)(u - units + 1);
	suffix++;
	if (!strcmp(suffix, "") || !strcmp(suffix, "B") ||
	    !strcmp(suffix, "iB"))
		return 0;
	return -EINVAL;
}

int hshmfs_parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	unsigned shift;
	int err;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	for (; isdigit((unsigned char)*s); s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	err = size_shift(s, &shift);
	if (err)
		return err;
	if (shift && v > (UINT64_C(1) << (62 - shift)))
		return -ERANGE;
	v <<= shift;
	if (v > (UINT64_C(1) << 62))
		return -ERANGE;
	*out = v;
	return 0;
}

int hshmfs_parse_mode(const char *s, mode_t *out)
{
	unsigned v = 0;

	if (!s || !*s || strlen(s) > 5)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '7')
			return -EINVAL;
		v = v * 8 + (unsigned)(*s - '0');
	}
	if (v > 07777)
		return -EINVAL;
	*out = (mode_t)v;
	return 0;
}

int hshmfs_prefix_check(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > HSHMFS_PREFIX_MAX)
		return -EINVAL;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return -EINVAL;
	return 0;
}

enum { KEY_DISCARD, KEY_HELP, KEY_VERSION, KEY_FOREGROUND };

#define HOPT(t, f) { t, offsetof(struct hshmfs_rawopts, f), 0 }
static const struct fuse_opt hshmfs_opt_table[] = {
	HOPT("backend=%s", backend),
	HOPT("size=%s", size),
	HOPT("shm_dir=%s", shm_dir),
	HOPT("prefix=%s", prefix),
	HOPT("gpu=%s", gpu),
	HOPT("mode=%s", mode),
	HOPT("io=%s", io),
	HOPT("mmap=%s", mmap),
	HOPT("gpu_runtime=%s", gpu_runtime),
	HOPT("uid=%s", uid),
	HOPT("gid=%s", gid),
	HOPT("links_root=%s", links_root),
	HOPT("upstream=%s", upstream),
	HOPT("state_dir=%s", state_dir),
	HOPT("log=%s", log),
	HOPT("reserve=%s", reserve),
	/* libfuse's too (kept): the log goes to stderr in the foreground */
	FUSE_OPT_KEY("-f", KEY_FOREGROUND),
	FUSE_OPT_KEY("-d", KEY_FOREGROUND),
	FUSE_OPT_KEY("debug", KEY_FOREGROUND),
	{ "hshm_links", offsetof(struct hshmfs_rawopts, hshm_links), 1 },
	{ "nohshm_links", offsetof(struct hshmfs_rawopts, hshm_links), 0 },
	{ "devnodes", offsetof(struct hshmfs_rawopts, devnodes), 1 },
	{ "nodevnodes", offsetof(struct hshmfs_rawopts, devnodes), 0 },
	/* fstab and mount(8) noise: accepted and ignored */
	FUSE_OPT_KEY("_netdev", KEY_DISCARD),
	FUSE_OPT_KEY("noauto", KEY_DISCARD),
	FUSE_OPT_KEY("auto", KEY_DISCARD),
	FUSE_OPT_KEY("user", KEY_DISCARD),
	FUSE_OPT_KEY("users", KEY_DISCARD),
	FUSE_OPT_KEY("nouser", KEY_DISCARD),
	FUSE_OPT_KEY("nofail", KEY_DISCARD),
	FUSE_OPT_KEY("defaults", KEY_DISCARD),
	FUSE_OPT_KEY("rw", KEY_DISCARD),
	FUSE_OPT_END
};

static int hshmfs_opt_proc(void *data, const char *arg, int key,
			   struct fuse_args *outargs)
{
	struct hshmfs_rawopts *raw = data;

	if (key == KEY_DISCARD)
		return 0;
	if (key == KEY_FOREGROUND)
		raw->foreground = 1;
	if (key == FUSE_OPT_KEY_NONOPT && !raw->source) {
		raw->source = strdup(arg);
		return raw->source ? 0 : -1;
	}
	if (key == FUSE_OPT_KEY_NONOPT && !raw->mountpoint) {
		raw->mountpoint = strdup(arg); /* and kept for fuse_parse_cmdline */
		return raw->mountpoint ? 1 : -1;
	}
	return 1; /* keep: FUSE's own option or the mount point */
}

void hshmfs_opts_help(void)
{
	printf("hshmfs options:\n"
	       "    -o backend=NAME        default backend of the root directory\n"
	       "                           (posix_shm_mmap, malloc, gpu_shm_mmap, gpu_malloc)\n"
	       "    -o size=SIZE           default size of new regions (1M); a number of\n"
	       "                           bytes with K, M, G, T or P (powers of 1024, either\n"
	       "                           case, then B or iB if any): 4096, 64M, 1GiB\n"
	       "    -o shm_dir=DIR         where posix objects live (/dev/shm)\n"
	       "    -o prefix=NAME         namespace of this mount's objects (hshmfs)\n"
	       "    -o gpu=N               default GPU device (0)\n"
	       "    -o gpu_runtime=NAME    auto, cuda, hip, none, or double (the test double)\n"
	       "    -o mode=OCTAL          mode of the root directory (1777)\n"
	       "    -o uid=N,gid=N         owner of the root directory (the mounter)\n"
	       "    -o io=readthrough|daemon|passthrough  read/write path (readthrough)\n"
	       "    -o mmap=auto|shared|cached  mmap mode (auto)\n"
	       "    -o hshm_links          publish upstream HSHM links in /tmp/chimaera_$USER\n"
	       "    -o links_root=DIR      where chimaera_<user>/ link dirs live (/tmp)\n"
	       "    -o devnodes            root may make (inert: nodev) device nodes\n"
	       "    -o upstream=ro|rw|off  the /.hshm view of upstream regions (ro)\n"
	       "    -o log=WHERE           syslog, syslog:/SOCKET, stderr or /FILE\n"
	       "                           (syslog; stderr with -f or -d)\n"
	       "    -o reserve=1|0         new regions reserve their memory at create and\n"
	       "                           on growth (1), or stay sparse as in upstream\n"
	       "                           HSHM (0); directories: user.hshm.reserve\n"
	       "    -o state_dir=DIR       the daemon's private state (/run/hshmfs;\n"
	       "                           $XDG_RUNTIME_DIR/hshmfs for a user)\n");
}

static int bad(const char *opt, const char *val, const char *why)
{
	fprintf(stderr, "hshmfs: bad value for option '%s': '%s' (%s)\n", opt,
		val, why);
	return -EINVAL;
}

static int cfg_backend(const struct hshmfs_rawopts *r, struct hshmfs_config *c)
{
	if (r->backend && hshm_backend_kind_parse(r->backend, &c->backend))
		return bad("backend", r->backend,
			   "want malloc, posix_shm_mmap, gpu_shm_mmap or gpu_malloc");
	if (r->size) {
		int err = hshmfs_parse_size(r->size, &c->size);

		if (err || c->size == 0)
			return bad("size", r->size,
				   "want a positive size such as 4096, 64M or 1G");
	}
	return 0;
}

static int cfg_paths(const struct hshmfs_rawopts *r, struct hshmfs_config *c)
{
	const char *dir = r->shm_dir ? r->shm_dir : "/dev/shm";

	if (dir[0] != '/' || strlen(dir) >= sizeof(c->shm_dir))
		return bad("shm_dir", dir, "want an absolute directory path");
	strcpy(c->shm_dir, dir);
	if (r->prefix && hshmfs_prefix_check(r->prefix))
		return bad("prefix", r->prefix,
			   "want 1-48 characters of [A-Za-z0-9_-]");
	strcpy(c->prefix, r->prefix ? r->prefix : HSHMFS_DEFAULT_PREFIX);
	dir = r->links_root ? r->links_root : "/tmp";
	if (dir[0] != '/' || strlen(dir) >= sizeof(c->links_root))
		return bad("links_root", dir, "want an absolute directory path");
	strcpy(c->links_root, dir);
	if (r->state_dir && (r->state_dir[0] != '/' ||
			     strlen(r->state_dir) >= sizeof(c->state_dir)))
		return bad("state_dir", r->state_dir,
			   "want an absolute directory path");
	if (r->state_dir)
		strcpy(c->state_dir, r->state_dir);
	return 0;
}

static int cfg_ids(const struct hshmfs_rawopts *r, struct hshmfs_config *c)
{
	uint32_t v;

	if (r->gpu) {
		if (hshmfs_parse_u32(r->gpu, &v) || v > INT32_MAX)
			return bad("gpu", r->gpu, "want a device ordinal");
		c->gpu = (int)v;
	}
	if (r->mode && hshmfs_parse_mode(r->mode, &c->root_mode))
		return bad("mode", r->mode, "want an octal mode up to 7777");
	if (r->uid) {
		if (hshmfs_parse_u32(r->uid, &v) || v == UINT32_MAX)
			return bad("uid", r->uid, "want a numeric uid");
		c->root_uid = v;
	}
	if (r->gid) {
		if (hshmfs_parse_u32(r->gid, &v) || v == UINT32_MAX)
			return bad("gid", r->gid, "want a numeric gid");
		c->root_gid = v;
	}
	return 0;
}

static int cfg_modes(const struct hshmfs_rawopts *r, struct hshmfs_config *c)
{
	const struct hshm_gpu_runtime *rt;

	if (r->io && !strcmp(r->io, "passthrough"))
		c->io = HSHMFS_IO_PASSTHROUGH;
	else if (r->io && !strcmp(r->io, "daemon"))
		c->io = HSHMFS_IO_DAEMON;
	else if (r->io && strcmp(r->io, "readthrough"))
		return bad("io", r->io, "want daemon, readthrough or passthrough");
	if (r->mmap && !strcmp(r->mmap, "shared"))
		c->mmap = HSHMFS_MMAP_SHARED;
	else if (r->mmap && !strcmp(r->mmap, "cached"))
		c->mmap = HSHMFS_MMAP_CACHED;
	else if (r->mmap && strcmp(r->mmap, "auto"))
		return bad("mmap", r->mmap, "want auto, shared or cached");
	if (r->upstream && !strcmp(r->upstream, "rw"))
		c->upstream = HSHMFS_UPSTREAM_RW;
	else if (r->upstream && !strcmp(r->upstream, "off"))
		c->upstream = HSHMFS_UPSTREAM_OFF;
	else if (r->upstream && strcmp(r->upstream, "ro"))
		return bad("upstream", r->upstream, "want ro, rw or off");
	if (r->gpu_runtime) {
		int err = hshm_gpu_by_name(r->gpu_runtime, &rt);

		if (err == -EINVAL || strlen(r->gpu_runtime) >= sizeof(c->gpu_runtime))
			return bad("gpu_runtime", r->gpu_runtime,
				   "want auto, cuda, hip, none or double");
		if (err)
			return bad("gpu_runtime", r->gpu_runtime,
				   "runtime not compiled into this build");
		strcpy(c->gpu_runtime, r->gpu_runtime);
	}
	return 0;
}

static int cfg_log(const struct hshmfs_rawopts *r, struct hshmfs_config *c)
{
	if (r->log && hshmfs_log_parse(r->log, &c->log_to, c->log_path,
				       sizeof(c->log_path)))
		return bad("log", r->log, "want syslog, syslog:/SOCKET, "
			   "stderr or an absolute file path");
	return 0;
}

static int cfg_reserve(const struct hshmfs_rawopts *r, struct hshmfs_config *c)
{
	if (!r->reserve)
		return 0;
	if (!strcmp(r->reserve, "1"))
		c->reserve = true;
	else if (!strcmp(r->reserve, "0"))
		c->reserve = false;
	else
		return bad("reserve", r->reserve, "want 1 or 0");
	return 0;
}

static void cfg_defaults(struct hshmfs_config *c)
{
	memset(c, 0, sizeof(*c));
	c->backend = HSHM_POSIX_SHM_MMAP;
	c->size = HSHM_MIN_BACKEND_SIZE;
	c->reserve = true; /* docs/performance.md, "Creating without reserving" */
	c->root_mode = 01777;
	c->root_uid = getuid();
	c->root_gid = getgid();
	strcpy(c->gpu_runtime, "auto");
}

int hshmfs_opts_parse(struct fuse_args *args, struct hshmfs_rawopts *raw,
		      struct hshmfs_config *cfg)
{
	int err;

	memset(raw, 0, sizeof(*raw));
	cfg_defaults(cfg);
	if (fuse_opt_parse(args, raw, hshmfs_opt_table, hshmfs_opt_proc) == -1)
		return -EINVAL;
	err = cfg_backend(raw, cfg);
	if (!err)
		err = cfg_paths(raw, cfg);
	if (!err)
		err = cfg_ids(raw, cfg);
	if (!err)
		err = cfg_modes(raw, cfg);
	if (!err)
		err = cfg_log(raw, cfg);
	if (!err)
		err = cfg_reserve(raw, cfg);
	cfg->set_reserve = raw->reserve;
	cfg->hshm_links = raw->hshm_links;
	cfg->devnodes = raw->devnodes;
	cfg->set_backend = raw->backend;
	cfg->set_size = raw->size;
	cfg->set_gpu = raw->gpu;
	cfg->set_mode = raw->mode;
	cfg->set_uid = raw->uid;
	cfg->set_gid = raw->gid;
	return err;
}

void hshmfs_opts_free(struct hshmfs_rawopts *raw)
{
	char **strs[] = { &raw->backend, &raw->size, &raw->shm_dir,
			  &raw->prefix, &raw->gpu, &raw->mode, &raw->io,
			  &raw->mmap, &raw->gpu_runtime, &raw->uid, &raw->gid,
			  &raw->links_root, &raw->upstream, &raw->source,
			  &raw->log, &raw->mountpoint, &raw->state_dir,
			  &raw->reserve };

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		free(*strs[i]);
		*strs[i] = NULL;
	}
}
