#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# readdir of a directory with 10,000 entries completes and lists every one.
#
# Regions reserve their memory and HSHM raises every size to 1 MiB, so
# 10,000 posix regions would take 10 GiB of tmpfs.  By default the directory
# holds IT_READDIR_REGIONS (1,000) regions and the rest of the 10,000 entries
# are directories; set IT_READDIR_REGIONS=10000 on a machine with the memory.
. "$(dirname "$0")/lib.sh"
it_init
total=10000
nreg=${IT_READDIR_REGIONS:-1000}
it_mount
cd "$MNT" || exit 1

ok "mkdir big" mkdir big
eq "$("$ITOOL" mkmany big "$nreg")" "ok $nreg" "created $nreg regions"
ndir=$((total - nreg))
if [ "$ndir" -gt 0 ]; then
	ok "created $ndir directories" sh -c "cd big && seq -f 'd%05g' 0 $((ndir - 1)) | xargs mkdir"
fi
eq "$(ls "$SHM" | wc -l)" "$nreg" "one object per region in shm_dir"

eq "$(ls -f big | wc -l)" $((total + 2)) "ls -f lists all entries plus . and .."
{ seq -f 'r%05g' 0 $((nreg - 1)); [ "$ndir" -gt 0 ] && seq -f 'd%05g' 0 $((ndir - 1)); } | sort >"$IT_TMP/want"
ls big | sort >"$IT_TMP/got"
ok "ls lists exactly the names created" cmp "$IT_TMP/want" "$IT_TMP/got"
eq "$(ls -l big | grep -c '^-')" "$nreg" "ls -l stats every region"
eq "$(ls -l big | grep -c '^d')" "$ndir" "ls -l stats every directory"
eq "$(find big -maxdepth 1 -type f | wc -l)" "$nreg" "find sees every region"
eq "$(xa big/r00000 backend)" posix_shm_mmap "first region is a region"
eq "$(xa big/r$(printf %05d $((nreg - 1))) backend_size)" 1048576 "last region is a region"

# listing while entries change: a second listing is consistent after removals
ok "rm half the regions" sh -c "cd big && seq -f 'r%05g' 0 2 $((nreg - 1)) | xargs rm"
eq "$(ls -f big | wc -l)" $((total + 2 - (nreg + 1) / 2)) "listing after removals"
ok "rm -rf big" rm -rf big
for i in $(seq 100); do [ -z "$(ls "$SHM")" ] && break; sleep 0.1; done
eq "$(ls "$SHM" | wc -l)" 0 "every object destroyed"

cd /
it_finish
