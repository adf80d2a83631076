#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Issue 12, finding 7: no user can stop root from mounting by taking the
# prefix lock first.  The previous lock was an abstract unix socket with a
# predictable name; the lock is now flock(2) on a file in the daemon's
# private state directory.  A second mount of the same shm_dir and prefix is
# still refused.
. "$(dirname "$0")/lib.sh"
it_init
[ "$(id -u)" = 0 ] || it_skip "a root mount attacked by other users needs root"
SECTOOL=${SECTOOL:-$(dirname "$ITOOL")/sectool}
it_user hsmallory >/dev/null
name=$(printf 'hshmfs/%x:%x/%s' "$(stat -c %d "$SHM")" "$(stat -c %i "$SHM")" "$PREFIX")
as hsmallory "$SECTOOL" bindabs "$name" 30 >"$IT_TMP/bind.out" 2>&1 &
squat=$!
for i in $(seq 50); do grep -q bound "$IT_TMP/bind.out" && break; sleep 0.1; done
eq "$(cat "$IT_TMP/bind.out")" bound "mallory holds the old lock name"
it_mount
ok "root mounts although mallory squats the old lock name" mountpoint -q "$MNT"
# the lock still works: a second daemon for the same shm_dir and prefix
M2=$IT_TMP/mnt2
mkdir "$M2"
rc 1 "a second mount of the same prefix refused" timeout 10 "$HSHMFS" -f hshm "$M2" -o "$IT_MOUNT_OPTS"
fails "the second mount did not come up" mountpoint -q "$M2"
kill "$squat" 2>/dev/null
wait "$squat" 2>/dev/null
it_finish
