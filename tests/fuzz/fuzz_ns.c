/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_ns.c: libFuzzer harness for the namespace file parser (ns_decode). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fs_i.h"
#include "meta.h"
#include "ns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What an accepted entry promises ns.c's loader. */
static int entry(void *arg, const struct ns_entry *e)
{
	if (e->path_len >= PATH_MAX || e->target_len >= PATH_MAX ||
	    (e->type == 'R') != (e->path_len == 0) ||
	    (e->path_len && meta_path_check(e->path, e->path_len)) ||
	    memchr(e->target, '\0', e->target_len))
		abort();
	(*(size_t *)arg)++;
	return 0;
}

/*
 * Input: one control byte, then the file.  Control bit 0: fix up the
 * header's body length and crc, so mutations reach the entry parser.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *p;
	size_t n = 0, len;
	uint64_t body;
	uint32_t crc;

	if (size < 1)
		return 0;
	len = size - 1;
	p = malloc(len ? len : 1);
	if (!p)
		return 0;
	memcpy(p, data + 1, len);
	if ((data[0] & 1) && len >= 32) {
		body = len - 32;
		crc = meta_crc32(p + 32, (size_t)body);
		memcpy(p + 16, &body, 8);
		memcpy(p + 24, &crc, 4);
	}
	ns_decode(p, len, entry, &n);
	free(p);
	return 0;
}
