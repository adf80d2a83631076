#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# test_upstream.sh: hshm_links publishing and the /.hshm view, against a
# program that plays an upstream HSHM process.
set -u
HSHMFS=$1 FAKE=$2
[ -c /dev/fuse ] && [ -w /dev/fuse ] || { echo "SKIP: /dev/fuse unusable"; exit 77; }
command -v getfattr >/dev/null || { echo "SKIP: getfattr missing"; exit 77; }

MNT=$(mktemp -d /tmp/hshmfs-up.XXXXXX)
SD=$(mktemp -d /dev/shm/hshmfs-up.XXXXXX)
LR=$(mktemp -d /tmp/hshmfs-lr.XXXXXX)
LOG=$MNT.log
PID=
fails=0
cleanup() {
	[ -n "${FU_PID:-}" ] && kill "$FU_PID" 2>/dev/null
	fusermount3 -u -z "$MNT" 2>/dev/null
	[ -n "$PID" ] && wait "$PID" 2>/dev/null
	rm -rf "$MNT" "$SD" "$LR" "$LOG"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { # check DESCRIPTION WANT GOT
	if [ "$2" = "$3" ]; then echo "ok: $1"; else fail "$1: want '$2', got '$3'"; fi
}
xa() { getfattr --only-values -n "user.hshm.$1" "$2" 2>/dev/null; }

mount_fs() {
	"$HSHMFS" -f hshm "$MNT" -o "shm_dir=$SD,prefix=up,links_root=$LR,$1" 2>>"$LOG" &
	PID=$!
	for _ in $(seq 100); do mountpoint -q "$MNT" && return 0; sleep 0.1; done
	echo "FAIL: mount did not come up"; cat "$LOG"; exit 1
}
umount_fs() { fusermount3 -u "$MNT"; wait "$PID"; PID=; }

mkdir -m 700 "$LR/chimaera_root"

# --- hshm_links: an upstream process attaches to a region hshmfs made ------
mount_fs hshm_links
touch "$MNT/r"
cap=$(xa data_capacity "$MNT/r")
head -c "$cap" /dev/zero | tr '\0' 'Z' |
	dd of="$MNT/r" bs=1M seek=8192 oflag=seek_bytes conv=notrunc status=none
check "link published for the owner" "$SD/up.r1" "$(readlink "$LR/chimaera_root/up.r1")"
"$FAKE" attach "$LR/chimaera_root/up.r1" Z >/dev/null || fail "upstream attach through the link"
chown nobody "$MNT/r"
check "link follows chown" "$SD/up.r1" "$(readlink "$LR/chimaera_nobody/up.r1")"
[ -e "$LR/chimaera_root/up.r1" ] && fail "old owner's link left behind"
check "new owner's link dir is private" "700 nobody" "$(stat -c '%a %U' "$LR/chimaera_nobody")"
rm "$MNT/r"
[ -e "$LR/chimaera_nobody/up.r1" ] && fail "link left after rm"
[ -e "$SD/up.r1" ] && fail "owned object left after rm"
# a link of someone else's is never replaced
ln -s /nonexistent "$LR/chimaera_root/up.r2"
touch "$MNT/r2"
check "foreign link untouched" "/nonexistent" "$(readlink "$LR/chimaera_root/up.r2")"
rm "$MNT/r2" "$LR/chimaera_root/up.r2"
umount_fs

# --- the /.hshm view: regions upstream processes published -----------------
mount_fs upstream=ro
coproc FU { "$FAKE" create "$LR/chimaera_root" /up1 2097152 hello; }
FU_PID=$FU_PID
read -r -u "${FU[0]}" line
check "fake upstream ready" ready "$line"
V=$MNT/.hshm/root/up1
check "view shows the region" "7.42" "$(xa id "$V")"
check "view: layout" v1 "$(xa layout "$V")"
check "view: not owned" 0 "$(xa owned "$V")"
check "view: size" 2101248 "$(stat -c %s "$V")"
check "view: data" "hellohello" "$(dd if="$V" bs=1 skip=8192 count=10 status=none)"
if printf Q 2>/dev/null >>"$V"; then fail "view is read-only by default"; else echo "ok: read-only view"; fi
touch "$MNT/.hshm/root/new" 2>/dev/null && fail "create in the view"
rm "$V" || fail "rm in the view"
[ -e "$V" ] && fail "rm'ed view entry came back"
[ -L "$LR/chimaera_root/up1" ] || fail "rm in the view removed upstream's link"
echo "check hello" >&"${FU[1]}"; read -r -u "${FU[0]}" line
check "upstream region intact after rm (detach only)" ok "$line"
echo quit >&"${FU[1]}"; wait "$FU_PID" 2>/dev/null; FU_PID=
umount_fs

mount_fs upstream=rw
coproc FU { "$FAKE" create "$LR/chimaera_root" /up2 1048576 abc; }
FU_PID=$FU_PID
read -r -u "${FU[0]}" line
V=$MNT/.hshm/root/up2
cap=$(xa data_capacity "$V")
head -c "$cap" /dev/zero | tr '\0' 'Q' |
	dd of="$V" bs=1M seek=8192 oflag=seek_bytes conv=notrunc status=none
echo "check Q" >&"${FU[1]}"; read -r -u "${FU[0]}" line
check "write through hshmfs seen by the upstream process at once" ok "$line"
chown root "$V"
check "chown takes the region over" 1 "$(xa owned "$V")"
rm "$V"
[ -L "$LR/chimaera_root/up2" ] && fail "taken-over region's link left after rm"
echo quit >&"${FU[1]}"; wait "$FU_PID" 2>/dev/null; FU_PID=
coproc FU { "$FAKE" create-v2 "$LR/chimaera_root" /up3 1048576 v2; }
FU_PID=$FU_PID
read -r -u "${FU[0]}" line
check "newer layout recognised" v2 "$(xa layout "$MNT/.hshm/root/up3")"
check "newer layout: data offset" 4096 "$(xa data_offset "$MNT/.hshm/root/up3")"
echo quit >&"${FU[1]}"; wait "$FU_PID" 2>/dev/null; FU_PID=
umount_fs

if grep -E "Sanitizer|runtime error|Segmentation|double free" "$LOG"; then
	fail "daemon log shows a crash or sanitizer report"
fi
[ "$fails" -eq 0 ]
