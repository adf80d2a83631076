#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# hshmfs-prolog.sh: Slurm Prolog (slurm.conf: Prolog=, runs as root on each
# node of a job before it starts): one hshmfs mount for the job on this
# node, at /run/hshm/job<JOBID>, owned by the job's user, mode 0700, with
# the job's own prefix, shm_dir and state_dir, so nothing of it meets
# another job's regions and the epilog removes them all at once.
#   env: SLURM_JOB_ID, SLURM_JOB_UID, SLURM_JOB_GID (from slurmd);
#        HSHMFS_OPTIONS (more -o options, e.g. size=1G), HSHMFS_JOBS (/run/hshm)
set -eu
id=${SLURM_JOB_ID:?not run by slurmd}
jobs=${HSHMFS_JOBS:-/run/hshm}
mnt=$jobs/job$id
shm=/dev/shm/hshmfs-job$id
state=/run/hshmfs/job$id

install -d -m 0755 "$jobs" "$shm"
install -d -m 0700 "$mnt"
hshmfs hshm "$mnt" -o "prefix=job$id,shm_dir=$shm,state_dir=$state,\
uid=$SLURM_JOB_UID,gid=$SLURM_JOB_GID,mode=0700${HSHMFS_OPTIONS:+,$HSHMFS_OPTIONS}"
