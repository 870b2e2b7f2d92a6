#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""kmemleak reports that belong to one module.

While the module is loaded, kmemleak prints its frames as
"func+0x12/0x40 [rext2]"; once it is unloaded they are bare addresses
("0xffffffffc0123456"), which no grep for the name can match. So the
runner saves the module's section ranges while it is loaded ("ranges"),
and "check" matches a report against the name and against those ranges.

usage: kmemleak.py ranges MODULE KO_FILE >RANGES
       kmemleak.py check REPORT MODULE [RANGES]
"check" prints each of the module's unreferenced objects and exits 1 if
there is any, 0 if there is none.
"""
import os
import re
import struct
import sys


def elf_sizes(path):
    """{section name: size} of the SHF_ALLOC sections of an ELF64 file."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        raise SystemExit(f"{path}: not an ELF64 file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3a)
    secs = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    stroff = secs[shstrndx][4]

    def name(off):
        end = data.index(b"\0", stroff + off)
        return data[stroff + off:end].decode()
    return {name(s[0]): s[5] for s in secs if s[2] & 0x2}  # SHF_ALLOC


def ranges(module, ko):
    sizes = elf_sizes(ko)
    d = f"/sys/module/{module}/sections"
    out = []
    for n in sorted(os.listdir(d)):
        with open(os.path.join(d, n)) as f:
            start = int(f.read().strip(), 16)
        size = sizes.get(n, 0)
        if start and size:
            out.append((start, start + size, n))
    if not out:
        raise SystemExit(f"no section addresses for {module} (is it loaded, are we root?)")
    for s, e, n in out:
        print(f"{s:x} {e:x} {n}")


def check(report, module, rfile=None):
    spans = []
    if rfile:
        with open(rfile) as f:
            for line in f:
                s, e, _ = line.split()
                spans.append((int(s, 16), int(e, 16)))
    with open(report) as f:
        text = f.read()
    objs = re.split(r"(?m)^(?=unreferenced object)", text)
    tag = f"[{module}]"
    mine = 0
    for o in objs:
        if not o.startswith("unreferenced object"):
            continue
        hit = tag in o
        if not hit and spans:
            for a in re.findall(r"(?m)^\s+(?:\[<[0-9a-f]+>\] )?0x([0-9a-f]+)\s*$", o):
                v = int(a, 16)
                if any(s <= v < e for s, e in spans):
                    hit = True
                    break
        if hit:
            mine += 1
            print(o.rstrip())
    print(f"kmemleak: {mine} unreferenced object(s) of {module}, "
          f"{len([o for o in objs if o.startswith('unreferenced')])} in all"
          f"{', ' + str(len(spans)) + ' section ranges' if spans else ''}")
    return 1 if mine else 0


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "ranges":
        ranges(sys.argv[2], sys.argv[3])
        return 0
    if len(sys.argv) in (4, 5) and sys.argv[1] == "check":
        return check(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) == 5 else None)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
