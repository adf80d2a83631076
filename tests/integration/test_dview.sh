#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# test_dview.sh: the data view (user.hshm.view=data): regions as plain
# files for tools that know nothing about HSHM, compared with tmpfs.
. "$(dirname "$0")/lib.sh"
it_init
PY=/usr/bin/python3 # Debian's, with python3-numpy (scripts/deps.sh)
it_allow "hshmfs: setxattr user.hshm.view refused: read-only" "hshmfs: setxattr user.hshm.view='both' on '/d' refused: want image or data"
it_mount
D=$MNT/d
T=$SHM/tmpfs-side # a tmpfs directory beside it, for the same calls
mkdir "$D" "$T"

# --- the attribute -----------------------------------------------------------
eq "$(xa "$MNT" view)" image "the root shows the image view"
ok "set user.hshm.view=data on d" setfattr -n user.hshm.view -v data "$D"
rc 1 "a bad view value is refused" setfattr -n user.hshm.view -v both "$D"
mkdir "$D/sub"
eq "$(xa "$D/sub" view)" data "a subdirectory inherits it"
touch "$D/f"
eq "$(xa "$D/f" view)" data "a region made there shows it"
eq "$(stat -c %s "$D/f")" 0 "a new data-view file is empty"
rc 1 "the view of a region cannot be changed" setfattr -n user.hshm.view -v image "$D/f"

# --- shell tools in, compared byte for byte ---------------------------------
head -c 3000000 /dev/urandom >"$IT_TMP/src"
ok "cp in" cp "$IT_TMP/src" "$D/cp"
ok "cp: cmp" cmp "$IT_TMP/src" "$D/cp"
ok "cat > in" sh -c "cat '$IT_TMP/src' > '$D/cat'"
ok "cat >: cmp" cmp "$IT_TMP/src" "$D/cat"
ok "cp over an existing file (O_TRUNC)" cp /etc/os-release "$D/cp"
ok "O_TRUNC: cmp" cmp /etc/os-release "$D/cp"
echo one >"$D/log"
echo two >>"$D/log"
printf 'three\n' >>"$D/log"
eq "$(cat "$D/log")" "$(printf 'one\ntwo\nthree')" "echo > and >> (append)"
ok "dd in at an offset" dd if="$IT_TMP/src" of="$D/dd" bs=4096 seek=3 count=10 status=none
eq "$(stat -c %s "$D/dd")" $((13 * 4096)) "dd: size"
eq "$(head -c 12288 "$D/dd" | tr -d '\0' | wc -c)" 0 "dd: the hole reads as zeros"
mkdir "$IT_TMP/tree"
cp -a /usr/share/doc/bash /usr/share/doc/coreutils "$IT_TMP/tree/" 2>/dev/null
(cd "$IT_TMP" && tar cf tree.tar tree)
ok "tar -x in" tar xf "$IT_TMP/tree.tar" -C "$D"
ok "tar -x: diff -r" diff -r "$IT_TMP/tree" "$D/tree"
ok "rsync -a in (temp file + rename)" rsync -a "$IT_TMP/tree/" "$D/rs/"
ok "rsync: diff -r" diff -r "$IT_TMP/tree" "$D/rs"
cp "$IT_TMP/src" "$IT_TMP/mvsrc"
ok "mv in from another file system" mv "$IT_TMP/mvsrc" "$D/mv"
ok "mv: cmp" cmp "$IT_TMP/src" "$D/mv"
ok "cp out again" cp "$D/cp" "$IT_TMP/back" && ok "out: cmp" cmp /etc/os-release "$IT_TMP/back"

# --- Python and numpy --------------------------------------------------------
ok "python write/read" "$PY" -c "
import sys
p = sys.argv[1]
open(p, 'wb').write(b'x' * 100000)
with open(p, 'ab') as f: f.write(b'tail')
d = open(p, 'rb').read()
assert len(d) == 100004 and d.endswith(b'tail'), len(d)
" "$D/py"
ok "numpy tofile/fromfile/memmap at offset 0" "$PY" -c "
import sys, numpy as np
p = sys.argv[1]
a = np.arange(300000, dtype=np.float64)
a.tofile(p)
assert (np.fromfile(p, dtype=np.float64) == a).all()
m = np.memmap(p, dtype=np.float64, mode='r+', shape=a.shape)
m[7] = -1.0
m.flush()
del m
b = np.fromfile(p, dtype=np.float64)
assert b[7] == -1.0 and b[8] == 8.0
np.save(p + '.npy', a)
assert (np.load(p + '.npy') == a).all()
" "$D/np"

