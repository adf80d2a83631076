#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Detached objects: a region removed from hshmfs while hshmfs did not own it
# (user.hshm.owned=0, or an upstream owner) leaves its object in shm_dir,
# its record marked detached.  The next mount shows it in /lost+found under
# its object name, not owned, readable, listed by hshmfs-ls as "detached",
# so that its owner or root can purge it there with rm once nobody holds
# it; anybody else is refused by the sticky bit.  Run as hsalice, with
# hsmallory as the other user.
. "$(dirname "$0")/lib.sh"
it_init
[ "$(id -u)" = 0 ] || it_skip "needs root to mount for other users"
it_user hsalice >/dev/null
it_user hsmallory >/dev/null
it_allow "^hshmfs: recover: $PREFIX\\.r[0-9]+ was removed from hshmfs while another owner held it: in lost\\+found \\(rm there purges it\\)$"
it_allow "^hshmfs: purged /$PREFIX\\.r[0-9]+ from lost\\+found \\(ok\\)$"
it_mount
A() { as hsalice "$@"; }
ok "alice makes d1 and d2" A touch "$MNT/d1" "$MNT/d2"
ok "alice writes d1" A "$ITOOL" pwrite "$MNT/d1" 8192 detached-data
o1=$(obj "$MNT/d1") o2=$(obj "$MNT/d2")
n1=$(basename "$o1") n2=$(basename "$o2")
for f in d1 d2; do
	ok "$f: hshmfs gives up ownership" A setfattr -n user.hshm.owned -v 0 "$MNT/$f"
	ok "$f: rm detaches it" A rm "$MNT/$f"
done
sleep 0.5
ok "d1's object stays in shm_dir" test -f "$o1"
it_umount

it_mount
e1=$MNT/lost+found/$n1 e2=$MNT/lost+found/$n2
ok "the detached d1 is in lost+found" test -f "$e1"
fails "not back at its old path" test -e "$MNT/d1"
eq "$(stat -c %U "$e1")" hsalice "the entry is alice's"
eq "$(xa "$e1" owned)" 0 "not owned: hshmfs never destroys it by itself"
eq "$(xa "$e1" state)" ok "its region is sound"
eq "$(A dd if="$e1" bs=1 skip=8192 count=13 status=none)" detached-data "its data reads through the entry"
match "$("$HSHMFS_LS" "$MNT" | grep "$n1")" "detached +0 +orphan .*/$n1\$" "hshmfs-ls: a detached orphan"
out=$(as hsmallory rm -f "$e1" 2>&1)
match "$out" "Operation not permitted" "mallory cannot purge alice's detached object"
ok "the object stays" test -f "$o1"
ok "alice purges her detached object" A rm "$e1"
for i in $(seq 50); do [ -e "$o1" ] || break; sleep 0.1; done
fails "its object is gone from shm_dir" test -e "$o1"
ok "alice makes a live region" A touch "$MNT/live"
# the line of docs/recovery.md: purge the detached orphans
ok "root purges the orphans of lost+found" sh -c \
	"'$HSHMFS_LS' -o -0 '$MNT' | grep -z '/lost+found/' | xargs -0r rm -f --"
ok "the live region is untouched" test -f "$MNT/live"
for i in $(seq 50); do [ -e "$o2" ] || break; sleep 0.1; done
fails "that object is gone too" test -e "$o2"
eq "$(grep -c "purged /$PREFIX\\.r[0-9]* from lost+found (ok)" "$IT_LOG")" 2 "one log line per purge"
it_umount
it_mount
eq "$(ls "$MNT/lost+found" 2>/dev/null | wc -l)" 0 "nothing comes back"
ok "the live region does" test -f "$MNT/live"
it_finish
