#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# test_upstream.sh FAKE_UPSTREAM: hshm_links publishing and the /.hshm view,
# against a program that plays an upstream HSHM process.
# Harness: tests/integration/lib.sh (HSHMFS, ITOOL from env).
. "$(dirname "$0")/../integration/lib.sh"
FAKE=${1:?usage: test_upstream.sh FAKE_UPSTREAM}
it_init
command -v getfattr >/dev/null || it_fail "getfattr missing"

FU_PID=
up_cleanup() {
	local rc=$?
	[ -n "$FU_PID" ] && kill "$FU_PID" 2>/dev/null
	(exit "$rc")
	it_cleanup
}
trap up_cleanup EXIT

# fu_quit: tell the fake upstream process to detach and exit
fu_quit() {
	echo quit >&"${FU[1]}"
	wait "$FU_PID" 2>/dev/null
	FU_PID=
}

LR=$IT_TMP/links
mkdir "$LR"
mkdir -m 700 "$LR/chimaera_root"

# --- hshm_links: an upstream process attaches to a region hshmfs made ------
# r2's link name is taken by someone else's link: hshmfs says so and leaves it
it_allow "^hshmfs: hshm_links: cannot publish /$PREFIX\\.r2: File exists\$"
it_mount "links_root=$LR,hshm_links"
ok "touch r" touch "$MNT/r"
cap=$(xa "$MNT/r" data_capacity)
head -c "$cap" /dev/zero | tr '\0' 'Z' |
	dd of="$MNT/r" bs=1M seek=8192 oflag=seek_bytes conv=notrunc status=none
eq "$(readlink "$LR/chimaera_root/$PREFIX.r1")" "$SHM/$PREFIX.r1" "link published for the owner"
ok "upstream attach through the link" "$FAKE" attach "$LR/chimaera_root/$PREFIX.r1" Z
ok "chown nobody r" chown nobody "$MNT/r"
eq "$(readlink "$LR/chimaera_nobody/$PREFIX.r1")" "$SHM/$PREFIX.r1" "link follows chown"
fails "old owner's link not left behind" test -e "$LR/chimaera_root/$PREFIX.r1"
eq "$(stat -c '%a %U' "$LR/chimaera_nobody")" "700 nobody" "new owner's link dir is private"
ok "rm r" rm "$MNT/r"
fails "no link left after rm" test -e "$LR/chimaera_nobody/$PREFIX.r1"
fails "no owned object left after rm" test -e "$SHM/$PREFIX.r1"
# a link of someone else's is never replaced
ln -s /nonexistent "$LR/chimaera_root/$PREFIX.r2"
ok "touch r2" touch "$MNT/r2"
eq "$(readlink "$LR/chimaera_root/$PREFIX.r2")" /nonexistent "foreign link untouched"
rm "$MNT/r2" "$LR/chimaera_root/$PREFIX.r2"
it_umount

# --- the /.hshm view: regions upstream processes published -----------------
it_mount "links_root=$LR,upstream=ro"
coproc FU { "$FAKE" create "$LR/chimaera_root" /up1 2097152 hello; }
FU_PID=$FU_PID
read -r -u "${FU[0]}" line
eq "$line" ready "fake upstream ready"
V=$MNT/.hshm/root/up1
eq "$(xa "$V" id)" 7.42 "view shows the region"
eq "$(xa "$V" layout)" v1 "view: layout"
eq "$(xa "$V" owned)" 0 "view: not owned"
eq "$(stat -c %s "$V")" 2101248 "view: size"
eq "$(dd if="$V" bs=1 skip=8192 count=10 status=none)" hellohello "view: data"
# the upstream process grows its region (object first, then the header,
# as HSHM does): the view follows it
eq "$("$ITOOL" grow "$(readlink "$LR/chimaera_root/up1")" 4198400)" ok \
	"the upstream process grows its region"
eq "$(xa "$V" backend_size)" 4194304 "view: follows the growth"
if printf Q 2>/dev/null >>"$V"; then it_fail "view is read-only by default"; else it_pass "read-only view"; fi
fails "no create in the view" touch "$MNT/.hshm/root/new"
ok "rm in the view" rm "$V"
fails "rm'ed view entry does not come back" test -e "$V"
ok "rm in the view leaves upstream's link" test -L "$LR/chimaera_root/up1"
echo "check hello" >&"${FU[1]}"
read -r -u "${FU[0]}" line
eq "$line" ok "upstream region intact after rm (detach only)"
fu_quit
it_umount

it_mount "links_root=$LR,upstream=rw"
coproc FU { "$FAKE" create "$LR/chimaera_root" /up2 1048576 abc; }
FU_PID=$FU_PID
read -r -u "${FU[0]}" line
V=$MNT/.hshm/root/up2
cap=$(xa "$V" data_capacity)
head -c "$cap" /dev/zero | tr '\0' 'Q' |
	dd of="$V" bs=1M seek=8192 oflag=seek_bytes conv=notrunc status=none
echo "check Q" >&"${FU[1]}"
read -r -u "${FU[0]}" line
eq "$line" ok "write through hshmfs seen by the upstream process at once"
ok "chown root on the view entry" chown root "$V"
eq "$(xa "$V" owned)" 1 "chown takes the region over"
ok "rm the taken-over region" rm "$V"
fails "taken-over region's link not left after rm" test -L "$LR/chimaera_root/up2"
fu_quit
coproc FU { "$FAKE" create-v2 "$LR/chimaera_root" /up3 1048576 v2; }
FU_PID=$FU_PID
read -r -u "${FU[0]}" line
eq "$(xa "$MNT/.hshm/root/up3" layout)" v2 "newer layout recognised"
eq "$(xa "$MNT/.hshm/root/up3" data_offset)" 4096 "newer layout: data offset"
fu_quit
it_umount
it_finish
