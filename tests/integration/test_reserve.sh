#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# user.hshm.reserve and reserve=: a directory with reserve 0 makes sparse
# regions (created and grown without reserving), writes through the mount
# fill them, a full shm_dir gives write(2) ENOSPC and the daemon stays up;
# reserve 1 (the default) keeps ENOSPC at create.  The choice is inherited
# and outlives a remount.
. "$(dirname "$0")/lib.sh"
it_init
it_private_shm 16m # a full tmpfs that no other test shares
it_allow '^hshmfs: posix_shm_mmap: reserving the pages of /[^ ]+: No space left on device$'
it_allow '^hshmfs: create: posix_shm_mmap region of [0-9]+ bytes: No space left on device$'
it_allow "^hshmfs: setxattr user.hshm.reserve='2' on '/sparse' refused: want 1 or 0$"
it_allow '^hshmfs: setxattr user.hshm.reserve refused: read-only$'

it_mount
cd "$MNT" || exit 1

held() { echo $(( $(stat -c %b "$1") * 512 )); } # bytes the object holds
free_kib() { df -P -k "$SHM" | awk 'NR==2 {print $4}'; }

eq "$(xa . reserve)" 1 "root: reserve 1 by default"
ok "mkdir sparse" mkdir sparse
ok "setfattr reserve 0" setfattr -n user.hshm.reserve -v 0 sparse
ok "setfattr size 10M" setfattr -n user.hshm.size -v 10M sparse
fails "reserve 2 refused" setfattr -n user.hshm.reserve -v 2 sparse
eq "$(xa sparse reserve)" 0 "sparse: reserve 0"
ok "mkdir sparse/sub" mkdir sparse/sub
eq "$(xa sparse/sub reserve)" 0 "sparse/sub inherits reserve 0"

# three 10 MiB regions on a 16 MiB tmpfs: only possible unreserved
for f in a b c; do ok "touch sparse/$f (10 MiB)" touch sparse/$f; done
o=$(obj sparse/a)
eq "$(stat -c %s sparse/a)" $((10 * 1048576 + 4096)) "st_size is the whole image"
h=$(held "$o")
[ "$h" -le 65536 ] && it_pass "sparse object: st_blocks small ($h bytes)" ||
	it_fail "sparse object holds $h bytes"
eq "$(xa sparse/a reserve)" 0 "region: reserve 0"
match "$(setfattr -n user.hshm.reserve -v 1 sparse/a 2>&1)" "Operation not permitted" \
	"a region's reserve is read-only (EPERM)"
ok "truncate -s 12M (grow)" truncate -s 12M sparse/a
h=$(held "$o")
[ "$h" -le 65536 ] && it_pass "grown sparse object still small ($h bytes)" ||
	it_fail "grown sparse object holds $h bytes"

# writes through the mount fill it
doff=$(xa sparse/a data_offset)
cap=$(xa sparse/a data_capacity)
head -c 4194304 /dev/urandom >"$IT_TMP/rand"
ok "write 4 MiB through the mount" dd if="$IT_TMP/rand" of=sparse/a bs=1M \
	seek="$doff" oflag=seek_bytes conv=notrunc status=none
h=$(held "$o")
[ "$h" -ge 4194304 ] && [ "$h" -le $((4194304 + 65536)) ] &&
	it_pass "written pages exist ($h bytes)" || it_fail "object holds $h bytes after 4 MiB"
ok "data reads back" cmp -n 4194304 -i 0:"$doff" "$IT_TMP/rand" sparse/a

# fill shm_dir: write(2) through the mount gets ENOSPC, as a clean errno
ok "fill the rest of sparse/a" dd if=/dev/zero of=sparse/a bs=1M \
	count=$(((cap - 4194304) / 1048576)) seek=$((doff + 4194304)) \
	oflag=seek_bytes conv=notrunc status=none
out=$(dd if=/dev/zero of=sparse/b bs=1M count=9 seek="$doff" \
	oflag=seek_bytes conv=notrunc status=none 2>&1)
match "$out" "No space left on device" "filling shm_dir: write(2) says ENOSPC"
eq "$(free_kib)" 0 "shm_dir is full"
eq "$("$ITOOL" pwrite sparse/c $((doff + 5 * 1048576)) x)" ENOSPC \
	"pwrite of an unbacked page through the mount: ENOSPC"
ok "daemon still up" kill -0 "$IT_PID"
ok "the mount still answers" stat sparse/a
ok "data still reads back" cmp -n 4194304 -i 0:"$doff" "$IT_TMP/rand" sparse/a
eq "$(xa sparse/c state)" ok "sparse/c not marked damaged"
# what a process mapping the object itself gets: SIGBUS on that page
# (ASan and TSan would catch the signal and abort: let it kill, as it does
# in a plain build)
rc 135 "a mapping process: SIGBUS on a page tmpfs cannot supply" \
	env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_sigbus=0" \
	TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS:}handle_sigbus=0" "$ITOOL" mmap "$(obj sparse/c)" $((doff + 5 * 1048576)) y
ok "daemon up after the SIGBUS elsewhere" kill -0 "$IT_PID"

# reserve 1: ENOSPC at create, nothing left behind
ok "mkdir full" mkdir full
ok "setfattr size 10M" setfattr -n user.hshm.size -v 10M full
n0=$(find "$SHM" -maxdepth 1 -type f | wc -l)
eq "$("$ITOOL" open full/b w,creat)" ENOSPC "reserve 1 (inherited from the mount): ENOSPC at create"
eq "$(find "$SHM" -maxdepth 1 -type f | wc -l)" "$n0" "no object left behind"
ok "rm sparse/b" rm sparse/b
ok "setfattr sub reserve 1" setfattr -n user.hshm.reserve -v 1 sparse/sub
eq "$("$ITOOL" open sparse/sub/c w,creat)" ENOSPC "reserve 1 below reserve 0: ENOSPC at create"
ok "removexattr: inherit again" setfattr -x user.hshm.reserve sparse/sub
ok "sparse/sub/c unreserved" touch sparse/sub/c
ok "rm sparse/sub/c" rm sparse/sub/c

# the choice outlives a remount; reserve=0 as the mount's default
cd /
it_umount
it_mount reserve=0
cd "$MNT" || exit 1
eq "$(xa . reserve)" 0 "reserve=0: root reserve 0"
eq "$(xa sparse reserve)" 0 "sparse: reserve 0 after remount"
eq "$(xa full reserve)" 0 "full inherits the mount's reserve=0"
ok "full/d unreserved" touch full/d
h=$(held "$(obj full/d)")
[ "$h" -le 65536 ] && it_pass "full/d sparse ($h bytes)" || it_fail "full/d holds $h bytes"
ok "setfattr root reserve 1" setfattr -n user.hshm.reserve -v 1 .
eq "$("$ITOOL" open full/e w,creat)" ENOSPC "root reserve 1 is inherited again"
ok "rm full/d" rm full/d

cd /
it_finish
