#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Issue 12, compatibility: what the previous version left is still taken
# up.  Version-1 records (crc, no tag) are believed when the object's owner
# is the one they name and no directory of their path is someone else's,
# then sealed; the namespace file in shm_dir is moved into the state
# directory when it is the daemon's own; a FIFO or symlink planted at a
# state file never blocks or redirects the daemon.
. "$(dirname "$0")/lib.sh"
it_init
[ "$(id -u)" = 0 ] || it_skip "runs steps as another user: needs root"
SECTOOL=${SECTOOL:-$(dirname "$ITOOL")/sectool}
ALICE=$(it_user hsalice)
MALLORY=$(it_user hsmallory)
it_allow '^hshmfs: recover: [^ ]+: damaged: .*$'
it_allow '^hshmfs: namespace file .*$'
it_allow '^hshmfs: state file .*$'
it_mount
ok "alice: mkdir -p a/b" as hsalice mkdir -p "$MNT/a/b"
ok "alice: touch a/b/r1" as hsalice touch "$MNT/a/b/r1"
ok "alice: write a/b/r1" as hsalice "$ITOOL" pwrite "$MNT/a/b/r1" 8192 legacy-bytes
ok "alice: touch a/v2" as hsalice touch "$MNT/a/v2"
ok "alice: mkdir adir" as hsalice mkdir -m 0755 "$MNT/adir"
ok "mallory: touch m1 m2" as hsmallory touch "$MNT/m1" "$MNT/m2"
ok "root: mkdir keepdir rootdir" mkdir "$MNT/keepdir" "$MNT/rootdir"
o1=$SHM/$(xa "$MNT/a/b/r1" url | sed 's|^/||')
ov2=$SHM/$(xa "$MNT/a/v2" url | sed 's|^/||')
om=$SHM/$(xa "$MNT/m1" url | sed 's|^/||')
om2=$SHM/$(xa "$MNT/m2" url | sed 's|^/||')
sleep 0.5
it_umount
ST=${IT_STATE_OPT#state_dir=}
ns=$(ls "$ST/$PREFIX"-*.ns)
# what the previous versions left: records in the spare page (version 1
# there), the namespace in shm_dir
for o in "$o1" "$om" "$om2" "$ov2"; do
	ok "$(basename "$o"): record put back in its spare page" "$SECTOOL" unmigrate "$o"
done
ok "a/b/r1 record made version 1" "$SECTOOL" record "$o1" version=1
ok "m1 record made version 1, claiming adir/m1" "$SECTOOL" record "$om" version=1 path=adir/m1
ok "m2 record made version 1, claiming rootdir/m2 (root's 0755)" "$SECTOOL" record "$om2" version=1 path=rootdir/m2
mv "$ns" "$SHM/.$PREFIX.ns"
it_mount
eq "$(stat -c %u "$MNT/a/b/r1")" "$ALICE" "version-1 region back with its owner"
eq "$(as hsalice "$ITOOL" pread "$MNT/a/b/r1" 8192 12)" legacy-bytes "version-1 region back with its bytes"
match "$("$SECTOOL" xrecord "$o1")" '^version=2 ' "version-1 record sealed at the upgrade, into the object's attribute"
eq "$(spare_bytes "$o1")" 0 "and gone from the spare page"
eq "$(stat -c %U "$MNT/a/v2")" hsalice "a version-2 record in the spare page (issues 12-15): back at its path"
match "$("$SECTOOL" xrecord "$ov2")" '^version=2 .*path=a/v2$' "moved into the object's attribute"
eq "$(spare_bytes "$ov2")" 0 "its spare page cleared"
fails "version-1 record in alice's directory not believed" test -e "$MNT/adir/m1"
ok "it is in lost+found instead" test -e "$MNT/lost+found/$(basename "$om")"
fails "version-1 record in root's 0755 directory not believed" test -e "$MNT/rootdir/m2"
eq "$(stat -c %u "$MNT/lost+found/$(basename "$om2")")" "$MALLORY" "shown in lost+found as mallory's"
ok "namespace moved: keepdir back" test -d "$MNT/keepdir"
fails "old namespace file gone from shm_dir" test -e "$SHM/.$PREFIX.ns"
ok "namespace file now in the state directory" test -f "$ns"
it_umount

# a namespace file in shm_dir that is not the daemon's is never taken
mv "$ns" "$IT_TMP/ns.saved"
cp "$IT_TMP/ns.saved" "$SHM/.$PREFIX.ns"
chown "$MALLORY" "$SHM/.$PREFIX.ns"
it_mount
fails "mallory's namespace file not loaded" test -d "$MNT/keepdir"
ok "and left where it is" test -e "$SHM/.$PREFIX.ns"
it_umount
rm -f "$SHM/.$PREFIX.ns"
cp "$IT_TMP/ns.saved" "$ns"

# FIFOs and symlinks at the state files: a clear error, never a hang
rm -f "$ns"
mkfifo "$ns"
it_mount
ok "mount up with a FIFO as the namespace file" mountpoint -q "$MNT"
match "$(cat "$IT_LOG")" "namespace file .* unusable \\(not a regular file of this daemon's\\)" "FIFO reported"
ok "mkdir" mkdir "$MNT/new"
sleep 0.5
it_umount
rm -f "$ns" "$ns.bad"
lock=$(ls "$ST/$PREFIX"-*.lock)
rm -f "$lock"
ln -s /etc/passwd "$lock"
rc 1 "a symlink as the lock file: mount refused" timeout 10 "$HSHMFS" -f hshm "$MNT" -o "$IT_MOUNT_OPTS"
fails "not mounted" mountpoint -q "$MNT"
rm -f "$lock"
chmod 0755 "$ST"
rc 1 "a state directory others can read: mount refused" timeout 10 "$HSHMFS" -f hshm "$MNT" -o "$IT_MOUNT_OPTS"
chmod 0700 "$ST"
it_mount
ok "mount with the state directory put right" mountpoint -q "$MNT"
it_umount
it_finish
