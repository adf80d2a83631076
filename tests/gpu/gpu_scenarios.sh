# SPDX-License-Identifier: BSD-3-Clause
# gpu_scenarios.sh RUNTIME SCENARIO: GPU regions as files, end to end.
#
# RUNTIME double: the GPU test double (host memory posing as a device, IPC
#                 handles opened through /proc): suite 'integration', in CI.
# RUNTIME auto:   the real runtime (CUDA, else HIP): suite 'gpu'; exits 77
#                 when no runtime compiled in reports a device.
# SCENARIO: ioctl attach io truncate marker shm_mmap lifetime devices
#           unavailable
#           (see each function).  "Second process" below is gpu_helper, a
#           process other than the daemon and this shell.
#
# The harness is tests/integration/lib.sh: one daemon per test, its log
# checked against the lines each scenario allows (it_allow).  Exit 77 (skip)
# when /dev/fuse is unusable or, with RUNTIME auto, when there is no device.
#
# Environment (set by meson): HSHMFS (daemon), ITOOL (tests/integration/itool,
# for lib.sh), HSHMFS_GPU (CLI), GPU_HELPER (tests/gpu/gpu_helper).

. "$(dirname "$0")/../integration/lib.sh"

: "${HSHMFS_GPU:?HSHMFS_GPU must point at hshmfs-gpu}"
: "${GPU_HELPER:?GPU_HELPER must point at tests/gpu/gpu_helper}"

RUNTIME=${1:?runtime}
SCENARIO=${2:?scenario}
H=$GPU_HELPER
IT_NAME="gpu_${RUNTIME}_$SCENARIO"

it_init
if [ "$RUNTIME" == auto ]; then
	# The runtime's own device_count, through the backend library.
	# ASan builds: CUDA needs the shadow gap unprotected.
	case ${ASAN_OPTIONS:-} in
	*protect_shadow_gap*) ;;
	*) export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}protect_shadow_gap=0 ;;
	esac
	if ! devs=$("$HSHMFS_GPU" -d auto 2>&1); then
		why="no runtime compiled into this build (CUDA/HIP) reports one"
		if ls /dev/nvidia[0-9]* /dev/kfd >/dev/null 2>&1; then
			why="$why, although a device node exists (driver older"
			why="$why than this build's runtime? not permitted?)"
		fi
		it_skip "no GPU device: $why [$(printf '%s' "$devs" | tr '\n' ' ')]"
	fi
	RT_NAME=${devs%%=*}
	printf '# real device: %s\n' "$devs"
else
	RT_NAME=double
fi

# info FILE KEY: one field of hshmfs-gpu FILE
info() { "$HSHMFS_GPU" -f "$2" "$1" 2>&1; }

# same_data FILE OFF SEED LEN: the file's bytes at OFF are pattern SEED
same_data() {
	"$H" pattern "$3" "$4" >"$IT_TMP/want" &&
		cmp -i "$2:0" -n "$4" "$1" "$IT_TMP/want"
}

# new_file DIR NAME: create a region with touch; echo its path
new_file() {
	touch "$MNT/$1/$2" && printf '%s' "$MNT/$1/$2"
}

# gpu_mount RUNTIME [MORE -o OPTIONS]: mount with gpu_runtime=RUNTIME.
gpu_mount() {
	it_mount "gpu_runtime=$1${2:+,$2}"
	printf '# mounted %s (gpu_runtime=%s%s), log %s\n' "$MNT" "$1" "${2:+,$2}" "$IT_LOG"
}

# gpu_dir NAME BACKEND [DEVICE]: a directory whose new files are BACKEND.
gpu_dir() {
	mkdir "$MNT/$1" &&
		setfattr -n user.hshm.backend -v "$2" "$MNT/$1" &&
		if [ -n "${3:-}" ]; then
			setfattr -n user.hshm.data_id -v "$3" "$MNT/$1"
		fi
}

zero_handle=$(printf '0%.0s' $(seq 128))

