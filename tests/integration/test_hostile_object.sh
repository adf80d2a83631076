#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# test_hostile_object.sh: a region's owner changes its object behind hshmfs
# (truncates it, grows it, scribbles on its header) and then drives the
# mount; the root daemon must stay up, answer with success or EIO, show the
# region damaged, leave other regions alone, and take the region back once
# its object is put right.  Run as the unprivileged user hsalice against the
# root mount the harness makes.
. "$(dirname "$0")/lib.sh"
it_init
it_user hsalice >/dev/null
R="/$PREFIX\\.r[0-9]+"
it_allow \
	"hshmfs: region $R changed behind hshmfs and no longer validates: .*" \
	"hshmfs: region $R validates again" \
	"hshmfs: region $R: object changed behind hshmfs; refusing I/O until it validates again" \
	"hshmfs: posix_shm_mmap: $R: .* \(v1 layout\)" \
	"hshmfs: posix_shm_mmap: $R: .* \(unknown layout\)" \
	"hshmfs: posix_shm_mmap: fstat of $R: .*" \
	"hshmfs: open of '[a-z_]+' refused: damaged: object changed behind hshmfs \(.*\)" \
	"fuse: writing device: Bad address"
it_mount

A() { as hsalice "$@"; }

# alive: the daemon and the mount are still there, and the control region
# still reads back what was written into it.
alive() {
	if kill -0 "$IT_PID" 2>/dev/null && mountpoint -q "$MNT"; then
		it_pass "$1: daemon still up"
	else # report, and carry on with a new daemon for the next case
		it_fail "$1: the daemon died"
		wait "$IT_PID" 2>/dev/null
		IT_PID=
		fusermount3 -u -z "$MNT" 2>/dev/null
		it_mount
		return 1
	fi
	eq "$(dd if="$MNT/control" bs=1 skip=8192 count=7 status=none)" \
		control "$1: other regions untouched"
}

# region NAME: alice makes the region NAME with a recognisable data byte run
# and a copy of its object is kept (as root) in $IT_TMP/NAME.save.
region() {
	A touch "$MNT/$1" || it_fail "alice creates $1"
	printf 'data-%s' "$1" | A dd of="$MNT/$1" bs=1 seek=8192 conv=notrunc \
		status=none || it_fail "alice writes $1"
	cp "$(obj "$MNT/$1")" "$IT_TMP/$1.save"
}

# shrink NAME: alice truncates the object of NAME to 0 behind hshmfs.
shrink() { A truncate -s 0 "$(obj "$MNT/$1")"; }

# restore NAME [PATH]: put the object right again (same inode) and check
# that the region at PATH (default NAME) validates and holds its data.
restore() {
	local f=$MNT/${2:-$1}
	cat "$IT_TMP/$1.save" >"$(obj "$f")"
	stat "$f" >/dev/null
	eq "$(xa "$f" state)" ok "$1: valid again once the object is put right"
	eq "$(dd if="$f" bs=1 skip=8192 count=$((5 + ${#1})) status=none)" \
		"data-$1" "$1: data intact"
}

damaged() { match "$(xa "$MNT/$1" state)" '^damaged' "$2: region shows damaged"; }

A touch "$MNT/control"
printf control | A dd of="$MNT/control" bs=1 seek=8192 conv=notrunc status=none

# --- the operations that died of SIGBUS before ----------------------------
# on an fd opened before the truncate: no lookup warns the daemon first
for op in write:8192 utime truncate:4194304 fallocate:4194304; do
	name=fd_${op%%:*}
	region "$name"
	out=$(A "$ITOOL" behind "$MNT/$name" "$(obj "$MNT/$name")" ${op/:/ })
	match "$out" '^(ok|EIO)$' "$name: success or EIO ($out)"
	alive "$name" || continue
	damaged "$name" "$name"
	restore "$name"
done

# the same write once the daemon's write window has a whole chunk of the
# region populated (a full 1 MiB written first): the write after the
# truncate faults inside the library's guarded copy, which must be EIO
region hot
A truncate -s 4M "$MNT/hot"
A dd if=/dev/urandom of="$MNT/hot" bs=1M seek=1 count=1 conv=notrunc \
	status=none || it_fail "alice fills the second MiB of hot"
cp "$(obj "$MNT/hot")" "$IT_TMP/hot.save"
out=$(A "$ITOOL" behind "$MNT/hot" "$(obj "$MNT/hot")" write $((1 << 20)))
eq "$out" EIO "hot: a write into a populated window after the truncate: EIO"
if alive hot; then
	damaged hot hot
	restore hot
fi
# and a read from it (the window serves reads of a reserved region)
out=$(A "$ITOOL" behind "$MNT/hot" "$(obj "$MNT/hot")" read $((1 << 20)))
match "$out" '^(EIO|ok)$' "hot: a read from a populated window after the truncate: EIO or a short read ($out)"
if alive hotread; then
	damaged hot hotread
	restore hot
fi

for op in chmod chown chgrp utime truncate fallocate setid setowned; do
	region "$op"
	shrink "$op"
	f=$MNT/$op
	case $op in
	chmod) out=$(A chmod 600 "$f" 2>&1) ;;
	chown) out=$(A chown hsalice "$f" 2>&1) ;;
	chgrp) out=$(A chgrp hsalice "$f" 2>&1) ;;
	utime) out=$(A touch -m -d @1000000000 "$f" 2>&1) ;;
	truncate) out=$(A truncate -s 4M "$f" 2>&1) ;;
	fallocate) out=$(A fallocate -l 4M "$f" 2>&1) ;;
	setid) out=$(A setfattr -n user.hshm.id -v 7.7 "$f" 2>&1) ;;
	setowned) out=$(A setfattr -n user.hshm.owned -v 0 "$f" 2>&1) ;;
	esac
	match "$out" '^$|Input/output error' "$op: success or EIO ($out)"
	alive "$op" || continue
	damaged "$op" "$op"
	restore "$op"
