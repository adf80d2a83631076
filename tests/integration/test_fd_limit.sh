#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The daemon holds one fd per region: started with a low soft open-file
# limit (systemd's 1024, here 256) it raises it to the hard limit, so a
# mount holds more regions than the soft limit, and recovers them all; a
# hard limit too near the number of objects is logged at recovery.
. "$(dirname "$0")/lib.sh"
it_init
[ "$(ulimit -Hn)" -ge 1024 ] || it_skip "hard open-file limit below 1024"
ulimit -Sn 256
it_mount reserve=0
cd "$MNT" || exit 1

ok "mkdir d" mkdir d
eq "$("$ITOOL" mkmany d 600)" "ok 600" "600 regions under a soft limit of 256"
eq "$(awk '/Max open files/ {print $4}' "/proc/$IT_PID/limits")" "$(ulimit -Hn)" \
	"the daemon's soft limit is the hard limit"
cd /
it_umount
it_mount reserve=0
eq "$(find "$MNT/d" -type f | wc -l)" 600 "all 600 recovered by a remount"
cd /
it_umount

# a hard limit near the number of objects: recovery says so, once
it_allow '^hshmfs: recover: 600 objects in shm_dir but an open-file limit of 640 \(one fd per region\): those past it come up damaged; raise the hard limit \(LimitNOFILE=, ulimit -Hn\) and remount$'
ulimit -n 640
it_mount reserve=0
match "$(cat "$IT_LOG")" "recover: 600 objects in shm_dir but an open-file limit of 640" \
	"a limit too near the objects is logged"
eq "$(find "$MNT/d" -type f | wc -l)" 600 "all 600 still recovered (640 fds suffice)"
eq "$(xa "$MNT/d/r00599" state)" ok "the last region is not damaged"
it_finish
