#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Inspection: user.hshm.holders / nholders / liveness / created with real
# processes (open and mapped through the mount, directly on the object, by
# an upstream-style link, forked, a gpu_malloc IPC handle), a holder that
# exits and disappears, what other users see, and the hshmfs-ls tool.
. "$(dirname "$0")/lib.sh"
: "${HOLDTOOL:?HOLDTOOL must point at tests/integration/holdtool}"
: "${HSHMFS_LS:?HSHMFS_LS must point at hshmfs-ls}"
it_init
it_allow '^hshmfs: setxattr user\.hshm\.holders refused: read-only$'
it_allow '^hshmfs: GPU runtime: the test double \(host memory posing as a device\), as requested$'
LR=$IT_TMP/links # upstream HSHM's link directories (the /.hshm view)
mkdir "$LR" && mkdir -m 700 "$LR/chimaera_root"
it_mount "size=1M,gpu_runtime=double,links_root=$LR"
cd "$MNT" || exit 1

HOLDERS=()
# hold NAME SPEC...: start a holdtool holding SPECs; its pid in $NAME.
hold() {
	local name=$1 r=$IT_TMP/ready.$1 i
	shift
	rm -f "$r"
	"$HOLDTOOL" hold "$r" "$@" &
	HOLDERS+=($!)
	for i in $(seq 100); do
		[ -s "$r" ] && break
		sleep 0.05
	done
	[ -s "$r" ] || it_fail "holdtool $* never got ready"
	printf -v "$name" '%s' "$(cat "$r")"
}
stop() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
# the holders go first, or they keep the mount busy (it_cleanup reads $?)
inspect_cleanup() {
	local rc=$? p
	for p in "${HOLDERS[@]}"; do kill "$p" 2>/dev/null; done
	wait
	(exit "$rc")
	it_cleanup
}
trap inspect_cleanup EXIT

# wait_xa FILE NAME ERE [USER]: poll (20 s) until the attribute matches (a
# scan answers for 200 ms, or for 4 times what it took: seconds, on a
# machine loaded with sanitizer builds); print the last value read.
wait_xa() {
	local v i
	for i in $(seq 200); do
		if [ -n "${4:-}" ]; then
			v=$(as "$4" getfattr --only-values --absolute-names -n "user.hshm.$2" "$1" 2>&1)
		else
			v=$(xa "$1" "$2")
		fi
		[[ $v =~ $3 ]] && break
		sleep 0.1
	done
	printf '%s' "$v"
}
# holder_line FILE PID: the line of PID in user.hshm.holders (polled 20 s:
# a process just started is seen by the next scan).
holder_line() {
	local l i
	for i in $(seq 200); do
		l=$(xa "$1" holders | awk -v p="$2" '$1 == p')
		[ -n "$l" ] && break
		sleep 0.1
	done
	printf '%s' "$l"
}

touch a b c u
size=$(stat -c %s a)

# --- nobody: the daemon's own fd is not a holder
eq "$(xa a nholders)" 0 "a new region has no holder (the daemon's fd is not one)"
eq "$(xa a holders)" "" "its holders list is empty"
eq "$(xa a liveness)" orphan "a region nobody holds is an orphan"
match "$(xa a created)" '^[0-9]+$' "created is a time in seconds"
now=$(date +%s)
c=$(xa a created)
ok "created is within the last minute" test $((now - c)) -ge 0 -a $((now - c)) -lt 60
names=$(getfattr -d --absolute-names a 2>/dev/null)
[[ $names == *holders* || $names == *liveness* ]] &&
	it_fail "the inspection attributes must not be listed" ||
	it_pass "the inspection attributes are not listed (getfattr -d, cp -a)"
eq "$("$ITOOL" setxattr a user.hshm.holders 1)" EPERM "user.hshm.holders is read-only"
eq "$(xa . holders)" "$(getfattr --only-values -n user.hshm.holders . 2>&1)" "same answer twice"
match "$(xa . holders)" 'No such attribute' "a directory has no holders"

# --- an fd through the mount
hold p1 fd:a
line=$(holder_line a "$p1")
match "$line" "^$p1 0 fd mount 0 [0-9]+ holdtool\$" "open through the mount: pid uid fd mount 0 since comm"
since=$(awk '{print $6}' <<<"$line")
pstart=$(date -d "$(ps -o lstart= -p "$p1")" +%s)
ok "since is the process's start time" test $((since - pstart)) -ge -1 -a $((since - pstart)) -le 1
eq "$(xa a nholders)" 1 "one holder"
eq "$(xa a liveness)" in-use "held: in-use"
eq "$(xa b liveness)" orphan "the others still orphans"

