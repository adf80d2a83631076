#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Zero-copy attach: mmap of a region file maps the object's own pages.  Two
# processes ping-pong through memory only (no msync): object <-> hshmfs file
# both ways, and two hshmfs mappings; pagemap shows the same page frames.
. "$(dirname "$0")/lib.sh"
it_init
it_mount
cd "$MNT" || exit 1

ok "touch r" touch r
o=$(obj r)
mode=$(xa r mmap)
if [ "$mode" = cached ] && grep -q "mmap mode: cached (kernel does not offer\|mmap mode: cached (passthrough refused" "$IT_LOG"; then
	it_log "# $(grep 'mmap mode' "$IT_LOG")"
	it_log "# kernel FUSE passthrough unavailable here: zero-copy cannot be tested"
	cd /
	it_umount
	exit 77
fi
eq "$mode" shared "user.hshm.mmap = shared"
match "$(grep 'mmap mode' "$IT_LOG")" '^hshmfs: mmap mode: shared \(' "mount logged its mmap mode once"
eq "$(grep -c 'mmap mode' "$IT_LOG")" 1 "exactly one mmap mode line"

doff=$(xa r data_offset)
eq "$("$ITOOL" pingpong "$o" r $doff 2000)" "ok 2000 rounds" "object mapping (A) <-> hshmfs mapping (B), no msync"
eq "$("$ITOOL" pingpong r "$o" $doff 2000)" "ok 2000 rounds" "hshmfs mapping (A) <-> object mapping (B)"
eq "$("$ITOOL" pingpong r r $((doff + 8192)) 2000)" "ok 2000 rounds" "two hshmfs mappings"

pm=$("$ITOOL" pagemap "$o" r $doff)
if [ "$pm" = unreadable ]; then
	it_log "# /proc/self/pagemap gives no frame numbers here (needs CAP_SYS_ADMIN)"
else
	eq "$pm" same "pagemap: object and hshmfs mappings use the same page frame"
	eq "$("$ITOOL" pagemap r r $((doff + 4096)))" same "pagemap: two hshmfs mappings, same frame"
	eq "$("$ITOOL" pagemap r "$o" 0)" same "pagemap: the header page too"
fi

# write(2)/read(2) through the daemon meet the mappings at once
eq "$("$ITOOL" mmap "$o" $((doff + 100)) native-store)" ok "store through a native mapping"
eq "$("$ITOOL" pread r $((doff + 100)) 12)" native-store "read(2) through hshmfs sees it"
eq "$("$ITOOL" pwrite r $((doff + 200)) daemon-write)" "ok 12" "write(2) through hshmfs"
eq "$("$ITOOL" coherent r $((doff + 4096 * 4)))" ok "one process: mmap store <-> pread, pwrite <-> mmap load"
ok "mapping of the object sees the write(2)" sh -c "[ \"\$(dd if='$o' bs=1 skip=$((doff + 200)) count=12 status=none)\" = daemon-write ]"

# a grown region: the new pages are shared too
ok "truncate -s 4M r" truncate -s 4M r
eq "$("$ITOOL" pingpong "$o" r $((4194304 - 8192 - 8192)) 500)" "ok 500 rounds" "ping-pong in the grown part"

# malloc regions (memfd backing): two hshmfs mappings share pages
ok "mkdir m" mkdir m
ok "setfattr malloc" setfattr -n user.hshm.backend -v malloc m
ok "touch m/r" touch m/r
eq "$(xa m/r mmap)" shared "malloc region mmap shared"
eq "$("$ITOOL" pingpong m/r m/r 12288 2000)" "ok 2000 rounds" "malloc: two hshmfs mappings ping-pong"
pm=$("$ITOOL" pagemap m/r m/r 12288)
[ "$pm" = unreadable ] || eq "$pm" same "malloc: same page frame through two mappings"

# io=passthrough: read/write at kernel speed, mappings still shared
cd /
it_umount
it_mount "io=passthrough"
cd "$MNT" || exit 1
eq "$(xa r mmap)" shared "io=passthrough: mmap shared"
eq "$("$ITOOL" pwrite r $((doff + 300)) pt-write)" "ok 8" "io=passthrough: write(2)"
eq "$(dd if="$o" bs=1 skip=$((doff + 300)) count=8 status=none)" pt-write "io=passthrough: object has it at once"
eq "$("$ITOOL" pingpong "$o" r $doff 1000)" "ok 1000 rounds" "io=passthrough: ping-pong"

cd /
it_finish
