#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# truncate/ftruncate/fallocate resize a region: grow and shrink keep the data
# and update the header; below the headers EINVAL, too large EFBIG/ENOSPC,
# nothing lost on failure; size changes by another process reach stat and
# mappings.
. "$(dirname "$0")/lib.sh"
it_init
it_allow "^hshmfs: resize (/$PREFIX\.r[0-9]+)? to [0-9]+: below the [0-9]+ bytes of the header pages$"
it_allow "^hshmfs: resize (/$PREFIX\.r[0-9]+)? to [0-9]+: too large$"
it_allow '^hshmfs: posix_shm_mmap: reserving the pages of /[^ ]+: No space left on device$'
it_allow "^hshmfs: setxattr user.hshm.size='[0-9]+M' on '/huge' refused: larger than the whole file system holding shm_dir$"
it_allow '^hshmfs: posix_shm_mmap: reserving space to grow /[^ ]+: No space left on device$'
it_allow '^hshmfs: create: posix_shm_mmap region of [0-9]+ bytes: No space left on device$'
it_mount
cd "$MNT" || exit 1

ok "touch r" touch r
o=$(obj r)
doff=$(xa r data_offset)
head -c 500000 /dev/urandom >"$IT_TMP/rand"
ok "fill data" dd if="$IT_TMP/rand" of=r bs=64K seek=$doff oflag=seek_bytes conv=notrunc status=none

check_size() { # IMAGE_SIZE DESC
	local b=$(($1 - 4096))
	eq "$(stat -c %s r)" "$1" "$2: st_size"
	eq "$(xa r backend_size)" "$b" "$2: user.hshm.backend_size"
	eq "$(xa r data_capacity)" $((b - 8192)) "$2: user.hshm.data_capacity"
	eq "$(stat -c %s "$o")" "$1" "$2: object size"
	eq "$(hdr "$o" backend_size)" "$b" "$2: object header backend_size"
	eq "$(hdr "$o" data_capacity)" $((b - 8192)) "$2: object header data_capacity"
	eq "$(rec "$o")" HSHMFSM1 "$2: hshmfs record kept"
	eq "$(spare_bytes "$o")" 0 "$2: the new spare page is zeros"
	ok "$2: data kept" cmp -n 500000 -i 0:$doff "$IT_TMP/rand" r
	ok "$2: object data kept" cmp -n 500000 -i 0:$doff "$IT_TMP/rand" "$o"
}

# --- grow (truncate(1) = open + ftruncate), shrink, truncate(2)
ok "truncate -s 4M (grow)" truncate -s 4M r
check_size 4194304 "grow to 4M"
eq "$("$ITOOL" pwrite r $((4194304 - 4096 - 5)) tail5)" "ok 5" "write near the new end of data"
eq "$(dd if="$o" bs=1 skip=$((4194304 - 4096 - 5)) count=5 status=none)" tail5 "object has it"
ok "truncate -s 2M (shrink)" truncate -s 2M r
check_size 2097152 "shrink to 2M"
eq "$("$ITOOL" truncate r 3145728)" ok "truncate(2) to 3M"
check_size 3145728 "truncate(2) to 3M"
ok "fallocate -l 5M grows" fallocate -l 5M r
check_size 5242880 "fallocate to 5M"
eq "$("$ITOOL" truncate r 12288)" ok "smallest image (headers only) accepted"
eq "$(xa r data_capacity)" 0 "headers-only region has no data"
eq "$("$ITOOL" pwrite r $doff X)" EFBIG "no room to write in an empty data area: EFBIG"
ok "truncate -s 2M again" truncate -s 2M r
eq "$(xa r data_capacity)" $((2097152 - 4096 - 8192)) "grown back"

# --- refusals: nothing changes
ok "refill" dd if="$IT_TMP/rand" of=r bs=64K seek=$doff oflag=seek_bytes conv=notrunc status=none
for s in 0 4096 8192 12287; do
	eq "$("$ITOOL" truncate r $s)" EINVAL "truncate to $s (below the headers): EINVAL"
