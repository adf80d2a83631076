#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Creating regions: backend and size from directory xattrs (inherited, root
# from mount options), the region's xattrs, and the backing object's header.
. "$(dirname "$0")/lib.sh"
it_init
it_allow "^hshmfs: setxattr user\.hshm\.[a-z_]+='[^']*' on '[^']*' refused: .+$"
it_allow "^hshmfs: setxattr user\.hshm\.[a-z_]+ refused: read-only$"
it_mount "size=2M,gpu_runtime=none"
cd "$MNT" || exit 1

# --- root defaults come from the mount options
eq "$(xa . backend)" posix_shm_mmap "root user.hshm.backend defaults to posix_shm_mmap"
eq "$(xa . size)" 2097152 "root user.hshm.size comes from size=2M"

# --- a region made by touch
ok "touch creates a region" touch r
eq "$(stat -c %F r)" "regular file" "region is a regular file"
names=$(getfattr -d --absolute-names r 2>/dev/null | sed -n 's/=.*//p' | sort | tr '\n' ' ')
eq "$names" "user.hshm.backend user.hshm.backend_size user.hshm.data_capacity user.hshm.data_id user.hshm.data_offset user.hshm.id user.hshm.kind user.hshm.layout user.hshm.mmap user.hshm.owned user.hshm.reserve user.hshm.state user.hshm.url user.hshm.view " \
	"getfattr -d lists every region xattr"
eq "$(xa r backend)" posix_shm_mmap "region backend"
eq "$(xa r backend_size)" 2097152 "region backend_size = inherited size"
eq "$(xa r data_capacity)" $((2097152 - 8192)) "data_capacity = backend_size - 8192"
eq "$(xa r data_offset)" 8192 "data_offset = 8192"
eq "$(xa r data_id)" -1 "data_id = -1 for a host region"
eq "$(xa r owned)" 1 "hshmfs owns what it creates"
eq "$(xa r kind)" host "kind host"
eq "$(xa r state)" ok "state ok"
eq "$(xa r layout)" v1 "layout v1"
match "$(xa r id)" '^[0-9]+\.[0-9]+$' "id is MAJOR.MINOR"
match "$(xa r url)" "^/$PREFIX\.r[0-9]+\$" "url is /<prefix>.r<serial>"
eq "$(stat -c %s r)" $((2097152 + 4096)) "st_size = backend_size + 4096"

o=$(obj r)
ok "backing object exists under shm_dir" test -f "$o"
eq "$(stat -c %s "$o")" "$(stat -c %s r)" "object size = file size"
eq "$(hdr "$o" id)" "$(xa r id)" "object header id = user.hshm.id"
eq "$(hdr "$o" flags)" 0 "object header flags = 0"
eq "$(hdr "$o" backend_size)" 2097152 "object header backend_size"
eq "$(hdr "$o" data_capacity)" $((2097152 - 8192)) "object header data_capacity"
eq "$(hdr "$o" data_id)" -1 "object header data_id"
eq "$(hdr "$o" pad)" 0 "object header padding zero"
eq "$(hdr "$o" priv_header_off)" 8192 "object header priv_header_off"
eq "$(rec "$o")" HSHMFSM1 "hshmfs record in the object's trusted attribute"
eq "$(spare_bytes "$o")" 0 "nothing of hshmfs' in the spare page after backend_size"
ok "file bytes = object bytes, the whole image" cmp r "$o"
ok "file bytes 0..8191 = object bytes" cmp -n 8192 r "$o"
eq "$(od -An -tx1 -N48 r | tr -d ' \n')" "$(od -An -tx1 -N48 "$o" | tr -d ' \n')" \
	"header bytes read through hshmfs = object's"

# --- the README's "done when": a 64 MiB region in a directory
ok "mkdir" mkdir d
ok "setfattr user.hshm.size 64M on a dir" setfattr -n user.hshm.size -v 64M d
eq "$(xa d size)" 67108864 "dir size reads back in bytes"
dnames=$(getfattr -d --absolute-names d 2>/dev/null | sed -n 's/=.*//p' | sort | tr '\n' ' ')
eq "$dnames" "user.hshm.backend user.hshm.data_id user.hshm.reserve user.hshm.size user.hshm.view " "getfattr -d on a dir lists backend, data_id, reserve, size, view"
ok "touch d/r" touch d/r
eq "$(xa d/r backend_size)" 67108864 "64M region"
eq "$(stat -c %s d/r)" $((67108864 + 4096)) "64M region st_size"
eq "$(hdr "$(obj d/r)" backend_size)" 67108864 "64M region object header"
ok "64M region header bytes = object's" cmp -n 8192 d/r "$(obj d/r)"

