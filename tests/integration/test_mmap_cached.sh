#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# mmap=cached forces the page-cache fallback: it is logged, visible on every
# region as user.hshm.mmap=cached, and mmap still works in a single process.
. "$(dirname "$0")/lib.sh"
it_init
it_allow '^hshmfs: mmap mode: cached \(forced by mmap=cached\)$'
it_allow "^hshmfs: write at [0-9]+ to region [^ ]+ refused: the header pages end at [0-9]+$"
it_mount "mmap=cached"
cd "$MNT" || exit 1

eq "$(grep -c '^hshmfs: mmap mode: cached (forced by mmap=cached)$' "$IT_LOG")" 1 "one log line says cached and why"
ok "touch r" touch r
eq "$(xa r mmap)" cached "user.hshm.mmap = cached"
ok "mkdir m; malloc" sh -c "mkdir m && setfattr -n user.hshm.backend -v malloc m && touch m/r"
eq "$(xa m/r mmap)" cached "malloc region says cached too"
doff=$(xa r data_offset)
eq "$("$ITOOL" mmap r $doff cached-store)" ok "mmap read-write works"
eq "$("$ITOOL" coherent r $((doff + 4096)))" ok "single process: mmap+msync <-> read/write coherent"
eq "$("$ITOOL" pread r $doff 12)" cached-store "store visible through read(2)"
eq "$("$ITOOL" pwrite r $((doff + 100)) via-write)" "ok 9" "write(2) works"
eq "$("$ITOOL" pwrite r 0 x)" EPERM "header still protected"
ok "sync" sync
o=$(obj r)
eq "$(dd if="$o" bs=1 skip=$((doff + 100)) count=9 status=none)" via-write "write(2) reaches the object"
cd /
it_umount

# mmap=shared where passthrough works mounts; it is refused otherwise
it_mount "mmap=shared"
eq "$(xa "$MNT/r" mmap)" shared "mmap=shared mount reports shared"
it_finish
