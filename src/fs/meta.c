/* SPDX-License-Identifier: BSD-3-Clause */
/* meta.c: build and validate the persistent hshmfs record of a region. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

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

void meta_from_node(struct hshmfs *fs, struct hnode *n, struct hshmfs_meta *m)
{
	char path[PATH_MAX];

	memset(m, 0, sizeof(*m));
	memcpy(m->magic, HSHMFS_META_MAGIC, sizeof(m->magic));
	m->version = 1;
	m->kind = n->region->kind;
	m->uid = n->uid;
	m->gid = n->gid;
	m->mode = n->mode;
	m->flags = hshm_is_owner(&n->region->be) ? HSHMFS_META_OWNED : 0;
	m->atime_sec = n->atime.tv_sec;
	m->atime_nsec = (uint32_t)n->atime.tv_nsec;
	m->mtime_sec = n->mtime.tv_sec;
	m->mtime_nsec = (uint32_t)n->mtime.tv_nsec;
	m->ctime_sec = n->ctime.tv_sec;
	m->ctime_nsec = (uint32_t)n->ctime.tv_nsec;
	m->serial = n->region->serial;
	if (!hnode_path(n, path, sizeof(path)) &&
	    strlen(path) <= HSHMFS_META_PATH_MAX) {
		m->path_len = (uint32_t)strlen(path);
		memcpy(m->path, path, m->path_len);
	}
	m->crc = meta_crc32(m, offsetof(struct hshmfs_meta, crc));
	(void)fs;
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

int meta_check(const void *buf, size_t len)
{
	struct hshmfs_meta m;

	if (len < sizeof(m))
		return -ENODATA;
	memcpy(&m, buf, sizeof(m));
	if (memcmp(m.magic, HSHMFS_META_MAGIC, sizeof(m.magic)))
		return -ENODATA;
	if (m.version != 1 ||
	    m.crc != meta_crc32(&m, offsetof(struct hshmfs_meta, crc)))
		return -EBADMSG;
	if (m.kind >= HSHM_BACKEND_KIND_COUNT || !S_ISREG(m.mode) ||
	    m.path_len > HSHMFS_META_PATH_MAX)
		return -EBADMSG;
	return meta_path_check(m.path, m.path_len);
}
