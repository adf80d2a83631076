/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_parsers.c: libFuzzer harness for the option and xattr value parsers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fs_i.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct hshm_backend_id id;
	enum hshm_backend_kind k;
	uint64_t u64;
	uint32_t u32;
	mode_t mode;
	bool b;
	int i;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (!hshmfs_parse_size(s, &u64) && u64 > (UINT64_C(1) << 62))
		abort();
	if (!hshmfs_parse_mode(s, &mode) && mode > 07777)
		abort();
	hshmfs_parse_u32(s, &u32);
	hshmfs_prefix_check(s);
	hshm_backend_kind_parse(s, &k);
	hshm_url_check(s);
	if (!hshmfs_xattr_parse_id((const char *)data, size, &id) &&
	    hshm_id_is_null(id))
		abort();
	hshmfs_xattr_parse_size((const char *)data, size, &u64);
	hshmfs_xattr_parse_backend((const char *)data, size, &k);
	hshmfs_xattr_parse_bool((const char *)data, size, &b);
	if (!hshmfs_xattr_parse_int((const char *)data, size, &i) && i < 0)
		abort();
	free(s);
	return 0;
}
