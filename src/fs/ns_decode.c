/* SPDX-License-Identifier: BSD-3-Clause */
/* ns_decode.c: the strict reader of the namespace file (pure; fuzzed). */

/*
 * The layout is described at the top of ns.c, which writes it.  Nothing
 * here allocates or touches the tree: ns_decode() checks every length,
 * type, mode, path, target and attribute list of an image and hands each
 * entry to a callback, so that ns_load() can check a whole file before it
 * creates anything.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "fs_i.h"
#include "meta.h"
#include "ns.h"

static uint64_t get(const unsigned char *p, size_t n)
{
	uint64_t v = 0;

	memcpy(&v, p, n); /* little-endian host, as the whole format */
	return v;
}

static mode_t want_fmt(char type)
{
	return type == 'L' ? S_IFLNK : type == 'F' ? S_IFREG : S_IFDIR;
}

/* The fields a special node ('N'), a region's attributes ('F') or a hard
 * link ('H') do not use are zero; 'F' has no path and at least one
 * attribute; 'H' a path, no attribute, and either a serial or the path of
 * the node it names (in the target). */
static int link_entry_check(const struct ns_entry *e)
{
	if (e->nxattrs || !e->size == !e->target_len ||
	    (e->target_len && meta_path_check(e->target, e->target_len)))
		return -EBADMSG;
	return meta_path_check(e->path, e->path_len);
}

static int other_check(const struct ns_entry *e)
{
	mode_t fmt = e->mode & S_IFMT;

	if (e->flags || e->backend || e->gpu != -1 ||
	    (e->target_len && e->type != 'H'))
		return -EBADMSG;
	if (e->type == 'N')
		return (fmt == S_IFIFO || fmt == S_IFSOCK) ? (e->size ? -EBADMSG : 0)
		       : (fmt == S_IFCHR || fmt == S_IFBLK) ? 0 : -EBADMSG;
	if (e->mode != S_IFREG || e->uid || e->gid || e->mtime_sec ||
	    e->mtime_nsec)
		return -EBADMSG;
	if (e->type == 'H')
		return link_entry_check(e);
	return e->path_len || !e->size || !e->nxattrs ? -EBADMSG : 0;
}

static int entry_check(const struct ns_entry *e)
{
	if (e->mtime_nsec >= 1000000000u)
		return -EBADMSG;
	if (e->type == 'N' || e->type == 'F' || e->type == 'H') {
		int err = other_check(e);

		if (err || e->type != 'N')
			return err;
		return e->nxattrs ? -EBADMSG : meta_path_check(e->path, e->path_len);
	}
	if ((e->mode & S_IFMT) != want_fmt(e->type) ||
	    e->backend >= HSHM_BACKEND_KIND_COUNT || e->gpu < -1 ||
	    (e->type == 'L') != (e->target_len > 0) ||
	    (e->type == 'L' && e->nxattrs) ||
	    ((e->flags & 2) && e->size == 0) || (e->flags & ~63u) ||
	    (e->flags & 12) == 8 || (e->flags & 48) == 32)
		return -EBADMSG;
	if (e->type == 'R')
		return e->path_len ? -EBADMSG : 0;
	return meta_path_check(e->path, e->path_len);
}

/* -1, 0, 1 as strcmp() of the two names (neither holds a NUL). */
static int name_cmp(const char *a, size_t al, const char *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);

	return c ? c : (al > bl) - (al < bl);
}

static int xattr_name_check(const char *nm, size_t nl, const char *prev,
			    size_t pl)
{
	if (nl <= 5 || memcmp(nm, "user.", 5) || memchr(nm, '\0', nl) ||
	    (nl >= 10 && !memcmp(nm, "user.hshm.", 10)))
		return -EBADMSG;
	if (prev && name_cmp(prev, pl, nm, nl) >= 0)
		return -EBADMSG;
	return 0;
}

/* The attribute list of an entry: @count of them at @p (@left bytes). */
static int xattrs_parse(const unsigned char *p, size_t left, uint32_t count,
			size_t *used)
{
	const char *prev = NULL;
	size_t off = 0, total = 0, pl = 0;

	for (uint32_t i = 0; i < count; i++) {
		size_t nl, vl;

		if (left - off < NS_XFIXED)
			return -EBADMSG;
		nl = p[off];
		vl = (size_t)get(p + off + 1, 4);
		if (vl > HSHMFS_XATTR_VALUE_MAX ||
		    left - off - NS_XFIXED < nl + vl ||
		    xattr_name_check((const char *)p + off + NS_XFIXED, nl,
				     prev, pl))
			return -EBADMSG;
		total += nl + vl;
		if (total > HSHMFS_XATTR_NODE_MAX)
			return -EBADMSG;
		prev = (const char *)p + off + NS_XFIXED;
		pl = nl;
		off += NS_XFIXED + nl + vl;
	}
	*used = off;
	return 0;
}

