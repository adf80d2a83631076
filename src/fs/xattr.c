/* SPDX-License-Identifier: BSD-3-Clause */
/* xattr.c: the user.hshm.* attributes: what HSHM knows about a region. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>

#include "fs_i.h"
#include "ns.h"

#define XPFX "user.hshm."
#define XVAL_MAX 128

/* ---- pure value parsers -------------------------------------------------- */

/* Copy @v (no NUL, at most one trailing '\n') into @buf as a C string. */
static int xval(const char *v, size_t n, char *buf, size_t len)
{
	if (n && v[n - 1] == '\n')
		n--;
	if (n == 0 || n >= len || memchr(v, '\0', n))
		return -EINVAL;
	memcpy(buf, v, n);
	buf[n] = '\0';
	return 0;
}

int hshmfs_xattr_parse_id(const char *v, size_t n, struct hshm_backend_id *id)
{
	char buf[32], *dot;
	struct hshm_backend_id t;

	if (xval(v, n, buf, sizeof(buf)))
		return -EINVAL;
	dot = strchr(buf, '.');
	if (!dot)
		return -EINVAL;
	*dot = '\0';
	if (hshmfs_parse_u32(buf, &t.major) || hshmfs_parse_u32(dot + 1, &t.minor))
		return -EINVAL;
	if (hshm_id_is_null(t))
		return -EINVAL;
	*id = t;
	return 0;
}

int hshmfs_xattr_parse_size(const char *v, size_t n, uint64_t *size)
{
	char buf[32];
	uint64_t s;
	int err;

	if (xval(v, n, buf, sizeof(buf)))
		return -EINVAL;
	err = hshmfs_parse_size(buf, &s);
	if (err)
		return err; /* -EINVAL malformed, -ERANGE beyond 2^62 */
	if (s == 0)
		return -EINVAL;
	*size = s;
	return 0;
}

int hshmfs_xattr_parse_backend(const char *v, size_t n,
			       enum hshm_backend_kind *kind)
{
	char buf[32];

	if (xval(v, n, buf, sizeof(buf)))
		return -EINVAL;
	return hshm_backend_kind_parse(buf, kind);
}

/* A value that is one of two words: @no gives 0, @yes 1. */
static int parse_pair(const char *v, size_t n, const char *no,
		      const char *yes, int *out)
{
	char buf[8];

	if (xval(v, n, buf, sizeof(buf)))
		return -EINVAL;
	if (!strcmp(buf, yes))
		*out = 1;
	else if (!strcmp(buf, no))
		*out = 0;
	else
		return -EINVAL;
	return 0;
}

int hshmfs_xattr_parse_bool(const char *v, size_t n, bool *out)
{
	int b;

	if (parse_pair(v, n, "0", "1", &b))
		return -EINVAL;
	*out = b;
	return 0;
}

int hshmfs_xattr_parse_int(const char *v, size_t n, int *out)
{
	char buf[16];
	uint32_t u;

	if (xval(v, n, buf, sizeof(buf)))
		return -EINVAL;
	if (hshmfs_parse_u32(buf, &u) || u > INT32_MAX)
		return -EINVAL;
	*out = (int)u;
	return 0;
}

int hshmfs_xattr_parse_view(const char *v, size_t n, int *out)
{
	return parse_pair(v, n, "image", "data", out);
}

/* ---- attribute table ------------------------------------------------------ */

/* XA_INSPECT: on a region, not listed (computed from /proc, holders.c) */
enum xa_on { XA_REG = 1, XA_DIR = 2, XA_INSPECT = 4 };

struct xattr_def {
	const char *name; /* without "user.hshm." */
	unsigned on;
	bool writable;
	bool header;      /* read from the header: absent on damaged regions */
};

