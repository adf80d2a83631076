#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# One-step remount after a crash: the daemon is SIGKILLed and its mount
# left dead (stat: ENOTCONN); mounting again with the same shm_dir and
# prefix, by hshmfs, mount(8) or an fstab line, detaches the dead mount
# with one log line and mounts; the regions are back.  A dead mount of
# another prefix is left alone, with a line saying what to do.  Every
# mount path gets nosuid,nodev.
. "$(dirname "$0")/lib.sh"
it_init
it_allow "^hshmfs: mount point $MNT: detached the dead mount of a crashed hshmfs \\(shm_dir=$SHM, prefix=$PREFIX\\) and mounting again$"

# crash PID: SIGKILL, the mount stays (dead)
crash() {
	kill -9 "$1"
	while kill -0 "$1" 2>/dev/null; do sleep 0.05; done
	[ "$1" = "$IT_PID" ] && { wait "$IT_PID" 2>/dev/null; IT_PID=; }
}
is_dead() { stat -f "$MNT" 2>&1 | grep -q 'Transport endpoint is not connected'; }
nosuid_nodev() {
	match "$(findmnt -n -o VFS-OPTIONS -M "$MNT" | tail -1)" \
		'(^|,)nosuid,nodev(,|$)' "$1: mounted nosuid,nodev"
}
detached_line='mount point .*: detached the dead mount of a crashed hshmfs'
# came_back LOG: it_mount (mountpoint -q) is satisfied by the dead mount
# itself; wait until LOG says it was detached and the new mount answers.
came_back() {
	local i
	for i in $(seq 100); do
		grep -q "$detached_line" "$1" 2>/dev/null && stat -f "$MNT" >/dev/null 2>&1 &&
			[ "$(findmnt -n -M "$MNT" | wc -l)" = 1 ] && return 0
		sleep 0.1
	done
	return 1
}

it_mount
nosuid_nodev "hshmfs -f"
touch "$MNT/r"
doff=$(xa "$MNT/r" data_offset)
eq "$("$ITOOL" pwrite "$MNT/r" "$doff" before-crash)" "ok 12" "data written"
crash "$IT_PID"
ok "after SIGKILL the mount point is dead (ENOTCONN)" is_dead

# --- hshmfs again: one step
it_mount
ok "remount over the dead mount succeeds" came_back "$IT_LOG"
eq "$("$ITOOL" pread "$MNT/r" "$doff" 12)" before-crash "the region is back with its data"
eq "$(grep -c "$detached_line" "$IT_LOG")" 1 "one log line says what was cleaned up"
eq "$(findmnt -n -M "$MNT" | wc -l)" 1 "one mount at the mount point, not two stacked"
crash "$IT_PID"

# --- a dead mount of another prefix is not ours: left alone
out=$("$HSHMFS" -f hshm "$MNT" -o "shm_dir=$SHM,prefix=${PREFIX}z" 2>&1)
eq "$?" 1 "another prefix: mount refused"
match "$out" "mount point $MNT is a dead mount \\(Transport endpoint is not connected\\) but not one left by hshmfs with shm_dir=$SHM and prefix=${PREFIX}z: left alone; detach it first with 'umount -l $MNT'" \
	"the refusal says why and what to do"
ok "the dead mount is still there" is_dead

if [ "$(id -u)" != 0 ] || ! command -v mount.fuse3 >/dev/null; then
	it_log "# not root or no mount.fuse3: mount(8) and fstab cases not run"
else
	# --- mount(8), through mount.fuse3, daemonized (log to a file)
	out=$(mount -t fuse "$HSHMFS#hshm" "$MNT" \
		-o "shm_dir=$SHM,prefix=$PREFIX${IT_STATE_OPT:+,$IT_STATE_OPT},log=$IT_TMP/m8.log" 2>&1)
	eq "$?" 0 "mount(8) over the dead mount succeeds ($out)"
	eq "$("$ITOOL" pread "$MNT/r" "$doff" 12)" before-crash "mount(8): the region is back"
	eq "$(grep -c "$detached_line" "$IT_TMP/m8.log")" 1 "mount(8): one log line"
	nosuid_nodev "mount(8)"
	crash "$(pgrep -f -- "log=$IT_TMP/m8.log" | head -1)"
	ok "mount(8)'s daemon killed: dead again" is_dead

	# --- an fstab line
	printf '%s#hshm %s fuse shm_dir=%s,prefix=%s%s,log=%s,noauto 0 0\n' \
		"$HSHMFS" "$MNT" "$SHM" "$PREFIX" "${IT_STATE_OPT:+,$IT_STATE_OPT}" \
		"$IT_TMP/fstab.log" >"$IT_TMP/fstab"
	out=$(mount -T "$IT_TMP/fstab" "$MNT" 2>&1)
	eq "$?" 0 "fstab mount over the dead mount succeeds ($out)"
	eq "$("$ITOOL" pread "$MNT/r" "$doff" 12)" before-crash "fstab: the region is back"
	eq "$(grep -c "$detached_line" "$IT_TMP/fstab.log")" 1 "fstab: one log line"
	nosuid_nodev "fstab"
	dpid=$(pgrep -f -- "log=$IT_TMP/fstab.log" | head -1)
	ok "fstab mount: umount" umount "$MNT"
	for i in $(seq 50); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
	it_mount # for the clean-exit case below
fi

# --- a clean unmount leaves no note behind
is_dead && it_mount
ok "the mount notes its mount point" test -s "$SHM/.$PREFIX.mnt"
it_umount
fails "a clean unmount removes the note" test -e "$SHM/.$PREFIX.mnt"
it_finish
