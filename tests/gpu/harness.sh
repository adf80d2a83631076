# SPDX-License-Identifier: BSD-3-Clause
# harness.sh: mount/unmount and assertions for the GPU tests (sourced).
#
# One daemon per test: a temporary mount point and source directory, a
# private shm_dir under /dev/shm, a unique object prefix, the daemon in the
# foreground with its log in a file; an EXIT trap unmounts (lazily) and
# removes everything.  Exit 77 (skip) only when /dev/fuse is unusable or,
# in the gpu suite, when there is no device.
#
# Environment (set by meson): HSHMFS (daemon), HSHMFS_GPU (CLI), GPU_HELPER.

set -u
export LC_ALL=C

: "${HSHMFS:?HSHMFS must point at the hshmfs daemon}"
: "${HSHMFS_GPU:?HSHMFS_GPU must point at hshmfs-gpu}"
: "${GPU_HELPER:?GPU_HELPER must point at tests/gpu/gpu_helper}"

GH_FAILS=0
GH_PASSES=0
GH_PID=
GH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/hshmfs-gpu-test.XXXXXX")
SHM=
MNT=
SRC=
LOG=
PREFIX="gt$$r$RANDOM"
GH_FATAL='Segmentation|AddressSanitizer|LeakSanitizer|runtime error|double free|Aborted|[Aa]ssertion|core dumped|stack smashing'

gh_fail() {
	GH_FAILS=$((GH_FAILS + 1))
	printf 'FAIL: %s\n' "$*"
}

gh_pass() {
	GH_PASSES=$((GH_PASSES + 1))
	printf 'ok - %s\n' "$*"
}

# eq ACTUAL EXPECTED DESCRIPTION
eq() {
	if [ "$1" == "$2" ]; then
		gh_pass "$3"
	else
		gh_fail "$3: expected '$2', got '$1'"
	fi
}

# match ACTUAL ERE DESCRIPTION
match() {
	if [[ $1 =~ $2 ]]; then
		gh_pass "$3"
	else
		gh_fail "$3: '$1' does not match /$2/"
	fi
}

# ok DESCRIPTION COMMAND...: must exit 0 (its output is shown on failure)
ok() {
	local d=$1 out
	shift
	if out=$("$@" 2>&1); then
		gh_pass "$d"
	else
		gh_fail "$d: '$*' exited $?: $out"
	fi
}

# rc EXPECTED DESCRIPTION COMMAND...: must exit EXPECTED
rc() {
	local want=$1 d=$2 got
	shift 2
	"$@" >"$GH_TMP/rc.out" 2>&1
	got=$?
	if [ "$got" == "$want" ]; then
		gh_pass "$d"
	else
		gh_fail "$d: '$*' exited $got, want $want: $(head -c 500 "$GH_TMP/rc.out")"
	fi
}

gh_skip() {
	printf 'SKIP: %s\n' "$*"
	exit 77
}

# Exit 77 when this machine cannot mount FUSE at all.
gh_need_fuse() {
	[ -c /dev/fuse ] || gh_skip "/dev/fuse does not exist"
	( exec 9<>/dev/fuse ) 2>/dev/null ||
		gh_skip "/dev/fuse cannot be opened by uid $(id -u)"
	command -v fusermount3 >/dev/null ||
		gh_skip "fusermount3 is not installed"
	command -v mountpoint >/dev/null || gh_skip "mountpoint is not installed"
}

gh_cleanup() {
	local i
	if [ -n "$MNT" ] && mountpoint -q "$MNT" 2>/dev/null; then
		fusermount3 -u -z "$MNT" 2>/dev/null
	fi
	if [ -n "$GH_PID" ]; then
		for i in $(seq 50); do
			kill -0 "$GH_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$GH_PID" 2>/dev/null && kill "$GH_PID" 2>/dev/null
		wait "$GH_PID" 2>/dev/null
	fi
	[ -n "$MNT" ] && rmdir "$MNT" 2>/dev/null
	[ -n "$SRC" ] && rm -rf "$SRC"
	[ -n "$SHM" ] && rm -rf "$SHM"
	rm -rf "$GH_TMP"
}
trap gh_cleanup EXIT

# gh_mount RUNTIME [MORE -o OPTIONS]: mount with gpu_runtime=RUNTIME.
gh_mount() {
	local rt=$1 more=${2:+,$2} i
	SHM=$(mktemp -d /dev/shm/hshmfs-gpu-test.XXXXXX)
	SRC=$(mktemp -d "$GH_TMP/src.XXXXXX")
	MNT=$(mktemp -d "${TMPDIR:-/tmp}/hshmfs-gpu-mnt.XXXXXX")
	LOG=$GH_TMP/daemon.log
	"$HSHMFS" -f "$SRC" "$MNT" \
		-o "shm_dir=$SHM,prefix=$PREFIX,gpu_runtime=$rt$more" \
		>"$LOG" 2>&1 &
	GH_PID=$!
	for i in $(seq 100); do
		mountpoint -q "$MNT" && break
		if ! kill -0 "$GH_PID" 2>/dev/null; then
			printf 'FAIL: the daemon exited before mounting:\n'
			cat "$LOG"
			GH_PID=
			exit 1
		fi
		sleep 0.1
	done
	if ! mountpoint -q "$MNT"; then
		printf 'FAIL: %s not mounted after 10 s:\n' "$MNT"
		cat "$LOG"
		exit 1
	fi
	printf '# mounted %s (gpu_runtime=%s%s), log %s\n' "$MNT" "$rt" "$more" "$LOG"
}

# gh_dir NAME BACKEND [DEVICE]: a directory whose new files are BACKEND.
gh_dir() {
	mkdir "$MNT/$1" &&
		setfattr -n user.hshm.backend -v "$2" "$MNT/$1" &&
		if [ -n "${3:-}" ]; then
			setfattr -n user.hshm.data_id -v "$3" "$MNT/$1"
		fi
}

# xattr FILE NAME: the value of user.hshm.NAME
xattr() {
	getfattr --absolute-names -n "user.hshm.$2" --only-values "$1" 2>&1
}

# gh_finish: the daemon must be alive and its log clean; report and exit.
gh_finish() {
	if [ -n "$GH_PID" ] && ! kill -0 "$GH_PID" 2>/dev/null; then
		gh_fail "the daemon died during the test"
	fi
	if [ -n "$LOG" ] && grep -Eq "$GH_FATAL" "$LOG"; then
		gh_fail "the daemon log has a crash report"
	fi
	if [ -n "$LOG" ]; then
		printf -- '--- daemon log ---\n'
		cat "$LOG"
		printf -- '------------------\n'
	fi
	printf '%d passed, %d failed\n' "$GH_PASSES" "$GH_FAILS"
	[ "$GH_FAILS" -eq 0 ] || exit 1
	exit 0
}
