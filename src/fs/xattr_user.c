/* SPDX-License-Identifier: BSD-3-Clause */
/* xattr_user.c: user.* attributes of a node (all but user.hshm.*), as tmpfs. */

/*
 * Each node that carries any has one struct hxattrs (fs_i.h), guarded by
 * the node lock: an array sorted by name.  They are kept in the namespace
 * file with the node (directories) or under the region's serial (regions;
 * ns.c), not in the region's spare page: that page is 4 KiB and writable
 * by whoever may write the object, while the namespace file lives in the
 * daemon's private state directory and is replaced whole, atomically.
 *
 * Limits: the kernel's for a name (255 bytes) and a value (64 KiB,
 * E2BIG), then HSHMFS_XATTR_NODE_MAX bytes of names and values per node and
 * HSHMFS_XATTR_MOUNT_MAX per mount (ENOSPC, as tmpfs when its inode space
 * runs out), so that the namespace file stays far below its 256 MiB cap.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "fs_i.h"

#define UPFX "user."
#define HPFX "user.hshm."

struct hxattr_pending {
	uint64_t serial;
	struct hxattrs *x;
};

bool uxattr_name(const char *name)
{
	return !strncmp(name, UPFX, sizeof(UPFX) - 1) &&
	       strncmp(name, HPFX, sizeof(HPFX) - 1);
}

/* The index of @name in @x, or where it would go (*@found false). */
static size_t find(const struct hxattrs *x, const char *name, bool *found)
{
	size_t lo = 0, hi = x ? x->count : 0;

	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(x->v[mid].name, name);

		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int uxattr_get(const struct hnode *n, const char *name, void *buf,
	       size_t size)
{
	const struct hxattr *a;
	bool found;
	size_t i = find(n->xattrs, name, &found);

	if (!found)
		return -ENODATA;
	a = &n->xattrs->v[i];
	if (size && size < a->value_len)
		return -ERANGE;
	if (size)
		memcpy(buf, a->value, a->value_len);
	return (int)a->value_len;
}

bool uxattr_any(const struct hnode *n)
{
	return n->xattrs && n->xattrs->count;
}

size_t uxattr_list(const struct hnode *n, char *buf, size_t size)
{
	size_t used = 0;

	for (size_t i = 0; n->xattrs && i < n->xattrs->count; i++) {
		const struct hxattr *a = &n->xattrs->v[i];

		if (buf && used + a->name_len + 1 <= size)
			memcpy(buf + used, a->name, a->name_len + 1);
		used += a->name_len + 1;
	}
	return used;
}

static struct hxattrs *store_of(struct hshmfs *fs, struct hxattrs **xp)
{
	if (!*xp && (*xp = calloc(1, sizeof(**xp))))
		(*xp)->mount_bytes = &fs->xattr_bytes;
	return *xp;
}

/* Room for one more entry at @i (moved up). */
static int make_slot(struct hxattrs *x, size_t i)
{
	if (x->count == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 4;
		struct hxattr *v = realloc(x->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		x->v = v;
		x->cap = cap;
	}
	memmove(&x->v[i + 1], &x->v[i], (x->count - i) * sizeof(*x->v));
	x->count++;
	return 0;
}

/* Charge @grow bytes to @x and the mount, or -ENOSPC. */
static int charge(struct hxattrs *x, size_t grow)
{
	uint64_t was;

	if (x->bytes + grow > HSHMFS_XATTR_NODE_MAX)
		return -ENOSPC;
	was = __atomic_fetch_add(x->mount_bytes, grow, __ATOMIC_RELAXED);
	if (was + grow > HSHMFS_XATTR_MOUNT_MAX) {
		__atomic_fetch_sub(x->mount_bytes, grow, __ATOMIC_RELAXED);
		return -ENOSPC;
	}
	x->bytes += grow;
	return 0;
}

static void uncharge(struct hxattrs *x, size_t less)
{
	x->bytes -= less;
	__atomic_fetch_sub(x->mount_bytes, less, __ATOMIC_RELAXED);
}

/* A new value for entry @a: charged for what it adds. */
static int replace(struct hxattrs *x, struct hxattr *a, const void *value,
		   size_t size)
{
	void *v = malloc(size ? size : 1);
	int err;

	if (!v)
		return -ENOMEM;
	if (size > a->value_len && (err = charge(x, size - a->value_len))) {
		free(v);
		return err;
	}
	if (size < a->value_len)
		uncharge(x, a->value_len - size);
	memcpy(v, value, size);
	free(a->value);
	a->value = v;
	a->value_len = (uint32_t)size;
	return 0;
}

static int insert(struct hxattrs *x, size_t i, const char *name,
		  const void *value, size_t size)
{
	size_t nl = strlen(name);
	char *nm = strdup(name);
	void *v = malloc(size ? size : 1);
	int err = nm && v ? charge(x, nl + size) : -ENOMEM;

	if (!err && (err = make_slot(x, i)))
		uncharge(x, nl + size);
	if (err) {
		free(nm);
		free(v);
		return err;
	}
	memcpy(v, value, size);
	x->v[i] = (struct hxattr){ .name = nm, .value = v,
				   .name_len = (uint32_t)nl,
				   .value_len = (uint32_t)size };
	return 0;
}

int uxattr_set(struct hshmfs *fs, struct hnode *n, const char *name,
	       const void *value, size_t size, int flags)
{
	struct hxattrs *x;
	size_t i, nl = strlen(name);
	bool found;

	if ((flags & ~(XATTR_CREATE | XATTR_REPLACE)) ||
	    flags == (XATTR_CREATE | XATTR_REPLACE) || nl == sizeof(UPFX) - 1)
		return -EINVAL;
	if (nl > HSHMFS_XATTR_NAME_MAX)
		return -ERANGE;
	if (size > HSHMFS_XATTR_VALUE_MAX)
		return -E2BIG;
	i = find(n->xattrs, name, &found);
	if (found && (flags & XATTR_CREATE))
		return -EEXIST;
	if (!found && (flags & XATTR_REPLACE))
		return -ENODATA;
	if (!(x = store_of(fs, &n->xattrs)))
		return -ENOMEM;
	if (found)
		return replace(x, &x->v[i], value, size);
	return insert(x, i, name, value, size);
}

int uxattr_remove(struct hnode *n, const char *name)
{
	struct hxattrs *x = n->xattrs;
	bool found;
	size_t i = find(x, name, &found);

	if (!found)
		return -ENODATA;
	uncharge(x, x->v[i].name_len + x->v[i].value_len);
	free(x->v[i].name);
	free(x->v[i].value);
	memmove(&x->v[i], &x->v[i + 1], (x->count - i - 1) * sizeof(*x->v));
	x->count--;
	return 0;
}

void uxattr_free(struct hxattrs *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->count; i++) {
		free(x->v[i].name);
		free(x->v[i].value);
	}
	__atomic_fetch_sub(x->mount_bytes, x->bytes, __ATOMIC_RELAXED);
	free(x->v);
	free(x);
}

/* The namespace parser checked the name (user.*, not user.hshm., no NUL,
 * sorted, unique) and the limits: appended as is. */
int uxattr_load(struct hshmfs *fs, struct hxattrs **xp, const char *name,
		size_t name_len, const void *value, size_t value_len)
{
	char nm[HSHMFS_XATTR_NAME_MAX + 1];
	struct hxattrs *x = store_of(fs, xp);
	int err;

	if (!x)
		return -ENOMEM;
	memcpy(nm, name, name_len);
	nm[name_len] = '\0';
	err = insert(x, x->count, nm, value, value_len);
	return err == -ENOSPC ? 0 : err; /* the mount's limit: dropped */
}

int uxattr_pend(struct hshmfs *fs, uint64_t serial, struct hxattrs *x)
{
	struct hxattr_pending *p = realloc(fs->xpend, (fs->nxpend + 1) *
					   sizeof(*p));

	if (!p) {
		uxattr_free(x);
		return -ENOMEM;
	}
	fs->xpend = p;
	p[fs->nxpend++] = (struct hxattr_pending){ .serial = serial, .x = x };
	return 0;
}

void uxattr_claim(struct hshmfs *fs, struct hnode *n)
{
	for (size_t i = 0; i < fs->nxpend; i++) {
		if (fs->xpend[i].serial != n->region->serial || !fs->xpend[i].x)
			continue;
		uxattr_free(n->xattrs);
		n->xattrs = fs->xpend[i].x;
		fs->xpend[i].x = NULL;
		return;
	}
}

void uxattr_pend_fini(struct hshmfs *fs)
{
	size_t left = 0;

	for (size_t i = 0; i < fs->nxpend; i++) {
		if (fs->xpend[i].x)
			left++;
		uxattr_free(fs->xpend[i].x);
	}
	if (left)
		HSHMFS_LOG(FUSE_LOG_INFO, "namespace file: user attributes of "
			   "%zu region(s) whose object is gone: dropped\n", left);
	free(fs->xpend);
	fs->xpend = NULL;
	fs->nxpend = 0;
}
