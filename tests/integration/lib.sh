# SPDX-License-Identifier: BSD-3-Clause
# lib.sh: harness of the hshmfs integration tests (sourced by each test).
#
# Each test gets its own mount point, its own shm_dir (a private directory
# under /dev/shm) and a unique object prefix; the daemon runs in the
# foreground (-f) with its log in a file; an EXIT trap unmounts and cleans
# up.  Assertions keep going after a failure; it_finish reports, checks the
# daemon logs against the expected lines and sets the exit status.
# Exit 77 (skip) only when /dev/fuse cannot be used.
#
# Environment (set by meson): HSHMFS = the daemon, ITOOL = tests/integration/itool.

set -u
export LC_ALL=C

: "${HSHMFS:?HSHMFS must point at the hshmfs executable}"
: "${ITOOL:?ITOOL must point at the itool helper}"

IT_NAME=$(basename "$0" .sh)
IT_FAILS=0
IT_PASSES=0
IT_PID=
IT_NMOUNT=0
IT_LOG=
IT_TMP=
IT_SHM_TMPFS=
SHM=
MNT=
# state_dir= of the daemon (namespace, key, prefix lock): private to each
# test and kept across its remounts (set by it_init when the daemon has it)
IT_STATE_OPT=
IT_MOUNT_OPTS=
PREFIX="it$$x$RANDOM"
# Lines every mount may log (ERE, matched against whole lines).
IT_ALLOW=(
	'^hshmfs: GPU runtime: .*'
	'^hshmfs: mmap mode: shared \(kernel FUSE passthrough\)$'
	'^hshmfs: recovered [0-9]+ object\(s\) from .*'
)
# Lines that fail a test wherever they appear.
IT_FATAL='Segmentation|AddressSanitizer|ThreadSanitizer|LeakSanitizer|runtime error|double free|Aborted|[Aa]ssertion|core dumped|stack smashing|free\(\): '

it_log() { printf '%s\n' "$*"; }

it_fail() {
	IT_FAILS=$((IT_FAILS + 1))
	printf 'FAIL: %s\n' "$*" >&2
	printf 'FAIL: %s\n' "$*"
}

it_pass() {
	IT_PASSES=$((IT_PASSES + 1))
	printf 'ok - %s\n' "$*"
}

# eq ACTUAL EXPECTED DESCRIPTION
eq() {
	if [ "$1" == "$2" ]; then
		it_pass "$3"
	else
		it_fail "$3: expected '$2', got '$1'"
	fi
}

# ne ACTUAL UNEXPECTED DESCRIPTION
ne() {
	if [ "$1" != "$2" ]; then
		it_pass "$3"
	else
		it_fail "$3: got '$1', which it must not be"
	fi
}

# match ACTUAL ERE DESCRIPTION
match() {
	if [[ $1 =~ $2 ]]; then
		it_pass "$3"
	else
		it_fail "$3: '$1' does not match /$2/"
	fi
}

# ok DESCRIPTION COMMAND...: the command must succeed.
ok() {
	local d=$1 out
	shift
	if out=$("$@" 2>&1); then
		it_pass "$d"
	else
		it_fail "$d: '$*' failed: $out"
	fi
}

# fails DESCRIPTION COMMAND...: the command must fail.
fails() {
	local d=$1 out
	shift
	if out=$("$@" 2>&1); then
		it_fail "$d: '$*' succeeded: $out"
	else
		it_pass "$d"
	fi
}

# rc STATUS DESCRIPTION COMMAND...: the command must exit with STATUS.
rc() {
	local want=$1 d=$2 out got
	shift 2
	out=$("$@" 2>&1)
	got=$?
	if [ "$got" == "$want" ]; then
		it_pass "$d"
	else
		it_fail "$d: '$*' exited $got, expected $want: ${out:0:500}"
	fi
}

# it_allow ERE...: daemon log lines this test expects (whole-line match).
it_allow() { IT_ALLOW+=("$@"); }

# xa FILE NAME: value of user.hshm.NAME.
xa() { getfattr --only-values --absolute-names -n "user.hshm.$2" "$1" 2>&1; }

