#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# bench.sh: build hshmfs and its benchmark, mount two hshmfs instances
# (the default io=readthrough and io=passthrough) with private shm directories, and run
# bench/hshmfs_bench against a plain tmpfs directory under /dev/shm.
#
#   scripts/bench.sh [--cpu LIST] [benchmark options]   e.g. --reps 3 --size 256M
#
# --cpu LIST runs the daemons and the benchmark under `taskset -c LIST`
# (e.g. --cpu 0: everything on one CPU, so FUSE requests and replies never
# wait for another CPU to wake up; see docs/performance.md).
#
# Environment: BUILD_DIR (build/bench), SHM_ROOT (/dev/shm), KEEP_LOGS=1 to
# keep the daemon logs; DAEMON_IO=daemon mounts the first instance with
# io=daemon (every read through the daemon) instead of the default
# io=readthrough; BIN_DIR=DIR runs the hshmfs and hshmfs_bench
# already in DIR and builds nothing (to measure an older build in the same
# time window: copy its two binaries aside first).  Everything is
# unmounted and removed on exit.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$here/build/bench}
shm_root=${SHM_ROOT:-/dev/shm}
pin=()
if [ "${1:-}" = --cpu ]; then
	[ $# -ge 2 ] || { echo "bench.sh: --cpu needs a CPU list" >&2; exit 2; }
	pin=(taskset -c "$2")
	shift 2
fi

if [ -n "${BIN_DIR:-}" ]; then
	daemon=$BIN_DIR/hshmfs
	bench=$BIN_DIR/hshmfs_bench
else
	if [ ! -f "$build/build.ninja" ]; then
		meson setup "$build" "$here" -Dbuildtype=release \
			-Dtests=false >&2
	fi
	ninja -C "$build" src/fs/hshmfs bench/hshmfs_bench >&2
	daemon=$build/src/fs/hshmfs
	bench=$build/bench/hshmfs_bench
fi

work=$(mktemp -d /tmp/hshmfs-bench.XXXXXX)
shm=$(mktemp -d "$shm_root/hshmfs-bench.XXXXXX")
pids=()

cleanup() {
	local rc=$?
	for m in "$work"/mnt-*; do
		[ -d "$m" ] || continue
		mountpoint -q "$m" && { fusermount3 -u "$m" 2>/dev/null ||
			fusermount3 -u -z "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; }
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	if [ "${KEEP_LOGS:-0}" = 1 ]; then
		echo "bench.sh: daemon logs kept in $work" >&2
		rm -rf "${work:?}"/mnt-*
	else
		rm -rf "$work"
	fi
	rm -rf "$shm"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# mount NAME IO: an hshmfs instance on $work/mnt-NAME, objects in $shm/NAME.
mount_one() {
	local name=$1 io=$2 mnt=$work/mnt-$1
	mkdir -p "$mnt" "$shm/$name"
	"${pin[@]}" "$daemon" -f "hshmfs-bench-$name" "$mnt" \
		-o "shm_dir=$shm/$name,prefix=bench$name,io=$io" \
		2>"$work/$name.log" &
	pids+=($!)
	for _ in $(seq 100); do
		mountpoint -q "$mnt" && return 0
		kill -0 "${pids[-1]}" 2>/dev/null || break
		sleep 0.05
	done
	echo "bench.sh: hshmfs did not mount on $mnt; its log:" >&2
	cat "$work/$name.log" >&2
	return 1
}

mount_one d "${DAEMON_IO:-readthrough}" # the default: O_RDONLY by the kernel
mount_one p passthrough
mkdir -p "$shm/plain"

if [ ${#pin[@]} -gt 0 ]; then
	echo "pinned: daemons and benchmark run under ${pin[*]}"
fi
"${pin[@]}" "$bench" --shm-dir "$shm/plain" --daemon-mnt "$work/mnt-d" \
	--pt-mnt "$work/mnt-p" "$@"

for name in d p; do
	if grep -qiE 'error|warn' "$work/$name.log"; then
		echo "bench.sh: the $name daemon logged:" >&2
		cat "$work/$name.log" >&2
	fi
done
