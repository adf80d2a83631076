#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Mounting: options, refusals naming the option, fstab noise, -h, -V, the
# mount.fuse3 form (mount -t fuse.hshmfs), umount, prefixes that never collide.
. "$(dirname "$0")/lib.sh"
it_init

# refuse OPTS WORD DESC: the daemon must exit non-zero, not mount, and say WORD
refuse() {
	local out rc
	out=$(timeout 10 "$HSHMFS" -f hshm "$MNT" -o "shm_dir=$SHM,prefix=$PREFIX${IT_STATE_OPT:+,$IT_STATE_OPT},$1" 2>&1)
	rc=$?
	if [ $rc -eq 0 ] || [ $rc -eq 124 ]; then
		it_fail "$3: -o $1 was accepted (rc $rc)"
		mountpoint -q "$MNT" && fusermount3 -u -z "$MNT"
		return
	fi
	if mountpoint -q "$MNT"; then
		it_fail "$3: left a mount behind"
		fusermount3 -u -z "$MNT"
		return
	fi
	match "$out" "$2" "$3"
}

refuse bogus=1 "bogus" "unknown option fails naming it"
refuse frobnicate "frobnicate" "unknown flag fails naming it"
refuse backend=nosuch "'backend'.*nosuch" "bad backend"
refuse size=12Q "'size'.*12Q" "bad size suffix"
refuse size=0 "'size'" "size 0"
refuse size=-5 "'size'" "negative size"
refuse mode=9999 "'mode'" "bad mode"
refuse mode=rwx "'mode'" "non-octal mode"
refuse io=foo "'io'" "bad io="
refuse mmap=foo "'mmap'" "bad mmap="
refuse gpu_runtime=foo "'gpu_runtime'" "bad gpu_runtime="
refuse gpu=-1 "'gpu'" "bad gpu="
refuse uid=abc "'uid'" "bad uid="
refuse gid=abc "'gid'" "bad gid="
refuse prefix=a/b "'prefix'" "prefix with a slash"
refuse shm_dir=relative/dir "'?shm_dir'?" "relative shm_dir"
refuse shm_dir=/nonexistent/shm/dir "/nonexistent/shm/dir" "missing shm_dir"

# --- -h and -V
out=$("$HSHMFS" -h 2>&1)
eq "$?" 0 "-h exits 0"
match "$out" "backend=" "-h lists hshmfs options"
match "$out" "shm_dir=" "-h lists shm_dir"
out=$("$HSHMFS" -V 2>&1)
eq "$?" 0 "-V exits 0"
match "$out" "hshmfs version [0-9]+\.[0-9]+" "-V prints the version"
ok "-h does not mount" sh -c "! mountpoint -q '$MNT'"

