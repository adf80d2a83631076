#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# bench-ab.sh: a before/after comparison in one time window.  Runs
# scripts/bench.sh ROUNDS times for each of two builds, alternating, and
# prints one table: for each row the median over the runs of each build
# and the median (and range) of the per-run ratios to /dev/shm.
#
#   scripts/bench-ab.sh OLD_DIR NEW_DIR ROUNDS [bench options]
#   e.g. scripts/bench-ab.sh /tmp/old /tmp/new 7 --reps 5 --size 256M --only io
#
# OLD_DIR and NEW_DIR each hold an hshmfs and an hshmfs_bench (put the same,
# newer hshmfs_bench in both, see docs/performance.md "Running").
# Environment: OLD_IO / NEW_IO, the io= of the first mount of each (default
# readthrough; OLD_IO=daemon for builds from before io=readthrough became
# the default); OUT=DIR keeps the runs' outputs there.
set -euo pipefail

[ $# -ge 3 ] || { sed -n '3,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
old=$1 new=$2 rounds=$3
shift 3
here=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/hshmfs-ab.XXXXXX")}
mkdir -p "$out"
for i in $(seq "$rounds"); do
	DAEMON_IO=${OLD_IO:-readthrough} BIN_DIR=$old "$here/scripts/bench.sh" "$@" \
		>"$out/old.$i.txt" 2>"$out/old.$i.err"
	DAEMON_IO=${NEW_IO:-readthrough} BIN_DIR=$new "$here/scripts/bench.sh" "$@" \
		>"$out/new.$i.txt" 2>"$out/new.$i.err"
	echo "round $i: $(cut -d, -f3- /proc/loadavg 2>/dev/null || uptime)" >&2
done
python3 - "$out" <<'PY'
import glob, re, statistics as st, sys
d = sys.argv[1]
rows, order = {}, []
row = re.compile(r'^\| (.+?)\s+\|\s+([\d.]+) (\S+)\s+\|\s+([\d.]+) \S+\s+\|\s+([\d.]+) \|')
for side in ('old', 'new'):
    for f in sorted(glob.glob(f'{d}/{side}.*.txt')):
        for line in open(f):
            m = row.match(line)
            if not m:
                continue
            name = m.group(1).strip().replace(', io=daemon', ', default')
            if name not in order:
                order.append(name)
            rows.setdefault(name, {}).setdefault(side, []).append(
                (float(m.group(2)), float(m.group(4)), float(m.group(5)), m.group(3)))
print('| test | /dev/shm | before | before ratio | after | after ratio | n |')
print('|---|---|---|---|---|---|---|')
for name in order:
    o, n = rows[name].get('old', []), rows[name].get('new', [])
    unit = (o + n)[0][3]
    shm = st.median(x[0] for x in o + n)
    def cell(v):
        if not v:
            return '-', '-'
        r = [x[2] for x in v]
        return (f'{st.median(x[1] for x in v):.2f} {unit}',
                f'{st.median(r):.3f} ({min(r):.2f}-{max(r):.2f})')
    a, b = cell(o)
    c, e = cell(n)
    print(f'| {name} | {shm:.2f} {unit} | {a} | {b} | {c} | {e} | {len(o)}/{len(n)} |')
PY
echo "runs kept in $out" >&2
