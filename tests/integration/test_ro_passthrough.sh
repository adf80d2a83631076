#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# With io=readthrough (the default), read-only opens get full kernel
# passthrough: their
# reads go straight to the object.  They must see every
# write at once (through the mount and on the object), keep the open's
# permission checks, never write, leave the daemon's checks on writable
# opens of the same region in place, and read the object as it is now.
. "$(dirname "$0")/lib.sh"
it_init
it_user hsalice >/dev/null
R="/$PREFIX\\.r[0-9]+"
it_allow \
	"hshmfs: write at 0 to region $R refused: the header pages end at [0-9]+" \
	"hshmfs: region $R changed behind hshmfs and no longer validates: .*" \
	"hshmfs: region $R validates again" \
	"hshmfs: posix_shm_mmap: $R: .* \(unknown layout\)" \
	"hshmfs: open of 'r' refused: damaged: object changed behind hshmfs \(.*\)"
it_mount
cd "$MNT" || exit 1

ok "touch r" touch r
o=$(obj r)
if [ "$(xa r mmap)" = cached ]; then
	it_log "# $(grep 'mmap mode' "$IT_LOG")"
	it_log "# kernel FUSE passthrough unavailable here: nothing to test"
	cd /
	it_umount
	exit 77
fi
doff=$(xa r data_offset)
cap=$(xa r data_capacity)
# the whole image: hshmfs' record is the object's attribute, no byte of it
n=$(stat -c %s r)

# --- every read path sees the object's bytes
head -c "$cap" /dev/urandom >"$IT_TMP/rand"
ok "dd random data into the data area" dd if="$IT_TMP/rand" of=r bs=64K \
	seek="$doff" oflag=seek_bytes conv=notrunc status=none
ok "cmp (read-only open) = object, the whole image" cmp -n "$n" r "$o"
ok "cat out of the mount" sh -c "cat r >'$IT_TMP/cat' && cmp -n $n '$IT_TMP/cat' '$o'"
ok "cp out of the mount" sh -c "cp r '$IT_TMP/cp' && cmp -n $n '$IT_TMP/cp' '$o'"
for bs in 4K 128K 512K 1M; do # a writable open: the daemon's replies
	ok "read(2) bs=$bs through an O_RDWR open = object" \
		sh -c "dd bs=$bs status=none 3<>r <&3 | cmp -n $n - '$o'"
done
eq "$(wc -c <r)" "$(stat -c %s r)" "reading to EOF gives st_size bytes"
eq "$("$ITOOL" pread r "$(stat -c %s r)" 10 | wc -c)" 0 "read at EOF returns 0 bytes"

# --- coherence, and the write checks beside a read-only open
eq "$("$ITOOL" rocoherent r "$o" "$doff" 500)" "ok 500 rounds" \
	"read-only open sees writes through the mount and on the object at once"
eq "$("$ITOOL" pwrite r 0 X)" EPERM "header write still refused after"
match "$("$ITOOL" pwrite r $((doff + cap)) X)" '^(ENOSPC|EFBIG)$' "record page write still refused"
eq "$("$ITOOL" open r r)" ok "read-only open"

# --- the open's permission checks still decide who reads
ok "chmod 600 r" chmod 600 r
fails "hsalice cannot read a 0600 region of root's" as hsalice cat r
ok "chmod 644 r" chmod 644 r
ok "hsalice reads a 0644 region" sh -c "setpriv --reuid=hsalice --regid=hsalice --init-groups -- cat '$MNT/r' | cmp -n $n - '$o'"
eq "$(as hsalice "$ITOOL" pwrite r "$doff" X)" EACCES "hsalice cannot open it for writing"

# --- a damaged region: no read-only open; an earlier one reads the object
cp "$o" "$IT_TMP/save"
truncate -s 0 "$o"
fails "read-only open of a damaged region refused" cat r
match "$(xa r state)" '^damaged' "region shows damaged"
cat "$IT_TMP/save" >"$o"
stat r >/dev/null
eq "$(xa r state)" ok "valid again once the object is put right"
eq "$("$ITOOL" robehind r "$o" "$doff")" "ok 0" \
	"read-only fd opened before a truncate behind hshmfs: reads the object as it is (EOF)"
cat "$IT_TMP/save" >"$o"
stat r >/dev/null
eq "$(xa r state)" ok "region valid after the object is put back"
ok "data intact" cmp -n "$n" r "$IT_TMP/save"

cd /
it_finish
