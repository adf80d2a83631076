#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# test_setid.sh: regions keep setuid, setgid and sticky as tmpfs does, in
# the image view and in the data view: chmod and create keep them, they
# survive a remount and a daemon SIGKILL, and a write, a truncate or an
# O_TRUNC open by an unprivileged user and any chown drop them as Linux
# does (FUSE_HANDLE_KILLPRIV_V2: the daemon drops them), a write by root
# keeps them; the object in shm_dir never has them.  Every step is done on
# a tmpfs directory beside the mount too, and the modes compared.
. "$(dirname "$0")/lib.sh"
it_init
[ "$(id -u)" = 0 ] || it_skip "runs steps as another user: needs root"
it_user hsalice >/dev/null
A=hsalice
it_allow "^hshmfs: open of 'ot' with O_TRUNC refused: .*"
it_mount
ok "alice: mkdir img data" as $A mkdir "$MNT/img" "$MNT/data"
ok "data view on data" as $A setfattr -n user.hshm.view -v data "$MNT/data"
T=$SHM/tmpfs-side # tmpfs, the reference
ok "alice: mkdir the tmpfs side" as $A mkdir "$T"
VIEWS="img data"

# at DIR FILE: where a write lands in the file's data (image view: the data
# area starts at user.hshm.data_offset; data view and tmpfs: 0).
at() {
	if [ "$1" = img ]; then xa "$MNT/img/$2" data_offset; else echo 0; fi
}

# path V FILE: the file in view V (img, data) or on the tmpfs side (tmpfs).
path() {
	if [ "$1" = tmpfs ]; then echo "$T/$2"; else echo "$MNT/$1/$2"; fi
}

# mk V FILE MODE: alice makes FILE and chmods it to MODE.
mk() {
	local p
	p=$(path "$1" "$2")
	as $A sh -c "rm -f '$p'; : > '$p'" || it_fail "alice: create $p"
	as $A chmod "$3" "$p" || it_fail "alice: chmod $3 $p"
}

mode() { stat -c %a "$(path "$1" "$2")"; }

# same FILE EXPECTED DESC: each view shows EXPECTED, as tmpfs does.
same() {
	local v
	eq "$(mode tmpfs "$1")" "$2" "tmpfs: $3"
	for v in $VIEWS; do
		eq "$(mode "$v" "$1")" "$2" "$v: $3"
	done
}

# objects_plain: no object in shm_dir has a set-id or sticky bit.
objects_plain() {
	local bad
	bad=$(find "$SHM" -maxdepth 1 -type f -name "$PREFIX.r*" -perm /7000 | wc -l)
	eq "$bad" 0 "$1: no object in shm_dir has setuid/setgid/sticky"
}

# --- chmod keeps the bits; the object gets only the permission bits ---------
for m in 4755 2755 1755 6755 7755 1644 2745; do
	for v in tmpfs $VIEWS; do mk "$v" "c$m" "$m"; done
	same "c$m" "$m" "chmod $m kept"
done
for v in $VIEWS; do
	eq "$(stat -c %a "$(obj "$MNT/$v/c6755")")" 755 "$v: the object of a 6755 region is 0755"
done
objects_plain "after chmod"

# --- create with set-id bits (open O_CREAT, mode 06755, umask 022) ----------
for v in tmpfs $VIEWS; do
	p=$(path "$v" cr)
	as $A /usr/bin/python3 -c "import os; os.umask(0o22); os.close(os.open('$p', os.O_CREAT | os.O_WRONLY, 0o6755))" ||
		it_fail "alice: create $p 06755"
done
same cr 6755 "create with mode 06755 keeps the bits"

# --- chmod g+s by someone outside the file's group: setgid is dropped -------
for v in tmpfs $VIEWS; do
	mk "$v" grp 755
	chgrp root "$(path "$v" grp)"
	as $A chmod 2755 "$(path "$v" grp)" || it_fail "$v: alice chmod 2755 of a root-group file"
done
same grp 755 "chmod 2755 by a non-member of the group drops setgid"

# --- a write by alice drops setuid, and setgid when group-executable --------
# expected: mode before -> mode after (tmpfs decides; these are Linux's)
for pair in 4755:755 2755:755 6755:755 1755:1755 2745:2745 6745:2745; do
	m=${pair%%:*}
	for v in tmpfs $VIEWS; do
		mk "$v" "w$m" "$m"
		eq "$(as $A "$ITOOL" pwrite "$(path "$v" "w$m")" "$(at "$v" "w$m")" X)" \
			"ok 1" "$v: alice writes w$m"
	done
	same "w$m" "${pair#*:}" "a write by alice of a $m file"
