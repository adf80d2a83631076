#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Issue 15: FIFOs, Unix sockets and (root, -o devnodes) device nodes are
# daemon-side nodes: a FIFO carries data between a real reader and writer,
# a socket takes bind/connect, chmod/chown/utimens/rename/unlink behave as
# on tmpfs, and every one of them (mode, owner, rdev, mtime) comes back
# after umount and after SIGKILL.  Before: mknod of all of them was EPERM.
. "$(dirname "$0")/lib.sh"
it_init
[ "$(id -u)" = 0 ] || it_skip "runs steps as another user: needs root"
ALICE=$(it_user hsalice)
PY=/usr/bin/python3
it_allow '^hshmfs: mknod of .dev0. \(type 020000\) refused: device nodes need -o devnodes$'

it_mount
ok "alice: mkdir d" as hsalice mkdir "$MNT/d"
ok "alice: mkfifo d/p" as hsalice mkfifo -m 0640 "$MNT/d/p"
eq "$(stat -c '%F %a %U' "$MNT/d/p")" "fifo 640 hsalice" "a FIFO, alice's, 0640"

# --- a real reader and writer through the mount
as hsalice cat "$MNT/d/p" > "$IT_TMP/got" &
rd=$!
ok "alice: write into the FIFO" as hsalice timeout 10 sh -c "echo through-the-fifo > '$MNT/d/p'"
wait "$rd"
eq "$(cat "$IT_TMP/got")" through-the-fifo "the reader got what the writer wrote"
# a FIFO opened for writing with no reader: ENXIO, as any FIFO
eq "$("$PY" -c "
import os,errno
try: os.open('$MNT/d/p', os.O_WRONLY | os.O_NONBLOCK)
except OSError as e: print(errno.errorcode[e.errno])")" ENXIO "O_NONBLOCK writer with no reader: ENXIO"

# --- a Unix socket: bind makes the node, connect reaches the listener
SRV='
import socket,sys
s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1)
print("ready", flush=True)
c,_=s.accept(); c.sendall(c.recv(64).upper()); c.close()'
as hsalice "$PY" -c "$SRV" "$MNT/d/sock" > "$IT_TMP/srv" &
srv=$!
for _ in $(seq 50); do [ -s "$IT_TMP/srv" ] && break; sleep 0.1; done
eq "$(stat -c '%F %U' "$MNT/d/sock")" "socket hsalice" "bind made a socket node"
if command -v socat >/dev/null; then
	eq "$(echo hello | as hsalice timeout 10 socat - "UNIX-CONNECT:$MNT/d/sock")" HELLO "socat connects through the mount"
else
	eq "$(as hsalice "$PY" -c "
import socket,sys
c=socket.socket(socket.AF_UNIX); c.connect(sys.argv[1]); c.sendall(b'hello')
print(c.recv(64).decode())" "$MNT/d/sock")" HELLO "connect through the mount"
fi
wait "$srv"

# --- attributes as on tmpfs
ok "alice: chmod 0604 d/p" as hsalice chmod 0604 "$MNT/d/p"
ok "root: chown 65534:65534 d/sock" chown 65534:65534 "$MNT/d/sock"
ok "alice: touch -d d/p" as hsalice touch -d '2021-03-04 05:06:07' "$MNT/d/p"
eq "$(stat -c '%a %Y' "$MNT/d/p")" "604 $(date -d '2021-03-04 05:06:07' +%s)" "chmod and utimens"
ok "alice: mkfifo d/gone" as hsalice mkfifo "$MNT/d/gone"
ok "alice: mv d/gone d/moved" as hsalice mv "$MNT/d/gone" "$MNT/d/moved"
ok "alice: mkfifo d/x; rm d/x" as hsalice sh -c "mkfifo '$MNT/d/x' && rm '$MNT/d/x'"
fails "removed FIFO is gone" test -e "$MNT/d/x"
eq "$(stat -c %h "$MNT/d/p")" 1 "nlink 1"
fails "a FIFO has no size to set" truncate -s 0 "$MNT/d/p"

# --- device nodes: refused without -o devnodes
rc 1 "root: mknod c without -o devnodes: EPERM" mknod "$MNT/dev0" c 1 3
it_umount

it_mount devnodes
eq "$(stat -c '%F %a %U' "$MNT/d/p")" "fifo 604 hsalice" "FIFO back after umount (mode, owner)"
eq "$(stat -c %Y "$MNT/d/p")" "$(date -d '2021-03-04 05:06:07' +%s)" "its mtime back"
eq "$(stat -c '%F %u' "$MNT/d/sock")" "socket 65534" "socket node back with its owner"
ok "renamed FIFO back under its new name" test -p "$MNT/d/moved"
ok "root: mknod c 1 3 with -o devnodes" mknod -m 0666 "$MNT/null" c 1 3
ok "root: mknod b 7 0" mknod "$MNT/loop" b 7 0
eq "$(stat -c '%F %t:%T' "$MNT/null")" "character special file 1:3" "char device, rdev 1:3"
eq "$(stat -c '%F %t:%T' "$MNT/loop")" "block special file 7:0" "block device, rdev 7:0"
rc 1 "alice: mknod c (no CAP_MKNOD): refused" as hsalice mknod "$MNT/d/c" c 1 3
eq "$("$PY" -c "
import os,errno
try: os.open('$MNT/null', os.O_RDONLY)
except OSError as e: print(errno.errorcode[e.errno])")" EACCES "a device node never opens: the mount is nodev"

# --- reader/writer again after the remount
as hsalice cat "$MNT/d/p" > "$IT_TMP/got2" &
rd=$!
ok "alice: write into the restored FIFO" as hsalice timeout 10 sh -c "echo again > '$MNT/d/p'"
wait "$rd"
eq "$(cat "$IT_TMP/got2")" again "the restored FIFO works"

# --- SIGKILL: changes made a moment before come back
ok "alice: mkfifo d/late" as hsalice mkfifo "$MNT/d/late"
ok "root: rm loop" rm "$MNT/loop"
ok "root: chmod 0600 null" chmod 0600 "$MNT/null"
sleep 0.5 # the flusher writes at most 100 ms after a change
it_kill9
it_mount
ok "FIFO made before SIGKILL back" test -p "$MNT/d/late"
fails "device removed before SIGKILL stays removed" test -e "$MNT/loop"
eq "$(stat -c '%a %t:%T' "$MNT/null")" "600 1:3" "device mode and rdev back (mount without devnodes)"
ok "alice: rm the restored FIFO" as hsalice rm "$MNT/d/late"
it_umount
it_finish