# hdr FILE FIELD: a field of the HSHM header read from FILE (itool hdr).
hdr() { "$ITOOL" hdr "$1" | sed -n "s/^$2=//p"; }

# rec OBJ: the magic of the hshmfs record kept as object OBJ's attribute
# trusted.hshmfs.record (src/fs/record.c); empty without one.
rec() {
	getfattr --only-values --absolute-names -n trusted.hshmfs.record "$1" \
		2>/dev/null | head -c 8
}

# spare_bytes OBJ: how many non-zero bytes the last page of OBJ holds.
spare_bytes() { tail -c 4096 "$1" | tr -d '\0' | wc -c; }

# obj FILE: path of the region's backing object under $SHM.
obj() {
	local url
	url=$(xa "$1" url)
	printf '%s/%s' "$SHM" "${url#/}"
}

# it_user NAME: make sure the local user NAME exists (a system user with no
# home, made once and kept), and print its uid.  Tests running side by side
# may ask for the same user: useradd runs under a lock.
it_user() {
	if ! id -u "$1" >/dev/null 2>&1; then
		[ "$(id -u)" = 0 ] || it_skip "making user $1 needs root"
		flock /run/hshmfs-it-useradd.lock sh -c \
			'id -u "$1" >/dev/null 2>&1 || useradd -r -M -U -s /usr/sbin/nologin "$1"' \
			sh "$1" >/dev/null || { it_fail "useradd $1"; exit 1; }
	fi
	id -u "$1"
}

# as USER COMMAND...: run COMMAND as USER (real and effective uid and gid,
# USER's groups only), as an unprivileged user would run it.
as() {
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups -- "$@"
}

it_cleanup() {
	local rc=$? f
	if [ "$rc" -ne 0 ] && [ -n "$IT_TMP" ]; then
		# a test that stops early (set -u, exit 1) still shows why the
		# daemon said what it said: the logs go with the tmp dir
		for f in "$IT_TMP"/daemon.*.log; do
			[ -s "$f" ] || continue
			printf '# --- %s (last 60 lines)\n' "${f##*/}" >&2
			tail -n 60 "$f" >&2
		done
	fi
	if [ -n "$MNT" ] && mountpoint -q "$MNT" 2>/dev/null; then
		fusermount3 -u -z "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null
	fi
	if [ -n "$IT_PID" ] && kill -0 "$IT_PID" 2>/dev/null; then
		kill "$IT_PID" 2>/dev/null
		sleep 0.2
		kill -9 "$IT_PID" 2>/dev/null
	fi
	[ -n "$IT_SHM_TMPFS" ] && umount "$SHM" 2>/dev/null
	[ -n "$SHM" ] && rm -rf --one-file-system "$SHM"
	[ -n "$IT_TMP" ] && rm -rf --one-file-system "$IT_TMP"
	exit "$rc"
}

# it_private_shm SIZE: put shm_dir on a tmpfs of its own (before it_mount),
# so that what this test measures of its capacity is not shared with the
# tests running beside it.  Needs root; skips with the reason otherwise.
it_private_shm() {
	[ "$(id -u)" = 0 ] || it_skip "a private tmpfs for shm_dir needs root"
	mount -t tmpfs -o "size=$1,mode=1777" hshmfs-it "$SHM" ||
		{ it_fail "mount a $1 tmpfs on $SHM"; exit 1; }
	IT_SHM_TMPFS=1
}

it_skip() {
	printf 'SKIP: %s\n' "$*"
	exit 77
}

