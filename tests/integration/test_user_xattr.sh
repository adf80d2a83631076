#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Issue 15: user.* attributes other than user.hshm.* on regions (both
# views), directories and the root: set/get/list/remove with
# XATTR_CREATE/XATTR_REPLACE and the errnos of tmpfs, the limits, tmpfs'
# permission rules (write permission; none on symlinks and FIFOs; a sticky
# directory's only for its owner), kept across umount and SIGKILL, and
# copied by getfattr/setfattr, cp --preserve=xattr and rsync -X.
# Before: every such name gave EOPNOTSUPP.
. "$(dirname "$0")/lib.sh"
it_init
[ "$(id -u)" = 0 ] || it_skip "runs steps as other users: needs root"
ALICE=$(it_user hsalice)
BOB=$(it_user hsbob)
PY=/usr/bin/python3
it_allow '^hshmfs: setxattr user\.(fill|m)[0-9] on ./[^ ]+. refused: the node.s \(256 KiB\) or the mount.s \(64 MiB\) user attributes are full$'
it_allow '^hshmfs: setxattr user\. on ./[^ ]+. refused: a name after "user\." and XATTR_CREATE or XATTR_REPLACE, not both$'

# xop OP PATH NAME [VALUE [FLAGS [SIZE]]]: one call, prints the value (get),
# the names (list), OK, or the errno's name; SIZE is the buffer given.
XOP='
import ctypes,errno,os,sys
libc=ctypes.CDLL(None,use_errno=True)
op,p,n=sys.argv[1],sys.argv[2].encode(),sys.argv[3].encode()
v=sys.argv[4].encode() if len(sys.argv)>4 else b""
fl=int(sys.argv[5]) if len(sys.argv)>5 else 0
sz=int(sys.argv[6]) if len(sys.argv)>6 else 70000
buf=ctypes.create_string_buffer(max(sz,1))
if op=="set": r=libc.lsetxattr(p,n,v,len(v),fl)
elif op=="get": r=libc.lgetxattr(p,n,buf,sz)
elif op=="list": r=libc.llistxattr(p,buf,sz)
elif op=="rm": r=libc.lremovexattr(p,n)
if r<0: print(errno.errorcode[ctypes.get_errno()]); sys.exit(0)
if op=="get": print(buf.raw[:r].decode())
elif op=="list": print(" ".join(x.decode() for x in buf.raw[:r].split(b"\0") if x and not x.startswith(b"user.hshm.")))
else: print("OK")'
XO=("$PY" -c "$XOP")
xop() { "${XO[@]}" "$@"; }
CREATE=1 REPLACE=2

it_mount
ok "alice: mkdir img data" as hsalice mkdir "$MNT/img" "$MNT/data"
ok "data view on data" as hsalice setfattr -n user.hshm.view -v data "$MNT/data"
ok "alice: touch img/r data/f" as hsalice touch "$MNT/img/r" "$MNT/data/f"
R=$MNT/img/r

# --- set, get, list, remove, with tmpfs' errnos
eq "$(as hsalice "${XO[@]}" get "$R" user.a)" ENODATA "get of a missing name: ENODATA"
eq "$(as hsalice "${XO[@]}" set "$R" user.a one)" OK "set user.a"
eq "$(as hsalice "${XO[@]}" get "$R" user.a)" one "get user.a"
eq "$(as hsalice "${XO[@]}" set "$R" user.a x $CREATE)" EEXIST "XATTR_CREATE of an existing name: EEXIST"
eq "$(as hsalice "${XO[@]}" set "$R" user.b x $REPLACE)" ENODATA "XATTR_REPLACE of a missing name: ENODATA"
eq "$(as hsalice "${XO[@]}" set "$R" user.b two $CREATE)" OK "XATTR_CREATE of a new name"
eq "$(as hsalice "${XO[@]}" set "$R" user.a uno $REPLACE)" OK "XATTR_REPLACE of an existing name"
eq "$(as hsalice "${XO[@]}" get "$R" user.a "" 0 2)" ERANGE "a buffer too small: ERANGE"
eq "$(as hsalice "${XO[@]}" list "$R" "")" "user.a user.b" "listxattr shows them after hshm's"
eq "$(as hsalice "${XO[@]}" list "$R" "" "" 0 8)" ERANGE "listxattr into a small buffer: ERANGE"
eq "$(as hsalice "${XO[@]}" set "$R" user.empty "")" OK "an empty value"
eq "$(as hsalice "${XO[@]}" get "$R" user.empty)" "" "reads back empty"
eq "$(as hsalice "${XO[@]}" rm "$R" user.empty)" OK "removexattr"
eq "$(as hsalice "${XO[@]}" rm "$R" user.empty)" ENODATA "removexattr of a missing name: ENODATA"
eq "$(as hsalice "${XO[@]}" set "$R" user. x)" EINVAL "the bare prefix 'user.': EINVAL"
before=$(stat -c %Z "$R")
sleep 1.1
ok "alice: setfattr user.c" as hsalice setfattr -n user.c -v 3 "$R"
ne "$(stat -c %Z "$R")" "$before" "a set changes ctime"

