#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# statfs (df) reports the capacity of the place where regions live (shm_dir).
. "$(dirname "$0")/lib.sh"
it_init
it_private_shm 256m # free space is exact only on a tmpfs no other test uses
it_mount
cd "$MNT" || exit 1

eq "$(stat -f -c %S "$MNT")" "$(stat -f -c %S "$SHM")" "block size = shm_dir's"
eq "$(stat -f -c %b "$MNT")" "$(stat -f -c %b "$SHM")" "total blocks = shm_dir's"
eq "$(df -P -k "$MNT" | awk 'NR==2 {print $2}')" "$(df -P -k "$SHM" | awk 'NR==2 {print $2}')" \
	"df size = shm_dir's"
eq "$(stat -f -c %l "$MNT")" 255 "max name length 255"

# free space follows what regions use: regions reserve their memory, so a
# 64 MiB region takes 64 MiB from df at once (and a little for the record
# page); the tmpfs is this test's own, so the numbers are exact.
ok "mkdir big" mkdir big
ok "setfattr size 64M" setfattr -n user.hshm.size -v 64M big
bs=$(stat -f -c %S "$MNT")
f0=$(stat -f -c %f "$MNT")
ok "touch big/r" touch big/r
ok "write into it" dd if=/dev/zero of=big/r bs=1M count=32 seek=1 conv=notrunc status=none
f1=$(stat -f -c %f "$MNT")
s1=$(stat -f -c %f "$SHM")
used=$(( (f0 - f1) * bs / 1048576 ))
[ "$used" -ge 64 ] && [ "$used" -le 65 ] && it_pass "a 64 MiB region shows in df ($used MiB)" ||
	it_fail "a 64 MiB region changed free space by $used MiB"
[ "$f1" = "$s1" ] && it_pass "free blocks match shm_dir's" ||
	it_fail "free blocks: mount $f1, shm_dir $s1"
ok "rm big/r" rm big/r
f2=$(stat -f -c %f "$MNT")
freed=$(( (f2 - f1) * bs / 1048576 ))
[ "$freed" -ge 64 ] && [ "$freed" -le 65 ] && it_pass "rm gives the memory back ($freed MiB)" ||
	it_fail "rm freed $freed MiB"

cd /
it_finish