# ioctl: the round trip through hshmfs-gpu and through the client library
sc_ioctl() {
	local f p out dsz h
	# echo over a host region's header (the CLI's contract below)
	it_allow "hshmfs: write at 0 to region [^ ]+ refused: the header pages end at 8192"
	gpu_mount "$RUNTIME"
	match "$(head -n 1 "$IT_LOG")" "GPU runtime: .*" "the daemon names its runtime"
	ok "gpu_malloc directory" gpu_dir g gpu_malloc 0
	f=$(new_file g a) || { it_fail "create in a gpu_malloc dir"; return; }
	ok "hshmfs-gpu on a gpu_malloc file" "$HSHMFS_GPU" "$f"
	out=$("$HSHMFS_GPU" "$f")
	printf '%s\n' "$out"
	eq "$(info "$f" kind)" gpu_malloc "kind"
	eq "$(info "$f" runtime)" "$RT_NAME" "runtime"
	eq "$(info "$f" device)" 0 "device"
	eq "$(info "$f" backend_size)" "$(xa "$f" backend_size)" \
		"backend_size = user.hshm.backend_size"
	eq "$(info "$f" backend_size)" "$(stat -c %s "$f")" "backend_size = st_size"
	eq "$(info "$f" data_offset)" 8192 "data_offset (GpuMalloc: 8192)"
	eq "$(info "$f" data_offset)" "$(xa "$f" data_offset)" \
		"data_offset = user.hshm.data_offset"
	eq "$(info "$f" data_capacity)" "$(xa "$f" data_capacity)" \
		"data_capacity = user.hshm.data_capacity"
	eq "$(info "$f" id)" "$(xa "$f" id)" "id = user.hshm.id"
	h=$(info "$f" ipc_handle)
	match "$h" '^[0-9a-f]{128}$' "ipc_handle is 64 bytes in hex"
	[ "$h" != "$zero_handle" ] && it_pass "ipc_handle is not zero" ||
		it_fail "ipc_handle is zero"
	match "$out" "ipc_handle=$h" "-f ipc_handle = the full listing's"
	eq "$(info "$f" ipc_handle)" "$h" "the handle is stable across ioctls"
	# the client library, in a second process
	out=$("$H" info "$f" 2>&1)
	printf '%s\n' "$out"
	match "$out" "kind=gpu_malloc" "hshmfs_gpu_attach: kind"
	match "$out" "runtime=$RT_NAME" "hshmfs_gpu_attach: runtime from the reply"
	match "$out" "device=0" "hshmfs_gpu_attach: device"
	match "$out" "backend_size=$(xa "$f" backend_size)" "hshmfs_gpu_attach: backend_size"
	match "$out" "data_capacity=$(xa "$f" data_capacity)" "hshmfs_gpu_attach: data_capacity"
	match "$out" "id=$(xa "$f" id)" "hshmfs_gpu_attach: id"
	match "$out" "data=set" "hshmfs_gpu_attach: a device pointer"
	match "$("$HSHMFS_GPU" -a "$f" 2>&1)" "attach=ok" "hshmfs-gpu -a attaches"
	# the CLI's contract
	p=$(new_file g b)
	out=$("$HSHMFS_GPU" "$f" "$p")
	eq "$(grep -c '^path=' <<<"$out")" 2 "two files, two listings"
	eq "$("$HSHMFS_GPU" -f kind "$f" "$p" | tr '\n' ' ')" "gpu_malloc gpu_malloc " \
		"-f: one line per file"
	rc 0 "hshmfs-gpu -h" "$HSHMFS_GPU" -h
	rc 2 "hshmfs-gpu without a file" "$HSHMFS_GPU"
	rc 2 "hshmfs-gpu -f unknown" "$HSHMFS_GPU" -f nope "$f"
	rc 2 "hshmfs-gpu -x" "$HSHMFS_GPU" -x "$f"
	rc 3 "hshmfs-gpu on a missing file" "$HSHMFS_GPU" "$MNT/g/missing"
	mkdir "$MNT/h" && echo host >"$MNT/h/x"
	rc 1 "hshmfs-gpu on a host region: not a GPU region" "$HSHMFS_GPU" "$MNT/h/x"
	rc 1 "hshmfs-gpu on a file outside hshmfs" "$HSHMFS_GPU" "$IT_LOG"
	rc 3 "hshmfs-gpu: the worst exit wins" "$HSHMFS_GPU" "$MNT/h/x" "$MNT/g/missing" "$f"
	eq "$("$H" attach-err "$MNT/g/missing")" ENOENT "attach: missing file"
	eq "$("$H" attach-err "$MNT/h/x")" ENOTTY "attach: host region"
	eq "$("$H" attach-err "$MNT/g")" EISDIR "attach: directory"
	eq "$("$H" attach-err "$IT_LOG")" ENOTTY "attach: file outside hshmfs"
}

