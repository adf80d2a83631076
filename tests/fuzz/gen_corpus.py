#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# gen_corpus.py: write the committed seed corpora of fuzz_meta and fuzz_ns
# (tests/fuzz/corpus/<fuzzer>/), valid and near-valid images of the region
# record (src/fs/meta.h) and the namespace file (src/fs/ns.c), so that the
# fuzzers start past the magic and checksums.  Run from the repository root.
import os
import struct
import zlib

def record(path, version=1, mode=0o100644, uid=1000, flags=0, plen=None):
    p = path.encode()
    plen = len(p) if plen is None else plen
    head = b"HSHMFSM1" + struct.pack("<IIIIII", version, 0, uid, uid, mode, flags)
    head += struct.pack("<qqqIIII", 1, 2, 3, 4, 5, 6, plen) + struct.pack("<Q", 7)
    body = head + p.ljust(3072, b"\0")
    crc = zlib.crc32(body) if version == 1 else 0
    return body + struct.pack("<II", crc, 0)

def entry(t, path, mode, target=b"", flags=0, size=0, xattrs=None):
    p = path.encode()
    e = struct.pack("<BBHIIIIiQqII", ord(t), flags, len(p), mode, 0, 0, 0,
                    -1, size, 0, 0, len(target)) + p + target
    if xattrs is None:  # version 1: no attribute list
        return e
    e += struct.pack("<I", len(xattrs))
    for name, value in xattrs:
        e += struct.pack("<BI", len(name), len(value)) + name + value
    return e

def nsfile(entries, version=1):
    body = b"".join(entries)
    return (b"HSHMFSN1" + struct.pack("<IIQII", version, len(entries),
                                      len(body), zlib.crc32(body), 0) + body)

def write(fuzzer, name, data):
    d = os.path.join("tests", "fuzz", "corpus", fuzzer)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

# fuzz_meta: control byte (1: fix crc, 2: seal v2, 0: as is), then a record
write("fuzz_meta", "v1-ok", b"\x00" + record("a/b/region"))
write("fuzz_meta", "v1-fixcrc", b"\x01" + record("dir/x"))
write("fuzz_meta", "v2-seal", b"\x02" + record("top", version=2))
write("fuzz_meta", "v1-dotdot", b"\x01" + record("q/.."))
write("fuzz_meta", "v1-pastlen", b"\x01" + record("abc" * 100, plen=5))
write("fuzz_meta", "v1-longname", b"\x01" + record("n" * 256))
write("fuzz_meta", "v1-setuid", b"\x01" + record("evil", mode=0o104755, uid=0))
write("fuzz_meta", "v1-detached", b"\x01" + record("gone", flags=2))
# fuzz_ns: control byte (1: fix length and crc), then a namespace file
root = entry("R", "", 0o41777)
write("fuzz_ns", "root", b"\x00" + nsfile([root]))
write("fuzz_ns", "tree", b"\x01" + nsfile([
    root, entry("D", "a", 0o42750, flags=2, size=4194304),
    entry("D", "a/b", 0o40755), entry("L", "a/lnk", 0o120777, b"/some/target"),
    entry("D", "e", 0o40700, flags=1)]))
write("fuzz_ns", "dotdot", b"\x01" + nsfile([root, entry("D", "a/..", 0o40755)]))
write("fuzz_ns", "long", b"\x01" + nsfile([root, entry("D", "d" * 256, 0o40755)]))
write("fuzz_ns", "badtype", b"\x01" + nsfile([root, entry("X", "x", 0o40755)]))
# version 2: special nodes ('N', rdev in size), attribute lists, a region's
# attributes by serial ('F')
root2 = entry("R", "", 0o41777, xattrs=[(b"user.top", b"1")])
write("fuzz_ns", "v2-tree", b"\x01" + nsfile([
    root2, entry("D", "a", 0o40755, xattrs=[(b"user.a", b"x"), (b"user.b", b"")]),
    entry("N", "a/fifo", 0o10640, xattrs=[]),
    entry("N", "a/sock", 0o140755, xattrs=[]),
    entry("N", "null", 0o20666, size=(1 << 8) | 3, xattrs=[]),
    entry("N", "loop", 0o60600, size=7 << 8, xattrs=[]),
    entry("L", "a/l", 0o120777, b"fifo", xattrs=[]),
    entry("F", "", 0o100000, size=42, xattrs=[(b"user.k", b"v" * 100)])], 2))
write("fuzz_ns", "v2-hardlink", b"\x01" + nsfile([
    root2, entry("D", "a", 0o40755, xattrs=[]),
    entry("H", "a/second", 0o100000, size=42, xattrs=[]),
    entry("H", "third", 0o100000, size=42, xattrs=[]),
    entry("N", "a/fifo", 0o10644, xattrs=[]),
    entry("H", "fifo2", 0o100000, b"a/fifo", xattrs=[])], 2))
write("fuzz_ns", "v2-unsorted", b"\x01" + nsfile([
    root2, entry("D", "a", 0o40755, xattrs=[(b"user.b", b"x"), (b"user.a", b"")])], 2))
write("fuzz_ns", "v2-reserved", b"\x01" + nsfile([
    entry("R", "", 0o41777, xattrs=[(b"user.hshm.size", b"1M")])], 2))
write("fuzz_ns", "v2-fifo-rdev", b"\x01" + nsfile([
    root2, entry("N", "p", 0o10644, size=5, xattrs=[])], 2))
write("fuzz_ns", "v1-special", b"\x01" + nsfile([root, entry("N", "p", 0o10644)]))
