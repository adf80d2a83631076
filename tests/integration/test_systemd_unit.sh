#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The systemd unit hshmfs@.service (scripts/systemd/) as meson installs it:
# systemd-analyze verify accepts it (and the .mount unit of
# docs/operations.md), and its command lines, run by hand as systemd would
# run them (no systemd is PID 1 here), mount nosuid,nodev, unmount, and
# mount again after a crash with every region back.  Without
# systemd-analyze the test skips, but fails under CI=true.
. "$(dirname "$0")/lib.sh"
it_init
: "${HSHMFS_UNIT:?HSHMFS_UNIT must point at the configured hshmfs@.service}"
[ "$(id -u)" = 0 ] || it_skip "the unit's commands run as root"
if ! command -v systemd-analyze >/dev/null; then
	if [ "${CI:-}" = true ]; then
		it_fail "systemd-analyze is missing (scripts/deps.sh installs systemd)"
		exit 1
	fi
	it_skip "systemd-analyze is missing (package systemd)"
fi
UNITS=$IT_TMP/units
mkdir -p "$UNITS" "$IT_TMP/man/man8"
ln -s "$(cd "$(dirname "$0")/../../docs" && pwd)/hshmfs.8" "$IT_TMP/man/man8/"

# --- the installed unit names the installed daemon; verify it with the
# build's daemon in its place (the installed one may not exist here)
match "$(grep '^ExecStart=' "$HSHMFS_UNIT")" '^ExecStart=/.*/s?bin/hshmfs hshm %f -o \$\{HSHMFS_OPTIONS\}$' \
	"ExecStart runs the installed hshmfs"
sed "s|^ExecStart=[^ ]*/hshmfs |ExecStart=$HSHMFS |" "$HSHMFS_UNIT" >"$UNITS/hshmfs@.service"
inst=$(systemd-escape --path "$MNT")
out=$(cd "$UNITS" && MANPATH=$IT_TMP/man systemd-analyze verify "./hshmfs@$inst.service" 2>&1)
rc=$?
eq "$rc" 0 "systemd-analyze verify hshmfs@$inst.service${out:+: $out}"
out=$(cd "$UNITS" && MANPATH=$IT_TMP/man systemd-analyze verify "./hshmfs@.service" 2>&1)
eq "$?" 0 "systemd-analyze verify the template${out:+: $out}"

# --- the .mount unit of docs/operations.md (mount(8) with fuse.hshmfs)
munit=$UNITS/$(systemd-escape --path --suffix=mount "$MNT")
cat >"$munit" <<EOF
[Unit]
Description=hshmfs on $MNT
Documentation=man:hshmfs(8)

[Mount]
What=hshm
Where=$MNT
Type=fuse.hshmfs
Options=backend=posix_shm_mmap,size=64M,shm_dir=/dev/shm

[Install]
WantedBy=multi-user.target
EOF
out=$(MANPATH=$IT_TMP/man systemd-analyze verify "$munit" 2>&1)
eq "$?" 0 "systemd-analyze verify ${munit##*/}${out:+: $out}"

# --- the unit's commands, by hand: %f is the mount point, HSHMFS_OPTIONS
# what /etc/hshmfs/INSTANCE.env would say
unit_cmd() {
	sed -n "s/^$1=//p" "$UNITS/hshmfs@.service" | sed "s|%f|$MNT|g"
}
start=$(unit_cmd ExecStart) stop=$(unit_cmd ExecStop) pre=$(unit_cmd ExecStartPre)
# suid,dev as an .env file might ask: the mount is nosuid,nodev anyway
export HSHMFS_OPTIONS="shm_dir=$SHM,prefix=$PREFIX,$IT_STATE_OPT,log=$IT_TMP/unit.log,suid,dev"
rmdir "$MNT"
ok "ExecStartPre ($pre) makes the mount point" sh -c "$pre"
ok "ExecStart ($start) mounts and returns" sh -c "$start"
ok "mounted" mountpoint -q "$MNT"
match "$(findmnt -n -o OPTIONS -M "$MNT")" '(^|,)nosuid,nodev(,|$)' "the unit's mount is nosuid,nodev"
eq "$(findmnt -n -o FSTYPE -M "$MNT")" fuse.hshmfs "as fuse.hshmfs"
ok "a region in it" touch "$MNT/r"
o=$(obj "$MNT/r")
ok "ExecStop ($stop) unmounts" sh -c "$stop"
fails "unmounted" mountpoint -q "$MNT"
ok "the region's object stays" test -f "$o"

# the daemon's pid: the process whose command line is ExecStart's
unit_pid() {
	local p want="${start//'${HSHMFS_OPTIONS}'/$HSHMFS_OPTIONS} "
	for p in /proc/[0-9]*; do
		[ "$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)" = "$want" ] &&
			echo "${p#/proc/}"
	done
}
for i in $(seq 50); do [ -z "$(unit_pid)" ] && break; sleep 0.1; done
eq "$(unit_pid)" "" "the daemon exits after ExecStop"

# --- a crash, then ExecStart again (what Restart=on-failure runs)
ok "ExecStart again" sh -c "$start"
ok "the region is back" test -f "$MNT/r"
pid=$(unit_pid)
# the check of the clean stop above is only worth what this finds
match "$pid" '^[0-9]+$' "the running daemon is found by its command line"
kill -9 "$pid"
for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
fails "the mount is dead" stat -f "$MNT"
ok "ExecStart after the crash" sh -c "$start"
ok "the region is back after the crash" test -f "$MNT/r"
match "$(cat "$IT_TMP/unit.log")" "detached the dead mount of a crashed hshmfs" \
	"the restart detached the dead mount"
ok "ExecStop" sh -c "$stop"
for i in $(seq 50); do [ -z "$(unit_pid)" ] && break; sleep 0.1; done
eq "$(unit_pid)" "" "the daemon exits"
it_finish