# attach: a second process attaches and writes through the device pointer;
# this process reads it back through the file, and the reverse.
sc_attach() {
	local f cap off r
	gpu_mount "$RUNTIME"
	ok "gpu_malloc directory" gpu_dir g gpu_malloc 0
	f=$(new_file g a) || { it_fail "create"; return; }
	cap=$(xa "$f" data_capacity)
	off=$(xa "$f" data_offset)
	ok "second process: attach, write all $cap bytes through the device pointer" \
		"$H" write "$f" 11
	ok "read(2) of the file returns them (cmp)" same_data "$f" "$off" 11 "$cap"
	! same_data "$f" "$off" 99 4096 >/dev/null 2>&1 && it_pass "(another pattern does not compare equal)" ||
		it_fail "same_data accepts any pattern"
	"$H" pattern 12 65536 >"$IT_TMP/p12"
	ok "dd writes 64 KiB into the data" \
		dd if="$IT_TMP/p12" of="$f" bs=4096 seek=$((off / 4096)) conv=notrunc status=none
	ok "second process reads them through the device pointer" "$H" check "$f" 12 65536
	ok "an attach after another detached still works" "$H" check "$f" 12 4096
	# two attachments at once: two processes
	"$H" write "$f" 13 1048576 >"$IT_TMP/w1" 2>&1 &
	local p1=$!
	"$H" check "$f" 12 4096 >"$IT_TMP/w2" 2>&1 || true
	wait "$p1" && it_pass "concurrent attach and write" ||
		it_fail "concurrent attach and write: $(cat "$IT_TMP/w1")"
	ok "... and the file shows it" same_data "$f" "$off" 13 1048576
	if [ "$RUNTIME" == auto ]; then
		"$H" kernel "$f" 14 >"$IT_TMP/k" 2>&1
		r=$?
		cat "$IT_TMP/k"
		if [ $r == 77 ]; then
			printf '# no CUDA kernel for this runtime/build: %s\n' "$(cat "$IT_TMP/k")"
		else
			eq "$r" 0 "second process: a CUDA kernel writes the region"
			ok "the file shows what the kernel wrote" same_data "$f" "$off" 14 "$cap"
		fi
	fi
}

# io: read/write through device copies; header protected; no mmap.
sc_io() {
	local f size off cap
	it_allow "hshmfs: write at (0|4096|8191) to region [^ ]+ refused: the header pages end at 8192"
	gpu_mount "$RUNTIME"
	ok "gpu_malloc directory" gpu_dir g gpu_malloc 0
	f=$(new_file g a) || { it_fail "create"; return; }
	size=$(stat -c %s "$f")
	off=$(xa "$f" data_offset)
	cap=$(xa "$f" data_capacity)
	eq "$(cat "$f" | wc -c)" "$size" "cat reads the whole region"
	eq "$("$H" pwrite "$f" 0 16)" EPERM "write over the header"
	eq "$("$H" pwrite "$f" 4096 16)" EPERM "write over the private header"
	eq "$("$H" pwrite "$f" $((off - 1)) 2)" EPERM "write straddling the data start"
	eq "$("$H" pwrite "$f" "$off" 16)" OK "write at the data"
	eq "$("$H" pwrite "$f" "$size" 1)" EFBIG "write past the end"
	eq "$("$H" mmap "$f")" ENODEV "mmap of device memory"
	match "$(cat "$IT_LOG")" "write at 0 to region [^ ]+ refused" "the daemon says why"
	head -c 300000 /dev/urandom >"$IT_TMP/rand"
	ok "dd writes random bytes at the data" \
		dd if="$IT_TMP/rand" of="$f" bs=65536 seek="$off" oflag=seek_bytes \
		conv=notrunc status=none
	ok "cmp reads them back (device copies)" \
		cmp -i "$off:0" -n 300000 "$f" "$IT_TMP/rand"
	ok "dd with odd block size and offset" \
		dd if="$IT_TMP/rand" of="$f" bs=777 count=5 seek=$((off + 12345)) \
		oflag=seek_bytes conv=notrunc status=none
	ok "... read back at that offset" \
		cmp -i "$((off + 12345)):0" -n 3885 "$f" "$IT_TMP/rand"
	ok "cat copies the file" sh -c "cat '$f' >'$IT_TMP/copy'"
	ok "cmp file copy" cmp "$f" "$IT_TMP/copy"
	ok "the header read back is the region's (id at 0)" \
		test "$(od -An -tu4 -N8 "$f" | tr -s ' ' | sed 's/^ //;s/ /./')" == "$(xa "$f" id)"
}

