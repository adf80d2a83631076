#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Permissions are enforced for every path to a region: a user who may not
# open a region through hshmfs may not attach to its object either.
. "$(dirname "$0")/lib.sh"
it_init
[ "$(id -u)" = 0 ] || it_skip "running checks as another user needs root"
it_allow "^hshmfs: open of '[^']*' with O_TRUNC refused: a region cannot be shorter than its headers \\(a directory with user.hshm.view=data takes plain files\\)$"
it_mount
cd "$MNT" || exit 1
nobody=$(id -u nobody)
nogroup=$(id -g nobody)
nb() { setpriv --reuid="$nobody" --regid="$nogroup" --clear-groups "$@"; }

match "$(findmnt -n -o OPTIONS "$MNT")" 'allow_other' "root mount has allow_other"
ok "nobody can list the root" nb ls "$MNT"

ok "touch secret" touch secret
ok "write secret" "$ITOOL" pwrite secret 8192 top-secret
ok "chmod 600 secret" chmod 600 secret
o=$(obj secret)
eq "$(stat -c %a "$o")" 600 "object is 0600"
eq "$(stat -c %u "$o")" 0 "object owned by root"

eq "$(nb "$ITOOL" open secret r)" EACCES "nobody cannot open for reading"
eq "$(nb "$ITOOL" open secret w)" EACCES "nobody cannot open for writing"
eq "$(nb "$ITOOL" pwrite secret 8192 x)" EACCES "nobody cannot write"
eq "$(nb "$ITOOL" mmap secret 8192)" EACCES "nobody cannot mmap"
eq "$(nb "$ITOOL" truncate secret 2097152)" EACCES "nobody cannot truncate"
fails "nobody cannot cat" nb cat secret
fails "nobody cannot chown it" nb chown nobody secret
fails "nobody cannot chmod it" nb chmod 666 secret
eq "$(nb "$ITOOL" setxattr secret user.hshm.id 1.2)" EACCES "nobody cannot setfattr id"
ne "$(nb "$ITOOL" setxattr secret user.hshm.owned 0)" ok "nobody cannot setfattr owned"
eq "$(nb "$ITOOL" open "$o" r)" EACCES "nobody cannot open the object natively"
eq "$(nb "$ITOOL" mmap "$o" 8192)" EACCES "nobody cannot mmap the object natively"
eq "$(stat -c %s secret)" 1052672 "size unchanged"
eq "$(xa secret owned)" 1 "owned unchanged"
eq "$("$ITOOL" pread secret 8192 10)" top-secret "data unchanged"

# --- sticky root (1777): nobody cannot remove or rename root's region
fails "nobody cannot rm in the sticky root" nb rm -f "$MNT/secret"
fails "nobody cannot mv it" nb mv "$MNT/secret" "$MNT/mine"
ok "still there" test -f secret

# --- readable but not writable
ok "chmod 644 secret" chmod 644 secret
eq "$(stat -c %a "$o")" 644 "object follows to 0644"
eq "$(nb "$ITOOL" pread secret 8192 10)" top-secret "nobody can read a 0644 region"
eq "$(nb "$ITOOL" pread "$o" 8192 10)" top-secret "and its object natively"
eq "$(nb "$ITOOL" open secret w)" EACCES "but not write it"
eq "$(nb "$ITOOL" open "$o" w)" EACCES "nor its object natively"
eq "$(nb "$ITOOL" mmap secret 8192 x)" EACCES "nor map it writable"

# --- write permission is not ownership: HSHM metadata stays the owner's
ok "chmod 666 secret" chmod 666 secret
eq "$(nb "$ITOOL" pwrite secret 8192 T)" "ok 1" "nobody may write a 0666 region"
eq "$(nb "$ITOOL" setxattr secret user.hshm.id 3.3)" EPERM "but not change its id (EPERM)"
eq "$(nb "$ITOOL" setxattr secret user.hshm.owned 0)" EPERM "nor its ownership (EPERM)"
eq "$(xa secret owned)" 1 "owned unchanged"
ok "chmod 644 secret" chmod 644 secret

# --- a private directory protects what is inside
ok "mkdir -m 700 priv; touch priv/r" sh -c "mkdir -m 700 priv && touch priv/r && chmod 666 priv/r"
eq "$(nb "$ITOOL" open priv/r r)" EACCES "nobody cannot reach a region in a 0700 dir"
eq "$(nb "$ITOOL" open priv/x creat,rw)" EACCES "nor create there"

# --- nobody's own region: full access for nobody, not for others
ok "nobody creates own" nb touch "$MNT/own"
ok "nobody chmods own to 600" nb chmod 600 "$MNT/own"
eq "$(nb "$ITOOL" pwrite own 8192 mine)" "ok 4" "owner writes"
eq "$(nb "$ITOOL" mmap own 8300 mapped)" ok "owner maps and stores"
ok "owner truncates" nb truncate -s 2M "$MNT/own"
eq "$(setpriv --reuid=12345 --regid=12345 --clear-groups "$ITOOL" open own r)" EACCES "a third user is refused"
eq "$(setpriv --reuid=12345 --regid=12345 --clear-groups "$ITOOL" open "$(obj own)" r)" EACCES "natively too"
ok "owner removes own" nb rm "$MNT/own"

cd /
it_finish