done
fails "truncate -s 0 fails" truncate -s 0 r
r=$("$ITOOL" truncate r $((1 << 50)))
match "$r" '^(EFBIG|ENOSPC)$' "truncate to 1 PiB: EFBIG or ENOSPC"
check_size 2097152 "after refused resizes"

# --- mapping sees growth: map past the old end after truncate
ok "truncate -s 8M" truncate -s 8M r
eq "$("$ITOOL" mmap r $((8388608 - 4096 - 4096 - 10)) grown-map)" ok "mmap store past the old end"
eq "$(dd if="$o" bs=1 skip=$((8388608 - 8192 - 10)) count=9 status=none)" grown-map "store landed in the object"

# --- another process grows the object (header first, then the object)
python3 - "$o" <<'PY' || it_fail "native grow failed"
import os, struct, sys
fd = os.open(sys.argv[1], os.O_RDWR)
bsz = struct.unpack_from('<Q', os.pread(fd, 48, 0), 16)[0]
nb = bsz + 4 * 1048576
os.pwrite(fd, struct.pack('<QQ', nb, nb - 8192), 16)
os.ftruncate(fd, nb + 4096)
PY
want=$((8388608 + 4 * 1048576))
got=
for i in $(seq 30); do
	got=$(stat -c %s r)
	[ "$got" = "$want" ] && break
	sleep 0.1
done
eq "$got" "$want" "stat shows growth by another process (within the attr timeout)"
eq "$(xa r backend_size)" $((want - 4096)) "xattr shows growth by another process"
eq "$(xa r state)" ok "region still ok after a consistent native grow"
eq "$("$ITOOL" mmap r $((want - 8192 - 16)) native-grown)" ok "mmap store in the natively grown part"
eq "$(dd if="$o" bs=1 skip=$((want - 8192 - 16)) count=12 status=none)" native-grown "object has it"

# --- more than shm_dir can ever hold: refused as a default (EFBIG, at
# setxattr, not at every create); growing beyond it: ENOSPC, nothing lost
cap_k=$(df -P -k "$SHM" | awk 'NR==2 {print $2}')
huge=$((cap_k * 2 / 1024))M
ok "mkdir huge" mkdir huge
eq "$("$ITOOL" setxattr huge user.hshm.size "$huge")" EFBIG "default size $huge (twice shm_dir) refused at setxattr: EFBIG"
eq "$(xa huge size)" "$(xa . size)" "the default is unchanged"
ok "a create there still works" touch huge/r
before=$(stat -c %s r)
eq "$("$ITOOL" truncate r $((cap_k * 2048)))" ENOSPC "growing beyond shm_dir: ENOSPC"
eq "$(stat -c %s r)" "$before" "size unchanged after ENOSPC"
eq "$(stat -c %s "$o")" "$before" "object size unchanged after ENOSPC"
eq "$(hdr "$o" backend_size)" $((before - 4096)) "header unchanged after ENOSPC"
eq "$(rec "$o")" HSHMFSM1 "record intact after ENOSPC"
eq "$(dd if="$o" bs=1 skip=$((want - 8192 - 16)) count=12 status=none)" native-grown "data intact after ENOSPC"

# --- malloc region resizes too
ok "mkdir m" mkdir m
ok "setfattr backend malloc" setfattr -n user.hshm.backend -v malloc m
ok "touch m/r" touch m/r
ok "write malloc data" "$ITOOL" pwrite m/r 12288 keepme
ok "truncate malloc to 3M" truncate -s 3M m/r
eq "$(stat -c %s m/r)" 3145728 "malloc st_size after grow"
eq "$(xa m/r backend_size)" 3145728 "malloc backend_size after grow"
eq "$(xa m/r data_capacity)" $((3145728 - 12288)) "malloc data_capacity after grow"
eq "$("$ITOOL" pread m/r 12288 6)" keepme "malloc data kept"
eq "$("$ITOOL" truncate m/r 4096)" EINVAL "malloc below headers: EINVAL"

cd /
it_finish
