# SPDX-License-Identifier: BSD-3-Clause
# up_lib.sh: what the upstream-view tests share, on top of
# tests/integration/lib.sh (sourced by each test_upstream_*.sh).
#
# Each test has its own links root ($LR, mode 1777 like /tmp) with private
# link directories for the two local users (hsalice, hsmallory), made by the
# users themselves as upstream HSHM makes them (0700).  Helper processes are
# killed at exit, and a FUSE connection that hangs is aborted through fusectl
# so that a deadlocked daemon fails the test instead of hanging it.
. "$(dirname "$0")/../integration/lib.sh"
FAKE=${1:?usage: $0 FAKE_UPSTREAM}
UP_PIDS=()
UP_MNTS=()

# up_mnt_conn MNT: the FUSE connection number of the mount at MNT (from
# mountinfo, without touching the mount itself).
up_mnt_conn() {
	awk -v m="$1" '$5 == m { split($3, d, ":"); print d[2]; exit }' \
		/proc/self/mountinfo
}

# up_abort MNT: abort the FUSE connection of MNT (every request pending in
# it fails at once; the daemon sees the device close and exits).
up_abort() {
	local c
	c=$(up_mnt_conn "$1")
	[ -n "$c" ] || return 0
	if [ ! -e "/sys/fs/fuse/connections/$c/abort" ]; then
		grep -q ' /sys/fs/fuse/connections ' /proc/self/mountinfo ||
			mount -t fusectl fusectl /sys/fs/fuse/connections 2>/dev/null
	fi
	[ -e "/sys/fs/fuse/connections/$c/abort" ] &&
		echo 1 >"/sys/fs/fuse/connections/$c/abort"
	umount -l "$1" 2>/dev/null
}

up_cleanup() {
	local rc=$? p m
	for p in "${UP_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for m in "${UP_MNTS[@]}" "$MNT"; do
		[ -n "$(up_mnt_conn "$m")" ] || continue
		if ! timeout 5 stat -f "$m" >/dev/null 2>&1; then
			up_abort "$m"
		else
			fusermount3 -u -z "$m" 2>/dev/null
		fi
	done
	(exit "$rc")
	it_cleanup
}

# up_bg COMMAND...: start COMMAND in the background, killed at exit.
up_bg() {
	"$@" &
	UP_PIDS+=("$!")
}

# bounded SECS DESCRIPTION COMMAND...: COMMAND must finish within SECS
# seconds (and succeed).  A request stuck in the daemon cannot be killed, so
# on a hang the test aborts the mount's FUSE connection and stops there.
bounded() {
	local secs=$1 d=$2 pid i
	shift 2
	"$@" >/dev/null 2>&1 &
	pid=$!
	for i in $(seq $((secs * 10))); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		it_fail "$d: '$*' still running after $secs s: aborting the mount"
		up_abort "$MNT"
		wait "$pid"
		IT_PID=
		it_check_logs
		it_log "# $IT_NAME: $IT_PASSES passed, $IT_FAILS failed"
		exit 1
	fi
	if wait "$pid"; then
		it_pass "$d"
	else
		it_fail "$d: '$*' failed"
	fi
}

# up_hold USER OUT COMMAND...: run COMMAND as USER in the background, its
# stdin open (and empty) until the test ends, its output in OUT; the pid
# recorded is COMMAND's own (exec), so that the cleanup really ends it.
up_hold() {
	local u=$1 out=$2
	shift 2
	(exec setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups -- "$@") \
		< <(exec sleep 300 2>/dev/null) >"$out" 2>&1 &
	UP_PIDS+=("$!")
}

# up_init: it_init, then the links root and the users' link directories.
up_init() {
	it_init
	[ "$(id -u)" = 0 ] || it_skip "these checks run steps as other users: need root"
	trap up_cleanup EXIT
	ALICE=hsalice
	MAL=hsmallory
	it_user "$ALICE" >/dev/null
	it_user "$MAL" >/dev/null
	LR=$IT_TMP/links
	mkdir -m 1777 "$LR"
	chmod 1777 "$LR"
	as "$ALICE" mkdir -m 700 "$LR/chimaera_$ALICE"
	as "$MAL" mkdir -m 700 "$LR/chimaera_$MAL"
	mkdir -m 700 "$LR/chimaera_root"
	mkdir -m 755 "$IT_TMP/users"
	install -d -m 700 -o "$ALICE" -g "$ALICE" "$IT_TMP/users/$ALICE"
	install -d -m 700 -o "$MAL" -g "$MAL" "$IT_TMP/users/$MAL"
}

# up_create USER URL PATTERN: USER's fake upstream process makes a 1 MiB
# region URL published in USER's link directory; FU_IN/FU_OUT talk to it.
up_create() {
	local line
	coproc FU { as "$1" "$FAKE" create "$LR/chimaera_$1" "$2" 1048576 "$3"; }
	UP_PIDS+=("$FU_PID")
	FU_IN=${FU[1]}
	FU_OUT=${FU[0]}
	read -r -t 10 -u "$FU_OUT" line
	eq "$line" ready "$1's upstream process publishes $2"
}

# up_check PATTERN: ask the fake upstream process whether its data is PATTERN.
up_check() {
	local line
	echo "check $1" >&"$FU_IN"
	read -r -t 10 -u "$FU_OUT" line
	printf '%s' "$line"
}

# up_quit: the fake upstream process removes its link and exits.
up_quit() {
	echo quit >&"$FU_IN"
	wait "$FU_PID" 2>/dev/null
}
