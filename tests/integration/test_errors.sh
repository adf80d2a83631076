#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Errors that explain (docs/errors.md): bad directory defaults refused at
# setxattr with the precise errno and one log line naming the path, the
# attribute and the rule; impossible defaults (beyond 2^46, beyond the
# whole shm_dir, a GPU backend without a runtime) refused then, not at
# every create; a write at a region's end is EFBIG, O_TRUNC is EPERM;
# user.hshm.state says in words why a region is damaged.
. "$(dirname "$0")/lib.sh"
it_init
it_allow "^hshmfs: setxattr user\\.hshm\\.[a-z_]+='[^']*' on '/d' refused: .+$"
it_allow "^hshmfs: open of 'r' with O_TRUNC refused: a region cannot be shorter than its headers \\(a directory with user.hshm.view=data takes plain files\\)$"
it_allow "^hshmfs: posix_shm_mmap: /$PREFIX\\.r[0-9]+: non-zero flags stored in a region \\([a-z0-9]+ layout\\)$"
it_allow "^hshmfs: recover: $PREFIX\\.r[0-9]+: damaged: non-zero flags stored in a region$"
it_mount "gpu_runtime=none"
cd "$MNT" || exit 1
mkdir d

# refuse VALUE ERRNO RULE-ERE: setxattr user.hshm.size=VALUE on d
refused() {
	local attr=$1 v=$2 want=$3 rule=$4 before
	before=$(wc -l <"$IT_LOG")
	eq "$("$ITOOL" setxattr d "user.hshm.$attr" "$v")" "$want" "$attr=$v refused with $want"
	sleep 0.05
	eq "$(($(wc -l <"$IT_LOG") - before))" 1 "$attr=$v: one log line"
	match "$(tail -n 1 "$IT_LOG")" \
		"^hshmfs: setxattr user\\.hshm\\.$attr='$v' on '/d' refused: $rule" \
		"$attr=$v: the line names path, attribute, value and rule"
}
size_rule='want a positive whole number of bytes with an optional K, M, G, T or P'
refused size 1.5G EINVAL "$size_rule"
refused size 64Mb EINVAL "$size_rule"
refused size 0 EINVAL "$size_rule"
refused size 9223372036854775808 ERANGE 'beyond 2\^62 bytes'
refused size 100T EFBIG 'larger than the largest region HSHM makes \(2\^46 bytes\)'
cap_k=$(df -P -k "$SHM" | awk 'NR==2 {print $2}')
refused size "$((cap_k * 2))K" EFBIG 'larger than the whole file system holding shm_dir'
refused backend gpu_shm_mmap EOPNOTSUPP 'this mount has no GPU runtime'
refused backend gpu_malloc EOPNOTSUPP 'this mount has no GPU runtime'
refused backend posix EINVAL 'want malloc, posix_shm_mmap, gpu_shm_mmap or gpu_malloc'
refused data_id x EINVAL 'want a device ordinal'
eq "$(xa d size)" "$(xa . size)" "the default is unchanged by the refusals"
eq "$(xa d backend)" posix_shm_mmap "the backend default too"
# a malloc region is not bounded by shm_dir: only by HSHM's limit
ok "malloc default" setfattr -n user.hshm.backend -v malloc d
ok "a malloc default beyond shm_dir's size is accepted" \
	setfattr -n user.hshm.size -v "$((cap_k * 2))K" d
refused backend posix_shm_mmap EFBIG 'larger than the whole file system holding shm_dir'
setfattr -x user.hshm.size d && setfattr -x user.hshm.backend d

# --- writes at the end: a file-size limit, not a full disk
touch r
end=$(($(xa r data_offset) + $(xa r data_capacity)))
eq "$("$ITOOL" pwrite r "$end" X)" EFBIG "write at the end of the data: EFBIG"
out=$(bash -c 'echo x >> r' 2>&1)
match "$out" "File too large" "echo >> r: 'File too large', not 'No space left on device'"
eq "$("$ITOOL" open r w,trunc)" EPERM "open with O_TRUNC: EPERM (a region cannot shrink below its headers)"
out=$(bash -c 'echo x > r' 2>&1)
match "$out" "Operation not permitted" "echo > r: 'Operation not permitted', not 'Invalid argument'"

# --- user.hshm.state in words (here: non-zero flags in the header)
o=$(obj r)
cd / || exit 1
it_umount
"$ITOOL" poke "$o" 8 1 >/dev/null
it_mount "gpu_runtime=none"
eq "$(xa "$MNT/r" state)" "damaged: non-zero flags stored in a region" \
	"user.hshm.state names the failed check, not 'Bad message'"
it_finish
