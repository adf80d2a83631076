#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Finding 3 of issue 13: a link to a file on which its owner holds a lease
# must not freeze the daemon for the lease-break time (45 s by default):
# the view opens foreign files without blocking and outside the tree lock.
. "$(dirname "$0")/up_lib.sh"
up_init
it_allow "^hshmfs: upstream: .*chimaera_$MAL/leased[0-9]: .*"

for i in 1 2; do
	as "$MAL" "$FAKE" image "$IT_TMP/users/$MAL/l$i" 1048576 L
done
it_mount "links_root=$LR"
ok "alice makes a region" as "$ALICE" touch "$MNT/a"
for i in 1 2; do
	up_hold "$MAL" "$IT_TMP/lease$i.out" "$FAKE" lease "$IT_TMP/users/$MAL/l$i"
	for j in $(seq 50); do
		[ -s "$IT_TMP/lease$i.out" ] && break
		sleep 0.1
	done
	eq "$(cat "$IT_TMP/lease$i.out")" ready "mallory holds a lease on l$i"
	as "$MAL" ln -s "$IT_TMP/users/$MAL/l$i" "$LR/chimaera_$MAL/leased$i"
done
# the scan of mallory's directory runs beside alice's requests
up_bg as "$MAL" ls "$MNT/.hshm/$MAL"
sleep 0.3
bounded 3 "alice's stat is not held up by mallory's leases" as "$ALICE" stat "$MNT/a"
bounded 3 "alice lists the root meanwhile" as "$ALICE" ls "$MNT"
bounded 3 "listing mallory's view takes at most about 1 s" ls "$MNT/.hshm/$MAL"
bounded 3 "a second listing too" ls -l "$MNT/.hshm/$MAL"
it_finish