# --- a mapping through the mount (fd closed)
hold p2 map:b
match "$(holder_line b "$p2")" "^$p2 0 map mount $size " "mmap through the mount: map, the bytes mapped"

# --- fd and mapping on the object itself, and through an upstream-style link
hold p3 both:"$(obj c)"
match "$(holder_line c "$p3")" "^$p3 0 fd,map object $size " "fd + mmap of the object in shm_dir: fd,map via object"
ln -s "$(obj u)" "$IT_TMP/link"
hold p4 map:"$IT_TMP/link"
match "$(holder_line u "$p4")" "^$p4 0 map object $size " "a mapping made through a symlink to the object"

# --- the /.hshm view: a region an upstream process made (a copy of a valid
# object under another name, without hshmfs' record, and its link), held
# through the link
cp "$(obj u)" "$SHM/up.r1"
dd if=/dev/zero of="$SHM/up.r1" bs=4096 seek=$(( $(xa u backend_size) / 4096 )) \
	count=1 conv=notrunc status=none
ln -s "$SHM/up.r1" "$LR/chimaera_root/up.r1"
ls .hshm/root >/dev/null
hold p10 map:"$LR/chimaera_root/up.r1"
match "$(holder_line .hshm/root/up.r1 "$p10")" "^$p10 0 map object $size " "the /.hshm view: a process attached through the upstream link"
out=$("$HSHMFS_LS" "$MNT/.hshm")
match "$out" "posix_shm_mmap +1\.0M +root +detached +1 +in-use .* $MNT/\.hshm/root/up\.r1" "hshmfs-ls on the view lists it, held"
stop "$p10"
eq "$(wait_xa .hshm/root/up.r1 liveness '^orphan$')" orphan "the view's region is an orphan once its holder exits"
stop "$p2"; stop "$p3"; stop "$p4"

# --- both ways at once, and a fork: parent and child hold it
hold p5 fork+both:a map:"$(obj a)"
wait_xa a nholders '^3$' >/dev/null
eq "$(xa a nholders)" 3 "p1, p5 and p5's child hold a"
match "$(holder_line a "$p5")" "^$p5 0 fd,map mount,object $((2 * size)) " "mapped through the mount and on the object: both counted"
kid=$(pgrep -P "$p5")
match "$(holder_line a "$kid")" "^$kid 0 fd,map mount,object $((2 * size)) " "the forked child inherits the fd and the mappings"

# --- a process that exits disappears
stop "$p1"
eq "$(wait_xa a nholders '^2$')" 2 "a holder that exits leaves the list"
eq "$(xa a holders | awk -v p="$p1" '$1 == p')" "" "no line for the dead process"
stop "$p5"
eq "$(wait_xa a liveness '^orphan$')" orphan "the last holder gone: orphan again"

# --- other users: only what /proc would show them
alice=$(it_user hsalice)
it_user hsmallory >/dev/null
chmod 0666 a
mkdir -m 1777 "$IT_TMP/r"
hold_as() {
	local r=$IT_TMP/r/ready.$1
	rm -f "$r"
	as hsalice "$HOLDTOOL" hold "$r" "$2" &
	HOLDERS+=($!)
	for i in $(seq 100); do [ -s "$r" ] && break; sleep 0.05; done
	[ -s "$r" ] || it_fail "hsalice's holdtool never got ready"
	printf -v "$1" '%s' "$(cat "$r")"
}
hold_as pa map:"$MNT/a"
match "$(holder_line a "$pa")" "^$pa $alice map mount " "root sees hsalice's process (uid $alice)"
v=$(as hsalice getfattr --only-values --absolute-names -n user.hshm.holders a)
match "$v" "^$pa $alice map mount " "hsalice sees her own process"
hold p6 fd:a
holder_line a "$p6" >/dev/null
eq "$(as hsalice getfattr --only-values --absolute-names -n user.hshm.nholders a)" 1 "hsalice does not see root's process"
eq "$(as hsmallory getfattr --only-values --absolute-names -n user.hshm.holders a)" "" "hsmallory sees none of them"
eq "$(as hsmallory getfattr --only-values --absolute-names -n user.hshm.nholders a)" 0 "hsmallory's count is 0"
eq "$(as hsmallory getfattr --only-values --absolute-names -n user.hshm.liveness a)" in-use \
	"but liveness counts everyone: no one deletes a region in use"
