#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# test_faults.sh: full shm_dir, objects changed behind hshmfs' back, SIGTERM
# with open mappings, damaged objects at mount.
set -u
HSHMFS=$1 HOLD=$2
[ -c /dev/fuse ] && [ -w /dev/fuse ] || { echo "SKIP: /dev/fuse unusable"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to mount a small tmpfs"; exit 77; }

MNT=$(mktemp -d /tmp/hshmfs-ft.XXXXXX)
SD=$(mktemp -d /tmp/hshmfs-ftsd.XXXXXX)
LOG=$MNT.log
PID= fails=0
cleanup() {
	[ -n "${HM_PID:-}" ] && kill "$HM_PID" 2>/dev/null
	fusermount3 -u -z "$MNT" 2>/dev/null
	[ -n "$PID" ] && wait "$PID" 2>/dev/null
	umount "$SD" 2>/dev/null
	rm -rf "$MNT" "$SD" "$LOG"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { if [ "$2" = "$3" ]; then echo "ok: $1"; else fail "$1: want '$2', got '$3'"; fi; }
xa() { getfattr --only-values -n "user.hshm.$1" "$2" 2>/dev/null; }
mount_fs() {
	"$HSHMFS" -f hshm "$MNT" -o "shm_dir=$SD,prefix=ft${1:+,$1}" 2>>"$LOG" &
	PID=$!
	for _ in $(seq 100); do mountpoint -q "$MNT" && return 0; sleep 0.1; done
	echo "FAIL: mount did not come up"; cat "$LOG"; exit 1
}
umount_fs() { fusermount3 -u "$MNT"; wait "$PID"; PID=; }
objects() { find "$SD" -maxdepth 1 -type f -name 'ft.r*' | wc -l; }

# --- a full shm_dir: ENOSPC, nothing half-made, nothing lost ---------------
mount -t tmpfs -o size=8m,mode=700 hshmfs-test "$SD" || { echo "SKIP: cannot mount tmpfs"; exit 77; }
mount_fs
mkdir "$MNT/d"
setfattr -n user.hshm.size -v 16M "$MNT/d"
err=$(touch "$MNT/d/big" 2>&1)
case $err in *"No space left"*) echo "ok: create beyond the tmpfs gets ENOSPC";; *) fail "create beyond tmpfs: '$err'";; esac
check "no half-made object" 0 "$(objects)"
[ -e "$MNT/d/big" ] && fail "failed create left a file"
setfattr -n user.hshm.size -v 4M "$MNT/d"
touch "$MNT/d/r" || fail "create within the tmpfs"
printf 'keepme' | dd of="$MNT/d/r" bs=1 seek=8192 conv=notrunc status=none
size=$(stat -c %s "$MNT/d/r")
err=$(truncate -s 16M "$MNT/d/r" 2>&1)
case $err in *"No space left"*) echo "ok: grow beyond the tmpfs gets ENOSPC";; *) fail "grow beyond tmpfs: '$err'";; esac
check "size unchanged after failed grow" "$size" "$(stat -c %s "$MNT/d/r")"
check "header unchanged after failed grow" "$((size - 4096))" "$(xa backend_size "$MNT/d/r")"
check "data intact after failed grow" keepme "$(dd if="$MNT/d/r" bs=1 skip=8192 count=6 status=none)"
rm "$MNT/d/r"
check "rm leaves no object" 0 "$(objects)"
umount_fs
umount "$SD"

# --- objects changed behind hshmfs' back ----------------------------------
mount_fs
touch "$MNT/gone" "$MNT/short"
printf 'still-here' | dd of="$MNT/gone" bs=1 seek=8192 conv=notrunc status=none
rm "$SD/ft.r1"
check "object removed behind our back: region still readable" still-here \
	"$(dd if="$MNT/gone" bs=1 skip=8192 count=10 status=none)"
rm "$MNT/gone" || fail "rm of a region whose object is already gone"
truncate -s 5000 "$SD/ft.r2"
if cat "$MNT/short" >/dev/null 2>&1; then fail "read of a truncated object succeeded"; else echo "ok: truncated object refuses I/O"; fi
case $(xa state "$MNT/short") in damaged:*) echo "ok: state says damaged";; *) fail "state of truncated object: $(xa state "$MNT/short")";; esac
rm "$MNT/short"
check "damaged object is never deleted" 1 "$(objects)"
rm "$SD/ft.r2"

# --- SIGTERM with open mappings: clean unmount, mappings keep working -----
touch "$MNT/held"
coproc HM { "$HOLD" "$MNT/held"; }
HM_PID=$HM_PID
read -r -u "${HM[0]}" line
check "mapping made" mapped "$line"
kill -TERM "$PID"; wait "$PID"; PID=
mountpoint -q "$MNT" && fail "SIGTERM did not unmount"
echo "store after-sigterm" >&"${HM[1]}"; read -r -u "${HM[0]}" line
check "mapping works after the daemon is gone" ok "$line"
check "object holds the store" after-sigterm "$(dd if="$SD/ft.r3" bs=1 skip=8192 count=13 status=none)"
exec {HM[1]}>&-; wait "$HM_PID"; HM_PID=

# --- damaged objects at mount: shown, marked, never deleted ---------------
printf 'garbage' >"$SD/ft.r99"
dd if=/dev/zero of="$SD/ft.r3" bs=1 seek=16 count=8 conv=notrunc status=none # backend_size = 0
mount_fs
check "recovered region is back" 1 "$(ls "$MNT" | grep -c '^held$')"
ls "$MNT/lost+found" >/dev/null 2>&1 || fail "no lost+found"
case $(xa state "$MNT/lost+found/ft.r99") in damaged:*) echo "ok: garbage object marked";; *) fail "garbage object state";; esac
cat "$MNT/lost+found/ft.r99" >/dev/null 2>&1 && fail "garbage object opened"
umount_fs
[ -e "$SD/ft.r99" ] || fail "garbage object deleted"

if grep -E "Sanitizer|runtime error|Segmentation|double free" "$LOG"; then
	fail "daemon log shows a crash or sanitizer report"
fi
[ "$fails" -eq 0 ]