static const struct xattr_def xattr_defs[] = {
	/* name, on, writable (on a region; dirs: see set_dir), header */
	{ "backend", XA_REG | XA_DIR, false, false },
	{ "id", XA_REG, true, true },
	{ "url", XA_REG, false, false },
	{ "backend_size", XA_REG, false, true },
	{ "data_capacity", XA_REG, false, true },
	{ "data_offset", XA_REG, false, true },
	{ "data_id", XA_REG | XA_DIR, false, true },
	{ "owned", XA_REG, true, true },
	{ "layout", XA_REG, false, true },
	{ "mmap", XA_REG, false, false },
	{ "kind", XA_REG, false, false },
	{ "state", XA_REG, false, false },
	{ "size", XA_DIR, true, false },
	{ "view", XA_REG | XA_DIR, false, false },
	{ "reserve", XA_REG | XA_DIR, false, false },
	{ "holders", XA_INSPECT, false, false },
	{ "nholders", XA_INSPECT, false, false },
	{ "liveness", XA_INSPECT, false, false },
	{ "created", XA_INSPECT, false, false },
};

static const struct xattr_def *xattr_find(const char *name, unsigned on)
{
	if (strncmp(name, XPFX, sizeof(XPFX) - 1))
		return NULL;
	name += sizeof(XPFX) - 1;
	if (on & XA_REG)
		on |= XA_INSPECT;
	for (size_t i = 0; i < sizeof(xattr_defs) / sizeof(xattr_defs[0]); i++)
		if (!strcmp(xattr_defs[i].name, name) && (xattr_defs[i].on & on))
			return &xattr_defs[i];
	return NULL;
}

static unsigned node_on(const struct hnode *n)
{
	return n->region ? XA_REG : n->dir ? XA_DIR : 0;
}

static int reg_value(struct hshmfs *fs, struct hnode *n, const char *a,
		     char *out, size_t len)
{
	struct hregion *r = n->region;
	struct hshm_backend *be = &r->be;
	bool gpu = r->kind == HSHM_GPU_MALLOC || r->kind == HSHM_GPU_SHM_MMAP;

	if (!strcmp(a, "backend"))
		return snprintf(out, len, "%s", hshm_backend_kind_name(r->kind));
	if (!strcmp(a, "state"))
		return snprintf(out, len, "%s", r->state);
	if (!strcmp(a, "url"))
		return snprintf(out, len, "%s", r->url);
	if (!strcmp(a, "kind"))
		return snprintf(out, len, "%s", gpu ? "gpu" : "host");
	if (!strcmp(a, "mmap"))
		return snprintf(out, len, "%s", r->kind == HSHM_GPU_MALLOC ?
				"none" : hshmfs_pt_mode_name(fs));
	if (!strcmp(a, "id"))
		return snprintf(out, len, "%" PRIu32 ".%" PRIu32,
				hshm_backend_id(be).major,
				hshm_backend_id(be).minor);
	if (!strcmp(a, "backend_size"))
		return snprintf(out, len, "%" PRIu64, hshm_backend_size(be));
	if (!strcmp(a, "data_capacity"))
		return snprintf(out, len, "%" PRIu64, hshm_data_capacity(be));
	if (!strcmp(a, "data_offset"))
		return snprintf(out, len, "%" PRIu64, hshm_data_offset(be));
	if (!strcmp(a, "data_id"))
		return snprintf(out, len, "%" PRId32, hshm_data_id(be));
	if (!strcmp(a, "owned"))
		return snprintf(out, len, "%d", hshm_is_owner(be) ? 1 : 0);
	if (!strcmp(a, "layout"))
		return snprintf(out, len, "%s", hshm_layout_name(be->layout));
	if (!strcmp(a, "view"))
		return snprintf(out, len, "%s", r->dview ? "data" : "image");
	if (!strcmp(a, "reserve")) /* what its next grow does */
		return snprintf(out, len, "%d",
				region_reserve_of_dir(fs, n->parent) ? 1 : 0);
	return -ENODATA;
}

static int dir_value(struct hshmfs *fs, struct hnode *n, const char *a,
		     char *out, size_t len)
{
	enum hshm_backend_kind kind;
	uint64_t size;
	int gpu;

	hnode_dir_defaults(fs, n, &kind, &size, &gpu);
	if (!strcmp(a, "backend"))
		return snprintf(out, len, "%s", hshm_backend_kind_name(kind));
	if (!strcmp(a, "size"))
		return snprintf(out, len, "%" PRIu64, size);
	if (!strcmp(a, "data_id"))
		return snprintf(out, len, "%d", gpu);
	if (!strcmp(a, "view"))
		return snprintf(out, len, "%s", dview_of_dir(fs, n) ? "data"
								     : "image");
	if (!strcmp(a, "reserve"))
		return snprintf(out, len, "%d",
				region_reserve_of_dir(fs, n) ? 1 : 0);
	return -ENODATA;
}