# --- fstab noise accepted; every documented option accepted
it_mount "_netdev,noauto,user,nofail,defaults,rw,backend=posix_shm_mmap,size=4M,io=daemon,mmap=auto,gpu=0,gpu_runtime=none"
eq "$(xa "$MNT" size)" 4194304 "size=4M honoured alongside fstab noise"
ok "touch in the noisy mount" touch "$MNT/r"
eq "$(xa "$MNT/r" backend_size)" 4194304 "region of the mount's default size"
it_umount
fails "object of the earlier mount kept across umount (recovery keeps it)" test -z "$(ls "$SHM")"
rm -f "$SHM"/*

it_mount "backend=malloc,size=2M"
eq "$(xa "$MNT" backend)" malloc "backend= sets the root default"
ok "touch" touch "$MNT/m"
eq "$(xa "$MNT/m" backend)" malloc "region made with the mount's backend"
eq "$(xa "$MNT/m" backend_size)" 2097152 "and its size"
it_umount

it_mount "backend=PosixShmMmap"
eq "$(xa "$MNT" backend)" posix_shm_mmap "C++ class name accepted as backend="
# umount(8) works too
ok "umount" umount "$MNT"
it_wait_exit 10 && eq "$IT_RC" 0 "daemon exits 0 after umount(8)"

# --- two mounts, two prefixes, one shm_dir: no collision
MNT2=$IT_TMP/mnt2
mkdir "$MNT2"
it_mount
"$HSHMFS" -f hshm "$MNT2" -o "shm_dir=$SHM,prefix=${PREFIX}b" >"$IT_TMP/daemon.second.log" 2>&1 &
pid2=$!
for i in $(seq 100); do mountpoint -q "$MNT2" && break; sleep 0.1; done
ok "second mount up" mountpoint -q "$MNT2"
ok "touch in both" touch "$MNT/a" "$MNT2/a"
ne "$(xa "$MNT/a" url)" "$(xa "$MNT2/a" url)" "the two mounts' regions have distinct urls"
ne "$(xa "$MNT/a" id)" "$(xa "$MNT2/a" id)" "and distinct ids"
ok "first mount's object" test -f "$(obj "$MNT/a")"
ok "second mount's object" test -f "$(obj "$MNT2/a")"
ok "rm in the second mount" rm "$MNT2/a"
ok "first mount's region unaffected" test -f "$(obj "$MNT/a")"
fusermount3 -u "$MNT2"
for i in $(seq 100); do kill -0 $pid2 2>/dev/null || break; sleep 0.1; done
kill -0 $pid2 2>/dev/null && { it_fail "second daemon did not exit"; kill -9 $pid2; }
it_umount
rm -f "$SHM"/*

# --- ro: nothing can be created or written
it_mount "ro"
eq "$("$ITOOL" open "$MNT/x" creat,rw)" EROFS "ro mount: create refused with EROFS"
fails "ro mount: mkdir refused" mkdir "$MNT/d"
it_umount

# --- gpu=N is the root's default device (user.hshm.data_id on dirs)
it_mount "gpu=3,gpu_runtime=none"
eq "$(xa "$MNT" data_id)" 3 "gpu=3 shows as the root's user.hshm.data_id"
ok "mkdir g" mkdir "$MNT/g"
eq "$(xa "$MNT/g" data_id)" 3 "inherited by a subdirectory"
ok "setfattr data_id 1 on g" setfattr -n user.hshm.data_id -v 1 "$MNT/g"
eq "$(xa "$MNT/g" data_id)" 1 "data_id writable on a dir"
eq "$("$ITOOL" setxattr "$MNT/g" user.hshm.data_id -1)" EINVAL "negative data_id: EINVAL"
it_umount

# --- -d: debug output, still serves requests
"$HSHMFS" -d hshm "$MNT" -o "shm_dir=$SHM,prefix=$PREFIX${IT_STATE_OPT:+,$IT_STATE_OPT}" >"$IT_TMP/debug.out" 2>&1 &
IT_PID=$!
for i in $(seq 100); do mountpoint -q "$MNT" && break; sleep 0.1; done
ok "-d mounts (in the foreground)" mountpoint -q "$MNT"
ok "-d: touch" touch "$MNT/dbg"
ok "-d: daemon still in the foreground" kill -0 "$IT_PID"
match "$(cat "$IT_TMP/debug.out")" "(unique|opcode|LOOKUP|CREATE)" "-d prints request debugging"
it_umount
rm -f "$SHM"/*

# --- SIGTERM: clean unmount, exit 0, objects kept for the next mount
it_mount
ok "touch kept" touch "$MNT/kept"
ko=$(obj "$MNT/kept")
kill -TERM "$IT_PID"
it_wait_exit 10 && eq "$IT_RC" 0 "daemon exits 0 on SIGTERM"
fails "SIGTERM unmounted" mountpoint -q "$MNT"
ok "object kept after SIGTERM" test -f "$ko"
rm -f "$SHM"/*

# --- the same shm_dir+prefix mounted twice at once: the second is refused
# (it would adopt the first mount's live objects through recovery)
it_allow "hshmfs: prefix '.*' in .* is in use by another mount \\(pick another prefix=\\): (Address already in use|Device or resource busy)"
it_allow "hshmfs: setxattr user\\.hshm\\.data_id='-1' on '/g' refused: want a device ordinal"
it_mount
ok "touch a" touch "$MNT/a"
ao=$(obj "$MNT/a")
MNT3=$IT_TMP/mnt3
mkdir "$MNT3"
if timeout 10 "$HSHMFS" -f hshm "$MNT3" -o "$IT_MOUNT_OPTS" >"$IT_TMP/daemon.same.log" 2>&1; then
	it_fail "second mount of a prefix in use was accepted"
	fusermount3 -u "$MNT3" 2>/dev/null
else
	it_pass "second mount of a prefix in use refused"
fi
ok "the refusal names the prefix" grep -q "prefix '$PREFIX' .* in use by another mount" "$IT_TMP/daemon.same.log"
ok "first mount's object intact" test -f "$ao"
it_umount
rm -f "$SHM"/*

# --- "hshmfs MOUNTPOINT" without SOURCE
"$HSHMFS" -f "$MNT" -o "shm_dir=$SHM,prefix=$PREFIX${IT_STATE_OPT:+,$IT_STATE_OPT}" >"$IT_TMP/daemon.nosource.log" 2>&1 &
IT_PID=$!
for i in $(seq 100); do mountpoint -q "$MNT" && break; sleep 0.1; done
ok "mount without SOURCE" mountpoint -q "$MNT"
it_umount

# --- mount(8) and fstab, through mount.fuse3, daemonized
# mount(8) starts its helpers with a sanitized environment, so "-t
# fuse.hshmfs" runs whichever hshmfs is installed (/usr/local/sbin after
# meson install), never one from the build tree.  The same path (mount(8) ->
# mount.fuse3 -> hshmfs, options, daemonizing, umount) is driven with this
# build's binary through mount.fuse's PROGRAM#SOURCE form; the literal
# fuse.hshmfs form runs too when the installed hshmfs is this very build.

# daemon_gone PATTERN WHAT: the daemon started for PATTERN exits on unmount.
daemon_gone() {
	local dpid=$1 i
	for i in $(seq 100); do [ -n "$dpid" ] && kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
	if [ -n "$dpid" ] && kill -0 "$dpid" 2>/dev/null; then
		it_fail "$2: daemon $dpid still running after unmount"
		kill "$dpid"
	else
		it_pass "$2: daemon exits after unmount"
	fi
}

# via_mount NAME SIZE MOUNT-ARGS...: mount, check, unmount with umount(8).
via_mount() {
	local name=$1 size=$2 out dpid
	shift 2
	out=$("$@" 2>&1)
	eq "$?" 0 "$name succeeds ($out)"
	ok "$name: mounted" mountpoint -q "$MNT"
	eq "$(findmnt -n -o FSTYPE "$MNT")" fuse.hshmfs "$name: type fuse.hshmfs"
	eq "$(findmnt -n -o SOURCE "$MNT")" hshm "$name: source shown as hshm"
	ok "$name: touch" touch "$MNT/via"
	eq "$(xa "$MNT/via" backend_size)" "$size" "$name: options reach hshmfs"
	ok "$name: rm" rm "$MNT/via"
	dpid=$(pgrep -f -- "prefix=$PREFIX,size=$size" | head -1)
	ok "$name: umount" umount "$MNT"
	daemon_gone "$dpid" "$name"
}

if ! command -v mount.fuse3 >/dev/null; then
	it_log "# mount.fuse3 missing: mount(8) cases not run"
elif [ "$(id -u)" != 0 ]; then
	it_log "# not root: mount(8) cases not run"
else
	via_mount "mount -t fuse PROGRAM#hshm" 2097152 \
		mount -t fuse "$HSHMFS#hshm" "$MNT" \
		-o "shm_dir=$SHM,prefix=$PREFIX,size=2097152,_netdev"
	printf '%s#hshm %s fuse shm_dir=%s,prefix=%s,size=3145728,_netdev,noauto,nofail 0 0\n' \
		"$HSHMFS" "$MNT" "$SHM" "$PREFIX" >"$IT_TMP/fstab"
	via_mount "an fstab line" 3145728 mount -T "$IT_TMP/fstab" "$MNT"
	installed=$(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		sh -c 'command -v hshmfs' 2>/dev/null)
	if [ -n "$installed" ] && cmp -s "$installed" "$HSHMFS"; then
		via_mount "mount -t fuse.hshmfs" 4194304 mount -t fuse.hshmfs hshm \
			"$MNT" -o "shm_dir=$SHM,prefix=$PREFIX,size=4194304"
	else
		it_log "# -t fuse.hshmfs not run: the installed hshmfs (${installed:-none}) is not this build"
	fi
	rm -f /run/hshmfs/"$PREFIX"-* # mount(8) mounts use the default state_dir
fi

it_finish
