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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link_lookup_unlink),
		cmocka_unit_test(test_many_children_in_order),
		cmocka_unit_test(test_dir_defaults_inherit),
		cmocka_unit_test(test_meta_check),
		cmocka_unit_test(test_ns_roundtrip),
	};

	return cmocka_run_group_tests_name("fs_inode", tests, NULL, NULL);
}