static int get_value(struct hshmfs *fs, fuse_ino_t ino, const char *name,
		     char *out, size_t len)
{
	struct hnode *n = hnode_by_ino(fs, ino);
	const struct xattr_def *d;
	int ret;

	if (!n)
		return -ENOENT;
	d = xattr_find(name, node_on(n));
	if (!d)
		return -ENODATA;
	if (n->region)
		region_refresh(fs, n); /* what HSHM knows now, like getattr */
	node_lock(n);
	if (n->region && d->header && n->region->damaged)
		ret = -ENODATA; /* no header to read it from */
	else if (n->region)
		ret = reg_value(fs, n, d->name, out, len);
	else
		ret = dir_value(fs, n, d->name, out, len);
	node_unlock(n);
	return ret;
}

/* ---- user.* attributes other than user.hshm.* (xattr_user.c) ----------- */

/* Regular files and directories carry them, as on Linux everywhere (the
 * kernel refuses the others before asking: this only agrees with it). */
static bool user_carrier(const struct hnode *n)
{
	return n->region || n->dir;
}

static void user_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			  size_t size)
{
	struct hshmfs *fs = fs_of(req);
	size_t cap = size < HSHMFS_XATTR_VALUE_MAX ? size
						   : HSHMFS_XATTR_VALUE_MAX;
	char *buf = cap ? malloc(cap) : NULL;
	struct hnode *n;
	int len = -ENOMEM;

	tree_rdlock(fs);
	n = hnode_by_ino(fs, ino);
	if (!n)
		len = -ENOENT;
	else if (!user_carrier(n))
		len = -ENODATA;
	else if (buf || !cap) {
		node_lock(n);
		len = uxattr_get(n, name, buf, cap);
		node_unlock(n);
	}
	tree_unlock(fs);
	if (len < 0)
		fuse_reply_err(req, -len);
	else if (!size)
		fuse_reply_xattr(req, (size_t)len);
	else
		fuse_reply_buf(req, buf, (size_t)len);
	free(buf);
}

/* One log line for a refusal that is not the ordinary answer to a probe
 * (ENODATA, EEXIST), tree_lock held.  Returns @err. */
static int user_refused(struct hnode *n, const char *op, const char *name,
			int err)
{
	char path[PATH_MAX];
	const char *why = err == -ENOSPC ? "the node's (256 KiB) or the "
		"mount's (64 MiB) user attributes are full" : err == -E2BIG ?
		"a value holds at most 64 KiB" : err == -ERANGE ?
		"a name holds at most 255 bytes" : err == -EINVAL ?
		"a name after \"user.\" and XATTR_CREATE or XATTR_REPLACE, "
		"not both" : strerror(-err);

	if (err == -ENODATA || err == -EEXIST || err == -ENOMEM)
		return err;
	if (hnode_path(n, path, sizeof(path)) < 0)
		strcpy(path, "?");
	HSHMFS_LOG(FUSE_LOG_INFO, "%s %.64s on '/%s' refused: %s\n", op, name,
		   path, why);
	return err;
}

/* What a set or remove of a user attribute needs of @n (tree_lock held). */
static int user_may_write(const struct hshmfs *fs, const struct hnode *n)
{
	if (!n)
		return -ENOENT;
	if (n->foreign)
		return upstream_readonly(fs, n) ? -EROFS : -EPERM;
	return user_carrier(n) ? 0 : -EPERM;
}

/* A change of @n's user attributes: ctime, and the namespace file. */
static void user_changed(struct hshmfs *fs, struct hnode *n)
{
	hnode_touch(n, false, false, true);
	if (!n->region || n->region->url[0])
		ns_dirty(fs);
}

