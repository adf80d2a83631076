/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_ns.c: libFuzzer harness for the namespace file parser (ns_decode). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs_i.h"
#include "meta.h"
#include "ns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* strcmp() order of two names that hold no NUL. */
static int order(const char *a, size_t al, const char *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);

	return c ? c : (al > bl) - (al < bl);
}

/* What accepted attributes promise uxattr_load(): user.* names, not
 * user.hshm.*, no NUL, in strictly increasing order, within the limits. */
static void check_xattrs(const struct ns_entry *e)
{
	const unsigned char *pos = e->xattrs;
	const char *name, *prev = NULL;
	const void *value;
	size_t nl, vl, pl = 0, total = 0;

	for (uint32_t i = 0; i < e->nxattrs; i++) {
		ns_xattr_next(&pos, &name, &nl, &value, &vl);
		total += nl + vl;
		if (nl <= 5 || nl > HSHMFS_XATTR_NAME_MAX ||
		    vl > HSHMFS_XATTR_VALUE_MAX || memcmp(name, "user.", 5) ||
		    (nl >= 10 && !memcmp(name, "user.hshm.", 10)) ||
		    memchr(name, '\0', nl) || total > HSHMFS_XATTR_NODE_MAX)
			abort();
		if (prev && order(prev, pl, name, nl) >= 0)
			abort();
		prev = name;
		pl = nl;
	}
	if (e->type != 'R' && e->type != 'D' && e->type != 'F' && e->nxattrs)
		abort();
}

/* What an accepted entry promises ns.c's loader. */
static int entry(void *arg, const struct ns_entry *e)
{
	check_xattrs(e);
	if (e->type == 'F') {
		if (e->path_len || !e->size || !e->nxattrs)
			abort();
		(*(size_t *)arg)++;
		return 0;
	}
	if ((e->type == 'N' && (S_ISFIFO(e->mode) || S_ISSOCK(e->mode)) &&
	     e->size) || (e->type == 'H' && (!e->size == !e->target_len || e->nxattrs)))
		abort();
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
