#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Finding 2 of issue 13: a link pointing into the mount itself must not
# deadlock the daemon (the scan used to open it under the tree lock, and the
# open came back to the same daemon).  Every step is bounded; a hang aborts
# the FUSE connection and fails the test.
. "$(dirname "$0")/up_lib.sh"
up_init
it_allow "^hshmfs: upstream: .*chimaera_$MAL/(loop|deep|self): .*"

it_mount "links_root=$LR"
ok "alice makes a region" as "$ALICE" touch "$MNT/a"
as "$MAL" ln -s "$MNT/a" "$LR/chimaera_$MAL/loop"
as "$MAL" ln -s "$MNT/.hshm/$MAL/self" "$LR/chimaera_$MAL/self"
as "$MAL" ln -s "$LR/chimaera_$MAL/loop" "$LR/chimaera_$MAL/deep"
bounded 5 "mallory lists her view directory" as "$MAL" ls "$MNT/.hshm/$MAL"
bounded 5 "alice's request on mallory's view directory returns" \
	as "$ALICE" sh -c "ls -l '$MNT/.hshm/$MAL' >/dev/null 2>&1; true"
bounded 5 "alice stats her region" as "$ALICE" stat "$MNT/a"
bounded 5 "root lists the view" ls -lR "$MNT/.hshm"
fails "no entry for a link into the mount" test -e "$MNT/.hshm/$MAL/loop"
fails "nor through a chain of links" test -e "$MNT/.hshm/$MAL/deep"
fails "nor for a link to the view itself" test -e "$MNT/.hshm/$MAL/self"
bounded 5 "the mount still answers" stat "$MNT/a"
it_finish