eq "$(xa a nholders)" 2 "root sees both"
stop "$p6"
stop "$pa"
eq "$(wait_xa a liveness '^orphan$' hsmallory)" orphan "hsalice's holder gone: orphan for hsmallory too"

# --- a malloc region mapped through the mount
mkdir m && setfattr -n user.hshm.backend -v malloc m && touch m/r
hold p7 map:m/r
match "$(holder_line m/r "$p7")" "^$p7 0 map (mount|object) " "a malloc region mapped through the mount"
eq "$(xa m/r created | grep -c '^[0-9]*$')" 1 "created of a malloc region (its memfd)"
stop "$p7"

# --- gpu_malloc: the processes handed the IPC handle, while alive
mkdir g && setfattr -n user.hshm.backend -v gpu_malloc g && touch g/r
hold p8 ipc:g/r
match "$(xa g/r created)" '^[0-9]+$' "gpu_malloc: created is the file's last change"
match "$(holder_line g/r "$p8")" "^$p8 0 ipc - 0 [0-9]+ holdtool\$" "a process handed the IPC handle (fd closed) is a holder"
eq "$(xa g/r liveness)" in-use "the handle's holder keeps a gpu_malloc region in use"
stop "$p8"
eq "$(wait_xa g/r liveness '^orphan$')" orphan "gone: the handle no longer counts"

# --- the tool
hold p9 fd:a
holder_line a "$p9" >/dev/null
setfattr -n user.hshm.owned -v 0 b
out=$("$HSHMFS_LS" "$MNT")
it_log "$out"
match "$(head -1 <<<"$out")" '^BACKEND +SIZE +OWNER +STATE +HOLDERS +LIVENESS +AGE +PATH$' "hshmfs-ls prints a table"
match "$(grep " $MNT/a\$" <<<"$out")" '^posix_shm_mmap +1\.0M +root +owned +1 +in-use +[0-9]+s ' "a: owned, 1 holder, in use"
match "$(grep " $MNT/b\$" <<<"$out")" '^posix_shm_mmap .* detached +0 +orphan ' "b: detached orphan"
match "$(grep " $MNT/g/r\$" <<<"$out")" '^gpu_malloc ' "the gpu_malloc region is listed"
eq "$(grep -c " $MNT/.hshm" <<<"$out")" 0 "the /.hshm view is not walked unless asked"
rc 0 "hshmfs-ls -a walks the view too" "$HSHMFS_LS" -a "$MNT"
rc 0 "hshmfs-ls on the /.hshm view" "$HSHMFS_LS" "$MNT/.hshm"
d=$("$HSHMFS_LS" "$MNT/a")
match "$d" "liveness: +in-use" "detail: liveness"
match "$d" "$p9 +root +fd +mount +0 " "detail: the holder's line"
j=$("$HSHMFS_LS" -j "$MNT")
match "$j" '^\{"regions":\[' "--json: an object with the regions"
match "$j" "\"path\":\"$MNT/a\",\"backend\":\"posix_shm_mmap\"" "--json: path and backend"
match "$j" "\"holders\":\[\{\"pid\":$p9,\"uid\":0,\"how\":\"fd\",\"via\":\"mount\"" "--json: the holders"
if command -v python3 >/dev/null; then
	ok "--json is valid JSON" python3 -c 'import json,sys; json.load(sys.stdin)' <<<"$j"
fi
rc 1 "hshmfs-ls outside hshmfs exits 1" "$HSHMFS_LS" /tmp
rc 2 "a bad option exits 2" "$HSHMFS_LS" --min-age x "$MNT"
orph=$("$HSHMFS_LS" -o -0 "$MNT" | tr '\0' '\n' | sort | tr '\n' ' ')
eq "$orph" "$MNT/b $MNT/c $MNT/g/r $MNT/m/r $MNT/u " "-o -0: the orphans, NUL-separated"
eq "$("$HSHMFS_LS" -o -A 3600 -0 "$MNT" | tr '\0' '\n')" "" "-A 3600: none is an hour old"
# the documented cleanup, with -A 0
"$HSHMFS_LS" -o -A 0 -0 "$MNT" | xargs -0r rm -f --
eq "$(find . -path ./.hshm -prune -o -type f -print | sort | tr "\n" " ")" "./a " "the one-line cleanup removed the orphans, kept a (in use)"
stop "$p9"

cd /
it_finish