# --- inheritance: nearest ancestor wins
ok "mkdir -p d/e/f" mkdir -p d/e/f
eq "$(xa d/e/f size)" 67108864 "size inherited two levels down"
ok "setfattr size 3M on d/e" setfattr -n user.hshm.size -v 3M d/e
eq "$(xa d/e/f size)" 3145728 "nearest ancestor's size wins"
ok "touch d/e/f/r" touch d/e/f/r
eq "$(xa d/e/f/r backend_size)" 3145728 "region takes nearest ancestor size"
ok "setfattr -x size on d/e" setfattr -x user.hshm.size d/e
eq "$(xa d/e/f size)" 67108864 "removing the xattr inherits again"

# --- sizes below 1 MiB are raised to 1 MiB as in HSHM
ok "mkdir small" mkdir small
ok "setfattr size 16K" setfattr -n user.hshm.size -v 16K small
ok "touch small/r" touch small/r
eq "$(xa small/r backend_size)" 1048576 "16K region raised to 1 MiB"

# --- malloc backend (and C++ class name aliases)
ok "mkdir m" mkdir m
nobj=$(ls "$SHM" | wc -l)
ok "setfattr backend MallocBackend (alias)" setfattr -n user.hshm.backend -v MallocBackend m
eq "$(xa m backend)" malloc "alias shows as malloc"
ok "touch m/r" touch m/r
eq "$(xa m/r backend)" malloc "malloc region"
eq "$(xa m/r data_offset)" 12288 "malloc data_offset = 12288"
eq "$(xa m/r data_capacity)" $(( $(xa m/r backend_size) - 12288 )) "malloc data_capacity"
eq "$(ls "$SHM" | wc -l)" "$nobj" "malloc region makes no object in shm_dir"
eq "$(stat -c %s m/r)" "$(xa m/r backend_size)" "malloc st_size = backend_size"
eq "$(hdr m/r backend_size)" "$(xa m/r backend_size)" "malloc header read through the file"
eq "$(hdr m/r priv_header_off)" 8192 "malloc priv_header_off"
ok "setfattr backend PosixShmMmap (alias)" setfattr -n user.hshm.backend -v PosixShmMmap m
eq "$(xa m backend)" posix_shm_mmap "PosixShmMmap alias"

# --- refusals with exact errno
eq "$("$ITOOL" setxattr m user.hshm.backend nosuch)" EINVAL "unknown backend name: EINVAL"
eq "$(xa m backend)" posix_shm_mmap "refused backend left the old value"
eq "$("$ITOOL" setxattr m user.hshm.size 12Q)" EINVAL "bad size suffix: EINVAL"
eq "$("$ITOOL" setxattr m user.hshm.size 0)" EINVAL "size 0: EINVAL"
eq "$("$ITOOL" setxattr m user.hshm.size abc)" EINVAL "size abc: EINVAL"
for a in backend url backend_size data_capacity data_offset data_id layout mmap kind state; do
	eq "$("$ITOOL" setxattr r user.hshm.$a 1)" EPERM "region user.hshm.$a is read-only: EPERM"
done
eq "$(hdr "$o" backend_size)" 2097152 "refused writes left the header alone"
eq "$("$ITOOL" setxattr r user.hshm.id 7)" EINVAL "id without minor: EINVAL"
eq "$("$ITOOL" setxattr r user.hshm.id 4294967295.4294967295)" EINVAL "null id: EINVAL"
eq "$("$ITOOL" setxattr r user.hshm.owned 2)" EINVAL "owned 2: EINVAL"
ne "$("$ITOOL" setxattr r user.hshm.nosuch 1)" ok "unknown user.hshm attribute refused"

# --- id is writable and lands in the object's header
ok "setfattr id 7.9" setfattr -n user.hshm.id -v 7.9 r
eq "$(xa r id)" 7.9 "id reads back"
eq "$(hdr "$o" id)" 7.9 "new id in the object header"
eq "$(hdr r id)" 7.9 "new id in the file bytes"

# --- a backend that is not available: EOPNOTSUPP at setxattr, not later
ok "mkdir g" mkdir g
eq "$("$ITOOL" setxattr g user.hshm.backend gpu_shm_mmap)" EOPNOTSUPP "setxattr of an unavailable backend: EOPNOTSUPP"
eq "$(xa g backend)" posix_shm_mmap "the default is unchanged"
ok "a create there still works" touch g/r

cd /
it_finish
