#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# pjdfstest.sh: run the pjdfstest POSIX conformance suite in a directory of
# a fresh hshmfs mount, as docs/model.md reports it.
#
#   scripts/pjdfstest.sh PJD_DIR image|data [HSHMFS]
#
# PJD_DIR is a built pjdfstest tree (https://github.com/pjd/pjdfstest:
# `autoreconf -ifs && ./configure && make pjdfstest`; needs autoconf,
# automake and libssl-dev), whose tests/ are run with `prove -r` as root
# from inside a directory of the mount: `image` (the default view) or
# `data` (user.hshm.view=data).  The mount has its own shm_dir, prefix and
# state_dir and `-o devnodes` (pjdfstest makes device nodes); everything
# is unmounted and removed on exit.  HSHMFS defaults to build/gcc's.
# Prints prove's summary; exits with prove's status.
set -euo pipefail

[ $# -ge 2 ] || { sed -n '3,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
pjd=$(cd "$1" && pwd) view=$2
here=$(cd "$(dirname "$0")/.." && pwd)
daemon=${3:-$here/build/gcc/src/fs/hshmfs}
case "$view" in image | data) ;; *) echo "pjdfstest.sh: image or data" >&2; exit 2 ;; esac
[ -x "$pjd/pjdfstest" ] || { echo "pjdfstest.sh: build $pjd/pjdfstest first" >&2; exit 2; }
work=$(mktemp -d /tmp/hshmfs-pjd.XXXXXX)
shm=$(mktemp -d /dev/shm/hshmfs-pjd.XXXXXX)
pid=
cleanup() {
	cd /
	mountpoint -q "$work/mnt" && fusermount3 -u "$work/mnt"
	[ -n "$pid" ] && wait "$pid" 2>/dev/null
	rm -rf "$work" "$shm"
}
trap cleanup EXIT
chmod 1777 "$shm"
mkdir "$work/mnt"
mkdir -m 0700 "$work/state"
"$daemon" -f hshm "$work/mnt" \
	-o "shm_dir=$shm,prefix=pjd$$,state_dir=$work/state,devnodes" \
	>"$work/daemon.log" 2>&1 &
pid=$!
for _ in $(seq 100); do mountpoint -q "$work/mnt" && break; sleep 0.1; done
mountpoint -q "$work/mnt" || { cat "$work/daemon.log" >&2; exit 1; }
mkdir -m 0755 "$work/mnt/t"
[ "$view" = data ] && setfattr -n user.hshm.view -v data "$work/mnt/t"
cd "$work/mnt/t"
rc=0
prove -r "$pjd/tests" >"$work/prove.txt" 2>&1 || rc=$?
if grep -q '^Test Summary Report' "$work/prove.txt"; then
	sed -n '/^Test Summary Report/,$p' "$work/prove.txt"
else
	tail -2 "$work/prove.txt"
fi
exit "$rc"
