#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# cost_inspect.sh [NPROC] [NREG]: the cost of the inspection attributes and
# of hshmfs-ls with NPROC processes (default 1000), each holding one of NREG
# regions (default 1000) open and mapped through the mount.  Not a test:
# it prints numbers.  Run from the build directory's environment, e.g.
#   HSHMFS=build/gcc/src/fs/hshmfs ITOOL=build/gcc/tests/integration/itool \
#   HOLDTOOL=build/gcc/tests/integration/holdtool \
#   HSHMFS_LS=build/gcc/src/tools/hshmfs-ls bash tests/integration/cost_inspect.sh
. "$(dirname "$0")/lib.sh"
: "${HOLDTOOL:?}" "${HSHMFS_LS:?}"
NPROC=${1:-1000}
NREG=${2:-1000}
it_init
it_mount "size=1M"
cd "$MNT" || exit 1
eval "touch r{0..$((NREG - 1))}"
it_log "# $NREG regions, $(ls /proc | grep -c '^[0-9]') processes before"
t0=$(date +%s.%N)
"$HOLDTOOL" spawn "$IT_TMP/ready" "$NPROC" both "$MNT/r%d" &
spawner=$!
trap 'kill $spawner 2>/dev/null; wait $spawner; cd /; it_cleanup' EXIT
while [ ! -s "$IT_TMP/ready" ]; do sleep 0.1; done
it_log "# $NPROC holders ready in $(echo "$(date +%s.%N) - $t0" | bc) s; $(ls /proc | grep -c '^[0-9]') processes"
# the daemon's CPU time (utime + stime, clock ticks): load-independent
cpu() { awk '{print $14 + $15}' "/proc/$IT_PID/stat"; }
c0=$(cpu)
it_log "cold getxattr holders (a fresh /proc scan): $("$HOLDTOOL" xtime r0 user.hshm.holders 8 2000)"
it_log "daemon CPU per cold getxattr: $(( ($(cpu) - c0) * 1000 / $(getconf CLK_TCK) / 8 )) ms"
it_log "warm getxattr holders (the cached scan):   $("$HOLDTOOL" xtime r0 user.hshm.holders 200 0)"
it_log "cold getxattr liveness:                    $("$HOLDTOOL" xtime r1 user.hshm.liveness 8 2000)"
it_log "getxattr state (no scan, for comparison):  $("$HOLDTOOL" xtime r1 user.hshm.state 200 0)"
for f in "" -j; do
	t0=$(date +%s.%N)
	n=$("$HSHMFS_LS" $f "$MNT" | wc -l)
	it_log "hshmfs-ls $f over $NREG regions: $(echo "$(date +%s.%N) - $t0" | bc) s ($n lines)"
done
t0=$(date +%s.%N)
"$HSHMFS_LS" -o -0 "$MNT" | tr '\0' '\n' | wc -l >/dev/null
it_log "hshmfs-ls -o -0: $(echo "$(date +%s.%N) - $t0" | bc) s"
eq "$(xa r5 nholders)" 1 "r5 has its one holder"
it_log "daemon RSS: $(ps -o rss= -p "$IT_PID") KiB"
kill $spawner; wait $spawner
cd /
it_finish