/* setxattr (@set) or removexattr of user attribute @name of @ino. */
static void user_write(fuse_req_t req, fuse_ino_t ino, const char *name,
		       bool set, const char *value, size_t size, int flags)
{
	struct hshmfs *fs = fs_of(req);
	struct hnode *n;
	int err;

	tree_rdlock(fs);
	n = hnode_by_ino(fs, ino);
	err = user_may_write(fs, n);
	if (!err) {
		node_lock(n);
		err = set ? uxattr_set(fs, n, name, value, size, flags)
			  : uxattr_remove(n, name);
		if (!err)
			user_changed(fs, n);
		node_unlock(n);
		if (err && set)
			err = user_refused(n, "setxattr", name, err);
	}
	tree_unlock(fs);
	fuse_reply_err(req, -err);
}

void fs_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	struct hshmfs *fs = fs_of(req);
	char val[PATH_MAX];
	int len;

	if (holders_is_attr(name)) {
		holders_getxattr(req, ino, name, size); /* without the tree lock */
		return;
	}
	if (uxattr_name(name)) {
		user_getxattr(req, ino, name, size);
		return;
	}
	tree_rdlock(fs);
	len = get_value(fs, ino, name, val, sizeof(val));
	tree_unlock(fs);
	xattr_reply(req, val, len, size);
}

void xattr_reply(fuse_req_t req, const char *val, int len, size_t size)
{
	if (len < 0)
		fuse_reply_err(req, -len);
	else if (size == 0)
		fuse_reply_xattr(req, (size_t)len);
	else if ((size_t)len > size)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, val, (size_t)len);
}

/*
 * hshm's names that listxattr shows.  None on a data-view region: it is to
 * be a plain file to the tools that copy xattrs (cp -a, rsync -X, tar
 * --xattrs), which would otherwise carry user.hshm.* onto every copy and,
 * copying back, try to remove or set them (EPERM).  They still answer by
 * name (getfattr -n, hshmfs-ls), as the inspection attributes do.
 */
static size_t list_names(struct hnode *n, char *buf, size_t size)
{
	unsigned on = node_on(n);
	size_t used = 0;

	if (n->region && n->region->dview)
		return 0;

	for (size_t i = 0; i < sizeof(xattr_defs) / sizeof(xattr_defs[0]); i++) {
		const struct xattr_def *d = &xattr_defs[i];
		size_t l = sizeof(XPFX) - 1 + strlen(d->name) + 1;

		if (!(d->on & on) || (d->header && n->region &&
					      n->region->damaged))
			continue;
		if (buf && used + l <= size)
			snprintf(buf + used, l, XPFX "%s", d->name);
		used += l;
	}
	return used;
}

/* hshm's names, then the user attributes (tree_lock held, node lock
 * taken).  The length they need; written into @buf if it holds them. */
static size_t list_all(struct hnode *n, char *buf, size_t size)
{
	size_t len;

	node_lock(n);
	len = list_names(n, NULL, 0);
	len += uxattr_list(n, NULL, 0);
	if (buf && len <= size) {
		size_t h = list_names(n, buf, size);

		uxattr_list(n, buf + h, size - h);
	}
	node_unlock(n);
	return len;
}

void fs_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	struct hshmfs *fs = fs_of(req);
	char *buf = size ? malloc(size) : NULL;
	struct hnode *n;
	size_t len = 0;

	tree_rdlock(fs);
	n = hnode_by_ino(fs, ino);
	if (n && (buf || !size))
		len = list_all(n, buf, size);
	tree_unlock(fs);
	if (!n)
		fuse_reply_err(req, ENOENT);
	else if (size && !buf)
		fuse_reply_err(req, ENOMEM);
	else if (size == 0)
		fuse_reply_xattr(req, len);
	else if (len > size)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, buf, len);
	free(buf);
}

/*
 * A refused value: one line naming the path, the attribute, the value and
 * the rule (tree_lock held).  Returns @err.
 */
