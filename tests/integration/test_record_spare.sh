#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Where shm_dir cannot keep trusted extended attributes (here ramfs), the
# records go to the regions' spare pages, as before issue 16: the mount
# says so once, reads of a region show its spare page as zeros (read-only
# opens then read through the daemon, not by kernel passthrough), writes
# there are refused, and the regions come back at remount.
. "$(dirname "$0")/lib.sh"
it_init
[ "$(id -u)" = 0 ] || it_skip "a ramfs for shm_dir needs root"
mount -t ramfs -o mode=1777 hshmfs-it "$SHM" || it_skip "no ramfs here"
IT_SHM_TMPFS=1 # it_cleanup unmounts it
it_allow '^hshmfs: records kept in the regions. spare pages: trusted\.hshmfs\.record: not supported by the shm_dir \(read-only opens then read through the daemon\)$'
it_mount reserve=0 # ramfs has no fallocate
cd "$MNT" || exit 1

ok "touch r" touch r
o=$(obj r)
size=$(stat -c %s r)
eq "$(grep -c 'records kept in the regions. spare pages' "$IT_LOG")" 1 \
	"the mount says once where records go"
eq "$(rec "$o")" "" "no attribute on a ramfs object"
eq "$(tail -c 4096 "$o" | head -c 8)" HSHMFSM1 "the record is in the spare page"
doff=$(xa r data_offset)
ok "write data" "$ITOOL" pwrite r "$doff" spare-test
eq "$("$ITOOL" pread r "$doff" 10)" spare-test "read back"
eq "$(tail -c 4096 r | tr -d '\0' | wc -c)" 0 "a read-only open shows the spare page as zeros"
ok "the rest of the image as the object has it" cmp -n $((size - 4096)) r "$o"
eq "$("$ITOOL" pwrite r $((size - 4096)) X)" EFBIG "a write into the record's page: EFBIG"
ok "touch s (a second region)" touch s
cd /
it_umount
it_mount reserve=0
cd "$MNT" || exit 1
eq "$("$ITOOL" pread r "$doff" 10)" spare-test "r back after remount, its bytes too"
ok "s back after remount" test -f s
fails "nothing in lost+found" test -e lost+found
eq "$(tail -c 4096 "$o" | head -c 8)" HSHMFSM1 "the record still in the spare page"
cd /
it_umount
it_finish
