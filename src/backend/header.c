/* SPDX-License-Identifier: BSD-3-Clause */
/* header.c: the upstream layouts, header validation and header writing. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend_i.h"

/* ---- layouts and header validation ------------------------------------- */

static const struct hshm_v1_layout v1_layouts[HSHM_BACKEND_KIND_COUNT] = {
	[HSHM_MALLOC] = { 0, HSHM_MALLOC_DATA_OFF, HSHM_MALLOC_DATA_OFF,
			  HSHM_PRIV_OFF_V1, HSHM_PAGE, false },
	[HSHM_POSIX_SHM_MMAP] = { HSHM_PAGE, HSHM_POSIX_DATA_OFF,
				  HSHM_POSIX_DATA_OFF, HSHM_PRIV_OFF_V1, 0,
				  false },
	[HSHM_GPU_SHM_MMAP] = { 0, 2 * HSHM_PAGE, HSHM_GPU_SHM_DATA_OFF,
				HSHM_PRIV_OFF_V1, 0, true },
	[HSHM_GPU_MALLOC] = { 0, HSHM_GPU_MALLOC_DATA_OFF,
			      HSHM_GPU_MALLOC_DATA_OFF,
			      HSHM_GPU_MALLOC_PRIV_OFF, 0, true },
};

const struct hshm_v1_layout *hshm_v1_layout_of(enum hshm_backend_kind kind)
{
	return hshm_kind_valid(kind) ? &v1_layouts[kind] : NULL;
}

uint64_t hshm_v1_image_for(enum hshm_backend_kind kind, uint64_t backend_size)
{
	const struct hshm_v1_layout *l = hshm_v1_layout_of(kind);

	return l ? backend_size + l->obj_extra : 0;
}

uint64_t hshm_v1_min_image(enum hshm_backend_kind kind)
{
	const struct hshm_v1_layout *l = hshm_v1_layout_of(kind);

	return l ? l->cap_sub + l->obj_extra : 0;
}

/* The header as read from a page, decoded little-endian at fixed offsets. */
struct raw_header {
	uint32_t major, minor;
	uint64_t flags, backend_size, data_capacity, priv_header_off;
	int32_t data_id;
};

static uint64_t le_get(const unsigned char *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

static void raw_decode(const unsigned char *p, struct raw_header *h)
{
	h->major = (uint32_t)le_get(p + 0, 4);
	h->minor = (uint32_t)le_get(p + 4, 4);
	h->flags = le_get(p + 8, 8);
	h->backend_size = le_get(p + 16, 8);
	h->data_capacity = le_get(p + 24, 8);
	h->data_id = (int32_t)(uint32_t)le_get(p + 32, 4);
	h->priv_header_off = le_get(p + 40, 8);
}

static int bad(const char **why, const char *msg, int err)
{
	if (why)
		*why = msg;
	return err;
}

/* V2: object size == backend_size and nothing at offset 40. */
static bool is_v2(const struct raw_header *h, uint64_t obj_size)
{
	return h->priv_header_off == 0 && obj_size == h->backend_size;
}

static int check_v2(const struct raw_header *h, enum hshm_backend_kind kind,
		    const char **why)
{
	if (kind != HSHM_POSIX_SHM_MMAP)
		return bad(why, "newer upstream layout (40-byte header, data "
			   "at 4096)", -EPROTONOSUPPORT);
	if (h->data_capacity > h->backend_size - HSHM_V2_DATA_OFF)
		return bad(why, "v2 data_capacity beyond the object", -EBADMSG);
	if (h->data_id != -1)
		return bad(why, "data_id is not -1 for a CPU backend", -EBADMSG);
	return 0;
}

static int check_v1(const struct raw_header *h, uint64_t obj_size,
		    const struct hshm_v1_layout *l, const char **why)
{
	if (h->priv_header_off != l->priv_off)
		return bad(why, "priv_header_off does not match the layout",
			   -EBADMSG);
	if (h->backend_size < l->cap_sub)
		return bad(why, "backend_size smaller than the header pages",
			   -EBADMSG);
	if (obj_size < h->backend_size + l->obj_extra)
		return bad(why, "object shorter than backend_size says "
			   "(truncated)", -EBADMSG);
	if (obj_size > h->backend_size + l->obj_extra)
		return bad(why, "object longer than backend_size says",
			   -EBADMSG);
	if (h->data_capacity != h->backend_size - l->cap_sub)
		return bad(why, "data_capacity does not match backend_size",
			   -EBADMSG);
	if (l->gpu ? h->data_id < 0 : h->data_id != -1)
		return bad(why, l->gpu ? "data_id is not a GPU ordinal"
				       : "data_id is not -1 for a CPU backend",
			   -EBADMSG);
	return 0;
}

HSHM_EXPORT int hshm_header_check(const void *page, uint64_t obj_size,
				  enum hshm_backend_kind kind,
				  enum hshm_layout *layout, const char **why)
{
	const struct hshm_v1_layout *l = hshm_v1_layout_of(kind);
	struct raw_header h;
	int err;

	if (layout)
		*layout = HSHM_LAYOUT_UNKNOWN;
	if (!page || !l)
		return bad(why, "invalid argument", -EINVAL);
	if (obj_size < HSHM_PAGE)
		return bad(why, "object shorter than a header page", -ENODATA);
	raw_decode(page, &h);
	if (h.major == UINT32_MAX && h.minor == UINT32_MAX)
		return bad(why, "null backend id", -EBADMSG);
	if (h.flags != 0)
		return bad(why, "non-zero flags stored in a region", -EBADMSG);
	if (h.backend_size > HSHM_MAX_BACKEND_SIZE)
		return bad(why, "absurd backend_size", -EBADMSG);
	if (is_v2(&h, obj_size)) {
		err = check_v2(&h, kind, why);
		if (layout && (!err || err == -EPROTONOSUPPORT))
			*layout = HSHM_LAYOUT_V2;
		return err;
	}
	err = check_v1(&h, obj_size, l, why);
	if (!err && layout)
		*layout = HSHM_LAYOUT_V1;
	return err;
}


void hshm_header_fill(struct hshm_backend_header *h, struct hshm_backend_id id,
		      uint64_t backend_size, uint64_t data_capacity,
		      int32_t data_id, uint64_t priv_header_off)
{
	memset(h, 0, sizeof(*h));
	h->id = id;
	h->backend_size = backend_size;
	h->data_capacity = data_capacity;
	h->data_id = data_id;
	h->priv_header_off = priv_header_off;
}

int hshm_size_normalise(uint64_t size, uint64_t *out)
{
	if (size > HSHM_MAX_BACKEND_SIZE)
		return -EFBIG;
	*out = size < HSHM_MIN_BACKEND_SIZE ? HSHM_MIN_BACKEND_SIZE : size;
	return 0;
}
