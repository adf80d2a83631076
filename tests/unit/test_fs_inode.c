/* SPDX-License-Identifier: BSD-3-Clause */
/* test_fs_inode.c: unit tests of the inode table and the persistent record. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "fs_i.h"
#include "meta.h"
#include "ns.h"

static struct hshmfs *fs_new(void)
{
	struct hshmfs *fs = calloc(1, sizeof(*fs));

	assert_non_null(fs);
	pthread_rwlock_init(&fs->tree_lock, NULL);
	tree_wrlock(fs); /* the test is the one thread that owns the tree */
	assert_int_equal(hnode_table_init(fs), 0);
	fs->root = hnode_new_root(fs, 01777, 0, 0);
	assert_non_null(fs->root);
	assert_int_equal(fs->root->ino, FUSE_ROOT_ID);
	fs->cfg.backend = HSHM_POSIX_SHM_MMAP;
	fs->cfg.size = 1u << 20;
	return fs;
}

static void fs_free(struct hshmfs *fs)
{
	hnode_table_fini(fs);
	tree_unlock(fs);
	pthread_rwlock_destroy(&fs->tree_lock);
	free(fs);
}

static struct hnode *mk(struct hshmfs *fs, struct hnode *dir, const char *name,
			mode_t mode)
{
	struct hnode *n = hnode_new(fs, mode, 1, 2);

	assert_non_null(n);
	assert_int_equal(hnode_link(fs, dir, n, name), 0);
	return n;
}

static void test_link_lookup_unlink(void **state)
{
	struct hshmfs *fs = fs_new();
	struct hnode *d = mk(fs, fs->root, "d", S_IFDIR | 0755);
	struct hnode *f = mk(fs, d, "f", S_IFLNK | 0777);
	char path[PATH_MAX];

	assert_ptr_equal(hnode_child(fs->root, "d"), d);
	assert_ptr_equal(hnode_child(d, "f"), f);
	assert_null(hnode_child(d, "g"));
	assert_ptr_equal(hnode_by_ino(fs, f->ino), f);
	assert_int_equal(fs->root->nlink, 3); /* ".", "..", and d's ".." */
	assert_int_equal(hnode_path(f, path, sizeof(path)), 0);
	assert_string_equal(path, "d/f");
	assert_int_equal(hnode_path(f, path, 3), -ENAMETOOLONG);
	hnode_unlink(fs, f);
	assert_null(hnode_child(d, "f"));
	assert_true(f->unlinked);
	f->nlookup = 1;
	hnode_maybe_drop(fs, f); /* still referenced by the kernel */
	assert_ptr_equal(hnode_by_ino(fs, f->ino), f);
	uint64_t ino = f->ino;

	hnode_forget(fs, f, 1); /* last reference: freed */
	assert_null(hnode_by_ino(fs, ino));
	fs_free(fs);
	(void)state;
}

static void test_many_children_in_order(void **state)
{
	struct hshmfs *fs = fs_new();
	enum { N = 10000 };
	char name[32];
	size_t i = 0;

	for (int k = 0; k < N; k++) {
		snprintf(name, sizeof(name), "r%05d", k);
		mk(fs, fs->root, name, S_IFLNK | 0777);
	}
	assert_int_equal(fs->root->dir->count, N);
	assert_true(fs->root->dir->nbuckets >= N); /* the hash grew */
	for (struct hnode *c = fs->root->dir->head; c; c = c->next, i++) {
		snprintf(name, sizeof(name), "r%05zu", i);
		assert_string_equal(c->name, name); /* creation order */
		assert_ptr_equal(hnode_child(fs->root, name), c);
	}
	assert_int_equal(i, N);
	assert_true(fs->ino_nbuckets >= fs->ino_count);
	fs_free(fs);
	(void)state;
}