void ns_xattr_next(const unsigned char **pos, const char **name,
		   size_t *name_len, const void **value, size_t *value_len)
{
	const unsigned char *p = *pos;

	*name_len = p[0];
	*value_len = (size_t)get(p + 1, 4);
	*name = (const char *)p + NS_XFIXED;
	*value = p + NS_XFIXED + *name_len;
	*pos = p + NS_XFIXED + *name_len + *value_len;
}

/* Version 2's attribute count and list after the fixed part, path and
 * target (@off bytes of the entry). */
static int entry_xattrs(const unsigned char *p, size_t left, size_t off,
			struct ns_entry *e, size_t *used)
{
	size_t xl;
	int err;

	if (left - off < 4)
		return -EBADMSG;
	e->nxattrs = (uint32_t)get(p + off, 4);
	e->xattrs = p + off + 4;
	err = xattrs_parse(e->xattrs, left - off - 4, e->nxattrs, &xl);
	if (!err)
		*used = off + 4 + xl;
	return err;
}

static bool type_known(char t, uint32_t version)
{
	return t == 'R' || t == 'D' || t == 'L' ||
	       (version >= 2 && (t == 'N' || t == 'F' || t == 'H'));
}

static int entry_parse(const unsigned char *p, size_t left, uint32_t version,
		       struct ns_entry *e, size_t *used)
{
	int err;

	if (left < NS_FIXED)
		return -EBADMSG;
	memset(e, 0, sizeof(*e));
	e->type = (char)p[0];
	e->flags = p[1];
	e->path_len = (uint32_t)get(p + 2, 2);
	e->mode = (uint32_t)get(p + 4, 4);
	e->uid = (uint32_t)get(p + 8, 4);
	e->gid = (uint32_t)get(p + 12, 4);
	e->backend = (uint32_t)get(p + 16, 4);
	e->gpu = (int32_t)(uint32_t)get(p + 20, 4);
	e->size = get(p + 24, 8);
	e->mtime_sec = (int64_t)get(p + 32, 8);
	e->mtime_nsec = (uint32_t)get(p + 40, 4);
	e->target_len = (uint32_t)get(p + 44, 4);
	if (!type_known(e->type, version))
		return -EBADMSG;
	if (e->target_len >= PATH_MAX ||
	    left - NS_FIXED < (size_t)e->path_len + e->target_len)
		return -EBADMSG;
	e->path = (const char *)p + NS_FIXED;
	e->target = e->path + e->path_len;
	if (memchr(e->target, '\0', e->target_len))
		return -EBADMSG;
	*used = NS_FIXED + e->path_len + e->target_len;
	if (version >= 2 && (err = entry_xattrs(p, left, *used, e, used)))
		return err;
	return entry_check(e);
}

int ns_decode(const void *buf, size_t len,
	      int (*fn)(void *arg, const struct ns_entry *e), void *arg)
{
	const unsigned char *p = buf;
	uint32_t count, version;
	uint64_t body;
	size_t off = NS_HEAD;
	int err;

	if (len < NS_HEAD || memcmp(p, NS_MAGIC, 8))
		return -ENODATA;
	version = (uint32_t)get(p + 8, 4);
	count = (uint32_t)get(p + 12, 4);
	body = get(p + 16, 8);
	if (version < 1 || version > NS_VERSION || body != len - NS_HEAD ||
	    get(p + 28, 4) ||
	    (uint32_t)get(p + 24, 4) != meta_crc32(p + NS_HEAD, (size_t)body))
		return -EBADMSG;
	for (uint32_t i = 0; i < count; i++) {
		struct ns_entry e;
		size_t used;

		err = entry_parse(p + off, len - off, version, &e, &used);
		if (err || (i == 0) != (e.type == 'R'))
			return err ? err : -EBADMSG;
		off += used;
		if (fn && (err = fn(arg, &e)))
			return err;
	}
	return off == len ? 0 : -EBADMSG;
}