static int refuse(struct hnode *n, const char *name, const char *v,
		  size_t len, int err, const char *why)
{
	char path[PATH_MAX], val[48];
	size_t i;

	if (hnode_path(n, path, sizeof(path)) < 0)
		strcpy(path, "?");
	for (i = 0; i < len && i < sizeof(val) - 1; i++)
		val[i] = v[i] >= 0x20 && v[i] < 0x7f ? v[i] : '?';
	val[i] = '\0';
	HSHMFS_LOG(FUSE_LOG_INFO, "setxattr %s='%s' on '/%s' refused: %s\n",
		   name, val, path, why);
	return err;
}

static const char *size_why(int err)
{
	return err == -ERANGE ? "beyond 2^62 bytes"
			      : "want a positive whole number of bytes with "
				"an optional K, M, G, T or P (powers of 1024, "
				"optional B or iB), e.g. 4096, 64M or 1G";
}

/*
 * Whether regions of @kind and @size can ever be made in this mount: the
 * backend must be available and the size within HSHM's limit and, for the
 * kinds with an object in shm_dir, within that file system's total size.
 * 0, -EOPNOTSUPP or -EFBIG with @why set.
 */
static int dir_fits(struct hshmfs *fs, enum hshm_backend_kind kind,
		    uint64_t size, const char **why)
{
	struct statvfs sv;

	if (hshm_backend_available(&fs->hctx, kind)) {
		*why = "this mount has no GPU runtime (or the backend is not "
		       "in this build)";
		return -EOPNOTSUPP;
	}
	if (size > HSHMFS_REGION_MAX) {
		*why = "larger than the largest region HSHM makes (2^46 bytes)";
		return -EFBIG;
	}
	if ((kind == HSHM_POSIX_SHM_MMAP || kind == HSHM_GPU_SHM_MMAP) &&
	    !fstatvfs(fs->hctx.shm_dirfd, &sv) && sv.f_blocks &&
	    size > (uint64_t)sv.f_blocks * sv.f_frsize) {
		*why = "larger than the whole file system holding shm_dir";
		return -EFBIG;
	}
	return 0;
}

/* Only the file's owner (or root) changes what HSHM records about it. */
static int may_change(fuse_req_t req, const struct hnode *n)
{
	uid_t uid;
	gid_t gid;

	fs_req_cred(req, &uid, &gid, NULL);
	return uid == 0 || uid == n->uid ? 0 : -EPERM;
}

static int set_reg(struct hshmfs *fs, struct hnode *n, const char *a,
		   const char *v, size_t len)
{
	struct hshm_backend *be = &n->region->be;
	struct hshm_backend_id id;
	bool own;
	int err;

	if (n->region->damaged)
		return -EIO;
	if (!strcmp(a, "id")) {
		err = hshmfs_xattr_parse_id(v, len, &id);
		if (err)
			return refuse(n, XPFX "id", v, len, err, "want MAJOR.MINOR"
				      ", two numbers up to 4294967295, not the "
				      "null id");
		if (n->region->kind == HSHM_GPU_MALLOC)
			return -EOPNOTSUPP; /* the header lives on the device */
		return region_set_id(n, id);
	}
	err = hshmfs_xattr_parse_bool(v, len, &own);
	if (err)
		return refuse(n, XPFX "owned", v, len, err, "want 0 or 1");
	if (own)
		hshm_set_owner(be);
	else
		hshm_unset_owner(be);
	region_save_meta(fs, n);
	return 0;
}

/* A directory default: refused at once (logged) if no region could ever
 * be made with it, rather than failing every create below. */