static void test_dir_defaults_inherit(void **state)
{
	struct hshmfs *fs = fs_new();
	struct hnode *a = mk(fs, fs->root, "a", S_IFDIR | 0755);
	struct hnode *b = mk(fs, a, "b", S_IFDIR | 0755);
	enum hshm_backend_kind k;
	uint64_t size;
	int gpu;

	fs->cfg.gpu = 0;
	a->dir->has_size = true;
	a->dir->size = 64u << 20;
	b->dir->has_backend = true;
	b->dir->backend = HSHM_MALLOC;
	hnode_dir_defaults(fs, b, &k, &size, &gpu);
	assert_int_equal(k, HSHM_MALLOC);
	assert_int_equal(size, 64u << 20);
	assert_int_equal(gpu, 0);
	hnode_dir_defaults(fs, a, &k, &size, &gpu);
	assert_int_equal(k, HSHM_POSIX_SHM_MMAP);
	fs_free(fs);
	(void)state;
}

static void fill_meta(struct hshmfs_meta *m, const char *path)
{
	memset(m, 0, sizeof(*m));
	memcpy(m->magic, HSHMFS_META_MAGIC, 8);
	m->version = 1;
	m->kind = HSHM_POSIX_SHM_MMAP;
	m->mode = S_IFREG | 0640;
	m->path_len = (uint32_t)strlen(path);
	memcpy(m->path, path, m->path_len);
	m->crc = meta_crc32(m, offsetof(struct hshmfs_meta, crc));
}

static void test_meta_check(void **state)
{
	struct hshmfs_meta m;
	static const char *bad_paths[] = { "/a", "a/", "a//b", "./a", "a/..",
					   ".", ".." };

	assert_int_equal(meta_crc32("123456789", 9), 0xcbf43926u);
	fill_meta(&m, "dir/sub/region");
	assert_int_equal(meta_check(&m, sizeof(m)), 0);
	assert_int_equal(meta_check(&m, sizeof(m) - 1), -ENODATA);
	m.path[0] ^= 1; /* crc no longer matches */
	assert_int_equal(meta_check(&m, sizeof(m)), -EBADMSG);
	fill_meta(&m, "x");
	m.magic[0] = 'X';
	assert_int_equal(meta_check(&m, sizeof(m)), -ENODATA);
	for (size_t i = 0; i < sizeof(bad_paths) / sizeof(bad_paths[0]); i++) {
		fill_meta(&m, bad_paths[i]);
		assert_int_equal(meta_check(&m, sizeof(m)), -EBADMSG);
	}
	fill_meta(&m, "a");
	m.kind = HSHM_BACKEND_KIND_COUNT;
	m.crc = meta_crc32(&m, offsetof(struct hshmfs_meta, crc));
	assert_int_equal(meta_check(&m, sizeof(m)), -EBADMSG);
	fill_meta(&m, "a");
	m.path_len = HSHMFS_META_PATH_MAX + 1;
	m.crc = meta_crc32(&m, offsetof(struct hshmfs_meta, crc));
	assert_int_equal(meta_check(&m, sizeof(m)), -EBADMSG);
	(void)state;
}

/* The rule of a write, truncate or chown (KILLPRIV_V2, as Linux): setuid
 * always goes, setgid only with group execute; sticky stays.  And a record
 * with set-id bits in its mode is well formed. */
static void test_kill_suidgid(void **state)
{
	static const struct { mode_t in, out; } cases[] = {
		{ 04755, 0755 }, { 02755, 0755 }, { 06755, 0755 },
		{ 02745, 02745 }, { 06745, 02745 }, { 01755, 01755 },
		{ 07755, 01755 }, { 0755, 0755 }, { 04644, 0644 },
	};
	struct hshmfs_meta m;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mode_t in = S_IFREG | cases[i].in;

		assert_int_equal(hnode_kill_suidgid(in), S_IFREG | cases[i].out);
		assert_int_equal(hnode_has_suidgid(in), cases[i].in != cases[i].out);
	}
	fill_meta(&m, "a");
	m.mode = S_IFREG | 07755;
	m.crc = meta_crc32(&m, offsetof(struct hshmfs_meta, crc));
	assert_int_equal(meta_check(&m, sizeof(m)), 0);
	(void)state;
}