done

# the mode the kernel shows right after the write (no wait for the attribute
# timeout): the daemon invalidated it
for v in $VIEWS; do
	mk "$v" fresh 4755
	stat "$(path "$v" fresh)" >/dev/null # cached now
	as $A "$ITOOL" pwrite "$(path "$v" fresh)" "$(at "$v" fresh)" Y >/dev/null
	eq "$(mode "$v" fresh)" 755 "$v: stat right after the write shows the bit gone"
done

# --- a write by root keeps them (CAP_FSETID) ---------------------------------
for v in tmpfs $VIEWS; do
	mk "$v" rootw 6755
	eq "$("$ITOOL" pwrite "$(path "$v" rootw)" "$(at "$v" rootw)" Z)" "ok 1" "$v: root writes"
done
same rootw 6755 "a write by root keeps setuid and setgid"

# --- truncate by alice drops them --------------------------------------------
for v in tmpfs $VIEWS; do
	mk "$v" tr 6755
	p=$(path "$v" tr)
	# the image view keeps its size bounds: truncate to the size it has
	as $A truncate -s "$(stat -c %s "$p")" "$p" || it_fail "$v: alice truncates $p"
done
same tr 755 "truncate by alice drops setuid and setgid"
for v in tmpfs $VIEWS; do
	mk "$v" rtr 6755
	p=$(path "$v" rtr)
	truncate -s "$(stat -c %s "$p")" "$p" || it_fail "$v: root truncates $p"
done
same rtr 6755 "truncate by root keeps them"

# --- an O_TRUNC open by alice drops them (data view; the image view refuses
# O_TRUNC, docs/model.md, and the bits stay) --------------------------------
for v in tmpfs data; do
	mk "$v" ot 6755
	eq "$(as $A "$ITOOL" open "$(path "$v" ot)" w,trunc)" ok "$v: alice opens with O_TRUNC"
	eq "$(mode "$v" ot)" 755 "$v: an O_TRUNC open by alice drops setuid and setgid"
done
mk img ot 6755
eq "$(as $A "$ITOOL" open "$(path img ot)" w,trunc)" EPERM "img: O_TRUNC refused"
eq "$(mode img ot)" 6755 "img: a refused O_TRUNC open keeps the bits"

# --- chown (even to the owner it has, even by root) drops setuid, and setgid
# when group-executable ---------------------------------------------------------
for pair in 4755:755 6755:755 2745:2745 6745:2745 1755:1755; do
	m=${pair%%:*}
	for v in tmpfs $VIEWS; do
		mk "$v" "o$m" "$m"
		chown "$A:$A" "$(path "$v" "o$m")" || it_fail "$v: chown o$m"
	done
	same "o$m" "${pair#*:}" "chown by root of a $m file"
done
objects_plain "after the writes, truncates and chowns"

# --- they survive an unmount and a daemon SIGKILL ------------------------------
for m in 4755 2755 1755 6755; do
	for v in $VIEWS; do mk "$v" "p$m" "$m"; done
done
as $A "$ITOOL" pwrite "$MNT/data/w4755" 0 Q >/dev/null
check_kept() {
	local m v
	for v in $VIEWS; do
		for m in 4755 2755 1755 6755; do
			eq "$(mode "$v" "p$m")" "$m" "$v: $m $1"
		done
		eq "$(mode "$v" w4755)" 755 "$v: a mode a write dropped stays dropped $1"
		eq "$(mode "$v" ot)" "$([ "$v" = img ] && echo 6755 || echo 755)" \
			"$v: the O_TRUNC case $1"
	done
	objects_plain "$1"
}
cd / || exit 1
it_umount
it_mount
check_kept "after a remount"
it_kill9
it_mount
check_kept "after a SIGKILL and a remount"

# --- io=passthrough: a writable open of such a region goes through the daemon,
# so a write still drops the bits -------------------------------------------------
it_umount
it_mount io=passthrough
for v in $VIEWS; do
	mk "$v" pt 6755
	eq "$(as $A "$ITOOL" pwrite "$(path "$v" pt)" "$(at "$v" pt)" P)" "ok 1" "io=passthrough, $v: alice writes"
	eq "$(mode "$v" pt)" 755 "io=passthrough, $v: the write drops setuid and setgid"
done
objects_plain "io=passthrough"
it_finish
