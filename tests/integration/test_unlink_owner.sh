#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# unlink: an owned region is destroyed when its last handle closes; a region
# hshmfs does not own (user.hshm.owned=0) is only detached and left.
. "$(dirname "$0")/lib.sh"
it_init
it_allow '^hshmfs: recover: [^ ]+ was removed from hshmfs while another owner held it: in lost\+found \(rm there purges it\)$'
it_mount
cd "$MNT" || exit 1

# wait_gone PATH: the object disappears (release is asynchronous) within 5 s
wait_gone() {
	local i
	for i in $(seq 50); do
		[ -e "$1" ] || return 0
		sleep 0.1
	done
	return 1
}

# --- owned, no open handle: rm destroys the object
ok "touch r1" touch r1
o1=$(obj r1)
eq "$(xa r1 owned)" 1 "new region owned"
ok "object r1 exists" test -f "$o1"
ok "rm r1" rm r1
ok "owned region's object destroyed on unlink" wait_gone "$o1"
fails "r1 gone from the namespace" test -e r1

# --- owned, open handle: destroyed on last close, usable until then
ok "touch r2" touch r2
o2=$(obj r2)
ok "write r2" "$ITOOL" pwrite r2 8192 still-here
exec 7<>r2
ok "rm r2 while open" rm r2
fails "r2 gone from the namespace" test -e r2
ok "object kept while a handle is open" test -f "$o2"
sleep 0.3
ok "object still kept a bit later" test -f "$o2"
eq "$(dd bs=1 skip=8192 count=10 status=none <&7)" still-here "open handle still reads the region"
exec 7>&-
ok "object destroyed after the last close" wait_gone "$o2"

# --- not owned: detached, object left for its owner
ok "touch r3" touch r3
o3=$(obj r3)
ok "write r3" "$ITOOL" pwrite r3 8192 survivor
ok "setfattr owned=0" setfattr -n user.hshm.owned -v 0 r3
eq "$(xa r3 owned)" 0 "owned reads 0"
ok "rm r3" rm r3
sleep 0.5
ok "unowned region's object left in shm_dir" test -f "$o3"
eq "$(dd if="$o3" bs=1 skip=8192 count=8 status=none)" survivor "its data intact"
eq "$(hdr "$o3" backend_size)" 1048576 "its header intact"

# --- owned toggled back: destroyed again
ok "touch r4" touch r4
o4=$(obj r4)
ok "owned=0" setfattr -n user.hshm.owned -v 0 r4
ok "owned=1" setfattr -n user.hshm.owned -v 1 r4
eq "$(xa r4 owned)" 1 "owned back to 1"
ok "rm r4" rm r4
ok "re-owned region destroyed" wait_gone "$o4"

# --- directories: rmdir non-empty refused, rm -r destroys every owned region
ok "mkdir -p d/e" mkdir -p d/e
ok "touch d/a d/e/b" touch d/a d/e/b
oa=$(obj d/a)
ob=$(obj d/e/b)
fails "rmdir of a non-empty dir fails" rmdir d
ok "rm -r d" rm -r d
ok "d/a object destroyed" wait_gone "$oa"
ok "d/e/b object destroyed" wait_gone "$ob"

# --- malloc: unlink frees it, no trace in shm_dir
ok "mkdir m" mkdir m
ok "setfattr malloc" setfattr -n user.hshm.backend -v malloc m
ok "touch m/r" touch m/r
ok "rm m/r" rm m/r
fails "m/r gone" test -e m/r
eq "$(ls "$SHM")" "$(basename "$o3")" "only the detached object is left in shm_dir"

# --- the next mount shows the detached object only in lost+found, for a
# purge by its owner (it/purge_detached.sh)
cd /
it_umount
it_mount
cd "$MNT" || exit 1
fails "detached region not back at its path" test -e r3
eq "$(find . -name "$(basename "$o3")")" "./lost+found/$(basename "$o3")" "detached object shown only in lost+found"
eq "$(xa "lost+found/$(basename "$o3")" owned)" 0 "not owned there"
ok "detached object still not deleted" test -f "$o3"
eq "$(dd if="$o3" bs=1 skip=8192 count=8 status=none)" survivor "its data still intact"

cd /
it_finish
