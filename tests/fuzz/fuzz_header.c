/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_header.c: libFuzzer harness for header validation, the hshmfs record
 * and the namespace file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fs_i.h"
#include "meta.h"
#include "ns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Input: 8 bytes of object size, 1 byte of kind, then the header page.
 * Whatever hshm_header_check accepts must be self-consistent: the data it
 * describes lies inside the object.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char page[4096] = { 0 };
	enum hshm_layout layout;
	const char *why;
	uint64_t obj, bsz, cap;
	unsigned kind;

	if (size < 9)
		return 0;
	memcpy(&obj, data, 8);
	kind = data[8] % HSHM_BACKEND_KIND_COUNT;
	memcpy(page, data + 9, size - 9 < sizeof(page) ? size - 9 : sizeof(page));
	if (!hshm_header_check(page, obj, (enum hshm_backend_kind)kind, &layout,
			       &why)) {
		memcpy(&bsz, page + 16, 8);
		memcpy(&cap, page + 24, 8);
		if (cap > obj || bsz > obj || layout == HSHM_LAYOUT_UNKNOWN)
			abort();
	}
	if (size >= sizeof(struct hshmfs_meta))
		meta_check(data, size);
	ns_decode(data, size, NULL, NULL);
	return 0;
}
