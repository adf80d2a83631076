#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Issue 12, finding 9: SIGKILL of the daemon at any point of a create leaves,
# after the next mount, either a complete region at its path or nothing:
# never a record-less object that shows up damaged in lost+found.
. "$(dirname "$0")/lib.sh"
it_init
[ "$(id -u)" = 0 ] || it_skip "runs steps as another user: needs root"
it_user hsalice >/dev/null
it_allow '^hshmfs: recover: .*'
ROUNDS=${ROUNDS:-4}
it_mount
mkdir -m 1777 "$MNT/w"
for r in $(seq "$ROUNDS"); do
	as hsalice sh -c "i=0; while [ \$i -lt 100000 ]; do : > '$MNT/w/r$r.'\$i || exit 0; i=\$((i+1)); done" 2>/dev/null &
	busy=$!
	sleep 0.$((RANDOM % 5 + 3))
	it_kill9
	kill "$busy" 2>/dev/null
	wait "$busy" 2>/dev/null
	it_mount
done
n=$(ls "$MNT/lost+found" 2>/dev/null | wc -l)
eq "$n" 0 "no half-made region in lost+found after $ROUNDS kills"
objs=$(ls "$SHM" | grep -c "^$PREFIX\.r")
files=$(find "$MNT/w" -type f | wc -l)
eq "$objs" "$files" "every object in shm_dir is a region at its path"
it_finish
