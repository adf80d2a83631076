#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Issue 12, finding 6 (second half): a namespace save that fails (ENOSPC)
# is retried with a growing delay, not every 100 ms forever, and what was
# pending is saved once there is room again.  The state directory (and, for
# the previous version, shm_dir) is on a private 1 MiB tmpfs that the test
# fills.
. "$(dirname "$0")/lib.sh"
it_init
it_private_shm 1M
[ -n "$IT_STATE_OPT" ] && IT_STATE_OPT="state_dir=$SHM/.state"
it_allow '^hshmfs: (namespace: )?saving directories and symlinks to .*No space left on device.*$'
it_mount
ok "mkdir a" mkdir "$MNT/a"
sleep 0.5
dd if=/dev/zero of="$SHM/fill" bs=64k status=none 2>/dev/null
ok "mkdir b (its save fails: ENOSPC)" mkdir "$MNT/b"
sleep 3
n=$(grep -c 'No space left on device' "$IT_LOG")
ok "at least one failed save logged ($n)" test "$n" -ge 1
ok "backs off: at most 6 attempts in 3 s ($n)" test "$n" -le 6
rm -f "$SHM/fill"
sleep 4 # the next retry, at most 3.2 s away
it_umount
it_mount
ok "a back" test -d "$MNT/a"
ok "b back (saved once there was room)" test -d "$MNT/b"
it_umount
it_finish