# truncate: preserves data before a handle is out; ETXTBSY after.
sc_truncate() {
	local f off cap
	it_allow 'hshmfs: truncate of (a|b) refused: its IPC handle was handed out 1 time\(s\) and a resize would reallocate the device memory'
	gpu_mount "$RUNTIME"
	ok "gpu_malloc directory" gpu_dir g gpu_malloc 0
	f=$(new_file g a) || { it_fail "create"; return; }
	off=$(xa "$f" data_offset)
	cap=$(xa "$f" data_capacity)
	"$H" pattern 21 65536 >"$IT_TMP/p"
	ok "dd a pattern into the data" \
		dd if="$IT_TMP/p" of="$f" bs=4096 seek=$((off / 4096)) conv=notrunc status=none
	# the tail of the old data, to see it move with the region
	ok "dd a pattern at the end of the data" \
		dd if="$IT_TMP/p" of="$f" bs=4096 count=1 seek=$(((off + cap) / 4096 - 1)) \
		conv=notrunc status=none
	ok "truncate -s 3M before any ioctl" truncate -s 3M "$f"
	eq "$(stat -c %s "$f")" 3145728 "st_size after the grow"
	eq "$(xa "$f" data_capacity)" $((3145728 - off)) "data_capacity after the grow"
	ok "the data survived the reallocation" cmp -i "$off:0" -n 65536 "$f" "$IT_TMP/p"
	ok "the old last page too" \
		cmp -i "$((off + cap - 4096)):0" -n 4096 "$f" "$IT_TMP/p"
	ok "the new bytes are zero" \
		cmp -i "$((off + cap)):0" -n 65536 "$f" /dev/zero
	ok "truncate -s 2M (shrink) before any ioctl" truncate -s 2M "$f"
	ok "the data survived the shrink" cmp -i "$off:0" -n 65536 "$f" "$IT_TMP/p"
	ok "second process attaches after the resize" "$H" check "$f" 21 65536
	eq "$("$H" truncate "$f" 4194304)" ETXTBSY "truncate once the handle is out"
	match "$(cat "$IT_LOG")" "truncate of .*a refused: its IPC handle was handed out" \
		"the daemon says which and why"
	eq "$(stat -c %s "$f")" 2097152 "the size did not change"
	ok "nor the data" cmp -i "$off:0" -n 65536 "$f" "$IT_TMP/p"
	f=$(new_file g b)
	ok "hshmfs-gpu hands out another file's handle" "$HSHMFS_GPU" "$f"
	eq "$("$H" truncate "$f" 2097152)" ETXTBSY "truncate after hshmfs-gpu"
	eq "$("$H" truncate "$f" "$(stat -c %s "$f")")" OK "truncate to the same size is no change"
}

