#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""O_DIRECT reads through rext2 checked against buffered reads of the same
files through the in-kernel ext2: random aligned offsets and lengths, one
or several iovecs, reads across holes and EOF; misaligned requests must
fail with EINVAL, reads at or past EOF return 0.

usage: dioread.py REXT2_MNT EXT2_MNT [--seed N] [--ops N] [--align BYTES]
"""
import argparse
import errno
import mmap
import os
import random
import stat
import sys


# Poison bytes: a run of one is neither a hole (zeros) nor mktree.py data.
POISON = (b"\xa5", b"\x5a", b"\xff")


def files(top):
    out = []
    for d, _, names in os.walk(top):
        for n in names:
            p = os.path.join(d, n)
            st = os.lstat(p)
            if stat.S_ISREG(st.st_mode) and st.st_size > 0:
                out.append((os.path.relpath(p, top), st.st_size))
    return sorted(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rext2")
    ap.add_argument("ext2")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--ops", type=int, default=300)
    ap.add_argument("--align", type=int, default=4096)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    al = a.align
    cands = files(a.rext2)
    big = [f for f in cands if f[1] > 64 * 1024]
    bad = 0
    buf = mmap.mmap(-1, 4 << 20)
    for i in range(a.ops):
        rel, size = rng.choice(big if big and rng.random() < 0.5 else cands)
        span = max(size, al)
        off = rng.randrange(0, span + 2 * al) // al * al
        length = rng.choice([al, 2 * al, 8 * al, rng.randrange(1, 256) * al, 1 << 20])
        length = min(length, 4 << 20)
        nvec = rng.choice([1, 1, 2, 3])
        cuts = sorted(rng.sample(range(al, length, al), min(nvec - 1, length // al - 1))) if length > al else []
        bounds = [0] + cuts + [length]
        views = [memoryview(buf)[bounds[k]:bounds[k + 1]] for k in range(len(bounds) - 1)]
        # Poison the buffer first: a hole the engine did not zero must not
        # hide behind the zeros (or data) of the previous read.
        poison = POISON[i % len(POISON)]
        buf[:length] = poison * length
        fd = os.open(os.path.join(a.rext2, rel), os.O_RDONLY | os.O_DIRECT)
        try:
            n = os.preadv(fd, views, off)
        except OSError as e:
            print(f"{rel}: preadv({off}, {length}, {len(views)} iovecs): {e}")
            bad += 1
            continue
        finally:
            os.close(fd)
        with open(os.path.join(a.ext2, rel), "rb") as f:
            f.seek(off)
            want = f.read(length)
        if n != len(want) or bytes(buf[:n]) != want:
            first = next((k for k in range(min(n, len(want))) if buf[k] != want[k]), min(n, len(want)))
            print(f"{rel}: off {off} len {length}: got {n} bytes, want {len(want)}; first difference at {first}")
            bad += 1
    # Misaligned requests: offset, length and memory address.
    rel, size = max(cands, key=lambda f: f[1])
    fd = os.open(os.path.join(a.rext2, rel), os.O_RDONLY | os.O_DIRECT)
    for what, off, view in (("offset", 1, memoryview(buf)[:al]),
                            ("length", 0, memoryview(buf)[:al + 1]),
                            ("address", 0, memoryview(buf)[1:al + 1])):
        try:
            n = os.preadv(fd, [view], off)
            print(f"misaligned {what}: read {n} bytes, expected EINVAL")
            bad += 1
        except OSError as e:
            if e.errno != errno.EINVAL:
                print(f"misaligned {what}: {e}, expected EINVAL")
                bad += 1
    for off in (size - size % al + (al if size % al else 0), size + 100 * al):
        n = os.preadv(fd, [memoryview(buf)[:al]], off)
        if n != 0:
            print(f"read at {off} (size {size}) returned {n}, expected 0")
            bad += 1
    # A misaligned read at EOF returns 0 before alignment is checked.
    if os.preadv(fd, [memoryview(buf)[1:al + 1]], size + 3) != 0:
        print("misaligned read past EOF did not return 0")
        bad += 1
    os.close(fd)
    print(f"dioread: {a.ops} reads of {len(cands)} files at {al}-byte alignment, {bad} problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
