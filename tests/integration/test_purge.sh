#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Purge: rm of a region in /lost+found by the object's owner (or root)
# destroys its object, damaged or record-less as it may be; anybody else
# is refused by the sticky bit and the object stays.  Outside lost+found
# rm of a damaged region by its owner (or root) purges it too; anybody
# else's only drops it from the tree (the object stays).
# Run as an unprivileged user (hsalice), with hsmallory as the other one.
. "$(dirname "$0")/lib.sh"
it_init
[ "$(id -u)" = 0 ] || it_skip "needs root to mount for other users"
it_user hsalice >/dev/null
it_user hsmallory >/dev/null
it_allow "^hshmfs: recover: $PREFIX\\.r[0-9]+: damaged: no hshmfs record \\(truncated or not ours\\)$"
it_allow "^hshmfs: recover: $PREFIX\\.r[0-9]+: damaged: non-zero flags stored in a region$"
it_allow "^hshmfs: posix_shm_mmap: /$PREFIX\\.r[0-9]+: non-zero flags stored in a region \\([a-z0-9]+ layout\\)$"
it_allow "^hshmfs: recover: $PREFIX\\.r[0-9]+: damaged: object shorter than backend_size says \\(truncated\\)$"
it_allow "^hshmfs: posix_shm_mmap: /$PREFIX\\.r[0-9]+: object shorter than backend_size says \\(truncated\\) \\(unknown layout\\)$"
it_allow "^hshmfs: open of .d. refused: damaged: object shorter than backend_size says \\(truncated\\)$"
it_allow "^hshmfs: purged /$PREFIX\\.r[0-9]+( from lost\\+found)? \\(damaged: .*\\)$"
it_mount
A() { as hsalice "$@"; }
M() { as hsmallory "$@"; }
ok "alice makes a, b, c, d and e" A touch "$MNT/a" "$MNT/b" "$MNT/c" "$MNT/d" "$MNT/e"
oa=$(obj "$MNT/a") ob=$(obj "$MNT/b") oc=$(obj "$MNT/c") od=$(obj "$MNT/d")
oe=$(obj "$MNT/e")
it_umount
# a and b are replaced by copies of themselves, which have no record (it
# is the object's trusted attribute): record-less, in lost+found; c keeps
# its record but its header is bad, d and e are cut short: damaged at
# their own paths
for o in "$oa" "$ob"; do
	A cp "$o" "$o.copy" && A mv "$o.copy" "$o"
done
"$ITOOL" poke "$oc" 8 1 >/dev/null
A truncate -s 20000 "$od" "$oe"
it_mount
na=lost+found/$(basename "$oa") nb=lost+found/$(basename "$ob")
ok "a is in lost+found" test -f "$MNT/$na"
eq "$(stat -c %U "$MNT/$na")" hsalice "the entry belongs to the object's owner"
match "$(stat -c %A "$MNT/lost+found")" '^drwxrwxrwt$' "lost+found is sticky and open, like /tmp"
ok "alice lists lost+found" A ls "$MNT/lost+found"
out=$(M rm -f "$MNT/$na" 2>&1)
match "$out" "Operation not permitted" "mallory cannot remove alice's entry"
ok "the object stays" test -f "$oa"
ok "alice removes her entry" A rm "$MNT/$na"
fails "rm in lost+found by the owner destroys the object" test -e "$oa"
ok "root removes another" rm "$MNT/$nb"
fails "rm in lost+found by root destroys the object" test -e "$ob"
eq "$(grep -c 'purged .* from lost+found' "$IT_LOG")" 2 "one log line per purge"
# a malloc region moved into lost+found and purged there: no object to
# remove, but its memory (the daemon's memfd) goes like any other release
ok "alice makes a malloc directory" A mkdir "$MNT/m"
ok "malloc backend" A setfattr -n user.hshm.backend -v malloc "$MNT/m"
ok "alice makes m/r" A touch "$MNT/m/r"
memfds() { ls -l "/proc/$IT_PID/fd" 2>/dev/null | grep -c 'memfd:hshm-malloc'; }
eq "$(memfds)" 1 "the daemon holds its memfd"
ok "alice moves it into lost+found" A mv "$MNT/m/r" "$MNT/lost+found/r"
ok "alice removes it there" A rm "$MNT/lost+found/r"
for i in $(seq 50); do [ "$(memfds)" = 0 ] && break; sleep 0.1; done
eq "$(memfds)" 0 "a purged malloc region's memfd is closed"
match "$(xa "$MNT/c" state)" '^damaged: ' "c is damaged at its path"
match "$(xa "$MNT/d" state)" '^damaged: object shorter' "d (cut short) is damaged at its path"
eq "$(A "$ITOOL" open "$MNT/d" r)" EIO "opening d: EIO"
ok "mallory: a directory open to all" M mkdir -m 0777 "$MNT/open"
ok "alice moves e there" A mv "$MNT/e" "$MNT/open/e"
ok "mallory removes e (not hers; the directory lets her)" M rm "$MNT/open/e"
ok "anybody else's rm leaves the object of a damaged region" test -f "$oe"
ok "alice removes c (not in lost+found)" A rm "$MNT/c"
fails "alice's rm of her damaged region purges its object" test -e "$oc"
ok "root removes d" rm "$MNT/d"
fails "root's rm of a damaged region purges its object" test -e "$od"
eq "$(grep -c "purged /$PREFIX\.r[0-9]* (damaged: " "$IT_LOG")" 2 "one log line per purge at a path"
it_finish
