/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_meta.c: libFuzzer harness for the region record parser
 * (meta_check, meta_verify, meta_path_check, meta_decode). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fs_i.h"
#include "meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What an accepted record promises recover.c. */
static void accepted(const struct hshmfs_meta *m)
{
	uint32_t start = 0;

	if (m->path_len == 0 || m->path_len > HSHMFS_META_PATH_MAX ||
	    memchr(m->path, '\0', m->path_len) || !S_ISREG(m->mode) ||
	    m->kind >= HSHM_BACKEND_KIND_COUNT)
		abort();
	for (uint32_t i = 0; i <= m->path_len; i++) {
		if (i < m->path_len && m->path[i] != '/')
			continue;
		if (i == start || i - start > NAME_MAX ||
		    (i - start <= 2 && !memcmp(m->path + start, "..", i - start)))
			abort();
		start = i + 1;
	}
	for (size_t i = m->path_len; i < sizeof(m->path); i++)
		if (m->path[i])
			abort();
}

/*
 * Input: one control byte, then the record (short input: zero-padded).
 * Control bit 0: fix up the version-1 crc, bit 1: seal as version 2 under
 * the zero key, so mutations get past the checksums to the field checks.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[HSHMFS_META_KEY_LEN];
	struct hshmfs_meta m;

	if (size < 1)
		return 0;
	memset(&m, 0, sizeof(m));
	memcpy(&m, data + 1, size - 1 < sizeof(m) ? size - 1 : sizeof(m));
	if (data[0] & 1) {
		m.version = HSHMFS_META_LEGACY;
		m.pad = 0;
		m.crc = meta_crc32(&m, offsetof(struct hshmfs_meta, crc));
	} else if (data[0] & 2) {
		meta_seal(NULL, &m);
	}
	if (!meta_check(&m, sizeof(m)))
		accepted(&m);
	if (!meta_verify(&m, sizeof(m), key) && m.version != HSHMFS_META_VERSION)
		abort();
	meta_check(data, size);
	meta_path_check((const char *)data, (uint32_t)size);
	/* the compact form (the object's attribute): whatever decodes is a
	 * version-2 record of exactly its length, and verifies only sealed */
	if (!meta_decode(data, size, &m) &&
	    (m.version != HSHMFS_META_VERSION ||
	     size != HSHMFS_META_FIXED + m.path_len + 8 ||
	     (!meta_verify(&m, sizeof(m), key) && meta_check(&m, sizeof(m)))))
		abort();
	return 0;
}
