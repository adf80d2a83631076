#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# test_stress.sh: concurrent create/write/mmap/truncate/chown/rename/unlink
# from many processes and threads; then no leaked objects, no daemon error.
set -u
HSHMFS=$1 STRESS=$2 SECS=${3:-15}
[ -c /dev/fuse ] && [ -w /dev/fuse ] || { echo "SKIP: /dev/fuse unusable"; exit 77; }
MNT=$(mktemp -d /tmp/hshmfs-st.XXXXXX)
SD=$(mktemp -d /dev/shm/hshmfs-st.XXXXXX)
LOG=$MNT.log PID= fails=0
cleanup() {
	fusermount3 -u -z "$MNT" 2>/dev/null
	[ -n "$PID" ] && wait "$PID" 2>/dev/null
	rm -rf "$MNT" "$SD" "$LOG"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
"$HSHMFS" -f hshm "$MNT" -o "shm_dir=$SD,prefix=st" 2>"$LOG" &
PID=$!
for _ in $(seq 100); do mountpoint -q "$MNT" && break; sleep 0.1; done
mountpoint -q "$MNT" || { echo "FAIL: no mount"; cat "$LOG"; exit 1; }
mkdir "$MNT/a" "$MNT/b"
"$STRESS" "$MNT/a" 4 4 "$SECS" & s1=$!
"$STRESS" "$MNT/b" 2 8 "$SECS" & s2=$!
wait $s1 || fail "stress in a/ saw errors"
wait $s2 || fail "stress in b/ saw errors"
left=$(ls "$MNT/a" "$MNT/b" | grep -c shared)
objs=$(find "$SD" -maxdepth 1 -name 'st.r*' | wc -l)
[ "$left" = "$objs" ] || fail "$objs objects for $left surviving regions (leak)"
rm -f "$MNT"/a/* "$MNT"/b/*
rmdir "$MNT/a" "$MNT/b" || fail "directories not empty after rm"
sync
objs=$(find "$SD" -maxdepth 1 -name 'st.r*' | wc -l)
[ "$objs" = 0 ] || fail "$objs objects leaked under shm_dir"
fusermount3 -u "$MNT"; wait "$PID"; PID=
# Only the two start-up lines are expected in the log.
if grep -v -E "mmap mode:|GPU runtime:" "$LOG"; then
	fail "unexpected daemon log lines (above)"
fi
[ "$fails" -eq 0 ]
