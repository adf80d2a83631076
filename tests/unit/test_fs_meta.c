/* SPDX-License-Identifier: BSD-3-Clause */
/* test_fs_meta.c: unit tests of the record's MAC (SipHash-2-4 against the
 * published vectors), sealing, keyed verification and the strict parser. */
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

/*
 * The test vectors of the SipHash paper (Aumasson and Bernstein, 2012,
 * appendix A, and its reference vectors): key 00 01 .. 0f, message
 * 00 01 .. (len-1).
 */
static void test_siphash_vectors(void **state)
{
	static const struct { size_t len; uint64_t want; } v[] = {
		{ 0, 0x726fdb47dd0e0e31ull },
		{ 1, 0x74f839c593dc67fdull },
		{ 15, 0xa129ca6149be45e5ull },
	};
	uint8_t key[16], msg[64];

	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_true(meta_siphash(key, msg, v[i].len) == v[i].want);
	(void)state;
}

static void fill(struct hshmfs_meta *m, const char *path)
{
	memset(m, 0, sizeof(*m));
	memcpy(m->magic, HSHMFS_META_MAGIC, 8);
	m->kind = HSHM_POSIX_SHM_MMAP;
	m->mode = 0100644;
	m->uid = 1000;
	m->gid = 1000;
	m->path_len = (uint32_t)strlen(path);
	memcpy(m->path, path, m->path_len);
}

static void test_seal_verify(void **state)
{
	struct hshmfs *fs = calloc(1, sizeof(*fs));
	struct hshmfs_meta m;
	uint8_t other[16] = { 1 };

	assert_non_null(fs);
	for (int i = 0; i < 16; i++)
		fs->meta_key[i] = (uint8_t)(i * 7 + 3);
	fill(&m, "a/b");
	meta_seal(fs, &m);
	assert_int_equal(m.version, HSHMFS_META_VERSION);
	assert_int_equal(meta_check(&m, sizeof(m)), 0);
	assert_int_equal(meta_verify(&m, sizeof(m), fs->meta_key), 0);
	assert_int_equal(meta_verify(&m, sizeof(m), other), -EKEYREJECTED);
	m.uid = 0; /* any change without the key */
	assert_int_equal(meta_verify(&m, sizeof(m), fs->meta_key), -EKEYREJECTED);
	/* version 1: a well-formed legacy record has no tag */
	fill(&m, "a/b");
	m.version = HSHMFS_META_LEGACY;
	m.crc = meta_crc32(&m, offsetof(struct hshmfs_meta, crc));
	assert_int_equal(meta_verify(&m, sizeof(m), fs->meta_key), -ENOKEY);
	m.pad = 1;
	assert_int_equal(meta_check(&m, sizeof(m)), -EBADMSG);
	free(fs);
	(void)state;
}

static void test_strict(void **state)
{
	static const char *const bad[] = { "a/../b", "./a", "a//b", "/a", "a/",
					   ".." };
	struct hshmfs_meta m;
	char longname[300];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fill(&m, bad[i]);
		meta_seal(NULL, &m);
		assert_int_equal(meta_check(&m, sizeof(m)), -EBADMSG);
	}
	fill(&m, "abc");
	m.path_len = 1; /* bytes after path_len: never read as a name */
	meta_seal(NULL, &m);
	assert_int_equal(meta_check(&m, sizeof(m)), -EBADMSG);
	memset(longname, 'x', 256);
	longname[256] = '\0';
	fill(&m, longname); /* a component over NAME_MAX */
	meta_seal(NULL, &m);
	assert_int_equal(meta_check(&m, sizeof(m)), -EBADMSG);
	fill(&m, "a");
	m.mtime_nsec = 1000000000u;
	meta_seal(NULL, &m);
	assert_int_equal(meta_check(&m, sizeof(m)), -EBADMSG);
	fill(&m, "a");
	m.flags = 0x80;
	meta_seal(NULL, &m);
	assert_int_equal(meta_check(&m, sizeof(m)), -EBADMSG);
	fill(&m, "a");
	m.path_len = HSHMFS_META_PATH_MAX + 1;
	meta_seal(NULL, &m);
	assert_int_equal(meta_check(&m, sizeof(m)), -EBADMSG);
	(void)state;
}

/* The compact form kept as the object's attribute (record.c). */
static void test_compact(void **state)
{
	uint8_t key[16] = { 9 }, buf[HSHMFS_META_XATTR_MAX];
	struct hshmfs *fs = calloc(1, sizeof(*fs));
	struct hshmfs_meta m, back;
	size_t len;

	assert_non_null(fs);
	memcpy(fs->meta_key, key, sizeof(key));
	fill(&m, "dir/region");
	m.serial = 42;
	meta_seal(fs, &m);
	len = meta_encode(&m, buf);
	assert_int_equal(len, HSHMFS_META_FIXED + strlen("dir/region") + 8);
	assert_int_equal(meta_decode(buf, len, &back), 0);
	assert_memory_equal(&m, &back, sizeof(m));
	assert_int_equal(meta_verify(&back, sizeof(back), key), 0);
	/* a length that disagrees with path_len, either way */
	assert_int_equal(meta_decode(buf, len - 1, &back), -EBADMSG);
	assert_int_equal(meta_decode(buf, len + 1, &back), -EBADMSG);
	assert_int_equal(meta_decode(buf, HSHMFS_META_FIXED + 7, &back), -EBADMSG);
	/* only sealed records: a version-1 one is refused there */
	m.version = HSHMFS_META_LEGACY;
	len = meta_encode(&m, buf);
	assert_int_equal(meta_decode(buf, len, &back), -EBADMSG);
	/* a changed byte of the path: decodes, but the tag rejects it */
	meta_seal(fs, &m);
	len = meta_encode(&m, buf);
	buf[HSHMFS_META_FIXED] ^= 1;
	assert_int_equal(meta_decode(buf, len, &back), 0);
	assert_int_equal(meta_verify(&back, sizeof(back), key), -EKEYREJECTED);
	free(fs);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_vectors),
		cmocka_unit_test(test_seal_verify),
		cmocka_unit_test(test_strict),
		cmocka_unit_test(test_compact),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