# Skip only when /dev/fuse is unusable; anything else missing is a failure.
it_init() {
	if [ ! -c /dev/fuse ] || ! (exec 3<>/dev/fuse) 2>/dev/null; then
		if [ "$(id -u)" != 0 ] && command -v fusermount3 >/dev/null &&
		   [ -u "$(command -v fusermount3)" ] && [ -c /dev/fuse ]; then
			: # unprivileged mounts go through the setuid helper
		else
			it_skip "/dev/fuse is not usable here"
		fi
	fi
	IT_TMP=$(mktemp -d "${TMPDIR:-/tmp}/hshmfs-$IT_NAME.XXXXXX") || exit 1
	SHM=$(mktemp -d /dev/shm/hshmfs-it.XXXXXX) || exit 1
	chmod 0755 "$IT_TMP"
	chmod 1777 "$SHM" # like /dev/shm: others reach their objects
	MNT=$IT_TMP/mnt
	mkdir "$MNT"
	"$HSHMFS" -h 2>/dev/null | grep -q 'state_dir=' &&
		IT_STATE_OPT="state_dir=$IT_TMP/state"
	trap it_cleanup EXIT
	trap 'exit 1' INT TERM
	it_log "# $IT_NAME: mnt=$MNT shm_dir=$SHM prefix=$PREFIX"
}

# it_mount [EXTRA_OPTS]: start the daemon in the foreground and wait (10 s
# bound) until the kernel shows the mount.  Fails the test if it never does.
it_mount() {
	local opts="shm_dir=$SHM,prefix=$PREFIX${IT_STATE_OPT:+,$IT_STATE_OPT}${1:+,$1}" i
	IT_MOUNT_OPTS=$opts
	IT_NMOUNT=$((IT_NMOUNT + 1))
	IT_LOG=$IT_TMP/daemon.$IT_NMOUNT.log
	"$HSHMFS" -f hshm "$MNT" -o "$opts" >"$IT_LOG" 2>&1 &
	IT_PID=$!
	for i in $(seq 100); do
		mountpoint -q "$MNT" && return 0
		kill -0 "$IT_PID" 2>/dev/null || break
		sleep 0.1
	done
	it_fail "mount with -o $opts did not come up"
	cat "$IT_LOG" >&2
	exit 1
}

# it_wait_exit SECS: wait for the daemon to exit; its status in IT_RC.
it_wait_exit() {
	local i
	IT_RC=
	for i in $(seq $(($1 * 10))); do
		kill -0 "$IT_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$IT_PID" 2>/dev/null; then
		it_fail "daemon $IT_PID still running $1 s after unmount"
		return 1
	fi
	wait "$IT_PID"
	IT_RC=$?
	IT_PID=
}

# it_umount: fusermount3 -u, then the daemon must exit with status 0.
it_umount() {
	if ! fusermount3 -u "$MNT"; then
		it_fail "fusermount3 -u $MNT failed"
		fusermount3 -u -z "$MNT"
	fi
	it_wait_exit 10 && eq "$IT_RC" 0 "daemon exits 0 after unmount"
}

# it_kill9: SIGKILL the daemon (a crash), detach the dead mount.
it_kill9() {
	kill -9 "$IT_PID"
	wait "$IT_PID" 2>/dev/null
	IT_PID=
	fusermount3 -u -z "$MNT" 2>/dev/null || umount -l "$MNT"
}

it_check_logs() {
	local f line a okline
	for f in "$IT_TMP"/daemon.*.log; do
		[ -e "$f" ] || continue
		while IFS= read -r line; do
			if [[ $line =~ $IT_FATAL ]]; then
				it_fail "daemon log $f: $line"
				continue
			fi
			okline=
			for a in "${IT_ALLOW[@]}"; do
				if [[ $line =~ ^($a)$ ]]; then
					okline=1
					break
				fi
			done
			[ -n "$okline" ] || it_fail "unexpected daemon log line ($f): $line"
		done <"$f"
	done
}

# it_finish: the daemon must still be running (unless the test stopped it),
# log check, summary, exit status.
it_finish() {
	if [ -n "$IT_PID" ] && ! kill -0 "$IT_PID" 2>/dev/null; then
		it_fail "the daemon ($IT_PID) died during the test"
	fi
	if [ -n "$IT_PID" ] && mountpoint -q "$MNT"; then
		it_umount
	fi
	it_check_logs
	it_log "# $IT_NAME: $IT_PASSES passed, $IT_FAILS failed"
	[ "$IT_FAILS" -eq 0 ] && exit 0
	exit 1
}
