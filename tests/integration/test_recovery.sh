#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Regions survive umount/remount with the same shm_dir and prefix: path,
# bytes, size, id, owner, mode, times, owned come back; a damaged object
# stays at its path (its record is the object's attribute), a replaced one
# goes to lost+found, neither deleted; after SIGKILL of the daemon during writes
# through mmap and write(2), every acknowledged byte is there.
. "$(dirname "$0")/lib.sh"
it_init
[ "$(id -u)" = 0 ] || it_skip "chown to other users needs root"
it_allow '^hshmfs: recover: [^ ]+: damaged: no hshmfs record \(truncated or not ours\)$'
it_allow '^hshmfs: purged /[^ ]+ from lost\+found \(damaged: no hshmfs record \(truncated or not ours\)\)$'
it_allow '^hshmfs: recover: [^ ]+: damaged: object shorter than backend_size says \(truncated\)$'
it_allow '^hshmfs: purged /[^ ]+ \(damaged: object shorter than backend_size says \(truncated\)\)$'
it_allow '^hshmfs: posix_shm_mmap: /[^ ]+: object shorter than backend_size says \(truncated\) \(unknown layout\)$'
it_allow '^hshmfs: open of '"'[^']*'"' refused: damaged: .*$'
it_mount
cd "$MNT" || exit 1

# --- state before the umount
ok "mkdir -p a/b" mkdir -p a/b
ok "touch a/b/r1 top r2 gone" touch a/b/r1 top r2 gone
head -c 1500000 /dev/urandom >"$IT_TMP/rand"
ok "truncate -s 3M a/b/r1" truncate -s 3M a/b/r1
ok "fill a/b/r1" dd if="$IT_TMP/rand" of=a/b/r1 bs=64K seek=8192 oflag=seek_bytes conv=notrunc status=none
ok "chown 12345:23456 a/b/r1" chown 12345:23456 a/b/r1
ok "chmod 640 a/b/r1" chmod 640 a/b/r1
ok "setfattr id 42.7" setfattr -n user.hshm.id -v 42.7 a/b/r1
ok "touch -d a/b/r1" touch -d '2005-06-07 08:09:10 UTC' a/b/r1
ok "write top" "$ITOOL" pwrite top 8192 top-data
ok "mv top moved" mv top moved
ok "owned=0 on r2" setfattr -n user.hshm.owned -v 0 r2
ok "rm gone" rm gone
ok "mkdir x; touch x/in; mv x y" sh -c "mkdir -p x/z && touch x/z/in && $ITOOL pwrite x/z/in 8192 in-moved-dir >/dev/null && mv x y"
cp a/b/r1 "$IT_TMP/r1.img"
declare -A before
for f in a/b/r1 moved r2; do
	before[$f]="$(stat -c '%s %u:%g %a %Y' $f) $(xa $f id) $(xa $f url) $(xa $f owned) $(xa $f backend_size)"
done
nobj=$(ls "$SHM" | wc -l)
cd /
it_umount
eq "$(ls "$SHM" | wc -l)" "$nobj" "objects stay in shm_dir across umount"
ok "umount leaves r1's object with its header" test "$(hdr "$SHM/$(basename "$(echo ${before[a/b/r1]} | awk '{print $6}')")" id)" = 42.7

# --- remount: everything back
it_mount
cd "$MNT" || exit 1
match "$(cat "$IT_LOG")" "recovered $nobj object\\(s\\)" "daemon logs what it recovered"
for f in a/b/r1 moved r2; do
	eq "$(stat -c '%s %u:%g %a %Y' $f) $(xa $f id) $(xa $f url) $(xa $f owned) $(xa $f backend_size)" \
		"${before[$f]}" "$f: size owner mode mtime id url owned backend_size back"
done
ok "a/b/r1 bytes back (whole image)" cmp a/b/r1 "$IT_TMP/r1.img"
ok "a/b/r1 bytes = object (the whole image)" cmp a/b/r1 "$(obj a/b/r1)"
eq "$("$ITOOL" pread moved 8192 8)" top-data "renamed region back at its new path"
fails "old name of the renamed region not back" test -e top
fails "removed region not back" test -e gone
eq "$(stat -c %F a/b)" directory "directories come back"
eq "$("$ITOOL" pread y/z/in 8192 12)" in-moved-dir "region of a renamed directory back at its new path"
fails "old directory name not back" test -e x
eq "$(stat -c %u:%g "$(obj a/b/r1)")" 12345:23456 "object owner kept"
eq "$(stat -c %a "$(obj a/b/r1)")" 640 "object mode kept"
ok "touch new" touch new
for f in a/b/r1 moved r2; do
	ne "$(xa new url)" "$(xa $f url)" "new region does not reuse $f's url"
