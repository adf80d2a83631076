#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# test_faults.sh HOLD_MAP: full shm_dir, objects changed behind hshmfs'
# back, SIGTERM with open mappings, damaged objects at mount.
# Harness: tests/integration/lib.sh (HSHMFS, ITOOL from env).
. "$(dirname "$0")/../integration/lib.sh"
HOLD=${1:?usage: test_faults.sh HOLD_MAP}
it_init
command -v getfattr >/dev/null || it_fail "getfattr missing"

HOLDER=
# The ENOSPC part mounts a small tmpfs over $SHM: detach it (lazily: the
# daemon may still hold it) and stop hold_map before lib.sh cleans up.
ft_cleanup() {
	local rc=$?
	[ -n "$HOLDER" ] && kill "$HOLDER" 2>/dev/null
	[ -n "$SHM" ] && mountpoint -q "$SHM" && umount -l "$SHM"
	(exit "$rc")
	it_cleanup
}
trap ft_cleanup EXIT

# objects: backing objects of this mount's regions under shm_dir
objects() { find "$SHM" -maxdepth 1 -type f -name "$PREFIX.r*" | wc -l; }

# --- a full shm_dir: ENOSPC, nothing half-made, nothing lost ---------------
if [ "$(id -u)" != 0 ]; then
	it_log "# SKIP part: full shm_dir (needs root to mount a small tmpfs)"
elif ! mount -t tmpfs -o size=8m,mode=1777 hshmfs-test "$SHM"; then
	it_log "# SKIP part: full shm_dir (cannot mount a tmpfs on $SHM)"
else
	# the backend's and the create's reports of the refused create and grow
	it_allow \
		'^hshmfs: posix_shm_mmap: reserving the pages of /'"$PREFIX"'\.r[0-9]+: No space left on device$' \
		'^hshmfs: create: posix_shm_mmap region of 6291456 bytes: No space left on device$' \
		"^hshmfs: setxattr user.hshm.size='16M' on '/d' refused: larger than the whole file system holding shm_dir$" \
		'^hshmfs: posix_shm_mmap: reserving space to grow /'"$PREFIX"'\.r[0-9]+: No space left on device$'
	it_mount
	ok "mkdir d" mkdir "$MNT/d"
	eq "$("$ITOOL" setxattr "$MNT/d" user.hshm.size 16M)" EFBIG \
		"a default larger than the whole tmpfs is refused at setxattr (EFBIG)"
	ok "default size 6M on d" setfattr -n user.hshm.size -v 6M "$MNT/d"
	ok "a first 6M region fits" touch "$MNT/d/first"
	err=$(touch "$MNT/d/big" 2>&1)
	match "$err" "No space left" "create beyond what is left of the tmpfs gets ENOSPC"
	eq "$(objects)" 1 "no half-made object"
	fails "failed create left no file" test -e "$MNT/d/big"
	ok "rm d/first" rm "$MNT/d/first"
	ok "default size 4M on d" setfattr -n user.hshm.size -v 4M "$MNT/d"
	ok "create within the tmpfs" touch "$MNT/d/r"
	printf 'keepme' | dd of="$MNT/d/r" bs=1 seek=8192 conv=notrunc status=none
	size=$(stat -c %s "$MNT/d/r")
	err=$(truncate -s 16M "$MNT/d/r" 2>&1)
	match "$err" "No space left" "grow beyond the tmpfs gets ENOSPC"
	eq "$(stat -c %s "$MNT/d/r")" "$size" "size unchanged after failed grow"
	eq "$(xa "$MNT/d/r" backend_size)" "$((size - 4096))" "header unchanged after failed grow"
	eq "$(dd if="$MNT/d/r" bs=1 skip=8192 count=6 status=none)" keepme "data intact after failed grow"
	ok "rm d/r" rm "$MNT/d/r"
	eq "$(objects)" 0 "rm leaves no object"
	it_umount
	ok "unmount the small tmpfs" umount "$SHM"
fi

