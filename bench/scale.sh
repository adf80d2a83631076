#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# scale.sh: how mount time (recovery), daemon memory, lookup, readdir and
# threaded I/O grow with the number of regions, directories and threads.
#
#   bench/scale.sh [HSHMFS] [N...]   default: build/bench/src/fs/hshmfs 1000 10000 100000
#
# 1. regions: for each N, create regions in one directory up to N (the
#    minimum size, 1 MiB, in a user.hshm.reserve=0 mount: each object holds
#    its header page, 4 KiB, and its record attribute), unmount, then remount
#    REMOUNTS times and time each until the kernel shows the mount
#    (recovery reads every object's header and record); the daemon's VmRSS
#    after it and per region added; LOOKUPS stat(2) of names spread over
#    the directory; one full readdir.  The same lookup and readdir on a
#    tmpfs directory of N empty files.
# 2. the directory of step 1 grown to ENTRIES entries with empty
#    directories (the regions are capped by the open-file limit): stat(2)
#    of LOOKUPS names cold (first after a remount), expired (past the 1 s
#    entry timeout) and cached, and readdir, against the same on tmpfs
#    (medians of REMOUNTS).
# 3. directories: DIRS empty directories, remount, VmRSS per directory.
# 4. threads: scale_ops io with 1, 2, 4, 8 threads, IO_MIB MiB each, on a
#    region per thread and on one region, against /dev/shm (warm pwrite,
#    pread, mmap memcpy write and read; aggregate GB/s).
#
# Environment: RESERVE (0; 1 reserves N MiB), REMOUNTS (3), LOOKUPS
# (10000), ENTRIES (100000; 0 skips), DIRS (10000; 0 skips), IO_MIB (64; 0 skips), THREADS ("1 2 4
# 8"), IO_REPS (3), SCALE_OPS (build/bench/bench/scale_ops).
# Needs root (the daemon keeps one fd per region: the open-file limit is
# raised to 2N + 4096 for it).  Memory: about 4 KiB of tmpfs and 2 KiB of
# daemon per region with RESERVE=0 (100,000 regions: about 1 GiB in all),
# 1 MiB + 4 KiB of tmpfs per region with RESERVE=1; the thread rows use
# 8 x IO_MIB MiB on each side.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
daemon=${1:-$here/build/bench/src/fs/hshmfs}
shift || true
counts=("${@:-1000 10000 100000}")
counts=(${counts[*]})
ops=${SCALE_OPS:-$here/build/bench/bench/scale_ops}
reserve=${RESERVE:-0}
remounts=${REMOUNTS:-3}
lookups=${LOOKUPS:-10000}
ndirs=${DIRS:-10000}
entries=${ENTRIES:-100000}
io_mib=${IO_MIB:-64}
threads=(${THREADS:-1 2 4 8})
io_reps=${IO_REPS:-3}
work=$(mktemp -d /tmp/hshmfs-scale.XXXXXX)
shm=$(mktemp -d /dev/shm/hshmfs-scale.XXXXXX)
plain=$(mktemp -d /dev/shm/hshmfs-scale-plain.XXXXXX)
mnt=$work/mnt
pid=

cleanup() {
	mountpoint -q "$mnt" 2>/dev/null && fusermount3 -u -z "$mnt"
	[ -n "$pid" ] && wait "$pid" 2>/dev/null
	rm -rf "$work" "$shm" "$plain"
}
trap cleanup EXIT

max=0
for n in "${counts[@]}"; do [ "$n" -gt "$max" ] && max=$n; done
lim=$((2 * max + 4096))
[ "$(ulimit -Hn)" -ge "$lim" ] || ulimit -Hn "$lim" 2>/dev/null ||
	echo "# open-file limit $(ulimit -Hn) (not raised: no CAP_SYS_RESOURCE);" \
		"the daemon holds one fd per region, so N above about $(($(ulimit -Hn) - 100)) cannot be made"
ulimit -Sn "$(ulimit -Hn)"
fd_max=$(($(ulimit -Hn) - 100))

