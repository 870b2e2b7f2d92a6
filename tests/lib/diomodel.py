#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A model-based data soak in the manner of fsx, for direct I/O: a seeded
random sequence of operations on a few files of MOUNTDIR, each file
mirrored by an in-memory model (a bytearray), and every read checked byte
for byte against the model. Operations: buffered writes (any offset and
length), O_DIRECT writes through pwrite (some with RWF_DSYNC), Linux AIO
(io_submit) and io_uring (IORING_OP_WRITE), each aligned to the device's
logical sector size LBS, landing in data, in holes inside i_size and past
EOF; misaligned O_DIRECT requests (must fail with EINVAL and change
nothing); O_DIRECT reads by the same three paths, buffered reads and mmap
reads; writes through a shared mmap inside i_size (some msynced);
truncates up and down; fsyncs; and now and then a sync + drop_caches, so
reads come from the disk. Every 100 operations and at the end, each file
is read whole buffered and O_DIRECT and compared, and its size checked.
Read buffers are poisoned before every read.

usage: diomodel.py MOUNTDIR --seed N --ops N --lbs LBS [--save DIR]
With --save, the model's final contents go to DIR/fN (to compare after a
remount). Prints the seed first, so a failure repeats with the same
--seed and --ops; on a mismatch prints the operations before it.
Exit status 0 all reads matched, 1 a mismatch or unexpected result.
"""
import argparse
import collections
import errno
import mmap
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultio import Aio, Buf, Uring  # noqa: E402

NFILES = 3
MAXSIZE = 384 << 10
MAXIO = 64 << 10
RWF_DSYNC = 0x2


class Mismatch(Exception):
    pass


class Soak:
    def __init__(self, mnt, seed, lbs, plant):
        self.rnd = random.Random(seed)
        self.lbs = lbs
        self.plant = plant
        self.paths = [os.path.join(mnt, f"model-{i}") for i in range(NFILES)]
        self.model = [bytearray() for _ in range(NFILES)]
        self.bfd, self.dfd = [], []
        for p in self.paths:
            self.bfd.append(os.open(p, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644))
            self.dfd.append(os.open(p, os.O_RDWR | os.O_DIRECT))
        self.buf = Buf(MAXIO + 2 * 4096)
        self.aio = Aio()
        self.uring = Uring()
        self.log = collections.deque(maxlen=24)
        self.count = collections.Counter()
        self.n = 0

    # -- the model --------------------------------------------------------
    def mwrite(self, f, off, data):
        m = self.model[f]
        if off > len(m):
            m.extend(bytes(off - len(m)))
        m[off:off + len(data)] = data

    def mtrunc(self, f, size):
        m = self.model[f]
        if size < len(m):
            del m[size:]
        else:
            m.extend(bytes(size - len(m)))

    def expect(self, f, off, n):
        return bytes(self.model[f][off:off + n])

    def check(self, what, f, off, got, want):
        if self.plant and self.n >= self.plant:
            self.plant = 0
            got = bytes([got[0] ^ 1]) + got[1:] if got else b"\x01"
        if got != want:
            first = next((i for i in range(min(len(got), len(want))) if got[i] != want[i]), min(len(got), len(want)))
            raise Mismatch(f"{what}: file {f} off {off:#x}: got {len(got)} bytes, model {len(want)}; "
                           f"first difference at {off + first:#x}: got {got[first:first + 16].hex()} "
                           f"model {want[first:first + 16].hex()}")

    # -- choosing ---------------------------------------------------------
    def aligned_io(self):
        a = self.lbs
        n = self.rnd.randint(1, MAXIO // a) * a if self.rnd.random() < 0.3 else self.rnd.randint(1, 8) * a
        off = self.rnd.randrange(0, MAXSIZE - n + 1, a)
        return off, n

    def dio_write(self, f, off, data, how):
        n = len(data)
        self.buf.fill(data)
        if how == "pwrite":
            flags = RWF_DSYNC if self.rnd.random() < 0.2 else 0
            r = os.pwritev(self.dfd[f], [memoryview(self.buf.m)[:n]], off, flags)
        elif how == "aio":
            r = self.aio.rw([("w", self.dfd[f], self.buf, n, off)])[0]
            if r < 0:
                raise OSError(-r, os.strerror(-r))
        else:
            r = self.uring.rw("w", self.dfd[f], self.buf, n, off)
        if r != n:
            raise Mismatch(f"O_DIRECT {how} write of {n} at {off:#x} returned {r}")
        self.mwrite(f, off, data)

    def dio_read(self, f, off, n, how):
        self.buf.poison(n)
        if how == "pread":
            r = os.preadv(self.dfd[f], [memoryview(self.buf.m)[:n]], off)
        elif how == "aio":
            r = self.aio.rw([("r", self.dfd[f], self.buf, n, off)])[0]
            if r < 0:
                raise OSError(-r, os.strerror(-r))
        else:
            r = self.uring.rw("r", self.dfd[f], self.buf, n, off)
        self.check(f"O_DIRECT {how} read", f, off, self.buf.get(0, r), self.expect(f, off, n))

    def step(self):
        rnd = self.rnd
        f = rnd.randrange(NFILES)
        size = len(self.model[f])
        op = rnd.choices(["bwrite", "dwrite", "dread", "bread", "mread", "mwrite", "trunc",
                          "fsync", "misaligned", "drop"],
                         [14, 24, 18, 10, 8, 6, 8, 3, 2, 1])[0]
        how = rnd.choice(["pread", "aio", "uring"]) if op in ("dwrite", "dread") else ""
        if op == "bwrite":
            off = rnd.randrange(0, MAXSIZE - 1)
            n = min(rnd.randint(1, 12 << 10), MAXSIZE - off)
            data = rnd.randbytes(n)
            self.log.append(f"{self.n} bwrite f{f} {off:#x}+{n:#x} (size {size:#x})")
            if os.pwrite(self.bfd[f], data, off) != n:
                raise Mismatch("short buffered write")
            self.mwrite(f, off, data)
        elif op == "dwrite":
            off, n = self.aligned_io()
            if rnd.random() < 0.3 and size + n <= MAXSIZE:
                # Extend: at EOF (rounded up) or a hole's width past it.
                off = min((size + self.lbs - 1) // self.lbs * self.lbs + rnd.choice([0, 0, 1, 7]) * self.lbs,
                          MAXSIZE - n) // self.lbs * self.lbs
            self.log.append(f"{self.n} dwrite/{how} f{f} {off:#x}+{n:#x} (size {size:#x})")
            self.dio_write(f, off, rnd.randbytes(n), how)
        elif op == "dread":
            off, n = self.aligned_io()
            if size and rnd.random() < 0.5:
                off = rnd.randrange(0, size, self.lbs) // self.lbs * self.lbs
                n = min(n, MAXIO)
            self.log.append(f"{self.n} dread/{how} f{f} {off:#x}+{n:#x} (size {size:#x})")
            self.dio_read(f, off, n, how)
        elif op == "bread":
            off = rnd.randrange(0, MAXSIZE)
            n = rnd.randint(1, 32 << 10)
            self.log.append(f"{self.n} bread f{f} {off:#x}+{n:#x} (size {size:#x})")
            self.check("buffered read", f, off, os.pread(self.bfd[f], n, off), self.expect(f, off, n))
        elif op in ("mread", "mwrite"):
            if size == 0:
                return
            off = rnd.randrange(0, size)
            n = min(rnd.randint(1, 16 << 10), size - off)
            self.log.append(f"{self.n} {op} f{f} {off:#x}+{n:#x} (size {size:#x})")
            with mmap.mmap(self.bfd[f], size) as m:
                if op == "mread":
                    self.check("mmap read", f, off, bytes(m[off:off + n]), self.expect(f, off, n))
                else:
                    data = rnd.randbytes(n)
                    m[off:off + n] = data
                    self.mwrite(f, off, data)
                    if rnd.random() < 0.5:
                        m.flush()
        elif op == "trunc":
            new = rnd.choice([0, rnd.randrange(0, MAXSIZE), rnd.randrange(0, max(size, 1)),
                              min(size + rnd.randint(1, 64 << 10), MAXSIZE)])
            self.log.append(f"{self.n} truncate f{f} {size:#x} -> {new:#x}")
            os.ftruncate(self.bfd[f], new)
            self.mtrunc(f, new)
        elif op == "fsync":
            self.log.append(f"{self.n} fsync f{f}")
            os.fsync(self.bfd[f])
        elif op == "misaligned":
            # Misaligned to the logical sector: EINVAL, nothing changes.
            off, n = self.aligned_io()
            off += self.lbs // 2 if self.lbs > 512 else 256
            self.log.append(f"{self.n} misaligned dwrite f{f} {off:#x}+{n:#x}")
            self.buf.fill(rnd.randbytes(n))
            try:
                r = os.pwritev(self.dfd[f], [memoryview(self.buf.m)[:n]], off)
                raise Mismatch(f"misaligned O_DIRECT write at {off:#x} returned {r}, expected EINVAL")
            except OSError as e:
                if e.errno != errno.EINVAL:
                    raise Mismatch(f"misaligned O_DIRECT write at {off:#x}: {e}, expected EINVAL")
        else:
            self.log.append(f"{self.n} sync + drop_caches")
            os.sync()
            with open("/proc/sys/vm/drop_caches", "w") as d:
                d.write("3\n")
        self.count[op + ("/" + how if how else "")] += 1

    def full_check(self, what):
        for f in range(NFILES):
            size = len(self.model[f])
            st = os.fstat(self.bfd[f]).st_size
            if st != size:
                raise Mismatch(f"{what}: file {f} size {st}, model {size}")
            self.check(f"{what} buffered", f, 0, os.pread(self.bfd[f], size + 1, 0), bytes(self.model[f]))
            pos = 0
            while pos < size:
                n = MAXIO
                self.dio_read(f, pos, n, "pread")
                pos += n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mnt")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--ops", type=int, default=1000)
    ap.add_argument("--lbs", type=int, default=512)
    ap.add_argument("--save")
    a = ap.parse_args()
    plant = int(os.environ.get("DIOMODEL_PLANT_BUG", "0"))
    print(f"diomodel: seed {a.seed}, {a.ops} operations, logical sector {a.lbs}", flush=True)
    s = Soak(a.mnt, a.seed, a.lbs, plant)
    try:
        for s.n in range(1, a.ops + 1):
            s.step()
            if s.n % 100 == 0:
                s.full_check(f"after operation {s.n}")
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as d:
            d.write("3\n")
        s.full_check("at the end, from the disk")
    except (Mismatch, OSError) as e:
        print(f"FAIL: operation {s.n} (seed {a.seed}): {e}")
        print("# the operations before it:")
        for line in s.log:
            print(f"#   {line}")
        return 1
    if a.save:
        for f in range(NFILES):
            with open(os.path.join(a.save, f"model-{f}"), "wb") as out:
                out.write(s.model[f])
    ops = " ".join(f"{k} {v}" for k, v in sorted(s.count.items()))
    print(f"diomodel: {a.ops} operations checked ({ops}); sizes {[len(m) for m in s.model]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
