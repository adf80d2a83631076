/* SPDX-License-Identifier: BSD-3-Clause */
/* meta.c: build and validate the persistent hshmfs record of a region. */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <stdbool.h>

#include "fs_i.h"
#include "meta.h"

uint32_t meta_crc32(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint32_t crc = 0xffffffffu;

	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

/* ---- SipHash-2-4 (Aumasson, Bernstein: "SipHash: a fast short-input PRF",
 * 2012), written from the paper's description ------------------------- */

static uint64_t rotl(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static uint64_t le64(const unsigned char *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

struct sip {
	uint64_t v0, v1, v2, v3;
};

static void sip_round(struct sip *s)
{
	s->v0 += s->v1;
	s->v1 = rotl(s->v1, 13) ^ s->v0;
	s->v0 = rotl(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = rotl(s->v3, 16) ^ s->v2;
	s->v0 += s->v3;
	s->v3 = rotl(s->v3, 21) ^ s->v0;
	s->v2 += s->v1;
	s->v1 = rotl(s->v1, 17) ^ s->v2;
	s->v2 = rotl(s->v2, 32);
}

static void sip_word(struct sip *s, uint64_t m, int rounds)
{
	s->v3 ^= m;
	for (int i = 0; i < rounds; i++)
		sip_round(s);
	s->v0 ^= m;
}

uint64_t meta_siphash(const uint8_t key[HSHMFS_META_KEY_LEN], const void *buf,
		      size_t len)
{
	const unsigned char *p = buf;
	uint64_t k0 = le64(key, 8), k1 = le64(key + 8, 8);
	struct sip s = { k0 ^ 0x736f6d6570736575ull, k1 ^ 0x646f72616e646f6dull,
			 k0 ^ 0x6c7967656e657261ull, k1 ^ 0x7465646279746573ull };
	size_t i;

	for (i = 0; i + 8 <= len; i += 8)
		sip_word(&s, le64(p + i, 8), 2);
	sip_word(&s, le64(p + i, len - i) | ((uint64_t)(len & 0xff) << 56), 2);
	s.v2 ^= 0xff;
	for (int r = 0; r < 4; r++)
		sip_round(&s);
	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

/* ---- the record ---------------------------------------------------------- */

static uint64_t meta_tag(const uint8_t *key, const struct hshmfs_meta *m)
{
	return meta_siphash(key, m, offsetof(struct hshmfs_meta, crc));
}

void meta_seal(struct hshmfs *fs, struct hshmfs_meta *m)
{
	static const uint8_t zero[HSHMFS_META_KEY_LEN];
	uint64_t tag;

	m->version = HSHMFS_META_VERSION;
	tag = meta_tag(fs ? fs->meta_key : zero, m);
	m->crc = (uint32_t)tag;
	m->pad = (uint32_t)(tag >> 32);
}

void meta_from_node(struct hshmfs *fs, struct hnode *n, struct hshmfs_meta *m)
{
	char path[PATH_MAX];
	size_t len;

	memset(m, 0, sizeof(*m));
	memcpy(m->magic, HSHMFS_META_MAGIC, sizeof(m->magic));
	m->kind = n->region->kind;
	m->uid = n->uid;
	m->gid = n->gid;
	m->mode = n->mode;
	m->flags = (hshm_is_owner(&n->region->be) ? HSHMFS_META_OWNED : 0) |
		   (n->region->dview ? HSHMFS_META_DVIEW : 0);
	m->atime_sec = n->atime.tv_sec;
	m->atime_nsec = (uint32_t)n->atime.tv_nsec;
	m->mtime_sec = n->mtime.tv_sec;
	m->mtime_nsec = (uint32_t)n->mtime.tv_nsec;
	m->ctime_sec = n->ctime.tv_sec;
	m->ctime_nsec = (uint32_t)n->ctime.tv_nsec;
	m->serial = n->region->serial;
	if (!hnode_path(n, path, sizeof(path)) &&
	    (len = strlen(path)) <= HSHMFS_META_PATH_MAX) {
		m->path_len = (uint32_t)len;
		memcpy(m->path, path, len);
	}
	meta_seal(fs, m);
}

int meta_path_check(const char *p, uint32_t len)
{
	uint32_t start = 0;

	if (len == 0 || len >= PATH_MAX)
		return -EBADMSG;
	for (uint32_t i = 0; i <= len; i++) {
		if (i < len && p[i] == '\0')
			return -EBADMSG;
		if (i < len && p[i] != '/')
			continue;
		uint32_t clen = i - start;

		if (clen == 0 || clen > NAME_MAX ||
		    (clen == 1 && p[start] == '.') ||
		    (clen == 2 && p[start] == '.' && p[start + 1] == '.'))
			return -EBADMSG;
		start = i + 1;
	}
	return 0;
}

static bool zero_after(const char *p, size_t from, size_t size)
{
	for (size_t i = from; i < size; i++)
		if (p[i])
			return false;
	return true;
}

static int meta_fields_check(const struct hshmfs_meta *m)
{
	if (m->kind >= HSHM_BACKEND_KIND_COUNT || !S_ISREG(m->mode) ||
	    (m->mode & ~(mode_t)(S_IFMT | 07777)) ||
	    (m->flags & ~(HSHMFS_META_OWNED | HSHMFS_META_DETACHED |
			  HSHMFS_META_DVIEW)) ||
	    m->atime_nsec >= 1000000000u || m->mtime_nsec >= 1000000000u ||
	    m->ctime_nsec >= 1000000000u || m->path_len > HSHMFS_META_PATH_MAX ||
	    !zero_after(m->path, m->path_len, sizeof(m->path)))
		return -EBADMSG;
	return meta_path_check(m->path, m->path_len);
}

int meta_check(const void *buf, size_t len)
{
	struct hshmfs_meta m;

	if (len < sizeof(m))
		return -ENODATA;
	memcpy(&m, buf, sizeof(m));
	if (memcmp(m.magic, HSHMFS_META_MAGIC, sizeof(m.magic)))
		return -ENODATA;
	if (m.version == HSHMFS_META_LEGACY) {
		if (m.pad ||
		    m.crc != meta_crc32(&m, offsetof(struct hshmfs_meta, crc)))
			return -EBADMSG;
	} else if (m.version != HSHMFS_META_VERSION) {
		return -EBADMSG;
	}
	return meta_fields_check(&m);
}

int meta_verify(const void *buf, size_t len,
		const uint8_t key[HSHMFS_META_KEY_LEN])
{
	struct hshmfs_meta m;
	int err = meta_check(buf, len);
	uint64_t tag;

	if (err)
		return err;
	memcpy(&m, buf, sizeof(m));
	if (m.version == HSHMFS_META_LEGACY)
		return -ENOKEY;
	tag = meta_tag(key, &m);
	/* constant time: the comparison does not leak how much matched */
	return ((m.crc ^ (uint32_t)tag) | (m.pad ^ (uint32_t)(tag >> 32))) ?
	       -EKEYREJECTED : 0;
}

/* ---- the compact form (the object's extended attribute) ----------------- */

size_t meta_encode(const struct hshmfs_meta *m, void *buf)
{
	unsigned char *p = buf;
	uint32_t len = m->path_len <= HSHMFS_META_PATH_MAX ? m->path_len : 0;

	memcpy(p, m, HSHMFS_META_FIXED);
	memcpy(p + HSHMFS_META_FIXED, m->path, len);
	memcpy(p + HSHMFS_META_FIXED + len, &m->crc, sizeof(m->crc));
	memcpy(p + HSHMFS_META_FIXED + len + 4, &m->pad, sizeof(m->pad));
	return HSHMFS_META_FIXED + len + 8;
}

int meta_decode(const void *buf, size_t len, struct hshmfs_meta *m)
{
	const unsigned char *p = buf;

	memset(m, 0, sizeof(*m));
	if (len < HSHMFS_META_FIXED + 8 || len > HSHMFS_META_XATTR_MAX)
		return -EBADMSG;
	memcpy(m, p, HSHMFS_META_FIXED);
	if (m->version != HSHMFS_META_VERSION ||
	    m->path_len != len - HSHMFS_META_FIXED - 8)
		return -EBADMSG;
	memcpy(m->path, p + HSHMFS_META_FIXED, m->path_len);
	memcpy(&m->crc, p + len - 8, sizeof(m->crc));
	memcpy(&m->pad, p + len - 4, sizeof(m->pad));
	return 0;
}
