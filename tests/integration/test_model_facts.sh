#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Facts docs/model.md states, checked: symlinks survive unmount; the
# listing order after a remount (directories and symlinks first, in
# creation order, then the regions in the order recovery finds their
# objects); with mmap=cached a read(2) on a descriptor held open is as
# stale as a mapping until the file is opened again.
. "$(dirname "$0")/lib.sh"
it_init
it_allow '^hshmfs: mmap mode: cached \(forced by mmap=cached\)$'
it_mount
cd "$MNT" || exit 1
touch c1 && mkdir d2 && ln -s c1 s3 && touch a4 && mkdir b5 && touch e6 &&
	ln -s /nowhere b5/dangling
eq "$?" 0 "regions, directories and symlinks made"
eq "$(ls -U | tr '\n' ' ')" "c1 d2 s3 a4 b5 e6 " "while mounted: creation order"
cd / || exit 1
it_umount
it_mount
cd "$MNT" || exit 1
eq "$(readlink s3)" c1 "a symlink survives unmount"
eq "$(readlink b5/dangling)" /nowhere "a dangling symlink too"
order=$(ls -U | tr '\n' ' ')
eq "$(echo $order | tr ' ' '\n' | sort | tr '\n' ' ')" "a4 b5 c1 d2 e6 s3 " "after a remount: every name is back"
match "$order" "^d2 s3 b5 " "after a remount: directories and symlinks first, in creation order"
cd / || exit 1
it_umount

# --- mmap=cached: a held descriptor reads the page cache
it_mount "mmap=cached"
f=$MNT/c1
doff=$(xa "$f" data_offset)
o=$(obj "$f")
eq "$("$ITOOL" pwrite "$f" "$doff" hello)" "ok 5" "write through hshmfs"
exec 3<"$f"
held() { python3 -c "import os,sys; sys.stdout.write(os.pread(3, 5, $doff).decode())"; }
eq "$(held)" hello "read(2) on the held descriptor"
printf WORLD | dd of="$o" bs=1 seek="$doff" conv=notrunc status=none
eq "$(held)" hello "another process changed the object: the held descriptor still reads the old bytes"
eq "$("$ITOOL" pread "$f" "$doff" 5)" WORLD "a new open reads the object"
eq "$(held)" WORLD "and after it the held descriptor does too"
exec 3<&-
it_finish