# marker: ls -l / stat / getfattr tell GPU regions from host ones.
sc_marker() {
	local f s x
	it_allow "hshmfs: GPU handle of region [^ ]+ refused to a read-only open"
	gpu_mount "$RUNTIME"
	ok "gpu_malloc directory" gpu_dir g gpu_malloc 0
	ok "gpu_shm_mmap directory" gpu_dir s gpu_shm_mmap 0
	mkdir "$MNT/h"
	f=$(new_file g a)
	s=$(new_file s a)
	x=$(new_file h a)
	ls -l "$MNT/g" "$MNT/s" "$MNT/h"
	match "$(ls -l "$f")" '^-........[tT] ' "ls -l: gpu_malloc has the sticky marker"
	match "$(ls -l "$s")" '^-........[tT] ' "ls -l: gpu_shm_mmap has the sticky marker"
	match "$(ls -l "$x")" '^-........[-x] ' "ls -l: a host region has none"
	eq "$(stat -c %F "$f")" "regular file" "a GPU region is a regular file"
	match "$(stat -c %A "$f")" '^-........[tT]$' "stat %A shows it too"
	chmod 0640 "$f"
	match "$(stat -c %A "$f")" '^-rw-r----T$' "chmod keeps the marker"
	eq "$(xa "$f" kind)" gpu "user.hshm.kind on gpu_malloc"
	eq "$(xa "$s" kind)" gpu "user.hshm.kind on gpu_shm_mmap"
	eq "$(xa "$x" kind)" host "user.hshm.kind on a host region"
	eq "$(xa "$f" data_id)" 0 "user.hshm.data_id"
	eq "$(xa "$f" backend)" gpu_malloc "user.hshm.backend"
	eq "$(xa "$s" backend)" gpu_shm_mmap "user.hshm.backend (shm)"
	match "$(getfattr -d -m 'user\.hshm\.' --absolute-names "$f")" \
		'user.hshm.kind="gpu"' "getfattr -d lists the kind"
	eq "$("$H" ioctl "$x")" ENOTTY "the ioctl on a host region"
	eq "$("$H" ioctl "$f")" OK "the ioctl on a gpu region"
	eq "$("$H" ioctl-ro "$f")" EACCES "no gpu_malloc handle for a read-only open"
	eq "$(od -An -tx1 -v -j 4096 -N 64 "$f" | tr -d ' \n0')" "" \
		"nor through read(2): the IPC handle page reads as zeros"
	eq "$("$H" ioctl-ro "$s")" OK "gpu_shm_mmap info for a read-only open"
	eq "$("$H" ioctl-other "$f")" ENOTTY "other ioctl requests (number or size)"
	setfattr -n user.hshm.id -v 5.6 "$f" 2>"$IT_TMP/err"
	match "$(cat "$IT_TMP/err")" "Operation not supported" \
		"user.hshm.id of gpu_malloc cannot be set (header on the device)"
}