static int set_dir(struct hshmfs *fs, struct hnode *n, const char *a,
		   const char *v, size_t len)
{
	struct hdir *d = n->dir;
	enum hshm_backend_kind kind;
	const char *why = NULL;
	char name[32];
	uint64_t size;
	int gpu, err;

	snprintf(name, sizeof(name), XPFX "%s", a);
	if (!strcmp(a, "view")) {
		err = hshmfs_xattr_parse_view(v, len, &d->dview);
		return err ? refuse(n, name, v, len, err, "want image or data")
			   : 0;
	}
	if (!strcmp(a, "reserve")) {
		bool on;

		err = hshmfs_xattr_parse_bool(v, len, &on);
		if (err)
			return refuse(n, name, v, len, err, "want 1 or 0");
		d->reserve = on;
		return 0;
	}
	if (!strcmp(a, "data_id")) {
		err = hshmfs_xattr_parse_int(v, len, &gpu);
		if (err)
			return refuse(n, name, v, len, err,
				      "want a device ordinal");
		d->gpu = gpu;
		return 0;
	}
	hnode_dir_defaults(fs, n, &kind, &size, &gpu);
	if (!strcmp(a, "backend")) {
		err = hshmfs_xattr_parse_backend(v, len, &kind);
		if (err)
			why = "want malloc, posix_shm_mmap, gpu_shm_mmap or "
			      "gpu_malloc";
	} else {
		err = hshmfs_xattr_parse_size(v, len, &size);
		if (err)
			why = size_why(err);
	}
	if (!err)
		err = dir_fits(fs, kind, size, &why);
	if (err)
		return refuse(n, name, v, len, err, why);
	if (!strcmp(a, "backend")) {
		d->backend = kind;
		d->has_backend = true;
	} else {
		d->size = size;
		d->has_size = true;
	}
	return 0;
}

static int set_value(fuse_req_t req, struct hshmfs *fs, fuse_ino_t ino,
		     const char *name, const char *v, size_t len)
{
	struct hnode *n = hnode_by_ino(fs, ino);
	const struct xattr_def *d;
	int err;

	if (!n)
		return -ENOENT;
	d = xattr_find(name, node_on(n));
	if (!d)
		return strncmp(name, XPFX, sizeof(XPFX) - 1) ? -EOPNOTSUPP
							      : -EINVAL;
	if (n->foreign) /* the view: the header is its creator's */
		return upstream_readonly(fs, n) ? -EROFS : -EPERM;
	if (n->region && !d->writable) {
		HSHMFS_LOG(FUSE_LOG_INFO, "setxattr %s refused: read-only\n",
			   name);
		return -EPERM;
	}
	err = may_change(req, n);
	if (err)
		return err;
	node_lock(n);
	err = n->region ? set_reg(fs, n, d->name, v, len)
			: set_dir(fs, n, d->name, v, len);
	if (!err && !n->region)
		ns_dirty(fs);
	if (!err)
		hnode_touch(n, false, false, true);
	node_unlock(n);
	return err;
}

void fs_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
		 const char *value, size_t size, int flags)
{
	struct hshmfs *fs = fs_of(req);
	int err;

	if (uxattr_name(name)) {
		user_write(req, ino, name, true, value, size, flags);
		return;
	}
	if (flags & XATTR_CREATE) {
		fuse_reply_err(req, EEXIST); /* every hshm attribute exists */
		return;
	}
	/* write lock: directory defaults are read by every create */
	tree_wrlock(fs);
	err = set_value(req, fs, ino, name, value, size);
	tree_unlock(fs);
	fuse_reply_err(req, -err);
}

void fs_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	struct hshmfs *fs = fs_of(req);
	const struct xattr_def *d;
	struct hnode *n;
	int err = 0;

	if (uxattr_name(name)) {
		user_write(req, ino, name, false, NULL, 0, 0);
		return;
	}
	tree_wrlock(fs);
	n = hnode_by_ino(fs, ino);
	d = n ? xattr_find(name, node_on(n)) : NULL;
	if (!n)
		err = -ENOENT;
	else if (!d)
		err = -ENODATA;
	else if (n->foreign)
		err = upstream_readonly(fs, n) ? -EROFS : -EPERM;
	else if (n->region)
		err = -EPERM;
	else if (!(err = may_change(req, n))) {
		/* back to inheriting from the parent */
		node_lock(n);
		if (!strcmp(d->name, "backend"))
			n->dir->has_backend = false;
		else if (!strcmp(d->name, "size"))
			n->dir->has_size = false;
		else if (!strcmp(d->name, "view"))
			n->dir->dview = -1;
		else if (!strcmp(d->name, "reserve"))
			n->dir->reserve = -1;
		else
			n->dir->gpu = -1;
		node_unlock(n);
		ns_dirty(fs);
	}
	tree_unlock(fs);
	fuse_reply_err(req, -err);
}