done

region mv
shrink mv
out=$(A mv "$MNT/mv" "$MNT/mv2" 2>&1)
match "$out" '^$|Input/output error' "rename: success or EIO ($out)"
if alive rename && [ -e "$MNT/mv2" ]; then
	damaged mv2 rename
	restore mv mv2
fi

# unlink of a region hshmfs does not own: detached, object left to alice
region rm
ok "alice gives up hshmfs' ownership of rm" A setfattr -n user.hshm.owned -v 0 "$MNT/rm"
o=$(obj "$MNT/rm")
shrink rm
ok "rm of a region hshmfs does not own" A rm "$MNT/rm"
alive unlink
ok "its object is left to its owner" test -e "$o"
rm -f "$o"

# --- a region grown by another process, then each record writer ----------
# The owner resizes her object as HSHM does (object and header), fills the
# data, and then the mount writes the record: it must land at the new end,
# not in the data, and the region must come back at its path after remount.
grown() {
	local f=$MNT/$1 o
	region "$1"
	o=$(obj "$f")
	eq "$(A "$ITOOL" grow "$o" $((4 << 20)))" ok "$1: alice grows the object"
	A dd if=/dev/urandom of="$o" bs=4096 seek=2 count=$(((4 << 20) / 4096 - 3)) \
		conv=notrunc status=none
	dd if="$o" bs=4096 skip=2 count=$(((4 << 20) / 4096 - 3)) status=none |
		sha256sum >"$IT_TMP/$1.sum"
}
data_sum() {
	dd if="$1" bs=4096 skip=2 count=$(((4 << 20) / 4096 - 3)) status=none | sha256sum
}
grown g_chmod; grown g_mv; grown g_owned; grown g_umount
# no stat in between: the first request after the growth is the writer
A chmod 640 "$MNT/g_chmod"
A mv "$MNT/g_mv" "$MNT/g_mv2"
A setfattr -n user.hshm.owned -v 1 "$MNT/g_owned"
it_umount
for g in g_chmod g_mv2 g_owned g_umount; do
	o=$(find "$SHM" -name "$PREFIX.r*" -size $((4 << 20))c | while read -r x; do
		[ "$(data_sum "$x")" = "$(cat "$IT_TMP/${g%2}.sum")" ] && echo "$x"; done)
	ne "$o" "" "$g: data of the grown region unchanged by the record write"
done
it_mount
for g in g_chmod g_mv2 g_owned g_umount; do
	ok "$g: back at its path after the remount" test -f "$MNT/$g"
	eq "$(stat -c %s "$MNT/$g" 2>&1)" $((4 << 20)) "$g: at its grown size"
	[ -f "$MNT/$g" ] && eq "$(data_sum "$MNT/$g")" "$(cat "$IT_TMP/${g%2}.sum")" \
		"$g: data intact through the mount"
done
eq "$(stat -c %a "$MNT/g_chmod")" 640 "g_chmod: the chmod was recorded"
fails "nothing went to lost+found" test -e "$MNT/lost+found"

# --- a scribbled capacity does not open hshmfs' record page ---------------
region cap
o=$(obj "$MNT/cap")
size=$(stat -c %s "$MNT/cap")
eq "$(A "$ITOOL" poke "$o" 24 $((1 << 40)))" ok "alice scribbles data_capacity"
eq "$(A "$ITOOL" pwrite "$MNT/cap" $((size - 4096)) XXXXXXXX)" EFBIG \
	"a write at the record page is refused"
eq "$(spare_bytes "$o")" 0 "the spare page is untouched"
eq "$(rec "$o")" HSHMFSM1 "the record is intact"
eq "$(A "$ITOOL" pwrite "$MNT/cap" $((size - 4096 - 2)) abcd)" "ok 2" \
	"a write crossing the data's end is cut short there"

# --- timestamps as on tmpfs -------------------------------------------------
# mtime_changes FILE CMD...: "yes" if CMD changed FILE's mtime.
mtime_changes() {
	local f=$1 before
	shift
	before=$(stat -c %Y.%y "$f")
	sleep 0.02
	"$@" >/dev/null
	[ "$(stat -c %Y.%y "$f")" != "$before" ] && echo yes || echo no
}
region t
cp "$IT_TMP/t.save" "$SHM/tmpfs-t"
for pair in "fallocate -l 8M" "fallocate -l 8K" "fallocate -n -o 16M -l 8K"; do
	eq "$(mtime_changes "$MNT/t" $pair "$MNT/t")" \
		"$(mtime_changes "$SHM/tmpfs-t" $pair "$SHM/tmpfs-t")" \
		"$pair: mtime changes as on tmpfs"
done
# truncate(2): POSIX marks the times only when the size changes (so do
# ext4 and a sparse tmpfs file; a tmpfs file with pages also changes them
# on a truncate to its own size, which hshmfs does not follow)
s=$(stat -c %s "$MNT/t")
eq "$(mtime_changes "$MNT/t" "$ITOOL" truncate "$MNT/t" "$s")" no \
	"truncate(2) to the same size leaves mtime"
eq "$(mtime_changes "$MNT/t" "$ITOOL" truncate "$MNT/t" $((s + 4096)))" yes \
	"truncate(2) to a new size changes mtime"
rm -f "$SHM/tmpfs-t"

# --- unmount with a truncated object ---------------------------------------
region u
shrink u
it_umount
eq "$(stat -c %s "$(find "$SHM" -name "$PREFIX.r*" -size 0 | head -1)")" 0 \
	"the truncated object is left as its owner made it"
it_finish
