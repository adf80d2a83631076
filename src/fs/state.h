/* SPDX-License-Identifier: BSD-3-Clause */
/* state.h: the daemon's private state directory (namespace, key, lock). */
#ifndef HSHMFS_STATE_H
#define HSHMFS_STATE_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

struct hshmfs;

/**
 * state_open() - open (making it 0700 if missing) the state directory,
 * check it, take the prefix lock, load or make the record key.  Every
 * failure is printed with its reason.  Return: 0, -EBUSY (prefix in use by
 * another mount), -EPERM (directory or file not the daemon's private one),
 * or -errno.
 */
int state_open(struct hshmfs *fs);
void state_close(struct hshmfs *fs);
/**
 * state_read() - read "<base><sfx>" whole (at most @max bytes) into a
 * malloc'd buffer.  The file must be regular, the daemon's, not writable
 * by others.  Return: 0, -ENOENT, -EFBIG, -EPERM, -errno.
 */
int state_read(struct hshmfs *fs, const char *sfx, void **buf, size_t *len,
	       size_t max);
/** state_write() - replace "<base><sfx>" with @len bytes (an O_EXCL
 * temporary, then rename).  0 or -errno. */
int state_write(struct hshmfs *fs, const char *sfx, const void *buf,
		size_t len);
/** state_set_aside() - rename "<base><sfx>" to "<base><sfx>.bad". */
void state_set_aside(struct hshmfs *fs, const char *sfx);
/** Create intents: a file per region being made, from before its object
 * exists until its record is written.  0 or -errno (logged). */
int state_intent_begin(struct hshmfs *fs, uint64_t serial);
void state_intent_end(struct hshmfs *fs, uint64_t serial);
/** Whether a create of @serial was under way when the last daemon ended. */
bool state_intent_pending(struct hshmfs *fs, uint64_t serial);
/** Remove every intent left by the last daemon (after recovery). */
void state_intent_clear(struct hshmfs *fs);

#endif /* HSHMFS_STATE_H */