struct seen {
	int n;
	char paths[8][64];
	char types[8];
};

static int collect(void *arg, const struct ns_entry *e)
{
	struct seen *s = arg;

	if (s->n == 8)
		return -E2BIG;
	snprintf(s->paths[s->n], sizeof(s->paths[0]), "%.*s", (int)e->path_len,
		 e->path);
	s->types[s->n++] = e->type;
	return 0;
}

static void test_ns_roundtrip(void **state)
{
	struct hshmfs *fs = fs_new();
	struct hnode *a = mk(fs, fs->root, "a", S_IFDIR | 02750);
	struct hnode *l = mk(fs, a, "lnk", S_IFLNK | 0777);
	struct seen s = { 0 };
	unsigned char *img;
	size_t len;

	mk(fs, a, "b", S_IFDIR | 0700);
	l->target = strdup("/some/where");
	a->dir->has_size = true;
	a->dir->size = 4u << 20;
	assert_int_equal(ns_snapshot(fs, (void **)&img, &len), 0);
	assert_int_equal(ns_decode(img, len, collect, &s), 0);
	assert_int_equal(s.n, 4); /* root, a, a/lnk, a/b: parents first */
	assert_int_equal(s.types[0], 'R');
	assert_string_equal(s.paths[1], "a");
	assert_string_equal(s.paths[2], "a/lnk");
	assert_int_equal(s.types[2], 'L');
	assert_string_equal(s.paths[3], "a/b");
	/* any flipped byte is caught (crc or field checks), a cut too */
	for (size_t i = 0; i < len; i += 7) {
		img[i] ^= 0x40;
		assert_int_not_equal(ns_decode(img, len, NULL, NULL), 0);
		img[i] ^= 0x40;
	}
	assert_int_equal(ns_decode(img, len - 1, NULL, NULL), -EBADMSG);
	assert_int_equal(ns_decode(img, 10, NULL, NULL), -ENODATA);
	free(img);
	fs_free(fs);
	(void)state;
}

/* Body length and crc of a namespace image patched after an edit. */
static void ns_fix(unsigned char *img, size_t len)
{
	uint64_t body = len - 32;
	uint32_t crc = meta_crc32(img + 32, (size_t)body);

	memcpy(img + 16, &body, 8);
	memcpy(img + 24, &crc, 4);
}

/* One fixed entry of the format (ns.c), as version 1 wrote it. */
static size_t v1_entry(unsigned char *p, char type, const char *path,
		       uint32_t mode, const char *target)
{
	uint16_t pl = (uint16_t)strlen(path);
	uint32_t tl = (uint32_t)strlen(target);
	int32_t gpu = -1;

	memset(p, 0, 48);
	p[0] = (unsigned char)type;
	memcpy(p + 2, &pl, 2);
	memcpy(p + 4, &mode, 4);
	memcpy(p + 20, &gpu, 4);
	memcpy(p + 44, &tl, 4);
	memcpy(p + 48, path, pl);
	memcpy(p + 48 + pl, target, tl);
	return 48 + pl + tl;
}

/* A file written before version 2 still loads; version 2's types do not
 * belong in it. */
static void test_ns_v1_still_read(void **state)
{
	unsigned char img[512];
	struct seen s = { 0 };
	uint32_t v = 1, count = 3;
	size_t len = 32;

	memset(img, 0, 32);
	memcpy(img, "HSHMFSN1", 8);
	memcpy(img + 8, &v, 4);
	memcpy(img + 12, &count, 4);
	len += v1_entry(img + len, 'R', "", S_IFDIR | 01777, "");
	len += v1_entry(img + len, 'D', "a", S_IFDIR | 0755, "");
	len += v1_entry(img + len, 'L', "a/l", S_IFLNK | 0777, "/t");
	ns_fix(img, len);
	assert_int_equal(ns_decode(img, len, collect, &s), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.paths[2], "a/l");
	/* a special node in a version 1 file: refused */
	len = 32 + 48;
	len += v1_entry(img + len, 'N', "f", S_IFIFO | 0644, "");
	count = 2;
	memcpy(img + 12, &count, 4);
	ns_fix(img, len);
	assert_int_equal(ns_decode(img, len, NULL, NULL), -EBADMSG);
	(void)state;
}