now() { date +%s.%N; }
ms() { echo "($2 - $1) * 1000" | bc -l | xargs printf '%.1f'; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
us() { "$ops" "$@" | awk '{print $2}'; } # the us_per_op of a step
# cells "a b c d" ...: the median of each column
cells() {
	local c out=()
	for c in 1 2 3 4; do
		out+=("$(median $(printf '%s\n' "$@" | awk -v c=$c '{print $c}'))")
	done
	echo "${out[*]}"
}

# up: start the daemon; T = the ms until the mount shows.
up() {
	local t0 t1
	t0=$(now)
	"$daemon" -f hshm "$mnt" -o "shm_dir=$shm,prefix=scale,reserve=$reserve,state_dir=$work/state" \
		>>"$work/log" 2>&1 &
	pid=$!
	until mountpoint -q "$mnt"; do
		kill -0 "$pid" 2>/dev/null || { cat "$work/log" >&2; exit 1; }
		sleep 0.002
	done
	t1=$(now)
	T=$(ms "$t0" "$t1")
}

down() {
	fusermount3 -u "$mnt"
	wait "$pid"
	pid=
}

mkdir -p "$mnt" "$plain/d"
echo "# regions (reserve=$reserve, $remounts remounts each: median and range)"
printf '%8s %10s %16s %10s %11s %10s %11s %11s %11s %11s\n' regions mount_ms \
	mount_range_ms us/region rss_kib kib/region lookup_us tmpfs_us \
	readdir_ms tmpfs_ms
prev_n=0 prev_rss=0
for n in "${counts[@]}"; do
	if [ "$n" -gt "$fd_max" ]; then
		printf '%8d skipped: needs %d open files in the daemon, the limit is %d\n' \
			"$n" "$((n + 100))" "$(ulimit -Hn)"
		continue
	fi
	up
	mkdir -p "$mnt/d"
	"$ops" mkmany "$mnt/d" "$prev_n" "$n" >/dev/null
	"$ops" mkmany "$plain/d" "$prev_n" "$n" >/dev/null
	down
	ts=()
	for _ in $(seq "$remounts"); do
		up
		ts+=("$T")
		down
	done
	up
	r=$(rss)
	lk=$(us lookup "$mnt/d" "$n" "$lookups")
	lkt=$(us lookup "$plain/d" "$n" "$lookups")
	rd=$("$ops" readdir "$mnt/d" | awk '{print $6}')
	rdt=$("$ops" readdir "$plain/d" | awk '{print $6}')
	m=$(median "${ts[@]}")
	printf '%8d %10s %16s %10.1f %11d %10.2f %11s %10s %11s %11s\n' "$n" "$m" \
		"$(median "${ts[@]}" | xargs -I{} echo "$(printf '%s\n' "${ts[@]}" | sort -g | head -1)-$(printf '%s\n' "${ts[@]}" | sort -g | tail -1)")" \
		"$(echo "$m * 1000 / $n" | bc -l)" "$r" \
		"$(echo "($r - $prev_rss) / ($n - $prev_n)" | bc -l)" \
		"$lk" "$lkt" "$rd" "$rdt"
	prev_n=$n prev_rss=$r
	down
done

if [ "$entries" -gt 0 ] && [ "$entries" -gt "$prev_n" ]; then
	echo "# the directory of step 1 grown to $entries entries: its $prev_n regions and $((entries - prev_n)) empty directories"
	up
	"$ops" mkdirs "$mnt/d" "$prev_n" "$entries" >/dev/null
	"$ops" mkdirs "$plain/d" "$prev_n" "$entries" >/dev/null
	down
	lc=() lx=() lw=() lt=() rc=() rw=() rt=()
	for _ in $(seq "$remounts"); do
		up # cold: nothing of the directory in the kernel's caches
		rc+=("$("$ops" readdir "$mnt/d" | awk '{print $6}')")
		down
		up
		lc+=("$(us lookup "$mnt/d" "$entries" "$lookups" "$prev_n")")
		sleep 1.2 # past entry_timeout and attr_timeout (1 s)
		lx+=("$(us lookup "$mnt/d" "$entries" "$lookups" "$prev_n")")
		lw+=("$(us lookup "$mnt/d" "$entries" "$lookups" "$prev_n")")
		lt+=("$(us lookup "$plain/d" "$entries" "$lookups" "$prev_n")")
		rw+=("$("$ops" readdir "$mnt/d" | awk '{print $6}')")
		rt+=("$("$ops" readdir "$plain/d" | awk '{print $6}')")
		down
	done
	printf 'stat(2) us: cold %s, expired %s, cached %s; tmpfs %s\n' \
		"$(median "${lc[@]}")" "$(median "${lx[@]}")" \
		"$(median "${lw[@]}")" "$(median "${lt[@]}")"
	printf 'readdir ms: cold %s, again %s; tmpfs %s (medians of %d)\n' \
		"$(median "${rc[@]}")" "$(median "${rw[@]}")" \
		"$(median "${rt[@]}")" "$remounts"
	up
	find "$mnt/d" "$plain/d" -mindepth 1 -maxdepth 1 -type d -delete
	down
fi

if [ "$ndirs" -gt 0 ]; then
	echo "# directories ($ndirs empty ones beside the $prev_n regions)"
	up
	r0=$(rss)
	mkdir -p "$mnt/dirs"
	"$ops" mkdirs "$mnt/dirs" 0 "$ndirs" >/dev/null
	down
	up
	r1=$(rss)
	printf 'rss_kib %d -> %d: %.2f KiB per directory; mount %s ms\n' "$r0" "$r1" \
		"$(echo "($r1 - $r0) / $ndirs" | bc -l)" "$T"
	down
fi

if [ "$io_mib" -gt 0 ]; then
	echo "# threads: $io_mib MiB per thread, $(nproc) CPUs, GB/s aggregate (hshmfs / /dev/shm), medians of $io_reps"
	up
	mkdir -p "$mnt/io" "$plain/io"
	printf '%7s %5s %17s %17s %17s %17s\n' threads files write read mmap_write mmap_read
	for t in "${threads[@]}"; do
		for one in 0 1; do
			hs=() ps=()
			for _ in $(seq "$io_reps"); do # interleaved, median per cell
				hs+=("$("$ops" io "$mnt/io" "$t" "$io_mib" "$one" | awk '{print $2}' | xargs)")
				ps+=("$("$ops" io "$plain/io" "$t" "$io_mib" "$one" | awk '{print $2}' | xargs)")
			done
			read -r hw hr hmw hmr <<<"$(cells "${hs[@]}")"
			read -r pw pr pmw pmr <<<"$(cells "${ps[@]}")"
			printf '%7d %5s %8s/%-8s %8s/%-8s %8s/%-8s %8s/%-8s\n' "$t" \
				"$([ "$one" = 1 ] && echo one || echo each)" \
				"$hw" "$pw" "$hr" "$pr" "$hmw" "$pmw" "$hmr" "$pmr"
		done
	done
	down
fi
if grep -qiE 'error|warn' "$work/log"; then
	echo "scale.sh: the daemon logged:" >&2
	grep -iE 'error|warn' "$work/log" | sort | uniq -c | head >&2
fi
