#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# hshmfs-epilog.sh: Slurm Epilog (slurm.conf: Epilog=, root, after the
# job's processes are gone): unmount the job's hshmfs mount, wait for its
# daemon to finish (it holds the flock of its state directory's lock file
# until it exits), then remove the job's regions (its whole shm_dir) and
# state.  Safe to run again, and for a job whose mount is already gone.
#   env: SLURM_JOB_ID; HSHMFS_JOBS (/run/hshm), as for the prolog
set -u
id=${SLURM_JOB_ID:?not run by slurmd}
jobs=${HSHMFS_JOBS:-/run/hshm}
mnt=$jobs/job$id
shm=/dev/shm/hshmfs-job$id
state=/run/hshmfs/job$id

if findmnt -M "$mnt" >/dev/null 2>&1; then
	umount "$mnt" 2>/dev/null || umount -l "$mnt"
fi
for lock in "$state"/*.lock; do
	[ -e "$lock" ] && timeout 30 flock "$lock" true
done
rm -rf --one-file-system "$shm" "$state"
rmdir "$mnt" 2>/dev/null
exit 0
