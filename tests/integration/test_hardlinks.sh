#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Issue 15: hard links to regions.  One region (one object, one record),
# several names: nlink counts them, chmod/chown/xattrs through any name
# reach the one inode, removing its first name moves the record to
# another, every name comes back after umount and SIGKILL, and the object
# goes only with the last name.  Symlinks and FIFOs take them too.
# Before: link(2) was EPERM.
. "$(dirname "$0")/lib.sh"
it_init
[ "$(id -u)" = 0 ] || it_skip "runs steps as other users: needs root"
ALICE=$(it_user hsalice)
BOB=$(it_user hsbob)

it_mount
ok "alice: mkdir data other img" as hsalice mkdir "$MNT/data" "$MNT/other" "$MNT/img"
ok "data view on data" as hsalice setfattr -n user.hshm.view -v data "$MNT/data"
ok "alice: write data/f" as hsalice sh -c "echo payload > '$MNT/data/f'"
OBJ=$(obj "$MNT/data/f")
ok "alice: ln data/f data/g" as hsalice ln "$MNT/data/f" "$MNT/data/g"
ok "alice: ln data/f other/h" as hsalice ln "$MNT/data/f" "$MNT/other/h"
eq "$(stat -c %h "$MNT/data/f")" 3 "nlink 3"
eq "$(stat -c %i "$MNT/data/g")" "$(stat -c %i "$MNT/data/f")" "one inode"
eq "$(stat -c %i "$MNT/other/h")" "$(stat -c %i "$MNT/data/f")" "in another directory too"
eq "$(ls -i "$MNT/data" | awk '$2 == "g" {print $1}')" "$(stat -c %i "$MNT/data/f")" "readdir shows the region's inode"
eq "$(cat "$MNT/other/h")" payload "the same bytes through every name"
eq "$(xa "$MNT/data/g" url)" "$(xa "$MNT/data/f" url)" "one region (one url)"
ok "alice: chmod 0640 through g" as hsalice chmod 0640 "$MNT/data/g"
eq "$(stat -c %a "$MNT/data/f")" 640 "chmod through one name shows through the other"
ok "root: chown hsbob through h" chown hsbob "$MNT/other/h"
eq "$(stat -c %U "$MNT/data/f")" hsbob "chown through another"
eq "$(stat -c %U "$OBJ")" hsbob "the one object follows"
ok "root: chown back" chown hsalice "$MNT/data/f"
ok "alice: setfattr through g" as hsalice setfattr -n user.k -v v "$MNT/data/g"
eq "$(getfattr --absolute-names --only-values -n user.k "$MNT/other/h" 2>&1)" v "xattrs are the inode's"
ok "rename(2) of one name over another of the same file: nothing" \
   /usr/bin/python3 -c 'import os,sys; os.rename(sys.argv[1], sys.argv[2])' "$MNT/data/g" "$MNT/other/h"
ok "both names still there" test -e "$MNT/data/g" -a -e "$MNT/other/h"

# --- symlinks and FIFOs take hard links too (as on tmpfs); directories not
ok "alice: ln -s, mkfifo" as hsalice sh -c "ln -s f '$MNT/data/s' && mkfifo '$MNT/data/p'"
ok "alice: link to a symlink" as hsalice ln -P "$MNT/data/s" "$MNT/other/s2"
ok "alice: link to a FIFO" as hsalice ln "$MNT/data/p" "$MNT/other/p2"
eq "$(stat -c '%h %i' "$MNT/other/p2")" "2 $(stat -c %i "$MNT/data/p")" "the FIFO's two names, one inode"
eq "$(readlink "$MNT/other/s2")" f "the symlink's second name reads the same"
fails "alice: link to a directory" as hsalice ln "$MNT/data" "$MNT/d2"
ok "alice: chmod 0644 f" as hsalice chmod 0644 "$MNT/data/f"
ok "root: mkdir -m 1777 pub" mkdir -m 1777 "$MNT/pub"
fails "bob: link to alice's file (protected_hardlinks)" as hsbob ln "$MNT/data/f" "$MNT/pub/stolen"

# --- removing the first name: the record moves to another
ok "alice: rm data/f" as hsalice rm "$MNT/data/f"
eq "$(stat -c %h "$MNT/data/g")" 2 "nlink 2 after one name went"
ok "the object stays" test -f "$OBJ"
eq "$(cat "$MNT/data/g")" payload "bytes still there"
ok "alice: ln data/g img/x" as hsalice ln "$MNT/data/g" "$MNT/img/x"
it_umount

it_mount
eq "$(stat -c %h "$MNT/data/g")" 3 "nlink 3 after the remount"
eq "$(stat -c %i "$MNT/other/h")" "$(stat -c %i "$MNT/data/g")" "names of one inode again"
eq "$(stat -c %i "$MNT/img/x")" "$(stat -c %i "$MNT/data/g")" "all three"
eq "$(cat "$MNT/img/x")" payload "the bytes"
eq "$(stat -c '%a %U' "$MNT/other/h")" "644 hsalice" "mode and owner"
fails "the removed name stays removed" test -e "$MNT/data/f"
eq "$(ls "$SHM" | grep -c "^$PREFIX\\.r")" 1 "one object for all names"
eq "$(stat -c '%F %h %i' "$MNT/other/p2")" "fifo 2 $(stat -c %i "$MNT/data/p")" "the FIFO's second name back"
ok "alice: rm data/p (its first name)" as hsalice rm "$MNT/data/p"
eq "$(stat -c '%F %h' "$MNT/other/p2")" "fifo 1" "the FIFO lives on under its other name"
eq "$(readlink "$MNT/other/s2")" f "the symlink's second name back"

# --- SIGKILL a moment after changes
ok "alice: ln img/x img/late" as hsalice ln "$MNT/img/x" "$MNT/img/late"
ok "alice: mv other/h other/h2" as hsalice mv "$MNT/other/h" "$MNT/other/h2"
ok "alice: rm data/g (the first name)" as hsalice rm "$MNT/data/g"
sleep 0.5 # the flusher writes at most 100 ms after a change
it_kill9
it_mount
eq "$(stat -c %h "$MNT/img/late")" 3 "nlink 3 after SIGKILL"
ok "names made before SIGKILL back" test -e "$MNT/img/late" -a -e "$MNT/other/h2" -a -e "$MNT/img/x"
ok "the FIFO under its remaining name" test -p "$MNT/other/p2"
fails "and not under the removed one" test -e "$MNT/data/p"
fails "names removed before SIGKILL stay removed" test -e "$MNT/data/g" -o -e "$MNT/other/h"
eq "$(cat "$MNT/other/h2")" payload "the bytes"

# --- the object goes with the last name
ok "alice: rm every name" as hsalice rm "$MNT/img/late" "$MNT/other/h2" "$MNT/img/x"
fails "the object is destroyed with the last name" test -e "$OBJ"
it_umount
it_mount
eq "$(ls "$MNT/img")" "" "no name of the region comes back"
eq "$(ls "$MNT/other" | tr '\n' ' ')" "p2 s2 " "only the FIFO's and the symlink's other names"
it_umount
it_finish
