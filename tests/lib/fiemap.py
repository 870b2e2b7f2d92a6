#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""FIEMAP, compared: for every regular file under A and the same path
under B (two mounts of one image), the block maps that FS_IOC_FIEMAP
reports must be equal, block by block (the two may cut extents at
different places), and exactly one extent, the one holding the file's
last mapped block, must be flagged last. Prints one line per mismatch and
"fiemap: N files compared, M differences"; exit status 1 on any.

usage: fiemap.py A B
"""
import fcntl
import os
import struct
import sys

FS_IOC_FIEMAP = 0xC020660B
EXTENT_LAST = 0x1
MAX_EXTENTS = 512


def extents(path):
    """All extents of path: (logical, physical, length, flags)."""
    out, start = [], 0
    with open(path, "rb") as f:
        while True:
            hdr = struct.pack("=QQLLLL", start, 2**64 - 1 - start, 0, 0, MAX_EXTENTS, 0)
            buf = bytearray(hdr + bytes(56 * MAX_EXTENTS))
            fcntl.ioctl(f.fileno(), FS_IOC_FIEMAP, buf)
            n = struct.unpack_from("=L", buf, 20)[0]
            for i in range(n):
                lg, ph, ln, _, _, fl = struct.unpack_from("=QQQQQL", buf, 32 + 56 * i)
                out.append((lg, ph, ln, fl))
            if n < MAX_EXTENTS or not n:
                return out
            start = out[-1][0] + out[-1][2]


def blocks(exts, bs):
    """{file block: disk block} for every block the extents cover."""
    m = {}
    for lg, ph, ln, _ in exts:
        for i in range(ln // bs):
            m[lg // bs + i] = ph // bs + i
    return m


def main():
    a, b = sys.argv[1], sys.argv[2]
    bs = os.statvfs(b).f_bsize
    files = diffs = 0
    for root, _, names in os.walk(a):
        for name in names:
            pa = os.path.join(root, name)
            if os.path.islink(pa) or not os.path.isfile(pa):
                continue
            pb = os.path.join(b, os.path.relpath(pa, a))
            files += 1
            ea, eb = extents(pa), extents(pb)
            ma, mb = blocks(ea, bs), blocks(eb, bs)
            lasts = [e for e in eb if e[3] & EXTENT_LAST]
            why = None
            if ma != mb:
                d = sorted(k for k in set(ma) | set(mb) if ma.get(k) != mb.get(k))
                why = f"{len(d)} blocks differ, first file block {d[0]}: {ma.get(d[0])} vs {mb.get(d[0])}"
            elif eb and (len(lasts) != 1 or lasts[0] is not eb[-1]):
                why = f"{len(lasts)} extents flagged last of {len(eb)}"
            if why:
                diffs += 1
                print(f"DIFF {os.path.relpath(pa, a)}: {why}")
    print(f"fiemap: {files} files compared, {diffs} differences")
    return 1 if diffs or not files else 0


if __name__ == "__main__":
    sys.exit(main())