# shm_mmap: gpu_shm_mmap files map zero-copy like posix ones and answer the
# ioctl; a second process attaches and writes through the host pointer.
sc_shm_mmap() {
	local f size off cap r
	it_allow "hshmfs: write at 0 to region [^ ]+ refused: the header pages end at 4096"
	gpu_mount "$RUNTIME"
	ok "gpu_shm_mmap directory" gpu_dir s gpu_shm_mmap 0
	f=$(new_file s a) || { it_fail "create"; return; }
	size=$(stat -c %s "$f")
	off=$(xa "$f" data_offset)
	cap=$(xa "$f" data_capacity)
	"$HSHMFS_GPU" "$f"
	eq "$(info "$f" kind)" gpu_shm_mmap "kind"
	eq "$(info "$f" runtime)" "$RT_NAME" "runtime"
	eq "$(info "$f" ipc_handle)" "$zero_handle" "no IPC handle: register the mapping"
	eq "$(info "$f" backend_size)" "$size" "backend_size = st_size"
	eq "$(info "$f" data_offset)" 4096 "data_offset (GpuShmMmap: 4096)"
	eq "$(info "$f" data_capacity)" $((size - 8192)) "data_capacity"
	eq "$(info "$f" id)" "$(xa "$f" id)" "id"
	eq "$("$H" mmap "$f")" OK "mmap works"
	ok "write through a shared mapping" "$H" mmap-write "$f" 4096 31 65536
	ok "read(2) sees it (zero-copy)" same_data "$f" 4096 31 65536
	"$H" pattern 32 8192 >"$IT_TMP/p"
	ok "dd into the data" dd if="$IT_TMP/p" of="$f" bs=4096 seek=2 conv=notrunc status=none
	ok "the mapping sees it" "$H" mmap-check "$f" 8192 32 8192
	ok "second process: attach (map + register), write via the host pointer" \
		"$H" write "$f" 33
	ok "read(2) returns it" same_data "$f" "$off" 33 "$cap"
	ok "second process reads through its attachment" "$H" check "$f" 33
	eq "$("$H" pwrite "$f" 0 16)" EPERM "write over the header"
	match "$("$H" info "$f")" "kind=gpu_shm_mmap" "hshmfs_gpu_attach on gpu_shm_mmap"
	ok "truncate is allowed (no handle to invalidate)" truncate -s 2M "$f"
	ok "attach after the resize" "$H" check "$f" 33 65536
	if [ "$RUNTIME" == auto ]; then
		"$H" kernel "$f" 34 >"$IT_TMP/k" 2>&1
		r=$?
		cat "$IT_TMP/k"
		if [ $r == 77 ]; then
			printf '# no CUDA kernel for this runtime/build\n'
		else
			eq "$r" 0 "a CUDA kernel writes the registered host memory"
			ok "read(2) sees what the kernel wrote" \
				same_data "$f" "$off" 34 "$(xa "$f" data_capacity)"
		fi
	fi
}

# lifetime: the daemon owns the device memory.  An attachment keeps its file
# open, so an unlinked region lives until the last attachment detaches; then
# the daemon frees it and its IPC handle no longer opens.
sc_lifetime() {
	local f h line r i
	gpu_mount "$RUNTIME"
	ok "gpu_malloc directory" gpu_dir g gpu_malloc 0
	f=$(new_file g a) || { it_fail "create"; return; }
	h=$(info "$f" ipc_handle)
	eq "$("$H" open-handle "$RT_NAME" 0 "$h")" OK "the handle opens in another process"
	coproc HOLD { "$H" hold "$f" 51; }
	read -r -t 30 line <&"${HOLD[0]}"
	eq "$line" ready "second process attached and wrote"
	if [ "$line" != ready ]; then
		[ -n "${HOLD_PID:-}" ] && kill "$HOLD_PID" 2>/dev/null
		return
	fi
	ok "unlink while attached" rm "$MNT/g/a"
	[ ! -e "$MNT/g/a" ] && it_pass "the name is gone" || it_fail "the name is still there"
	eq "$("$H" open-handle "$RT_NAME" 0 "$h")" OK "the region lives while attached"
	echo go >&"${HOLD[1]}"
	read -r -t 30 line <&"${HOLD[0]}"
	eq "$line" valid "the attachment's data survived the unlink"
	wait "$HOLD_PID"
	eq "$?" 0 "the holder detached cleanly"
	# the kernel forgets the inode soon after the last close: bounded poll
	for i in $(seq 50); do
		r=$("$H" open-handle "$RT_NAME" 0 "$h")
		[ "$r" != OK ] && break
		sleep 0.1
	done
	if [ "$RUNTIME" == double ]; then
		eq "$r" EINVAL "freed after the last detach: the handle is stale"
	else
		match "$r" '^E' "freed after the last detach: the handle no longer opens"
	fi
	ok "the daemon is alive" kill -0 "$IT_PID"
}

