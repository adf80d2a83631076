#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# POSIX behaviour: caller's uid/gid, setgid dirs, umask, times, utimensat,
# symlinks; hard links, FIFOs, sockets and device nodes refused with EPERM;
# root dir 1777 by default, mode=/uid=/gid= options.
. "$(dirname "$0")/lib.sh"
it_init
[ "$(id -u)" = 0 ] || it_skip "creating files as other users needs root"
it_allow "^hshmfs: mknod of '[^']*' \(type 0[0-7]+\) refused: device nodes need -o devnodes$"
it_allow "^hshmfs: link to '[^']*' refused: a region has exactly one path$"
it_mount
cd "$MNT" || exit 1
nobody=$(id -u nobody)
nogroup=$(id -g nobody)
as_nobody() { setpriv --reuid="$nobody" --regid="$nogroup" --clear-groups "$@"; }

# --- root directory
eq "$(stat -c %a "$MNT")" 1777 "root dir defaults to 1777 like /dev/shm"
eq "$(stat -c %u:%g "$MNT")" "$(id -u):$(id -g)" "root dir owned by the mounter"

# --- caller's uid and gid
ok "nobody creates a region in the root" as_nobody touch "$MNT/nb"
eq "$(stat -c %u:%g nb)" "$nobody:$nogroup" "region gets the caller's uid:gid"
eq "$(stat -c %u:%g "$(obj nb)")" "$nobody:$nogroup" "object gets the caller's uid:gid"
ok "nobody makes a dir" as_nobody mkdir "$MNT/nbd"
eq "$(stat -c %u:%g nbd)" "$nobody:$nogroup" "dir gets the caller's uid:gid"

# --- setgid directories
ok "mkdir sg" mkdir sg
ok "chgrp 23456 sg; chmod 2777 sg" sh -c "chgrp 23456 sg && chmod 2777 sg"
ok "nobody creates in the setgid dir" as_nobody touch "$MNT/sg/f"
eq "$(stat -c %u:%g sg/f)" "$nobody:23456" "setgid dir: file gets the dir's group"
eq "$(stat -c %g "$(obj sg/f)")" 23456 "object gets the dir's group too"
ok "mkdir sg/sub" mkdir sg/sub
eq "$(stat -c %g sg/sub)" 23456 "setgid dir: subdir gets the dir's group"
match "$(stat -c %A sg/sub)" '^d.....[sS]' "setgid dir: subdir inherits the setgid bit"

# --- umask and create modes
( umask 027; mkdir um && touch um/f )
eq "$(stat -c %a um)" 750 "mkdir under umask 027"
eq "$(stat -c %a um/f)" 640 "create under umask 027"
eq "$(stat -c %a "$(obj um/f)")" 640 "object mode under umask 027"
ok "mkdir -m 711" mkdir -m 711 m711
eq "$(stat -c %a m711)" 711 "mkdir -m mode honoured"

# --- times
ok "touch t" touch t
ok "touch -d sets mtime and atime" touch -d '2001-02-03 04:05:06 UTC' t
eq "$(stat -c %Y t)" "$(date -d '2001-02-03 04:05:06 UTC' +%s)" "mtime set by utimensat"
eq "$(stat -c %X t)" "$(date -d '2001-02-03 04:05:06 UTC' +%s)" "atime set by utimensat"
ok "touch -m -d only mtime" touch -m -d '2010-01-01 00:00:00 UTC' t
eq "$(stat -c %X t)" "$(date -d '2001-02-03 04:05:06 UTC' +%s)" "atime untouched by touch -m"
eq "$(stat -c %Y t)" "$(date -d '2010-01-01 00:00:00 UTC' +%s)" "mtime by touch -m"
c0=$(stat -c %Z t)
m0=$(stat -c %Y t)
sleep 1.1
ok "write t" "$ITOOL" pwrite t 8192 x
m1=$(stat -c %Y t)
[ "$m1" -gt "$m0" ] && it_pass "write moves mtime forward" || it_fail "write: mtime $m0 -> $m1"
[ "$(stat -c %Z t)" -gt "$c0" ] && it_pass "write moves ctime" || it_fail "write: ctime $c0 unchanged"
c1=$(stat -c %Z t)
sleep 1.1
ok "chmod t" chmod 600 t
[ "$(stat -c %Z t)" -gt "$c1" ] && it_pass "chmod moves ctime" || it_fail "chmod: ctime unchanged"
# regions keep setuid, setgid and sticky as tmpfs does (test_setid.sh: when
# they are dropped); the object gets only the permission bits
ok "chmod 7755 t" chmod 7755 t
eq "$(stat -c %a t)" 7755 "setuid, setgid and sticky are kept on a region"
eq "$(stat -c %a "$(obj t)")" 755 "but not on its object"
ok "chmod 600 t" chmod 600 t
d0=$(stat -c %Y .)
sleep 1.1
ok "touch newfile" touch newfile
[ "$(stat -c %Y .)" -gt "$d0" ] && it_pass "create moves the dir's mtime" || it_fail "dir mtime unchanged by create"
now=$(date +%s)
ok "touch (now)" touch t
t1=$(stat -c %Y t)
[ $((t1 - now)) -ge -1 ] && [ $((t1 - now)) -le 2 ] && it_pass "touch sets mtime to now" || it_fail "touch: mtime $t1, now $now"

