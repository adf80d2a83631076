#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# mkdir/rmdir, readdir, rename of regions and directories: a renamed region
# keeps its object, url, id and bytes; an attached process keeps working.
. "$(dirname "$0")/lib.sh"
it_init
it_mount
cd "$MNT" || exit 1

# --- mkdir / rmdir
ok "mkdir d" mkdir d
eq "$(stat -c %F d)" directory "d is a directory"
fails "mkdir d again fails" mkdir d
eq "$("$ITOOL" open d/x/y creat,rw)" ENOENT "create under a missing dir: ENOENT"
ok "touch f" touch f
fails "rmdir of a region fails" rmdir f
fails "mkdir under a region fails" mkdir f/sub
ok "rmdir empty d" rmdir d
fails "d gone" test -e d
ok "rm f" rm f

# --- readdir
ok "mkdir -p a/b" mkdir -p a/b
ok "touch a/r1 a/r2 a/b/r3" touch a/r1 a/r2 a/b/r3
eq "$(ls a | tr '\n' ' ')" "b r1 r2 " "ls lists the directory"
eq "$(ls -a a | tr '\n' ' ')" ". .. b r1 r2 " "ls -a shows . and .."
eq "$(find a | sort | tr '\n' ' ')" "a a/b a/b/r3 a/r1 a/r2 " "find walks the tree"

# --- rename a region within a dir
o=$(obj a/r1)
url=$(xa a/r1 url)
id=$(xa a/r1 id)
ok "write a/r1" "$ITOOL" pwrite a/r1 8192 payload-1
ok "mv a/r1 a/s1" mv a/r1 a/s1
fails "old name gone" test -e a/r1
eq "$(xa a/s1 url)" "$url" "rename keeps the url"
eq "$(xa a/s1 id)" "$id" "rename keeps the id"
ok "rename keeps the object" test -f "$o"
eq "$("$ITOOL" pread a/s1 8192 9)" payload-1 "rename keeps the bytes"

# --- rename across directories with an open handle writing through it
exec 7<>a/s1
ok "mv a/s1 a/b/t1 while open" mv a/s1 a/b/t1
printf 'after-mv' | dd bs=1 seek=8300 conv=notrunc status=none >&7 2>/dev/null ||
	it_fail "write through the handle opened before the rename"
exec 7>&-
eq "$(dd if="$o" bs=1 skip=8300 count=8 status=none)" after-mv "attached process kept working across rename"
eq "$(xa a/b/t1 url)" "$url" "cross-dir rename keeps the url"

# --- rename over an existing region: the replaced region is destroyed
ok "write a/r2" "$ITOOL" pwrite a/r2 8192 victim
ov=$(obj a/r2)
ok "mv a/b/t1 a/r2 (replace)" mv a/b/t1 a/r2
eq "$(xa a/r2 url)" "$url" "the moved region now answers at the target"
eq "$("$ITOOL" pread a/r2 8192 9)" payload-1 "target has the moved bytes"
for i in $(seq 50); do [ -e "$ov" ] || break; sleep 0.1; done
fails "replaced region's object destroyed" test -e "$ov"
ok "moved region's object kept" test -f "$o"

# --- mv -n (RENAME_NOREPLACE or a check): nothing replaced
ok "touch a/n1 a/n2" touch a/n1 a/n2
u2=$(xa a/n2 url)
mv -n a/n1 a/n2 2>/dev/null
eq "$(xa a/n2 url)" "$u2" "mv -n does not replace"
ok "source kept by mv -n" test -e a/n1

# --- rename a directory with regions inside
ou=$(obj a/b/r3)
u3=$(xa a/b/r3 url)
ok "mv a/b c" mv a/b c
eq "$(xa c/r3 url)" "$u3" "region in a renamed dir keeps its url"
ok "its object kept" test -f "$ou"
fails "dir into its own subdir fails" mv a a/sub
ok "mkdir z" mkdir z
ok "setfattr size 2M on z" setfattr -n user.hshm.size -v 2M z
ok "mv c z/c" mv c z/c
eq "$(xa z/c size)" 2097152 "moved dir inherits from its new parent"
ok "touch z/c/new" touch z/c/new
eq "$(xa z/c/new backend_size)" 2097152 "new region uses the new ancestor's size"
ok "mkdir e; touch e/x" sh -c "mkdir e && touch e/x"
fails "rename dir over a non-empty dir fails" mv -T z e
ok "rmdir of an empty target dir via rename" sh -c "mkdir emp && mkdir src && mv -T src emp"

cd /
it_finish
