#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# chown hands a region over (owner shows in ls -l and on the object, hshmfs
# keeps owning it for its new owner); chmod applies to the object too.
. "$(dirname "$0")/lib.sh"
it_init
[ "$(id -u)" = 0 ] || it_skip "chown to other users needs root"
it_mount
cd "$MNT" || exit 1
nobody=$(id -u nobody)
nogroup=$(id -g nobody)

umask 022
ok "touch r" touch r
o=$(obj r)
eq "$(stat -c %a r)" 644 "new region mode 0666 & ~umask"
eq "$(stat -c %a "$o")" 644 "object mode = file mode"
eq "$(stat -c %u:%g "$o")" "$(id -u):$(id -g)" "object owner = creator"

# --- chown
ok "chown nobody r" chown nobody r
eq "$(stat -c %u r)" "$nobody" "stat shows the new owner"
eq "$(ls -ln r | awk '{print $3}')" "$nobody" "ls -l shows the new owner"
eq "$(stat -c %u "$o")" "$nobody" "object owner follows chown"
eq "$(xa r owned)" 1 "hshmfs still owns the region after the hand-over"
ok "chown 12345:23456 r" chown 12345:23456 r
eq "$(stat -c %u:%g r)" 12345:23456 "numeric uid:gid"
eq "$(stat -c %u:%g "$o")" 12345:23456 "object numeric uid:gid"
ok "chgrp $nogroup r" chgrp "$nogroup" r
eq "$(stat -c %u:%g "$o")" "12345:$nogroup" "chgrp alone reaches the object"
eq "$(hdr "$o" backend_size)" 1048576 "header untouched by chown"

# --- chmod
for m in 600 640 400 755 0; do
	ok "chmod $m r" chmod "$m" r
	eq "$(stat -c %a r)" "$m" "file mode $m"
	eq "$(stat -c %a "$o")" "$m" "object mode follows chmod $m"
done
ok "chmod 4755 r" chmod 4755 r
eq "$(stat -c %a "$o")" 755 "object gets only the permission bits"
ok "chmod 644 r" chmod 644 r

# --- create under a umask
umask 077
ok "touch p" touch p
eq "$(stat -c %a p)" 600 "umask 077: mode 0600"
eq "$(stat -c %a "$(obj p)")" 600 "object created 0600"
umask 022

# --- the new owner reaches it natively with the same permissions
ok "chown nobody r; chmod 600" sh -c "chown nobody r && chmod 600 r"
eq "$(setpriv --reuid="$nobody" --regid="$nogroup" --clear-groups "$ITOOL" open "$o" rw)" ok \
	"new owner opens the object natively"
eq "$(setpriv --reuid="$nobody" --regid="$nogroup" --clear-groups "$ITOOL" open r rw)" ok \
	"new owner opens the file through hshmfs"
eq "$(setpriv --reuid=12345 --regid=12345 --clear-groups "$ITOOL" open "$o" r)" EACCES \
	"someone else is refused natively"

# --- the hand-over and then rm destroys it for the new owner
ok "rm r" rm r
for i in $(seq 50); do [ -e "$o" ] || break; sleep 0.1; done
fails "object destroyed after chown + rm" test -e "$o"

# --- directories
ok "mkdir d" mkdir d
ok "chown nobody d" chown nobody d
eq "$(stat -c %u d)" "$nobody" "dir owner"
ok "chmod 700 d" chmod 700 d
eq "$(stat -c %a d)" 700 "dir mode"

cd /
it_finish
