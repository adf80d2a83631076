#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Purge against a rename race: shm_dir is world-writable, so between the
# mount's validation of an object in /lost+found and its removal at rm, the
# name can be made to name another object (a rename over it).  The purge
# removes only the object the mount validated; one put in its place is left
# alone, with a line saying so.  hsmallory races, with a loop that keeps a
# fresh object of hers at the name for RACE_SECS (6 s):
#  1. her own entry, which she removes herself;
#  2. hsalice's entry, whose object alice removed in shm_dir first (the name
#     is free for mallory's): alice's rm in lost+found must not destroy
#     mallory's object.
. "$(dirname "$0")/lib.sh"
it_init
[ "$(id -u)" = 0 ] || it_skip "needs root to mount for other users"
it_user hsalice >/dev/null
it_user hsmallory >/dev/null
SECS=${RACE_SECS:-6}
it_allow "^hshmfs: recover: $PREFIX\\.r[0-9]+: damaged: no hshmfs record \\(truncated or not ours\\)$"
it_allow "^hshmfs: purge of /$PREFIX\\.r[0-9]+: the name now names another object: nothing removed$"
it_mount
ok "mallory makes m" as hsmallory touch "$MNT/m"
ok "alice makes a" as hsalice touch "$MNT/a"
om=$(obj "$MNT/m") oa=$(obj "$MNT/a")
nm=$(basename "$om") na=$(basename "$oa")
it_umount
for o in "$om" "$oa"; do # replaced by copies: record-less, lost+found
	cp -p "$o" "$o.copy" && mv "$o.copy" "$o"
done
it_mount
ok "m is in lost+found" test -f "$MNT/lost+found/$nm"
ok "a is in lost+found" test -f "$MNT/lost+found/$na"

# race ONE_NAME RM_USER: mallory's loop at the name while RM_USER removes
# the entry; prints the loop's result
race() {
	local out=$IT_TMP/race.$1 i
	as hsmallory "$SECTOOL" renameloop "$SHM" "$1" "$SECS" >"$out" &
	local pid=$!
	sleep 1
	as "$2" rm "$MNT/lost+found/$1"
	# the purge runs at release, once the kernel forgets the inode
	for i in $(seq 40); do
		grep -q "purge.* /$1\\b" "$IT_LOG" && break
		sleep 0.1
	done
	wait $pid
	cat "$out"
}

# --- 1. mallory's own entry
out=$(race "$nm" hsmallory)
match "$out" '^ok [1-9][0-9]* lost=' "mallory's loop ran"
eq "${out##*lost=}" 0 "the purge removed none of the objects mallory put at the name"
match "$(grep "/$nm\\b" "$IT_LOG")" "purge of /$nm: the name now names another object: nothing removed" \
	"the purge says it left the name alone"
ok "mallory's last object at the name is there" test -f "$SHM/$nm"

# --- 2. alice's entry: her object gone from shm_dir, mallory's at the name
ok "alice removes her object in shm_dir" as hsalice rm -f "$oa"
ok "her entry is still in lost+found" test -f "$MNT/lost+found/$na"
out=$(race "$na" hsalice)
match "$out" '^ok [1-9][0-9]* lost=' "mallory's loop ran"
eq "${out##*lost=}" 0 "alice's purge destroyed no object of mallory's"
eq "$(stat -c %U "$SHM/$na")" hsmallory "the object at the name is mallory's, still there"
eq "$(grep -c 'purged .* from lost+found' "$IT_LOG")" 0 "no purge claims to have removed anything"
kill -0 "$IT_PID" 2>/dev/null && it_pass "daemon up after the races" ||
	it_fail "the daemon died in the races"
rm -f "$SHM/$nm" "$SHM/$na"
it_finish
