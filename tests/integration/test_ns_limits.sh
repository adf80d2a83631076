#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Issue 12, findings 5 and 6: a user's directory tree cannot stop the
# namespace from being saved.  A path longer than PATH_MAX is skipped (one
# log line) while every other directory and symlink is saved, and saving
# does not retry every 100 ms; a chain of directories deeper than any stack
# (DEEP levels, made by an unprivileged user) is saved, renamed and
# unmounted without recursion.
. "$(dirname "$0")/lib.sh"
it_init
[ "$(id -u)" = 0 ] || it_skip "runs steps as another user: needs root"
SECTOOL=${SECTOOL:-$(dirname "$ITOOL")/sectool}
DEEP=${DEEP:-600000}
it_user hsmallory >/dev/null
it_allow '^hshmfs: namespace: .*PATH_MAX.*$'
it_mount
cd "$MNT" || exit 1
ok "alice's directory and symlink" sh -c 'mkdir keep && ln -s keep ln && mkdir keep/sub'
ok "mallory: a path over PATH_MAX" as hsmallory "$SECTOOL" deep "$MNT" 17 255
sleep 1.5
n=$(grep -c 'saving directories\|PATH_MAX' "$IT_LOG")
ok "at most 2 log lines about it in 1.5 s (got $n)" test "$n" -le 2
ok "a later change" mkdir keep/later
sleep 0.5
cd /
it_umount
it_mount
eq "$(stat -c %F "$MNT/keep/sub" 2>&1)" directory "keep/sub saved"
eq "$(stat -c %F "$MNT/keep/later" 2>&1)" directory "keep/later saved"
eq "$(readlink "$MNT/ln" 2>&1)" keep "symlink saved"
ok "rm -rf of the long chain" rm -rf "$MNT/$(printf 'd%.0s' $(seq 255))"

# finding 5: depth.  Made with relative mkdir + chdir (as a user can).
t0=$(date +%s)
ok "mallory: a chain $DEEP deep" as hsmallory "$SECTOOL" deep "$MNT" "$DEEP" 1
it_log "# made in $(( $(date +%s) - t0 )) s"
ok "mv of its top (saves every record below)" mv "$MNT/d" "$MNT/e"
sleep 1
ok "daemon alive after the move" kill -0 "$IT_PID"
ok "stat still answers" stat "$MNT/keep"
it_umount
it_finish
