#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# test_import.sh: images copied out of the mount with tar, cp -a and rsync -a
# go back into an empty image-view directory as equal regions; anything
# else written at offset 0 is refused with a reason.
. "$(dirname "$0")/lib.sh"
it_init
R="[^ ]+"
it_allow \
	"hshmfs: setxattr user\.hshm\.[a-z_]+ refused: read-only" \
	"hshmfs: write at 0 to region $R refused: not an HSHM posix_shm_mmap image \(.*\); copy plain files into a directory with user.hshm.view=data, or write at data_offset" \
	"hshmfs: write at [0-9]+ to region $R refused: the header pages end at [0-9]+"
it_mount
M=$MNT
mkdir "$M/src"
setfattr -n user.hshm.size -v 3M "$M/src"
for i in 1 2 3; do
	touch "$M/src/r$i"
	head -c $((100000 * i)) /dev/urandom |
		dd of="$M/src/r$i" bs=4096 seek=2 conv=notrunc status=none
done
setfattr -n user.hshm.id -v 77.9 "$M/src/r2"
truncate -s 5M "$M/src/r3" # another size than its directory's default
# xa_of DIR: the xattrs that must survive a round trip (url aside)
xa_of() {
	for f in "$1"/r*; do
		for a in backend id backend_size data_capacity data_offset; do
			printf '%s ' "$(xa "$f" "$a")"
		done
		echo
	done
}
want=$(xa_of "$M/src")

# round trip NAME OUT IN: copy src out with OUT (into $IT_TMP/NAME), back
# into the new directory NAME with IN; images cmp equal, xattrs match.
round() {
	local name=$1
	mkdir "$M/$name"
	eval "$2" || it_fail "$name: copy out"
	eval "$3" || it_fail "$name: copy back in"
	for i in 1 2 3; do
		ok "$name: r$i cmp equal to the original" cmp "$M/src/r$i" "$M/$name/r$i"
	done
	eq "$(xa_of "$M/$name")" "$want" "$name: backend, id, sizes as the original's"
	eq "$(xa "$M/$name/r1" state)" ok "$name: the imported region is valid"
	ne "$(xa "$M/$name/r1" url)" "$(xa "$M/src/r1" url)" "$name: a region of its own"
}
round tar "tar -C '$M/src' -cf '$IT_TMP/src.tar' ." "tar -C '$M/tar' -xf '$IT_TMP/src.tar'"
round cpa "cp -a '$M/src' '$IT_TMP/cpa'" "cp -a '$IT_TMP/cpa/.' '$M/cpa/' 2>/dev/null || true"
round rsync "rsync -a '$M/src/' '$IT_TMP/rs/'" "rsync -a '$IT_TMP/rs/' '$M/rsync/'"
o=$(obj "$M/tar/r2")
eq "$(hdr "$o" id)" 77.9 "the object holds the imported header"

# --- what is not an image --------------------------------------------------
err=$(cp /etc/os-release "$M/src/plain" 2>&1)
match "$err" "Operation not permitted" "a plain file into the image view: EPERM"
match "$(cat "$IT_LOG")" "not an HSHM posix_shm_mmap image" "the log says why and what to do"
head -c 8192 /dev/zero >"$IT_TMP/zeros"
err=$(cp "$IT_TMP/zeros" "$M/src/zeros" 2>&1)
match "$err" "Operation not permitted" "a page of zeros is no image either"
dd if="$M/src/r1" of="$M/src/r3" bs=1M count=1 conv=notrunc status=none 2>"$IT_TMP/err"
match "$(cat "$IT_TMP/err")" "Operation not permitted" \
	"an image written over a region already in use is refused"
ok "that region is unchanged" cmp -n 8192 "$M/src/r3" "$M/tar/r3"
it_finish
