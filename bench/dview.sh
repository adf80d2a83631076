#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# dview.sh: the data view (user.hshm.view=data) side by side with a tmpfs
# file under /dev/shm, in one run: write(2) and read(2) of SIZE in 1 MiB
# calls (dd, the data dropped from neither side's caches: both are memory),
# a copy in with cp, and stores then loads through mmap at offset 0 (numpy
# memmap, as a legacy program would).  Each figure is the median of REPS
# runs, both sides interleaved; ratio = /dev/shm time / hshmfs time.
#
#   bench/dview.sh [HSHMFS] [SIZE_MIB] [REPS]   default: build/bench/src/fs/hshmfs 256 5
#
# Needs root (a FUSE mount with allow_other) and /usr/bin/python3 with numpy
# (scripts/deps.sh installs both).
set -euo pipefail
daemon=${1:-build/bench/src/fs/hshmfs}
mib=${2:-256}
reps=${3:-5}
py=/usr/bin/python3
work=$(mktemp -d /tmp/hshmfs-dview.XXXXXX)
shm=$(mktemp -d /dev/shm/hshmfs-dview.XXXXXX)
plain=$(mktemp -d /dev/shm/hshmfs-dview-plain.XXXXXX)
mnt=$work/mnt

cleanup() {
	mountpoint -q "$mnt" 2>/dev/null && fusermount3 -u -z "$mnt"
	rm -rf "$work" "$shm" "$plain"
}
trap cleanup EXIT

mkdir "$mnt"
"$daemon" hshm "$mnt" -o "shm_dir=$shm,prefix=dvbench,state_dir=$work/state,log=$work/daemon.log"
for _ in $(seq 100); do mountpoint -q "$mnt" && break; sleep 0.05; done
mkdir "$mnt/d"
setfattr -n user.hshm.view -v data "$mnt/d"
head -c $((mib << 20)) /dev/urandom >"$work/src"

# secs CMD...: wall time of CMD in seconds
secs() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >/dev/null 2>&1
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc -l
}
median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

wr() { dd if=/dev/zero of="$1/w" bs=1M count="$mib" conv=notrunc status=none; }
rd() { dd if="$1/w" of=/dev/null bs=1M status=none; }
cpin() { rm -f "$1/c"; cp "$work/src" "$1/c"; }
mm() {
	"$py" - "$1/m" "$mib" <<'PY'
import sys, numpy as np
p, n = sys.argv[1], int(sys.argv[2]) << 20
with open(p, "wb") as f:
    f.truncate(n)
m = np.memmap(p, dtype=np.uint8, mode="r+", shape=(n,))
m[:] = 7
m.flush()
assert int(m[::4096].sum()) == 7 * (n // 4096)
del m
PY
}

printf '%-36s %12s %12s %7s\n' "data view, $mib MiB, median of $reps" /dev/shm hshmfs ratio
for t in wr rd cpin mm; do
	a=() b=()
	for _ in $(seq "$reps"); do
		a+=("$(secs "$t" "$plain")")
		b+=("$(secs "$t" "$mnt/d")")
	done
	ta=$(printf '%s\n' "${a[@]}" | median)
	tb=$(printf '%s\n' "${b[@]}" | median)
	printf '%-36s %9.0f MB/s %9.0f MB/s %7.2f\n' "$t" \
		"$(echo "$mib * 1.048576 / $ta" | bc -l)" \
		"$(echo "$mib * 1.048576 / $tb" | bc -l)" \
		"$(echo "$ta / $tb" | bc -l)"
done
echo "wr: dd write(2) 1 MiB calls; rd: dd read(2) 1 MiB; cpin: cp of a file in; mm: numpy memmap at offset 0, store all, flush, load a byte per page"
