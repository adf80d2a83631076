#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Issue 12: nothing a local user plants in shm_dir is trusted.  An
# unprivileged user (hsmallory) attacks a root mount with default options
# from outside: forged region records (identity, path, lost+found, links,
# setuid), a hijacked or non-regular namespace file, records whose path runs
# past path_len, a squatted lost+found.  hsalice is the victim.
. "$(dirname "$0")/lib.sh"
it_init
[ "$(id -u)" = 0 ] || it_skip "a root mount attacked by other users needs root"
SECTOOL=${SECTOOL:-$(dirname "$ITOOL")/sectool}
ALICE=$(it_user hsalice)
MALLORY=$(it_user hsmallory)
LINKS=$IT_TMP/links
mkdir -m 1777 "$LINKS"
chmod 0755 "$IT_TMP"
it_allow '^hshmfs: recover: [^ ]+: damaged: .*$'
it_allow '^hshmfs: recover: .*'
it_allow '^hshmfs: lost\+found: .*'
it_allow '^hshmfs: namespace .*'
it_allow '^hshmfs: posix_shm_mmap: /[^ ]+: object shorter than backend_size says \(truncated\) \(unknown layout\)$'
it_allow '^hshmfs: open of '"'[^']*'"' refused: damaged: .*$'
OPTS="hshm_links,links_root=$LINKS"
it_mount "$OPTS"

# --- the victim's state
ok "alice: mkdir alice" as hsalice mkdir "$MNT/alice"
ok "alice: chmod 700 alice" as hsalice chmod 700 "$MNT/alice"
ok "alice: touch alice/secret" as hsalice touch "$MNT/alice/secret"
ok "alice: write alice/secret" as hsalice "$ITOOL" pwrite "$MNT/alice/secret" 8192 alice-data
ok "alice: touch apub" as hsalice touch "$MNT/apub"
ok "alice: chmod 644 apub" as hsalice chmod 644 "$MNT/apub"
ok "alice: touch adamage" as hsalice touch "$MNT/adamage"
ok "root: mkdir sd; chmod 6755 sd" sh -c "mkdir '$MNT/sd' && chmod 6755 '$MNT/sd'"
aurl=$(xa "$MNT/alice/secret" url)
adamage=$SHM/$(xa "$MNT/adamage" url | sed 's|^/||')
# --- the attacker's regions, copied into planted objects
ok "mallory: touch m1" as hsmallory touch "$MNT/m1"
m1=$SHM/$(xa "$MNT/m1" url | sed 's|^/||')
ok "mallory: mkdir lost+found (squat)" as hsmallory mkdir "$MNT/lost+found"
ok "mallory: chmod 777 lost+found" as hsmallory chmod 777 "$MNT/lost+found"
sleep 0.5 # the namespace flusher
it_umount

plant() { # plant SERIAL FIELD=VALUE...: a mallory-made object with a record
	local o=$SHM/$PREFIX.r$1
	shift
	as hsmallory cp "$m1" "$o" && as hsmallory "$SECTOOL" record "$o" "$@" >/dev/null
}
ok "plant a setuid root region" plant 90001 uid=0 gid=0 mode=104755 path=evil
ok "plant a claim on alice/secret" plant 90002 uid="$MALLORY" gid="$MALLORY" path=alice/secret
ok "plant lost+found/x" plant 90003 uid="$MALLORY" gid="$MALLORY" path=lost+found/x
ok "plant alice's region for links" plant 90004 uid="$ALICE" gid="$ALICE" mode=100644 path=alink
ok "plant a path running past path_len" plant 90005 uid="$MALLORY" gid="$MALLORY" path="$(printf 'x%.0s' $(seq 300))" path_len=5
ok "plant 'q/..' behind path_len 1" plant 90006 uid="$MALLORY" gid="$MALLORY" path=q/.. path_len=1
ok "copy m1 (its bytes) onto another object" as hsmallory cp "$m1" "$SHM/$PREFIX.r90007"
# the record is m1's trusted attribute: out of mallory's reach
fails "mallory cannot forge the record attribute" \
	as hsmallory setfattr -n trusted.hshmfs.record -v forged "$m1"
fails "mallory cannot remove it" as hsmallory setfattr -x trusted.hshmfs.record "$m1"
eq "$(as hsmallory getfattr -d -m - --absolute-names "$m1" 2>&1 | grep -c trusted)" 0 \
	"mallory cannot read it"
ok "mallory writes a record claiming root and 'evil2' into m1's spare page" \
	as hsmallory "$SECTOOL" record "$m1" uid=0 gid=0 mode=104755 path=evil2
ok "alice damages her own region" as hsalice truncate -s 20000 "$adamage"
it_mount "$OPTS"
cd "$MNT" || exit 1