# --- the same calls as on tmpfs ---------------------------------------------
# step NAME CMD-with-@: run CMD with @ = the data-view file, then with @ =
# the tmpfs file; size and content must agree.
step() {
	local what=$1
	shift
	"${@//@/$D/same}" >/dev/null 2>&1
	"${@//@/$T/same}" >/dev/null 2>&1
	eq "$(stat -c %s "$D/same")" "$(stat -c %s "$T/same")" "$what: size as on tmpfs"
	eq "$(md5sum <"$D/same")" "$(md5sum <"$T/same")" "$what: content as on tmpfs"
}
step "create" touch @
step "truncate up" truncate -s 10000 @
step "write inside" dd of=@ bs=1 seek=5000 count=3 conv=notrunc status=none if=/etc/hostname
step "truncate down" truncate -s 3000 @
step "truncate up again (zeros)" truncate -s 9000 @
step "write past the end" dd of=@ bs=1 seek=20000 count=4 conv=notrunc status=none if=/etc/hostname
step "O_TRUNC" sh -c ': > @'
step "append" sh -c 'echo abc >> @; echo def >> @'
step "posix_fallocate" fallocate -l 50000 @
step "fallocate keep size" fallocate -n -o 0 -l 200000 @
step "ftruncate" "$ITOOL" truncate @ 123
step "big write" dd if="$IT_TMP/src" of=@ bs=65536 conv=notrunc status=none
# growth is amortised: capacity at most twice what the data needs (plus a step)
cap=$(xa "$D/same" data_capacity)
[ "$cap" -ge 3000000 ] && [ "$cap" -le $((2 * 3000000 + 65536)) ] &&
	it_pass "capacity $cap: grown by doubling" ||
	it_fail "capacity $cap for 3000000 bytes"

# times: mtime moves as on tmpfs
mt() { stat -c %Y.%y "$1"; }
for cmd in "truncate -s 777 @" "fallocate -l 900000 @" "sh -c 'echo z >> @'"; do
	a=$(mt "$D/same") b=$(mt "$T/same")
	sleep 0.02
	eval "${cmd//@/$D/same}"
	eval "${cmd//@/$T/same}"
	eq "$([ "$(mt "$D/same")" != "$a" ] && echo moved)" \
		"$([ "$(mt "$T/same")" != "$b" ] && echo moved)" "$cmd: mtime as on tmpfs"
done

# --- the region underneath ---------------------------------------------------
printf 'abcdef' >"$D/raw"
o=$(obj "$D/raw")
off=$(xa "$D/raw" data_offset)
eq "$(dd if="$o" bs=1 skip="$off" count=6 status=none)" abcdef \
	"a direct attacher sees write(2) at once, at data_offset"
match "$(xa "$D/raw" url)" "^/$PREFIX\\.r[0-9]+$" "it is still a region with a url"
eq "$(hdr "$o" data_capacity)" "$(xa "$D/raw" data_capacity)" "and a valid header"

# mmap through the mount: two processes see each other's stores at once;
# a direct attacher sees them after msync
ok "mmap ping-pong between two processes" "$PY" -c "
import mmap, os, sys, time
p = sys.argv[1]
fd = os.open(p, os.O_RDWR | os.O_CREAT)
os.ftruncate(fd, 8192)
m = mmap.mmap(fd, 8192)
pid = os.fork()
if pid == 0:
    fd2 = os.open(p, os.O_RDWR)
    m2 = mmap.mmap(fd2, 8192)
    end = time.time() + 5
    while m2[0:4] != b'ping' and time.time() < end: pass
    m2[4:8] = b'pong'
    os._exit(0 if m2[0:4] == b'ping' else 1)
m[0:4] = b'ping'
end = time.time() + 5
while m[4:8] != b'pong' and time.time() < end: pass
_, st = os.waitpid(pid, 0)
assert m[4:8] == b'pong' and st == 0
m.flush()
" "$D/mm"
o=$(obj "$D/mm")
off=$(xa "$D/mm" data_offset)
eq "$(dd if="$o" bs=1 skip="$off" count=8 status=none)" pingpong \
	"after msync the object holds the stores"

# --- lengths and views survive an unmount and a crash -----------------------
echo persist >"$D/p"
mkdir "$D/img"
setfattr -n user.hshm.view -v image "$D/img"
it_umount
it_mount
eq "$(xa "$D" view)" data "the directory's view survives a remount"
eq "$(xa "$D/img" view)" image "and an explicit image view below it"
eq "$(xa "$D/p" view)" data "a region keeps its view"
eq "$(stat -c %s "$D/p")" 8 "its length survives a remount"
eq "$(cat "$D/p")" persist "and its bytes"
ok "a 3 MB copy still compares after the remount" cmp "$IT_TMP/src" "$D/cat"
printf 'abc' >>"$D/p"
it_kill9
it_mount
eq "$(stat -c %s "$D/p")" 11 "its length survives a daemon SIGKILL"
eq "$(cat "$D/p")" "persist
abc" "and the appended bytes"
fails "nothing went to lost+found" test -e "$MNT/lost+found"
it_finish
