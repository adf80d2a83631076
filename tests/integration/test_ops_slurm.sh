#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The Slurm prolog and epilog of docs/operations.md (scripts/slurm/), run
# by hand as slurmd would run them (root, SLURM_JOB_* set; no Slurm here):
# the prolog mounts one hshmfs for the job, hsalice's, 0700, nosuid,nodev,
# with its own prefix, shm_dir and state_dir; the epilog unmounts it, waits
# for the daemon and removes every region of the job and its state, and
# can run again.
. "$(dirname "$0")/lib.sh"
it_init
[ "$(id -u)" = 0 ] || it_skip "the prolog and epilog run as root"
uid=$(it_user hsalice)
it_user hsmallory >/dev/null
SLURM=$(cd "$(dirname "$0")/../../scripts/slurm" && pwd)
export SLURM_JOB_ID=$((900000 + $$ % 100000)) SLURM_JOB_UID=$uid
export SLURM_JOB_GID=$(id -g hsalice) HSHMFS_JOBS=$IT_TMP/jobs
export HSHMFS_OPTIONS="size=2M,log=$IT_TMP/job.log"
export PATH="$(dirname "$HSHMFS"):$PATH"
jmnt=$HSHMFS_JOBS/job$SLURM_JOB_ID jshm=/dev/shm/hshmfs-job$SLURM_JOB_ID
jstate=/run/hshmfs/job$SLURM_JOB_ID
[ ! -e "$jshm" ] && [ ! -e "$jstate" ] || it_skip "job $SLURM_JOB_ID's paths are taken"
trap 'rc=$?; "$SLURM/hshmfs-epilog.sh" >/dev/null 2>&1; (exit $rc); it_cleanup' EXIT

ok "prolog" "$SLURM/hshmfs-prolog.sh"
ok "the job's mount is there" mountpoint -q "$jmnt"
match "$(findmnt -n -o OPTIONS -M "$jmnt")" '(^|,)nosuid,nodev(,|$)' "nosuid,nodev"
eq "$(stat -c '%U %a' "$jmnt")" "hsalice 700" "the job's user owns its root, 0700"
ok "alice makes a region" as hsalice touch "$jmnt/r"
eq "$(xa "$jmnt/r" backend_size)" 2097152 "HSHMFS_OPTIONS reach the mount (size=2M)"
ok "its object is in the job's shm_dir" test -f "$(dirname "$jshm")/$(basename "$jshm")/job$SLURM_JOB_ID.r1"
fails "mallory cannot reach the job's mount" as hsmallory ls "$jmnt"
ok "the job's state_dir is the daemon's" test -d "$jstate"

ok "epilog" "$SLURM/hshmfs-epilog.sh"
fails "the mount is gone" mountpoint -q "$jmnt"
fails "the mount point is gone" test -e "$jmnt"
fails "every region of the job is gone (its shm_dir)" test -e "$jshm"
fails "its state is gone" test -e "$jstate"
match "$(cat "$IT_TMP/job.log")" 'recovered|mmap mode' "the daemon logged where HSHMFS_OPTIONS said"
ok "epilog again: nothing to do, no error" "$SLURM/hshmfs-epilog.sh"
it_finish