# --- limits: name 255, value 64 KiB (the kernel's), 256 KiB per node
N255=user.$(printf 'n%.0s' $(seq 250))
eq "$(as hsalice "${XO[@]}" set "$R" "$N255" v)" OK "a 255-byte name"
eq "$(as hsalice "${XO[@]}" set "$R" "${N255}x" v)" ERANGE "a 256-byte name: ERANGE"
V64=$(head -c 65536 /dev/zero | tr '\0' v)
eq "$(as hsalice "${XO[@]}" set "$R" user.big "$V64")" OK "a 64 KiB value"
eq "$(as hsalice "${XO[@]}" get "$R" user.big | wc -c)" 65537 "reads back whole"
eq "$(as hsalice "${XO[@]}" set "$R" user.big "${V64}v")" E2BIG "a value over 64 KiB: E2BIG"
ok "alice: touch img/full" as hsalice touch "$MNT/img/full"
for i in 1 2 3; do
	eq "$(as hsalice "${XO[@]}" set "$MNT/img/full" user.fill$i "$V64")" OK "64 KiB value $i on one node"
done
eq "$(as hsalice "${XO[@]}" set "$MNT/img/full" user.fill4 "$V64")" ENOSPC "past 256 KiB per node: ENOSPC"
eq "$(as hsalice "${XO[@]}" rm "$R" user.big)" OK "remove the big one"

# --- permissions as on tmpfs
ok "alice: chmod 0644 img/r" as hsalice chmod 0644 "$R"
eq "$(as hsbob "${XO[@]}" get "$R" user.a)" uno "bob reads with read permission"
eq "$(as hsbob "${XO[@]}" set "$R" user.bob x)" EACCES "bob may not write without write permission"
eq "$(as hsbob "${XO[@]}" rm "$R" user.a)" EACCES "nor remove"
ok "alice: chmod 0600 img/r" as hsalice chmod 0600 "$R"
eq "$(as hsbob "${XO[@]}" get "$R" user.a)" EACCES "no read permission: EACCES"
ok "alice: chmod 0666 data/f" as hsalice chmod 0666 "$MNT/data/f"
eq "$(as hsbob "${XO[@]}" set "$MNT/data/f" user.bob x)" OK "write permission is enough (not ownership)"
ok "root: mkdir -m 1777 sticky" mkdir -m 1777 "$MNT/sticky"
eq "$(as hsbob "${XO[@]}" set "$MNT/sticky" user.s x)" EPERM "a sticky directory: only its owner"
ok "alice: ln -s r img/lnk; mkfifo img/p" as hsalice sh -c "ln -s r '$MNT/img/lnk' && mkfifo '$MNT/img/p'"
eq "$(as hsalice "${XO[@]}" set "$MNT/img/lnk" user.l x)" EPERM "a symlink carries none: EPERM"
eq "$(as hsalice "${XO[@]}" get "$MNT/img/lnk" user.l)" ENODATA "and reads ENODATA"
eq "$(as hsalice "${XO[@]}" set "$MNT/img/p" user.p x)" EPERM "a FIFO carries none: EPERM"

# --- user.hshm.* keep their behaviour
eq "$(as hsalice "${XO[@]}" set "$R" user.hshm.nosuch x)" EINVAL "an unknown user.hshm. name: EINVAL"
eq "$(as hsalice "${XO[@]}" set "$MNT/img" user.hshm.size 2M $CREATE)" EEXIST "XATTR_CREATE of user.hshm.size: EEXIST"

# --- directories, the root, the data view
ok "alice: setfattr on img" as hsalice setfattr -n user.d -v dirval "$MNT/img"
ok "root: setfattr on the root" setfattr -n user.root -v rootval "$MNT"
ok "alice: setfattr on data/f" as hsalice setfattr -n user.f -v fval "$MNT/data/f"
ok "alice: rm img/full" as hsalice rm "$MNT/img/full"
it_umount

