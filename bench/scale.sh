#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# scale.sh: how mount time (recovery), daemon memory and listing grow with
# the number of regions.  For each N: mount, create N regions of the
# minimum size (1 MiB each, reserved: N MiB of memory) in one directory,
# unmount, then time a remount until the kernel shows it, the daemon's
# VmRSS after it (and per region added since the previous N), and `ls -f` / `ls -l` / `stat` of one name in the
# directory.  Prints one line per N.
#
#   bench/scale.sh [HSHMFS] [N...]     default: build/bench/src/fs/hshmfs 1000 2000 4000
#
# Needs root and N MiB of free memory for the largest N.
set -euo pipefail
daemon=${1:-build/bench/src/fs/hshmfs}
shift || true
counts=("${@:-1000 2000 4000}")
work=$(mktemp -d /tmp/hshmfs-scale.XXXXXX)
shm=$(mktemp -d /dev/shm/hshmfs-scale.XXXXXX)
mnt=$work/mnt
pid=

cleanup() {
	mountpoint -q "$mnt" 2>/dev/null && fusermount3 -u -z "$mnt"
	[ -n "$pid" ] && wait "$pid" 2>/dev/null
	rm -rf "$work" "$shm"
}
trap cleanup EXIT

now() { date +%s.%N; }
ms() { echo "($2 - $1) * 1000" | bc -l | xargs printf '%.1f'; }

# up: start the daemon; T = the ms until the mount shows.
up() {
	local t0 t1
	t0=$(now)
	"$daemon" -f hshm "$mnt" -o "shm_dir=$shm,prefix=scale" >>"$work/log" 2>&1 &
	pid=$!
	until mountpoint -q "$mnt"; do sleep 0.005; done
	t1=$(now)
	T=$(ms "$t0" "$t1")
}

down() {
	fusermount3 -u "$mnt"
	wait "$pid"
	pid=
}

mkdir -p "$mnt"
printf '%8s %12s %12s %14s %12s %12s %10s\n' regions mount_ms rss_kib \
	kib/new_region ls_f_ms ls_l_ms stat_ms
prev_n=0 prev_rss=0
for n in ${counts[*]}; do
	up
	mkdir -p "$mnt/d"
	i=$(find "$mnt/d" -maxdepth 1 -type f | wc -l)
	while [ "$i" -lt "$n" ]; do
		: >"$mnt/d/r$i"
		i=$((i + 1))
	done
	down
	up
	t=$T
	rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
	t0=$(now); ls -f "$mnt/d" >/dev/null; t1=$(now)
	ls -l "$mnt/d" >/dev/null; t2=$(now)
	stat "$mnt/d/r$((n / 2))" >/dev/null; t3=$(now)
	printf '%8d %12s %12d %14.2f %12s %12s %10s\n' "$n" "$t" "$rss" \
		"$(echo "($rss - $prev_rss) / ($n - $prev_n)" | bc -l)" \
		"$(ms "$t0" "$t1")" "$(ms "$t1" "$t2")" "$(ms "$t2" "$t3")"
	prev_n=$n prev_rss=$rss
	down
done
