#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Directories and symlinks outlive the daemon: modes, owners, the
# user.hshm.* defaults, empty directories and symlinks come back after
# umount and after SIGKILL; a damaged namespace file is set aside, not lost.
. "$(dirname "$0")/lib.sh"
it_init
# in the daemon's private state directory (state_dir=, lib.sh), not shm_dir
ST=${IT_STATE_OPT#state_dir=}

it_mount
cd "$MNT" || exit 1
ok "mkdir -p a/b/c e" mkdir -p a/b/c e
ok "chmod 2750 a" chmod 2750 a
ok "chown 65534:65534 e" chown 65534:65534 e
ok "size default on a" setfattr -n user.hshm.size -v 4M a
ok "backend default on e" setfattr -n user.hshm.backend -v malloc e
ok "device default on a/b" setfattr -n user.hshm.data_id -v 0 a/b
ok "size default on the root" setfattr -n user.hshm.size -v 2M .
ok "symlink" ln -s /some/target a/lnk
ok "touch -d a/b/c" touch -d '2020-01-02 03:04:05' a/b/c
ok "region in a/b" touch a/b/r
cd /
it_umount
NS=$(ls "$ST/$PREFIX"-*.ns)

eq "$(stat -c '%a %U' "$NS")" "600 root" "namespace file is the daemon's, 0600"
eq "$(stat -c '%a %U' "$ST")" "700 root" "state directory is the daemon's, 0700"
match "$(ls "$SHM")" "^$PREFIX\\.r1$" "a plain listing of shm_dir shows only the region"

it_mount
eq "$(stat -c %a "$MNT/a")" 2750 "directory mode (setgid) back"
eq "$(stat -c %u:%g "$MNT/e")" 65534:65534 "directory owner back"
eq "$(xa "$MNT/a" size)" 4194304 "directory size default back"
eq "$(xa "$MNT/e" backend)" malloc "directory backend default back"
eq "$(xa "$MNT" size)" 2097152 "root's size default back"
eq "$(readlink "$MNT/a/lnk")" /some/target "symlink back"
ok "empty directory back" test -d "$MNT/a/b/c"
eq "$(stat -c %Y "$MNT/a/b/c")" "$(date -d '2020-01-02 03:04:05' +%s)" "directory mtime back"
ok "region back inside them" test -f "$MNT/a/b/r"
ok "new region in a" touch "$MNT/a/new"
eq "$(xa "$MNT/a/new" backend_size)" 4194304 "inheritance works after the remount"

# --- changes reach the file within a moment, also when the daemon is killed
ok "mkdir late" mkdir "$MNT/late"
ok "rmdir a/b/c" rmdir "$MNT/a/b/c"
ok "mv e e2" mv "$MNT/e" "$MNT/e2"
sleep 0.5 # the flusher writes at most 100 ms after a change
it_kill9
it_mount
ok "directory made before SIGKILL back" test -d "$MNT/late"
fails "directory removed before SIGKILL stays removed" test -e "$MNT/a/b/c"
ok "renamed directory back under its new name" test -d "$MNT/e2"
eq "$(xa "$MNT/e2" backend)" malloc "renamed directory keeps its default"
it_umount

# --- options given at mount win over what the file restores for the root
it_mount "size=8M,mode=0700"
eq "$(xa "$MNT" size)" 8388608 "size= option beats the root's saved default"
eq "$(stat -c %a "$MNT")" 700 "mode= option beats the root's saved mode"
eq "$(xa "$MNT/a" size)" 4194304 "subdirectories keep their saved defaults"
it_umount

# --- a damaged namespace file: set aside, logged, regions still recovered
printf 'garbage' | dd of="$NS" bs=1 seek=40 conv=notrunc status=none
it_allow "hshmfs: namespace file $NS unusable \\(Bad message\\): directories and symlinks not restored; kept as ${NS##*/}\\.bad"
it_mount
ok "damaged file kept as .bad" test -f "$NS.bad"
ok "regions recovered without it" test -f "$MNT/a/b/r"
eq "$(stat -c %a "$MNT/a")" 755 "directories come back plain without it"
fails "nothing written over it before a change" test -e "$NS"
ok "chmod 700 a" chmod 700 "$MNT/a"
it_umount
ok "a new namespace file at the first change" test -f "$NS"
it_mount
eq "$(stat -c %a "$MNT/a")" 700 "and it is read back"
it_umount
it_finish