it_mount
eq "$(xop get "$R" user.a)" uno "region attribute back after umount"
eq "$(xop get "$R" "$N255")" v "the long name back"
eq "$(xop list "$R" "")" "user.a user.b user.c $N255" "exactly what was there"
eq "$(xop get "$MNT/img" user.d)" dirval "directory attribute back"
eq "$(xop get "$MNT" user.root)" rootval "root attribute back"
eq "$(xop get "$MNT/data/f" user.f)" fval "data-view region attribute back"
eq "$(xop get "$MNT/data/f" user.bob)" x "bob's back too"
# --- SIGKILL a moment after a change
ok "alice: setfattr user.late" as hsalice setfattr -n user.late -v 1 "$R"
ok "alice: rm user.b" as hsalice setfattr -x user.b "$R"
ok "alice: mv img/r img/r2" as hsalice mv "$R" "$MNT/img/r2"
sleep 0.5 # the flusher writes at most 100 ms after a change
it_kill9
it_mount
R=$MNT/img/r2
eq "$(xop get "$R" user.late)" 1 "set before SIGKILL: back"
eq "$(xop get "$R" user.b)" ENODATA "removed before SIGKILL: stays removed"
eq "$(xop get "$R" user.a)" uno "a renamed region keeps its attributes"

# --- tools: getfattr -d / setfattr --restore, cp --preserve=xattr, rsync -X
PLAIN=$SHM/plain
mkdir -p "$PLAIN/src" && echo payload > "$PLAIN/src/file"
setfattr -n user.t.one -v 1 "$PLAIN/src/file"
setfattr -n user.t.two -v 'two words' "$PLAIN/src/file"
ok "cp --preserve=xattr into the data view" cp --preserve=xattr "$PLAIN/src/file" "$MNT/data/copied"
eq "$(getfattr --absolute-names -d -m '^user\.t\.' "$MNT/data/copied" | tail -n +2)" \
   "$(getfattr --absolute-names -d -m '^user\.t\.' "$PLAIN/src/file" | tail -n +2)" "cp copied them in"
ok "cp --preserve=xattr back out" cp --preserve=xattr "$MNT/data/copied" "$PLAIN/back"
eq "$(getfattr --absolute-names -d -m '^user\.t\.' "$PLAIN/back" | tail -n +2)" \
   "$(getfattr --absolute-names -d -m '^user\.t\.' "$PLAIN/src/file" | tail -n +2)" "and back out"
# a data-view region lists only its user's attributes, so that the copies
# carry no user.hshm.* (exit 23 before: rsync tried to remove them, EPERM)
eq "$(getfattr --absolute-names -d -m - "$PLAIN/back" | sed -n 's/=.*//p' | tr '\n' ' ')" \
   "user.t.one user.t.two " "a copy out of the data view carries only the user's attributes"
ok "rsync -X into the mount" rsync -rX "$PLAIN/src/" "$MNT/data/rs/"
ok "rsync -X back out" rsync -rX "$MNT/data/rs/" "$PLAIN/rsback/"
ok "rsync -X again (nothing to do)" rsync -rX "$PLAIN/src/" "$MNT/data/rs/"
eq "$(getfattr --only-values --absolute-names -n user.hshm.view "$MNT/data/rs/file")" data \
   "the region's attributes still answer by name"
# an image-view region lists them: a filter leaves them out of an rsync
XF=(--filter='-x user.hshm.*')
ok "rsync -X of the image view, with the filter" rsync -rX "${XF[@]}" "$MNT/img/" "$PLAIN/imgback/"
eq "$(getfattr --absolute-names -d -m '^user\.t\.' "$PLAIN/rsback/file" | tail -n +2)" \
   "$(getfattr --absolute-names -d -m '^user\.t\.' "$PLAIN/src/file" | tail -n +2)" "rsync -X round trip"
(cd "$MNT/img" && getfattr -d -m '^user\.[a-z]$' r2) > "$IT_TMP/dump"
ok "alice: touch img/r3" as hsalice touch "$MNT/img/r3"
sed 's/^# file: r2$/# file: r3/' "$IT_TMP/dump" > "$IT_TMP/dump3"
ok "setfattr --restore of a getfattr -d dump" sh -c "cd '$MNT/img' && setfattr --restore='$IT_TMP/dump3'"
eq "$(getfattr -d -m '^user\.[a-z]$' "$MNT/img/r3" 2>/dev/null | tail -n +2)" \
   "$(getfattr -d -m '^user\.[a-z]$' "$R" 2>/dev/null | tail -n +2)" "getfattr -d round trip"

# --- the mount's limit: 64 MiB of names and values, then ENOSPC
eq "$("$PY" -c '
import errno,os,sys
v=b"m"*65536
try:
    for d in range(400):
        p="%s/m%d" % (sys.argv[1], d); os.mkdir(p)
        for i in range(3): os.setxattr(p, "user.m%d" % i, v)
except OSError as e: print(errno.errorcode[e.errno], 1000 <= d * 3 + i <= 1023)' "$MNT/img")" "ENOSPC True" "past 64 MiB on the mount (some 1023 values of 64 KiB): ENOSPC"
ok "rm -r the filler" rm -r "$MNT"/img/m*
eq "$(xop set "$MNT/img" user.after x)" OK "room again once they are gone"
it_umount
it_finish
