#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# read/write on the live region: data area writable, header pages refused
# (EPERM), end of data EFBIG (short write when straddling), O_TRUNC EPERM;
# every byte is the backing object's byte, both ways, at once.
. "$(dirname "$0")/lib.sh"
it_init
it_allow "^hshmfs: write at [0-9]+ to region [^ ]+ refused: the header pages end at [0-9]+$"
it_allow "^hshmfs: open of '[^']*' with O_TRUNC refused: a region cannot be shorter than its headers \\(a directory with user.hshm.view=data takes plain files\\)$"
it_mount
cd "$MNT" || exit 1

ok "touch r" touch r
o=$(obj r)
bsz=$(xa r backend_size)
doff=$(xa r data_offset)
cap=$(xa r data_capacity)
cp "$o" "$IT_TMP/before"

# --- header pages refused
for off in 0 16 4095 4096 $((doff - 1)); do
	eq "$("$ITOOL" pwrite r $off X)" EPERM "write(2) at $off (header) refused with EPERM"
done
eq "$("$ITOOL" pwrite r $((doff - 2)) XXXX)" EPERM "write straddling into the data area from the header: EPERM"
ok "header bytes unchanged after refusals" cmp -n "$doff" "$IT_TMP/before" "$o"
fails "dd over the header fails" dd if=/dev/zero of=r bs=512 count=1 conv=notrunc status=none
ok "header still unchanged after dd" cmp -n "$doff" "$IT_TMP/before" "$o"

# --- data area: written through hshmfs, seen in the object at once
eq "$("$ITOOL" pwrite r $doff hello)" "ok 5" "write(2) at data_offset"
eq "$(dd if="$o" bs=1 skip=$doff count=5 status=none)" hello "object holds the bytes written through hshmfs"
eq "$(od -An -c -j $doff -N5 r | tr -d ' ')" hello "read(2) returns them"
printf 'native' | dd of="$o" bs=1 seek=$((doff + 100)) conv=notrunc status=none
eq "$("$ITOOL" pread r $((doff + 100)) 6)" native "a write to the object is seen through hshmfs at once"

# --- 1 MiB-ish block of random data with dd
head -c $((cap < 1048576 ? cap : 1048576)) /dev/urandom >"$IT_TMP/rand"
n=$(stat -c %s "$IT_TMP/rand")
ok "dd random data into the data area" dd if="$IT_TMP/rand" of=r bs=64K seek=$doff oflag=seek_bytes conv=notrunc status=none
ok "object bytes = data written" cmp -n $n -i 0:$doff "$IT_TMP/rand" "$o"
ok "file bytes = object bytes (1 MiB reads, the whole image)" cmp r "$o"
eq "$(tail -c 4096 r | tr -d '\0' | wc -c)" 0 \
	"the spare page reads as zeros through the file (the record is not there)"
eq "$(dd if=r bs=1M status=none | wc -c)" "$(stat -c %s r)" "reading to EOF gives st_size bytes"
eq "$("$ITOOL" pread r $(stat -c %s r) 10 | wc -c)" 0 "read at EOF returns 0 bytes"

# --- big requests (4 MiB writes, 1 MiB+ reads) on an 8 MiB region
ok "mkdir big; size 8M" sh -c "mkdir big && setfattr -n user.hshm.size -v 8M big && touch big/r"
head -c $((4 * 1048576)) /dev/urandom >"$IT_TMP/rand4"
ok "dd bs=4M into the data area" dd if="$IT_TMP/rand4" of=big/r bs=4M seek=8192 oflag=seek_bytes conv=notrunc status=none
ok "object has all 4 MiB" cmp -n $((4 * 1048576)) -i 0:8192 "$IT_TMP/rand4" "$(obj big/r)"
ok "dd bs=4M read back" sh -c "dd if=big/r bs=4M skip=8192 iflag=skip_bytes,fullblock count=1 status=none | cmp - '$IT_TMP/rand4'"

# --- end of the data area
end=$((doff + cap))
eq "$("$ITOOL" pwrite r $end X)" EFBIG "write at the end of data: EFBIG (the region's size is its file-size limit)"
eq "$("$ITOOL" pwrite r $((end + 100)) X)" EFBIG "write into hshmfs' record page: EFBIG"
eq "$("$ITOOL" pwrite r $((end - 3)) ABCDEF)" "ok 3" "write straddling the end is short"
eq "$(dd if="$o" bs=1 skip=$((end - 4)) count=4 status=none | od -An -tx1 | tr -d ' ')" \
	"$(od -An -tx1 -j $((end - doff - 4)) -N1 "$IT_TMP/rand" | tr -d ' ')414243" \
	"short write stored exactly the bytes that fit"
eq "$(spare_bytes "$o")" 0 "the spare page untouched by the writes"
eq "$(rec "$o")" HSHMFSM1 "hshmfs' record intact"
fails "append (>> lands past the data) fails" sh -c "printf x >> r"

# --- O_TRUNC refused, region intact
eq "$("$ITOOL" open r w,trunc)" EPERM "open with O_TRUNC: EPERM"
fails "shell > redirection (O_TRUNC) fails" sh -c "echo hi > r"
fails "cp onto a region (O_TRUNC) fails" cp "$IT_TMP/rand" r
eq "$(stat -c %s r)" $((bsz + 4096)) "size unchanged after refused O_TRUNC"
ok "data unchanged after refused O_TRUNC" cmp -n $((n - 3)) -i 0:$doff "$IT_TMP/rand" r

# --- malloc region: data at 12288
ok "mkdir m" mkdir m
ok "setfattr backend malloc" setfattr -n user.hshm.backend -v malloc m
ok "touch m/r" touch m/r
mo=$(xa m/r data_offset)
eq "$mo" 12288 "malloc data_offset"
eq "$("$ITOOL" pwrite m/r $((mo - 1)) X)" EPERM "malloc: write into headers refused"
eq "$("$ITOOL" pwrite m/r $mo malloc-data)" "ok 11" "malloc: write at data_offset"
eq "$("$ITOOL" pread m/r $mo 11)" malloc-data "malloc: read back"
mend=$((mo + $(xa m/r data_capacity)))
eq "$("$ITOOL" pwrite m/r $mend X)" EFBIG "malloc: write at end of data: EFBIG"

cd /
it_finish