done
eq "$(xa new owned)" 1 "new region owned"

# --- damaged objects: at their path or in lost+found, EIO, never deleted
cd /
it_umount
o2=$SHM/$(echo "${before[r2]}" | awk '{print $6}' | sed 's|^/||')
ot=$SHM/$(echo "${before[moved]}" | awk '{print $6}' | sed 's|^/||')
truncate -s 20000 "$o2"
cp "$ot" "$ot.copy" && mv "$ot.copy" "$ot" # a copy: no record
it_mount
cd "$MNT" || exit 1
match "$(xa r2 state)" '^damaged: object shorter' "a truncated object: damaged at its path"
eq "$("$ITOOL" open r2 r)" EIO "opening a damaged region: EIO"
eq "$(stat -c %s "$o2")" 20000 "damaged object untouched by the mount"
lf="lost+found/$(basename "$ot")"
ok "a replaced object (no record) shows in lost+found" test -f "$lf"
match "$(xa "$lf" state)" '^damaged: no hshmfs record' "user.hshm.state says why"
fails "the replaced region not at its old path" test -e moved
ok "rm of the entry in lost+found" rm "$lf"
fails "rm in lost+found purges the object (it/purge.sh)" test -e "$ot"
ok "rm of the damaged region" rm r2
fails "root's rm of a damaged region purges it (it/purge.sh)" test -e "$o2"
cmp -s a/b/r1 "$IT_TMP/r1.img" && it_pass "good regions unaffected by a damaged one" ||
	it_fail "a/b/r1 changed after remount with a damaged object"

# --- crash: SIGKILL during writes through mmap and write(2)
ok "mkdir c; size 64M" sh -c "mkdir c && setfattr -n user.hshm.size -v 64M c && touch c/r"
"$ITOOL" crashw c/r "$IT_TMP/ack" >"$IT_TMP/crashw.out" 2>&1 &
wpid=$!
w=$("$ITOOL" ackwait "$IT_TMP/ack" 1000 30)
match "$w" '^ok' "writer acknowledged 1000 blocks before the kill ($w)"
it_kill9
for i in $(seq 300); do kill -0 $wpid 2>/dev/null || break; sleep 0.1; done
if kill -0 $wpid 2>/dev/null; then
	it_fail "writer hung after the daemon was killed"
	kill -9 $wpid
fi
wait $wpid
it_log "# writer: $(cat "$IT_TMP/crashw.out")"
cd /
it_mount
cd "$MNT" || exit 1
v=$("$ITOOL" crashv c/r "$IT_TMP/ack")
match "$v" '^ok writes=[0-9]+ stores=[0-9]+$' "every acknowledged write(2) and mmap store survived the crash ($v)"
ok "earlier regions survive the crash too" cmp a/b/r1 "$IT_TMP/r1.img"
eq "$(stat -c %u:%g a/b/r1)" 12345:23456 "owner survives the crash"

# --- a region that finds no place is only hidden, never destroyed: two
# objects claim the same path and a region named lost+found blocks the
# fallback directory
ok "touch twin" touch twin
ok "touch lost+found (a region)" touch lost+found
two=$(obj twin)
cd /
it_umount
ok "a second object with twin's record" cp "$two" "$SHM/$PREFIX.r99"
it_allow '^hshmfs: recover: '"$PREFIX"'\.r[0-9]+: no place for object '"$PREFIX"'\.r[0-9]+: left in shm_dir as it is$' \
	'^hshmfs: recover: no place for object '"$PREFIX"'\.r[0-9]+: left in shm_dir as it is$' \
	'^hshmfs: recover: '"$PREFIX"'\.r99: damaged: hshmfs record of another object \(serial\)$'
it_mount
ok "one of the twins is shown" test -f "$MNT/twin"
match "$(xa "$MNT/lost+found/$PREFIX.r99" state)" '^damaged' "the copy (its record names twin's serial) is damaged in lost+found"
ok "the one without a place is still in shm_dir" test -f "$SHM/$PREFIX.r99"
ok "and so is the other" test -f "$two"
it_umount
it_finish