# --- symlinks
ok "write t data" "$ITOOL" pwrite t 8192 via-link
ok "ln -s t lnk" ln -s t lnk
eq "$(stat -c %F lnk)" "symbolic link" "symlink made"
eq "$(readlink lnk)" t "readlink"
eq "$("$ITOOL" pread lnk 8192 8)" via-link "reading through the symlink reaches the region"
eq "$(xa lnk url)" "$(xa t url)" "getfattr follows the symlink"
ok "dangling symlink" ln -s /nowhere/at/all dang
eq "$(readlink dang)" /nowhere/at/all "dangling target kept"
ok "chown -h nobody lnk" chown -h nobody lnk
eq "$(stat -c %u lnk)" "$nobody" "lchown changes the link"
eq "$(stat -c %u t)" 0 "lchown leaves the target"
ok "touch -h -d on the link" touch -h -d '2001-01-01 00:00:00 UTC' lnk
eq "$(stat -c %Y lnk)" "$(date -d '2001-01-01 00:00:00 UTC' +%s)" "utimensat(AT_SYMLINK_NOFOLLOW) on the link"
ok "rm lnk" rm lnk
ok "region kept when its symlink goes" test -f t
ok "symlink to a dir" ln -s sg sgl
ok "path through dir symlink" test -f sgl/f

# --- hard links to regions, FIFOs and sockets made; devices need -o
# devnodes (it/hardlinks.sh and it/special_nodes.sh have the rest)
eq "$("$ITOOL" link t hl)" ok "hard link to a region"
ok "ln (hard)" ln t hl2
eq "$(stat -c %h t)" 3 "nlink 3"
ok "remove the links" rm hl hl2
eq "$("$ITOOL" mknod fifo fifo)" ok "mknod of a FIFO"
ok "mkfifo(1)" mkfifo fifo2
eq "$("$ITOOL" mknod sock sock)" ok "mknod of a socket node"
eq "$("$ITOOL" mknod chr chr)" EPERM "char device without -o devnodes: EPERM"
eq "$("$ITOOL" mknod blk blk)" EPERM "block device without -o devnodes: EPERM"
ok "remove them" rm fifo fifo2 sock

# --- an O_TRUNC open in the data view moves mtime and ctime, as on tmpfs
ok "mkdir dv (data view)" sh -c 'mkdir dv && setfattr -n user.hshm.view -v data dv && echo test > dv/f'
m1=$(stat -c %Y dv/f) c1=$(stat -c %Z dv/f)
sleep 1.1
ok "open dv/f with O_TRUNC" sh -c ': > dv/f'
[ "$(stat -c %Y dv/f)" -gt "$m1" ] && it_pass "O_TRUNC moves mtime" || it_fail "O_TRUNC: mtime $m1 unchanged"
[ "$(stat -c %Z dv/f)" -gt "$c1" ] && it_pass "O_TRUNC moves ctime" || it_fail "O_TRUNC: ctime $c1 unchanged"
eq "$(stat -c %s dv/f)" 0 "and empties it"
ok "rm -r dv" rm -r dv
eq "$("$ITOOL" mknod viamknod reg)" ok "mknod of a regular file makes a region"
eq "$(xa viamknod backend)" posix_shm_mmap "mknod'd region is a region"
ok "its object exists" test -f "$(obj viamknod)"
fails "no refused node left" test -e fifo -o -e sock -o -e chr -o -e blk -o -e hl

# --- mode=, uid=, gid= options
cd /
it_umount
it_mount "mode=0755,uid=12345,gid=23456"
eq "$(stat -c %a "$MNT")" 755 "mode=0755 option"
eq "$(stat -c %u:%g "$MNT")" 12345:23456 "uid=/gid= options"

it_finish