# --- objects changed behind hshmfs' back ----------------------------------
it_mount
ok "touch gone short" touch "$MNT/gone" "$MNT/short"
printf 'still-here' | dd of="$MNT/gone" bs=1 seek=8192 conv=notrunc status=none
o_gone=$(obj "$MNT/gone")
o_short=$(obj "$MNT/short")
# n_*: object names as EREs (the dot escaped)
n_gone=${o_gone##*/} n_gone=${n_gone//./\\.}
n_short=${o_short##*/} n_short=${n_short//./\\.}
# rm finds gone's object already unlinked; short fails validation, is marked
# damaged and its open refused
it_allow \
	'^hshmfs: posix_shm_mmap: unlink /'"$n_gone"': No such file or directory$' \
	'^hshmfs: posix_shm_mmap: /'"$n_short"': object shorter than backend_size says \(truncated\) \(unknown layout\)$' \
	'^hshmfs: region /'"$n_short"' changed behind hshmfs and no longer validates: Bad message$' \
	"^hshmfs: open of 'short' refused: damaged: object changed behind hshmfs \\(object shorter than backend_size says \\(truncated\\)\\)$" \
	'^hshmfs: purged /'"$n_short"' \(damaged: object changed behind hshmfs \(object shorter than backend_size says \(truncated\)\)\)$'
ok "remove an object behind hshmfs' back" rm "$o_gone"
eq "$(dd if="$MNT/gone" bs=1 skip=8192 count=10 status=none)" still-here \
	"object removed behind our back: region still readable"
ok "rm of a region whose object is already gone" rm "$MNT/gone"
ok "truncate an object behind hshmfs' back" truncate -s 5000 "$o_short"
fails "truncated object refuses I/O" cat "$MNT/short"
match "$(xa "$MNT/short" state)" '^damaged:' "state of a truncated object says damaged"
sleep 1.1 # past the 1 s attribute timeout of the earlier stat
eq "$(stat -c %s "$MNT/short")" 5000 "a damaged region shows its object's real size"
ok "rm of a damaged region" rm "$MNT/short"
eq "$(objects)" 0 "root's rm of a damaged region purges its object (it/purge.sh)"
# its owner puts the object right: a region that validates again works again
ok "touch fixable" touch "$MNT/fixable"
o_fix=$(obj "$MNT/fixable")
n_fix=${o_fix##*/} n_fix=${n_fix//./\\.}
it_allow \
	'^hshmfs: posix_shm_mmap: /'"$n_fix"': object shorter than backend_size says \(truncated\) \(unknown layout\)$' \
	'^hshmfs: region /'"$n_fix"' changed behind hshmfs and no longer validates: Bad message$' \
	'^hshmfs: region /'"$n_fix"' validates again$'
ok "shrink its object" truncate -s 5000 "$o_fix"
match "$(xa "$MNT/fixable" state)" '^damaged:' "shrunk object: damaged"
ok "grow it back" truncate -s 1052672 "$o_fix"
eq "$(xa "$MNT/fixable" state)" ok "object valid again: region ok again"
ok "and reads work again" dd if="$MNT/fixable" of=/dev/null bs=4096 count=1 status=none
ok "rm fixable" rm "$MNT/fixable"
fails "a healthy owned region's object goes with it" test -e "$o_fix"
rm -f "$o_short"

# --- SIGTERM with open mappings: clean unmount, mappings keep working -----
ok "touch held" touch "$MNT/held"
o_held=$(obj "$MNT/held")
coproc HM { "$HOLD" "$MNT/held"; }
# bash unsets HM_PID itself once it reaps the coprocess, which can be
# before the wait below: the pid is kept under a name of our own
HOLDER=$HM_PID
read -r -u "${HM[0]}" line
eq "$line" mapped "mapping made"
kill -TERM "$IT_PID"
it_wait_exit 10
fails "SIGTERM unmounts" mountpoint -q "$MNT"
echo "store after-sigterm" >&"${HM[1]}"
read -r -u "${HM[0]}" line
eq "$line" ok "mapping works after the daemon is gone"
eq "$(dd if="$o_held" bs=1 skip=8192 count=13 status=none)" after-sigterm "object holds the store"
exec {HM[1]}>&-
wait "$HOLDER"
HOLDER=

# --- damaged objects at mount: shown, marked, never deleted ---------------
printf 'garbage' >"$SHM/$PREFIX.r99"
dd if=/dev/zero of="$o_held" bs=1 seek=16 count=8 conv=notrunc status=none # backend_size = 0
n_held=${o_held##*/} n_held=${n_held//./\\.}
# recovery: the garbage object and held's zeroed backend_size are damaged
# (lib.sh allows the "recovered N object(s)" line)
it_allow \
	'^hshmfs: recover: '"$PREFIX"'\.r99: damaged: no hshmfs record \(truncated or not ours\)$' \
	'^hshmfs: posix_shm_mmap: /'"$n_held"': backend_size smaller than the header pages \(unknown layout\)$' \
	'^hshmfs: recover: '"$n_held"': damaged: backend_size smaller than the header pages$' \
	"^hshmfs: open of '$PREFIX\\.r99' refused: damaged: no hshmfs record \\(truncated or not ours\\)$"
it_mount
eq "$(ls "$MNT" | grep -c '^held$')" 1 "recovered region is back"
ok "lost+found exists" ls "$MNT/lost+found"
eq "$(xa "$MNT/held" state)" "damaged: backend_size smaller than the header pages" \
	"user.hshm.state says why in words, not 'Bad message'"
match "$(xa "$MNT/lost+found/$PREFIX.r99" state)" '^damaged:' "garbage object marked damaged"
fails "garbage object cannot be opened" cat "$MNT/lost+found/$PREFIX.r99"
it_umount
ok "garbage object not deleted" test -e "$SHM/$PREFIX.r99"
it_finish
