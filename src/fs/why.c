/* SPDX-License-Identifier: BSD-3-Clause */
/* why.c: why an object does not validate, in words, for user.hshm.state. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fs_i.h"

const char *hshmfs_damage_why(int fd, uint64_t size,
			      enum hshm_backend_kind kind, int err)
{
	char page[4096];
	const char *why = NULL;
	enum hshm_layout layout;
	ssize_t n;

	if ((err != -EBADMSG && err != -EPROTONOSUPPORT) ||
	    kind >= HSHM_BACKEND_KIND_COUNT)
		return strerror(-err);
	n = pread(fd, page, size < sizeof(page) ? (size_t)size : sizeof(page),
		  0);
	if (n < 0 || hshm_header_check(page, size, kind, &layout, &why) == 0 ||
	    !why)
		return strerror(-err); /* changed again since: no better word */
	return why;
}
