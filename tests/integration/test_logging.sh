#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Where log lines go: syslog (facility daemon, ident hshmfs) over a real
# AF_UNIX datagram socket (a private listener, log=syslog:SOCKET), in the
# foreground and in the background (after fuse_daemonize, when stderr is
# /dev/null); libfuse's own lines take the same way; log=FILE; a healthy
# mount logs nothing per request; a bad log= value is refused.
. "$(dirname "$0")/lib.sh"
it_init
: "${IT_SYSLOGD:?IT_SYSLOGD must point at the it_syslogd listener}"

SOCK=$IT_TMP/log.sock
SYSLOG=$IT_TMP/syslog.txt
"$IT_SYSLOGD" "$SOCK" "$SYSLOG" &
LPID=$!
trap 'x=$?; kill $LPID 2>/dev/null; (exit $x); it_cleanup' EXIT
for i in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || { it_fail "listener did not come up"; exit 1; }

# wait_line ERE: until the listener got a matching line (5 s bound)
wait_line() {
	local i
	for i in $(seq 50); do
		grep -Eq "$1" "$SYSLOG" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
nlines() { wc -l <"$SYSLOG"; }

# --- foreground, log=syslog:SOCKET: everything goes to the socket
it_mount "log=syslog:$SOCK"
ok "startup line reaches syslog as daemon.info, ident hshmfs[PID]" \
	wait_line "^<30>[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} hshmfs\\[$IT_PID\\]: GPU runtime: "
# a healthy mount logs nothing per request
before=$(nlines)
cd "$MNT" || exit 1
mkdir d && setfattr -n user.hshm.size -v 2M d && touch d/r &&
	doff=$(xa d/r data_offset) && "$ITOOL" pwrite d/r "$doff" hello >/dev/null &&
	"$ITOOL" pread d/r "$doff" 5 >/dev/null && ls -l d >/dev/null &&
	getfattr -d d/r >/dev/null 2>&1 && mv d/r d/s && chmod 600 d/s && rm d/s &&
	rmdir d
eq "$?" 0 "ordinary requests succeed"
sleep 0.3
eq "$(nlines)" "$before" "a healthy mount logs nothing per request"
# a refusal by a region rule: one line, daemon.info
touch r
eq "$("$ITOOL" pwrite r 0 X)" EPERM "write into the header refused"
ok "the refusal is logged to syslog with the rule" \
	wait_line "^<30>.* hshmfs\\[$IT_PID\\]: write at 0 to region [^ ]+ refused: the header pages end at [0-9]+$"
cd / || exit 1
it_umount
eq "$(cat "$IT_LOG")" "" "with log=syslog nothing goes to stderr"

# --- background (no -f): stderr is /dev/null, lines still reach syslog
"$HSHMFS" hshm "$MNT" -o "shm_dir=$SHM,prefix=$PREFIX${IT_STATE_OPT:+,$IT_STATE_OPT},log=syslog:$SOCK" \
	>"$IT_TMP/bg.out" 2>&1
eq "$?" 0 "background mount exits 0"
mountpoint -q "$MNT" || { it_fail "background mount not there"; exit 1; }
bgpid=$(pgrep -n -f "hshmfs hshm $MNT -o shm_dir=$SHM,prefix=$PREFIX.*,log=syslog")
ne "$bgpid" "" "the daemon runs in the background"
touch "$MNT/r2" 2>/dev/null
eq "$("$ITOOL" pwrite "$MNT/r2" 1 X)" EPERM "background: header write refused"
ok "background: the refusal reaches syslog from the detached daemon" \
	wait_line "^<30>.* hshmfs\\[$bgpid\\]: write at 1 to region [^ ]+ refused: "
fusermount3 -u "$MNT"
for i in $(seq 50); do kill -0 "$bgpid" 2>/dev/null || break; sleep 0.1; done
fails "background daemon exited after unmount" kill -0 "$bgpid"
eq "$(cat "$IT_TMP/bg.out")" "" "background mount prints nothing on success"

# --- libfuse's own lines take the same way (daemon.err), and are shown
out=$("$HSHMFS" hshm "$MNT" -o "shm_dir=$SHM,prefix=$PREFIX${IT_STATE_OPT:+,$IT_STATE_OPT},log=syslog:$SOCK,bogus=1" 2>&1)
eq "$?" 1 "unknown option refused"
match "$out" "unknown option" "libfuse's refusal is shown on the terminal before detaching"
ok "libfuse's line reaches syslog as daemon.err" \
	wait_line "^<27>.* hshmfs\\[[0-9]+\\]: fuse: unknown option\\(s\\): .*bogus=1"

# --- log=FILE
"$HSHMFS" hshm "$MNT" -o "shm_dir=$SHM,prefix=$PREFIX${IT_STATE_OPT:+,$IT_STATE_OPT},log=$IT_TMP/file.log"
eq "$?" 0 "background mount with log=FILE"
eq "$("$ITOOL" pwrite "$MNT/r2" 2 X)" EPERM "log=FILE: header write refused"
sleep 0.2
match "$(cat "$IT_TMP/file.log")" \
	"[0-9T:-]+Z \\[[0-9]+\\] hshmfs: write at 2 to region [^ ]+ refused: " \
	"log=FILE: the line is in the file, with a time and the pid"
fusermount3 -u "$MNT"
for i in $(seq 50); do mountpoint -q "$MNT" || break; sleep 0.1; done

# --- bad values
out=$("$HSHMFS" -f hshm "$MNT" -o "shm_dir=$SHM,prefix=$PREFIX${IT_STATE_OPT:+,$IT_STATE_OPT},log=journal" 2>&1)
eq "$?" 1 "log=journal refused"
match "$out" "bad value for option 'log': 'journal'" "the refusal names the option"

it_finish