# devices: the device ordinal travels (test double: two emulated devices).
sc_devices() {
	local f out
	# the create on device 9
	it_allow "hshmfs: gpu_malloc: double: allocating device memory: No such device" \
		"hshmfs: create: gpu_malloc region of 1048576 bytes: No such device"
	export HSHM_GPU_DOUBLE_DEVICES=2
	gpu_mount "$RUNTIME" gpu=1
	mkdir "$MNT/d1" && setfattr -n user.hshm.backend -v gpu_malloc "$MNT/d1"
	f=$(new_file d1 a) || { it_fail "create"; return; }
	eq "$(xa "$f" data_id)" 1 "-o gpu=1 is the default device"
	eq "$(info "$f" device)" 1 "the ioctl names device 1"
	ok "gpu_malloc dir on device 0" gpu_dir d0 gpu_malloc 0
	eq "$(info "$(new_file d0 a)" device)" 0 "user.hshm.data_id=0 overrides gpu=1"
	ok "second process attaches on device 1 and writes" "$H" write "$f" 41
	ok "read back" same_data "$f" 8192 41 "$(xa "$f" data_capacity)"
	out=$(HSHM_GPU_DOUBLE_DEVICES=1 "$H" attach-err "$f")
	eq "$out" ENODEV "a process without device 1 cannot attach"
	eq "$("$H" pwrite "$f" 8192 4096)" OK "the daemon still copies"
	ok "dir on a device that does not exist" gpu_dir d9 gpu_malloc 9
	eq "$("$H" create "$MNT/d9/a")" ENODEV "create on a missing device"
}

# unavailable: no GPU runtime in the mount: a GPU backend is refused at
# setxattr (EOPNOTSUPP, one log line naming path, attribute and reason); a
# directory that got it on a mount with a runtime and comes back on one
# without makes creates fail with EOPNOTSUPP and one log line; host regions
# still work.
sc_unavailable() {
	local before after
	it_allow "hshmfs: setxattr user.hshm.backend='(gpu_malloc|gpu_shm_mmap)' on '/g2' refused: this mount has no GPU runtime \\(or the backend is not in this build\\)"
	it_allow 'hshmfs: create: backend (gpu_malloc|gpu_shm_mmap) not available in this build or mount \(no GPU runtime\)'
	gpu_mount double
	gpu_dir g gpu_malloc && gpu_dir s gpu_shm_mmap
	eq "$?" 0 "GPU defaults set on a mount with a runtime"
	it_umount
	gpu_mount none
	before=$(wc -l <"$IT_LOG")
	mkdir "$MNT/g2"
	out=$(setfattr -n user.hshm.backend -v gpu_malloc "$MNT/g2" 2>&1)
	match "$out" "Operation not supported" "setxattr of gpu_malloc without a runtime: EOPNOTSUPP"
	eq "$(getfattr --only-values -n user.hshm.backend "$MNT/g2" 2>/dev/null)" posix_shm_mmap "the default is unchanged"
	eq "$(($(wc -l <"$IT_LOG") - before))" 1 "one log line"
	before=$(wc -l <"$IT_LOG")
	eq "$("$H" create "$MNT/g/a")" EOPNOTSUPP "create gpu_malloc without a runtime"
	after=$(wc -l <"$IT_LOG")
	eq "$((after - before))" 1 "one log line"
	match "$(tail -n 1 "$IT_LOG")" "gpu_malloc not available" "the line says why"
	eq "$("$H" create "$MNT/s/a")" EOPNOTSUPP "create gpu_shm_mmap without a runtime"
	eq "$(wc -l <"$IT_LOG")" $((after + 1)) "one log line again"
	[ ! -e "$MNT/g/a" ] && it_pass "nothing left behind" || it_fail "a file was left"
	eq "$(ls -A "$SHM" | grep -c "^$PREFIX" || true)" 0 "no object left in shm_dir"
	mkdir "$MNT/h"
	ok "host regions still work" touch "$MNT/h/a"
	eq "$(xa "$MNT/h/a" kind)" host "... and are host regions"
	"$HSHMFS_GPU" -d double >/dev/null
	eq "$?" 0 "hshmfs-gpu -d double: the double has a device"
}

case $SCENARIO in
ioctl | attach | io | truncate | marker | shm_mmap | lifetime | devices | unavailable)
	"sc_$SCENARIO"
	;;
*)
	printf 'unknown scenario %s\n' "$SCENARIO"
	exit 2
	;;
esac
for log in "$IT_TMP"/daemon.*.log; do
	[ -e "$log" ] || continue
	printf -- '--- daemon log %s ---\n' "$log"
	cat "$log"
done
it_finish
