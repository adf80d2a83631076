#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Finding 1 of issue 13: root must never delete a file for a user.  A chgrp
# of a view entry takes nothing over, and a taken-over region's link is
# removed only relative to the verified link directory, never by a path
# that is resolved again (a swapped directory must not redirect the unlink).
. "$(dirname "$0")/up_lib.sh"
up_init
it_allow "^hshmfs: upstream: .*$MAL.*: not removing the link: .*"
it_allow "^hshmfs: upstream: link directory .*chimaera_$MAL.*"

mkdir -m 700 "$IT_TMP/rootdir"
echo keep >"$IT_TMP/rootdir/victim"
as "$MAL" "$FAKE" image "$IT_TMP/users/$MAL/img" 1048576 M
as "$MAL" ln -s "$IT_TMP/users/$MAL/img" "$LR/chimaera_$MAL/victim"

# swap_dir: mallory removes her link and replaces her link directory by a
# symlink to root's directory.
swap_dir() {
	as "$MAL" rm -f "$LR/chimaera_$MAL/victim"
	as "$MAL" mv "$LR/chimaera_$MAL" "$LR/old_$MAL.$1"
	as "$MAL" ln -s "$IT_TMP/rootdir" "$LR/chimaera_$MAL"
}
unswap_dir() {
	as "$MAL" rm "$LR/chimaera_$MAL"
	as "$MAL" mkdir -m 700 "$LR/chimaera_$MAL"
	as "$MAL" ln -s "$IT_TMP/users/$MAL/img" "$LR/chimaera_$MAL/victim"
}

# --- the read-only view: chgrp by the owner changes nothing ---------------
it_mount "links_root=$LR"
V=$MNT/.hshm/$MAL/victim
ok "mallory sees her entry" as "$MAL" test -e "$V"
fails "mallory's chgrp is refused" as "$MAL" chgrp "$MAL" "$V"
match "$(as "$MAL" chgrp "$MAL" "$V" 2>&1)" 'Read-only file system' "chgrp: EROFS"
eq "$(xa "$V" owned)" 0 "chgrp took nothing over"
swap_dir 1
ok "root removes the view entry" rm -f "$V"
ok "root's file survives" test -e "$IT_TMP/rootdir/victim"
it_umount
unswap_dir

# --- only a user's own private directory counts --------------------------
it_allow "^hshmfs: upstream: link directory .*chimaera_(nobody|$MAL): (not its user's own private directory|Permission denied): ignored$"
as "$MAL" mkdir -m 700 "$LR/chimaera_nobody"
as "$MAL" ln -s "$IT_TMP/users/$MAL/img" "$LR/chimaera_nobody/planted"
as "$MAL" chmod 755 "$LR/chimaera_$MAL"
it_mount "links_root=$LR"
fails "a directory mallory made for nobody shows nothing" test -e "$MNT/.hshm/nobody/planted"
fails "a link directory open to others shows nothing" test -e "$V"
as "$MAL" chmod 700 "$LR/chimaera_$MAL"
sleep 1.2 # the kernel's negative entry for it expires
ok "private again: shown again" test -e "$V"
as "$MAL" rm -r "$LR/chimaera_nobody"
it_umount

# --- upstream=rw: root takes over, the directory is swapped, then rm ------
it_mount "links_root=$LR,upstream=rw"
fails "mallory's chgrp is no take-over" as "$MAL" chgrp "$MAL" "$V"
ok "root takes the region over with chown" chown root "$V"
eq "$(xa "$V" owned)" 1 "chown by root takes over"
swap_dir 2
ok "root removes the taken-over region" rm -f "$V"
ok "root's file survives the take-over's unlink" test -e "$IT_TMP/rootdir/victim"
eq "$(cat "$IT_TMP/rootdir/victim")" keep "root's file unchanged"
it_finish
