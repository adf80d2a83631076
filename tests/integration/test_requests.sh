#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# What a create costs in FUSE requests (docs/performance.md, issue 16):
# close(2) and fsync(2) reach the daemon once per mount, not once per call
# (hshmfs has no flush and no fsync handler: the kernel stops asking after
# the first ENOSYS), and fsync(2) still succeeds.  Counted from libfuse's
# debug log (-o debug).
. "$(dirname "$0")/lib.sh"
it_init
it_mount debug
N=20
ok "$N x create, ftruncate, fsync, fdatasync, close, unlink" python3 -c "
import os
for i in range($N):
    p = '$MNT/f%d' % i
    fd = os.open(p, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
    os.ftruncate(fd, 1 << 20)
    os.fsync(fd)
    os.fdatasync(fd)
    os.close(fd)
    os.unlink(p)
"
sleep 0.3 # FORGETs are sent asynchronously
count() { grep -cE "opcode: $1 " "$IT_LOG"; }
eq "$(count CREATE)" "$N" "one CREATE each"
eq "$(count FLUSH)" 1 "close(2): one FLUSH in all (ENOSYS), not one each"
eq "$(count FSYNC)" 1 "fsync(2)/fdatasync(2): one FSYNC in all (ENOSYS)"
total=$(grep -cE "^unique: [0-9]+, opcode: " "$IT_LOG")
it_log "# $total requests for $N creates (INIT included)"
[ "$total" -le $((N * 9 + 3)) ] && it_pass "at most 9 requests per create ($total)" ||
	it_fail "more than 9 requests per create: $total for $N"
it_umount
# the log check reads hshmfs' own lines; libfuse's debug trace goes aside
mv "$IT_LOG" "$IT_TMP/debug.txt"
grep '^hshmfs: ' "$IT_TMP/debug.txt" >"$IT_LOG"
it_finish
