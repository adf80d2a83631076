#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Findings 4, 5, 6 and 8 of issue 13: the view opens links with their
# owner's rights and shows entries only their owner (and root) can reach;
# a read-only view refuses every change; a region root took over outlives
# its creator.
. "$(dirname "$0")/up_lib.sh"
up_init
it_allow "^hshmfs: upstream: .*chimaera_$MAL/(steal|fifo|peek|dev): .*"
it_allow "^hshmfs: upstream: .*chimaera_$ALICE/up: .*"

as "$ALICE" "$FAKE" image "$IT_TMP/users/$ALICE/img" 1048576 S
as "$MAL" mkfifo "$IT_TMP/users/$MAL/fifo"
as "$MAL" ln -s "$IT_TMP/users/$ALICE/img" "$LR/chimaera_$MAL/steal"
as "$MAL" ln -s "$IT_TMP/users/$MAL/fifo" "$LR/chimaera_$MAL/fifo"
as "$MAL" ln -s /dev/zero "$LR/chimaera_$MAL/dev"
up_create "$ALICE" /up A
ALICE_TARGET=$(readlink "$LR/chimaera_$ALICE/up")
as "$MAL" ln -s "$ALICE_TARGET" "$LR/chimaera_$MAL/peek"

it_mount "links_root=$LR"
V=$MNT/.hshm/$ALICE/up
M=$MNT/.hshm/$MAL

# --- finding 5: the entry is alice's and only alice's ----------------------
eq "$(stat -c '%U %a' "$MNT/.hshm/$ALICE")" "$ALICE 500" "alice's view directory is hers and closed"
fails "mallory cannot list alice's view directory" as "$MAL" ls "$MNT/.hshm/$ALICE"
eq "$(stat -c %U "$V")" "$ALICE" "view entry owned by the link owner"
match "$(stat -c %a "$V")" '^[1-7]00$' "view entry grants nothing to group or others"
eq "$(as "$ALICE" "$ITOOL" pread "$V" 8192 4)" AAAA "alice reads her region"
eq "$(as "$MAL" "$ITOOL" open "$V" r)" EACCES "mallory cannot open alice's region"
eq "$(dd if="$V" bs=1 skip=8192 count=4 status=none)" AAAA "root still reads it"

# --- finding 6: read-only means read-only ----------------------------------
eq "$(as "$ALICE" "$ITOOL" setxattr "$V" user.hshm.id 1.2)" EROFS "setxattr id: EROFS"
eq "$(as "$ALICE" "$ITOOL" setxattr "$V" user.hshm.owned 1)" EROFS "setxattr owned: EROFS"
eq "$("$ITOOL" setxattr "$V" user.hshm.id 1.2)" EROFS "root's setxattr id: EROFS"
eq "$(xa "$V" id)" 7.42 "header id unchanged"
eq "$(xa "$V" owned)" 0 "not owned"
eq "$(as "$ALICE" "$ITOOL" open "$V" w)" EROFS "open for writing: EROFS"
eq "$(as "$ALICE" "$ITOOL" truncate "$V" 2097152)" EROFS "truncate: EROFS"
match "$(as "$ALICE" chmod 600 "$V" 2>&1)" 'Read-only file system' "chmod: EROFS"
match "$(as "$ALICE" chgrp "$ALICE" "$V" 2>&1)" 'Read-only file system' "chgrp: EROFS"
match "$(chown root "$V" 2>&1)" 'Read-only file system' "root's chown: EROFS"
match "$(touch -m -d @1 "$V" 2>&1)" 'Read-only file system' "utimes: EROFS"
match "$(setfattr -x user.hshm.id "$V" 2>&1)" 'Read-only file system' "removexattr: EROFS"
eq "$(up_check A)" ok "upstream region intact"

# --- finding 4: links are followed with their owner's rights ----------------
up_bg as "$MAL" timeout 3 sh -c "echo x > '$IT_TMP/users/$MAL/fifo'"
W=$!
sleep 0.5
ls -l "$M" >/dev/null 2>&1
wait "$W"
eq "$?" 124 "the daemon never opened mallory's FIFO (her writer still waits)"
ne "$(as "$MAL" "$ITOOL" pread "$M/steal" 8192 4)" SSSS "mallory cannot read alice's file in a 0700 directory"
ne "$("$ITOOL" pread "$M/steal" 8192 4)" SSSS "nor is it shown to root as mallory's"
ne "$(as "$MAL" "$ITOOL" pread "$M/peek" 8192 4)" AAAA "mallory cannot read alice's memfd through /proc"
fails "no entry for another user's process" test -e "$M/peek"
fails "no entry for a FIFO" test -e "$M/fifo"
fails "no entry for a device" test -e "$M/dev"
it_umount

# --- upstream=rw: still only the owner; take-over; finding 8 ---------------
it_mount "links_root=$LR,upstream=rw"
eq "$(as "$MAL" "$ITOOL" open "$V" w)" EACCES "rw view: mallory cannot write alice's region"
eq "$(as "$MAL" "$ITOOL" pwrite "$V" 8192 X)" EACCES "rw view: nor through pwrite"
eq "$(as "$ALICE" "$ITOOL" pwrite "$V" 8192 A)" "ok 1" "rw view: alice writes her region"
match "$(as "$ALICE" chgrp "$ALICE" "$V" 2>&1)" 'not permitted' "rw view: chgrp is no take-over (EPERM)"
eq "$(xa "$V" owned)" 0 "still not owned"
ok "root takes the region over" chown root "$V"
eq "$(xa "$V" owned)" 1 "owned after root's chown"
up_quit
ls "$MNT/.hshm/$ALICE" >/dev/null
ok "taken-over region outlives its creator" test -e "$V"
eq "$("$ITOOL" pread "$V" 8192 4)" AAAA "and keeps its data"
# a region not taken over goes with its creator: ENOENT, not EINVAL
up_create "$ALICE" /up2 B
V2=$MNT/.hshm/$ALICE/up2
eq "$("$ITOOL" pread "$V2" 8192 1)" B "second region shown"
up_quit
ls "$MNT/.hshm/$ALICE" >/dev/null
eq "$("$ITOOL" open "$V2" r)" ENOENT "open after its creator exited: ENOENT"
ok "root removes the taken-over region" rm "$V"
fails "and it is gone" test -e "$V"
it_finish
