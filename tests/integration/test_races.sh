#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# test_races.sh: requests that race each other and a region's owner, each
# bounded in time (RACE_SECS, 8 s): record writes (futimens) against
# getxattr while the owner grows her object behind hshmfs; fallocate (a
# record write walking the path) against renames of the same file.  The
# daemon must stay up and, under the sanitizer builds of scripts/test.sh,
# report nothing.  The owner's steps run as the unprivileged user hsalice.
. "$(dirname "$0")/lib.sh"
it_init
it_user hsalice >/dev/null
SECS=${RACE_SECS:-8}
R="/$PREFIX\\.r[0-9]+"
# a refresh can land between the owner's ftruncate and her header write
it_allow \
	"hshmfs: region $R changed behind hshmfs and no longer validates: .*" \
	"hshmfs: region $R validates again" \
	"hshmfs: posix_shm_mmap: $R: .* \((v1|unknown) layout\)" \
	"hshmfs: region $R: record not saved: .*"
it_mount
A() { as hsalice "$@"; }

# --- futimens + getxattr against the owner growing her object -------------
A touch "$MNT/g"
o=$(obj "$MNT/g")
A "$ITOOL" loop "$MNT/g" "$SECS" times >"$IT_TMP/times.out" &
t=$!
A "$ITOOL" loop "$MNT/g" "$SECS" times >"$IT_TMP/times2.out" &
t2=$!
sleep 0.3 # both hold their fd before the object starts changing
A "$ITOOL" growloop "$o" "$SECS" >"$IT_TMP/grow.out" &
g=$!
wait $g $t $t2
match "$(cat "$IT_TMP/grow.out")" '^ok [1-9]' "the owner grew her object"
match "$(cat "$IT_TMP/times.out")" '^ok [1-9]' "futimens+getxattr loop ran"
kill -0 "$IT_PID" 2>/dev/null && it_pass "daemon up after the grow race" ||
	it_fail "the daemon died in the grow race"
stat "$MNT/g" >/dev/null
eq "$(xa "$MNT/g" state)" ok "the region validates once the owner stops"
eq "$(stat -c %s "$MNT/g")" "$(stat -c %s "$o")" "size follows the object"

# --- fallocate against rename of the same file ----------------------------
mkdir "$MNT/d1" "$MNT/d2"
touch "$MNT/d1/f"
"$ITOOL" loop "$MNT/d1/f" "$SECS" fallocate >"$IT_TMP/falloc.out" &
f=$!
sleep 0.3 # it holds its fd before the names start moving
"$ITOOL" renloop "$MNT/d1/f" "$MNT/d2/a-much-longer-name-for-f" "$SECS" \
	>"$IT_TMP/ren.out" &
r=$!
"$ITOOL" renloop "$MNT/d1" "$MNT/d3-renamed" "$SECS" >"$IT_TMP/ren2.out" &
r2=$!
wait $f $r $r2
match "$(cat "$IT_TMP/falloc.out")" '^ok [1-9]' "fallocate loop ran"
match "$(cat "$IT_TMP/ren.out")" '^ok [1-9]' "rename loop ran"
kill -0 "$IT_PID" 2>/dev/null && it_pass "daemon up after the rename race" ||
	it_fail "the daemon died in the rename race"
it_umount
it_mount
n=$(find "$MNT" -name f -o -name a-much-longer-name-for-f | wc -l)
eq "$n" 1 "the file is at one of its names after a remount"
fails "nothing went to lost+found" test -e "$MNT/lost+found"
it_finish
