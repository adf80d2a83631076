#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The command line an operator meets: -V names hshmfs' version (not only
# the FUSE protocol's), -h lists the size suffixes the parser takes (and
# they are taken), scripts/mount.sh composes its options without
# duplicates, resolves a relative mount point, leaves a live mount alone
# and goes on over a dead one (hshmfs then detaches it: crash_remount.sh).
. "$(dirname "$0")/lib.sh"
it_init
MOUNT_SH=$(cd "$(dirname "$0")/../.." && pwd)/scripts/mount.sh

# --- -V and -h
v=$("$HSHMFS" -V 2>&1)
eq "$?" 0 "-V exits 0"
match "$v" "^hshmfs version [0-9]+\\.[0-9]+\\.[0-9]+"$'\n'"libfuse version 3\\.[0-9]+" \
	"-V prints hshmfs' version first, then libfuse's"
h=$("$HSHMFS" -h 2>&1)
match "$h" "K, M, G, T or P" "-h lists the suffixes K to P"
match "$h" "-o log=WHERE" "-h lists log="
for s in 4096 1k 2M 2MiB 2mB 1G 1T 1P; do
	out=$("$HSHMFS" -f hshm "$MNT" -o "shm_dir=$SHM,prefix=$PREFIX,size=$s,bogus_stop=1" 2>&1)
	match "$out" "unknown option" "size=$s taken by the parser (the mount stops at the next option)"
done

# --- mount.sh --dry-run: the command it would run
out=$("$MOUNT_SH" --dry-run "$MNT" -o "shm_dir=$SHM,size=4M" 2>&1)
eq "$out" "hshmfs hshm $MNT -o backend=posix_shm_mmap,shm_dir=$SHM,size=4M" \
	"mount.sh: a given shm_dir and size replace the defaults (no shm_dir=/dev/shm,shm_dir=...)"
out=$(cd "$IT_TMP" && "$MOUNT_SH" --dry-run mnt -o prefix=p 2>&1)
eq "$out" "hshmfs hshm $MNT -o backend=posix_shm_mmap,size=1M,shm_dir=/dev/shm,prefix=p" \
	"mount.sh: a relative mount point is taken from the caller's directory"

it_mount
out=$("$MOUNT_SH" --dry-run "$MNT" 2>&1)
eq "$?" 0 "mount.sh on a live mount exits 0"
match "$out" "is already mounted" "and leaves it alone"
kill -9 "$IT_PID"
wait "$IT_PID" 2>/dev/null
IT_PID=
out=$("$MOUNT_SH" --dry-run "$MNT" -o "shm_dir=$SHM,prefix=$PREFIX" 2>&1)
match "$out" "is a dead mount \\(its daemon is gone\\): mounting again" \
	"mount.sh on a dead mount goes on"
match "$out" "hshmfs hshm $MNT -o " "to the hshmfs command"
fusermount3 -u -z "$MNT"
it_finish