# finding 1: planted records never give an identity, a path or a link
fails "no setuid root 'evil' at the claimed path" test -e evil
for f in lost+found/*; do
	[ -e "$f" ] || continue
	ne "$(stat -c %u "$f")" 0 "$f: not shown as root's"
	eq "$(( 0$(stat -c %a "$f") & 07000 ))" 0 "$f: no setuid/setgid/sticky"
done
eq "$(stat -c %u alice/secret 2>&1)" "$ALICE" "alice/secret still alice's"
eq "$(xa alice/secret url)" "$aurl" "alice/secret still alice's object"
eq "$(as hsalice "$ITOOL" pread alice/secret 8192 10)" alice-data "alice/secret still alice's bytes"
fails "no claimed 'alink' at a user path" test -e alink
ok "nothing of mallory's published into chimaera_hsalice" \
	sh -c "! ls '$LINKS/chimaera_hsalice' 2>/dev/null | grep -q '$PREFIX.r9000'"
match "$(xa "lost+found/$PREFIX.r90007" state 2>&1)" '^damaged' "a copied record does not make another object a region"
eq "$(xa m1 url)" "/$(basename "$m1")" "m1 is still mallory's own object"
# finding 8: lost+found is the daemon's, the squatter's directory moved aside
eq "$(stat -c %u:%F lost+found 2>&1)" "0:directory" "lost+found owned by the daemon"
ne "$(stat -c %a lost+found)" 777 "lost+found not the squatter's 0777"
fails "no 'evil2' from a record in the spare page" test -e evil2
eq "$(stat -c %u:%a m1)" "$MALLORY:644" "m1 at its path, mallory's, no setuid (its attribute counts)"
match "$(xa adamage state)" '^damaged: ' "alice's damaged region at its path (its record survives the cut)"
fails "mallory cannot remove alice's damaged region" as hsmallory rm -f adamage
ok "the damaged object is still there" test -f "$adamage"
# finding 4: the name is path_len bytes, never more
long=$(ls -a . lost+found | awk 'length($0) > 255' | head -1)
eq "$long" "" "no name over 255 bytes"
ok "no name read past path_len" sh -c "! ls -a . lost+found | grep -q 'xxxxxx'"
if [ -d q ]; then
	eq "$(ls -a q | grep -c '^\.\.$')" 1 "q has one '..'"
	ok "rm -rf q works" rm -rf q
fi
# finding 10: no setuid from the namespace file
eq "$(( 0$(stat -c %a sd) & 04000 ))" 0 "sd: setuid not restored"
cd /
it_umount

# finding 2: a planted namespace temp file never ends up as the namespace
ok "mallory plants .PREFIX.ns.tmp" as hsmallory sh -c "echo x > '$SHM/.$PREFIX.ns.tmp'"
it_mount "$OPTS"
ok "root: mkdir after the plant" mkdir "$MNT/after"
sleep 0.5
if [ -e "$SHM/.$PREFIX.ns" ]; then
	ne "$(stat -c %u "$SHM/.$PREFIX.ns")" "$MALLORY" ".PREFIX.ns not mallory's"
fi
it_umount
# her own namespace file (where a previous version kept it) is not loaded
rm -f "$SHM/.$PREFIX.ns"
ok "mallory forges .PREFIX.ns" as hsmallory "$SECTOOL" nsforge "$SHM/.$PREFIX.ns" "$MALLORY" 47777
it_mount "$OPTS"
eq "$(stat -c %u "$MNT")" 0 "root directory still root's"
ne "$(stat -c %a "$MNT")" 7777 "root directory mode not from a forged file"
ok "after still there" test -d "$MNT/after"
eq "$(stat -c %u "$MNT/alice")" "$ALICE" "alice's directory still alice's"
it_umount
as hsmallory rm -f "$SHM/.$PREFIX.ns" "$SHM/.$PREFIX.ns.tmp"

# finding 3: FIFOs and symlinks at the namespace names never block
ok "mallory: FIFO at .PREFIX.ns.tmp" as hsmallory mkfifo "$SHM/.$PREFIX.ns.tmp"
it_mount "$OPTS"
ok "mkdir with a FIFO at the temp name" mkdir "$MNT/fifo1"
sleep 0.5
it_umount
as hsmallory rm -f "$SHM/.$PREFIX.ns.tmp"
ok "mallory: FIFO at .PREFIX.ns" as hsmallory mkfifo "$SHM/.$PREFIX.ns"
it_mount "$OPTS" # it_mount fails the test when the mount never comes up
ok "mount up with a FIFO at .PREFIX.ns" mountpoint -q "$MNT"
it_umount
as hsmallory rm -f "$SHM/.$PREFIX.ns"
ok "mallory: symlink at .PREFIX.ns" as hsmallory ln -s /etc/shadow "$SHM/.$PREFIX.ns"
it_mount "$OPTS"
ok "mount up with a symlink at .PREFIX.ns" mountpoint -q "$MNT"
ok "fifo1 still there" test -d "$MNT/fifo1"
it_umount
as hsmallory rm -f "$SHM/.$PREFIX.ns"
rm -f "$SHM/$PREFIX".r9000*
it_finish
