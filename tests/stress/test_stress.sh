#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# test_stress.sh STRESS [SECS]: concurrent create/write/mmap/truncate/chown/
# rename/unlink from many processes and threads; then no leaked objects, no
# daemon error.  Harness: tests/integration/lib.sh (HSHMFS, ITOOL from env).
. "$(dirname "$0")/../integration/lib.sh"
STRESS=${1:?usage: test_stress.sh STRESS [SECS]}
SECS=${2:-15}
it_init
# Only the two start-up lines are expected in the log (a fresh shm_dir has
# nothing to recover, so not even lib.sh's "recovered" line).
IT_ALLOW=(
	'^hshmfs: GPU runtime: .*'
	'^hshmfs: mmap mode: shared \(kernel FUSE passthrough\)$'
)
it_mount

# objects: backing objects of this mount's regions under shm_dir
objects() { find "$SHM" -maxdepth 1 -name "$PREFIX.r*" | wc -l; }

ok "mkdir a b" mkdir "$MNT/a" "$MNT/b"
"$STRESS" "$MNT/a" 4 4 "$SECS" & s1=$!
"$STRESS" "$MNT/b" 2 8 "$SECS" & s2=$!
if wait $s1; then it_pass "stress in a/ saw no errors"; else it_fail "stress in a/ saw errors"; fi
if wait $s2; then it_pass "stress in b/ saw no errors"; else it_fail "stress in b/ saw errors"; fi
left=$(ls "$MNT/a" "$MNT/b" | grep -c shared)
eq "$(objects)" "$left" "one object per surviving region (no leak)"
rm -f "$MNT"/a/* "$MNT"/b/*
ok "directories empty after rm" rmdir "$MNT/a" "$MNT/b"
sync
eq "$(objects)" 0 "no object leaked under shm_dir"
it_umount
it_finish