struct xseen {
	int n;
	char types[8];
	uint64_t size[8];
	uint32_t nx[8];
	char first[8][32];
};

static int xcollect(void *arg, const struct ns_entry *e)
{
	struct xseen *s = arg;
	const unsigned char *pos = e->xattrs;
	const char *name;
	const void *val;
	size_t nl, vl;

	if (s->n == 8)
		return -E2BIG;
	s->types[s->n] = e->type;
	s->size[s->n] = e->size;
	s->nx[s->n] = e->nxattrs;
	if (e->nxattrs) {
		ns_xattr_next(&pos, &name, &nl, &val, &vl);
		snprintf(s->first[s->n], 32, "%.*s=%.*s", (int)nl, name,
			 (int)vl, (const char *)val);
	}
	s->n++;
	return 0;
}

/* Find @needle in @img (the first time). */
static unsigned char *find_bytes(unsigned char *img, size_t len,
				 const char *needle)
{
	size_t nl = strlen(needle);

	for (size_t i = 0; i + nl <= len; i++)
		if (!memcmp(img + i, needle, nl))
			return img + i;
	return NULL;
}

/* Version 2: special nodes with rdev, user attributes on directories and
 * (by serial) on regions; the parser refuses what the writer never makes. */
static void test_ns_v2_nodes_xattrs(void **state)
{
	struct hshmfs *fs = fs_new();
	struct hnode *a = mk(fs, fs->root, "a", S_IFDIR | 0755);
	struct hnode *c = mk(fs, a, "c", S_IFCHR | 0600);
	struct hnode *r = mk(fs, a, "r", S_IFREG | 0644);
	struct xseen s = { 0 };
	unsigned char *img, *p;
	size_t len;

	mk(fs, a, "p", S_IFIFO | 0640);
	c->rdev = makedev(1, 3);
	r->region = region_new(HSHM_POSIX_SHM_MMAP);
	r->region->serial = 42;
	strcpy(r->region->url, "/x.r42");
	assert_int_equal(uxattr_set(fs, a, "user.zz", "2", 1, 0), 0);
	assert_int_equal(uxattr_set(fs, a, "user.aa", "1", 1, 0), 0);
	assert_int_equal(uxattr_set(fs, r, "user.k", "v", 1, XATTR_CREATE), 0);
	assert_int_equal(uxattr_set(fs, r, "user.k", "w", 1, XATTR_CREATE), -EEXIST);
	assert_int_equal(uxattr_set(fs, r, "user.q", "w", 1, XATTR_REPLACE), -ENODATA);
	assert_int_equal(fs->xattr_bytes, 7 + 1 + 7 + 1 + 6 + 1);
	assert_int_equal(ns_snapshot(fs, (void **)&img, &len), 0);
	assert_int_equal(ns_decode(img, len, xcollect, &s), 0);
	assert_int_equal(s.n, 5); /* R, a, c, F(r), p: creation order */
	assert_int_equal(s.types[1], 'D');
	assert_int_equal(s.nx[1], 2);
	assert_string_equal(s.first[1], "user.aa=1"); /* sorted */
	assert_int_equal(s.types[2], 'N');
	assert_int_equal(s.size[2], makedev(1, 3));
	assert_int_equal(s.types[3], 'F');
	assert_int_equal(s.size[3], 42);
	assert_string_equal(s.first[3], "user.k=v");
	assert_int_equal(s.types[4], 'N');
	/* names out of order, a user.hshm. name, a FIFO with an rdev */
	p = find_bytes(img, len, "user.zz");
	memcpy(p, "user.a0", 7);
	ns_fix(img, len);
	assert_int_equal(ns_decode(img, len, NULL, NULL), -EBADMSG);
	memcpy(p, "user.hs", 7); /* still after user.aa, not reserved */
	ns_fix(img, len);
	assert_int_equal(ns_decode(img, len, NULL, NULL), 0);
	p = find_bytes(img, len, "user.k");
	assert_non_null(p);
	free(img);
	/* another name of r (a hard link): an 'H' entry with its serial */
	struct hnode *h = mk(fs, fs->root, "h", S_IFREG);

	h->link_of = r;
	r->links = h;
	assert_int_equal(ns_snapshot(fs, (void **)&img, &len), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(ns_decode(img, len, xcollect, &s), 0);
	assert_int_equal(s.n, 6);
	assert_int_equal(s.types[5], 'H');
	assert_int_equal(s.size[5], 42);
	assert_int_equal(s.nx[5], 0);
	free(img);
	h->link_of = NULL;
	r->links = NULL;
	r->region->url[0] = '\0'; /* no object: nothing to find it by */
	assert_int_equal(ns_snapshot(fs, (void **)&img, &len), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(ns_decode(img, len, xcollect, &s), 0);
	assert_int_equal(s.n, 4);
	free(img);
	uxattr_free(r->xattrs);
	r->xattrs = NULL;
	assert_int_equal(uxattr_remove(a, "user.aa"), 0);
	assert_int_equal(uxattr_remove(a, "user.aa"), -ENODATA);
	assert_int_equal(fs->xattr_bytes, 7 + 1);
	region_free(r->region);
	r->region = NULL;
	fs_free(fs);
	(void)state;
}

/* The limits: ENOSPC past a node's budget, E2BIG and ERANGE as the kernel
 * would, and a failed set changes nothing. */
static void test_uxattr_limits(void **state)
{
	struct hshmfs *fs = fs_new();
	struct hnode *a = mk(fs, fs->root, "a", S_IFDIR | 0755);
	static char big[HSHMFS_XATTR_VALUE_MAX + 1];
	char name[300], buf[4];

	assert_int_equal(uxattr_set(fs, a, "user.v", big, sizeof(big), 0), -E2BIG);
	memset(name, 'n', sizeof(name));
	memcpy(name, "user.", 5);
	name[256] = '\0';
	assert_int_equal(uxattr_set(fs, a, name, "x", 1, 0), -ERANGE);
	assert_int_equal(uxattr_set(fs, a, "user.", "x", 1, 0), -EINVAL);
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "user.f%d", i);
		assert_int_equal(uxattr_set(fs, a, name, big,
					    HSHMFS_XATTR_VALUE_MAX, 0), 0);
	}
	assert_int_equal(uxattr_set(fs, a, "user.f3", big,
				    HSHMFS_XATTR_VALUE_MAX, 0), -ENOSPC);
	assert_int_equal(uxattr_get(a, "user.f3", NULL, 0), -ENODATA);
	assert_int_equal(uxattr_get(a, "user.f0", buf, sizeof(buf)), -ERANGE);
	assert_int_equal(uxattr_get(a, "user.f0", NULL, 0),
			 HSHMFS_XATTR_VALUE_MAX);
	assert_int_equal(uxattr_list(a, NULL, 0), 3 * 8);
	hnode_unlink(fs, a);
	hnode_maybe_drop(fs, a);
	assert_int_equal(fs->xattr_bytes, 0); /* freed with the node */
	fs_free(fs);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link_lookup_unlink),
		cmocka_unit_test(test_many_children_in_order),
		cmocka_unit_test(test_dir_defaults_inherit),
		cmocka_unit_test(test_meta_check),
		cmocka_unit_test(test_kill_suidgid),
		cmocka_unit_test(test_ns_roundtrip),
		cmocka_unit_test(test_ns_v1_still_read),
		cmocka_unit_test(test_ns_v2_nodes_xattrs),
		cmocka_unit_test(test_uxattr_limits),
	};

	return cmocka_run_group_tests_name("fs_inode", tests, NULL, NULL);
}
