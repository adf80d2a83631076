#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Finding 7 of issue 13: two mounts of different prefixes sharing a links
# root.  A region made by an hshmfs mount (its object carries an hshmfs
# record) is never an upstream region to another mount: shown read-only at
# most, and nothing the second mount does changes its record, object or link.
. "$(dirname "$0")/up_lib.sh"
up_init
it_allow "^hshmfs: upstream: .*: made by an hshmfs mount: read-only here$"

it_mount "links_root=$LR,hshm_links"
ok "mount 1 makes a region" touch "$MNT/r"
ok "mount 1 writes it" "$ITOOL" pwrite "$MNT/r" 8192 peerdata
L=$LR/chimaera_root/$PREFIX.r1
eq "$(readlink "$L")" "$SHM/$PREFIX.r1" "mount 1 published its link"
fails "mount 1 does not show its own region in its view" test -e "$MNT/.hshm/root/$PREFIX.r1"

MNT2=$IT_TMP/mnt2
SHM2=$(mktemp -d /dev/shm/hshmfs-it2.XXXXXX)
chmod 1777 "$SHM2"
mkdir "$MNT2"
UP_MNTS+=("$MNT2")
"$HSHMFS" -f hshm "$MNT2" -o "shm_dir=$SHM2,prefix=${PREFIX}b,links_root=$LR,upstream=rw" \
	>"$IT_TMP/daemon.99.log" 2>&1 &
PID2=$!
UP_PIDS+=("$PID2")
for i in $(seq 100); do
	mountpoint -q "$MNT2" && break
	sleep 0.1
done
ok "mount 2 is up" mountpoint -q "$MNT2"
V=$MNT2/.hshm/root/$PREFIX.r1
if [ -e "$V" ]; then
	eq "$("$ITOOL" pread "$V" 8192 8)" peerdata "mount 2 may show it, read-only"
	eq "$(stat -c %a "$V")" 400 "mount 2 shows it 0400"
	eq "$("$ITOOL" truncate "$V" 4194304)" EROFS "mount 2: truncate refused"
	eq "$("$ITOOL" open "$V" w)" EROFS "mount 2: no write open"
	eq "$("$ITOOL" setxattr "$V" user.hshm.id 9.9)" EROFS "mount 2: no header change"
	fails "mount 2: chown refused" chown nobody "$V"
	fails "mount 2: chgrp refused" chgrp nogroup "$V"
	rm -f "$V" 2>/dev/null
else
	it_pass "mount 2 does not show mount 1's region"
fi
ls "$MNT2/.hshm/root" >/dev/null 2>&1
eq "$(readlink "$L")" "$SHM/$PREFIX.r1" "mount 1's link untouched"
eq "$(stat -c %s "$MNT/r")" 1052672 "mount 1's region keeps its size"
eq "$("$ITOOL" pread "$MNT/r" 8192 8)" peerdata "mount 1's data intact"
fusermount3 -u "$MNT2"
wait "$PID2"
eq "$?" 0 "mount 2 exits 0"
rm -rf "$SHM2"
it_umount
fails "no lost+found" test -e "$MNT/lost+found"
it_mount "links_root=$LR,hshm_links"
ok "mount 1's region survives its remount" test -e "$MNT/r"
eq "$("$ITOOL" pread "$MNT/r" 8192 8)" peerdata "with its data"
fails "nothing filed in lost+found" test -e "$MNT/lost+found"
it_finish
