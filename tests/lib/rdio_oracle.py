#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""fs/direct-io.c as the oracle of rext2's engine: one O_DIRECT workload,
run on a C filesystem once with its stock module (fs/direct-io.c) and once
with its -rdio build (rext2_blockdev_direct_IO), records every outcome;
"compare" then says where the two differ.

usage: rdio_oracle.py run MOUNTDIR OUT.json [--seed N] [--ops N]
       rdio_oracle.py compare STOCK.json RDIO.json

run: the DIO-SPEC cases that make sense on a foreign filesystem (alignment,
reads at and after EOF, holes, extending writes, writes into holes inside
i_size, which the engine hands to buffered I/O, AIO exactly-once, a write
from a buffer that faults), then a seeded random mix of synchronous, AIO
and io_uring reads and writes of 512 B to 1 MiB, aligned and misaligned,
with every read checked against an in-memory model of the file (io_uring
through faultio's minimal ring, one request at a time; the fio verify jobs
of the case drive it at depth). Outcomes are return values, errno names,
SHA-256 of file contents, st_size and st_blocks. Prints "name: ok" /
"name: FAIL why" for the model checks (the same expectations for both
engines) and writes the outcomes to OUT.json.

compare: every outcome must be equal, except a documented deviation of the
rext2 engine (Documentation/rext2.rst, "Where this version differs"): on a
user-memory fault during a write, 7.3 writes zeros for the rest of the
mapping and returns EFAULT, rext2 returns the bytes written before the
fault and writes nothing else. Where the two differ exactly that way the
line says "deviation (documented)"; any other difference fails.
"""
import ctypes
import errno
import hashlib
import json
import mmap
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from aio import CMD_PREAD, CMD_PWRITE, Buf, Ctx, iocb, run_batch  # noqa: E402
from faultio import Uring  # noqa: E402
from ksft import exit_status, outcome, report  # noqa: E402

SECTOR = 512
PAGE = 4096
MIB = 1 << 20
libc = ctypes.CDLL(None, use_errno=True)


def sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(MIB)
            if not b:
                return h.hexdigest()[:16]
            h.update(b)


def stat_of(path):
    st = os.stat(path)
    return {"size": st.st_size, "blocks": st.st_blocks}


def pattern(seed, n):
    return random.Random(seed).randbytes(n)


class Oracle:
    def __init__(self, mnt):
        self.mnt = mnt
        self.out = {}
        self.n = 0

    def rec(self, name, value):
        self.n += 1
        self.out[f"{self.n:04d} {name}"] = value
        return value

    def dio_read(self, fd, off, n, bufoff=0):
        """O_DIRECT pread into a page-aligned buffer at bufoff: (ret, data)."""
        b = Buf(n + bufoff + PAGE)
        b.fill(b"\xa5" * (n + bufoff))
        mv = memoryview(b.m)[bufoff:bufoff + n]
        r = outcome(lambda: os.preadv(fd, [mv], off))
        data = b.get(bufoff, r) if isinstance(r, int) and r > 0 else b""
        mv.release()
        return r, data

    def dio_write(self, fd, off, data, bufoff=0):
        b = Buf(len(data) + bufoff + PAGE)
        b.fill(data, bufoff)
        mv = memoryview(b.m)[bufoff:bufoff + len(data)]
        r = outcome(lambda: os.pwritev(fd, [mv], off))
        mv.release()
        return r

    def file(self, name, size=0, seed=0):
        """A new file written buffered (and synced) with size bytes."""
        p = os.path.join(self.mnt, name)
        with open(p, "wb") as f:
            if size:
                f.write(pattern(seed, size))
            f.flush()
            os.fsync(f.fileno())
        return p

    def state(self, tag, p):
        self.rec(f"{tag}: content", sha(p))
        self.rec(f"{tag}: stat", stat_of(p))

    # -- the DIO-SPEC cases --------------------------------------------------

    def alignment(self):
        p = self.file("align", 64 << 10, 1)
        fd = os.open(p, os.O_RDWR | os.O_DIRECT)
        for name, off, n, bo in [("aligned 512", SECTOR, SECTOR, 0), ("aligned 4k", PAGE, PAGE, 0),
                                 ("offset +1", 1, PAGE, 0), ("length 100", 0, 100, 0),
                                 ("buffer +1", 0, PAGE, 1), ("buffer +256", 0, PAGE, 256),
                                 ("length 4k+512", 0, PAGE + SECTOR, 0)]:
            r, d = self.dio_read(fd, off, n, bo)
            self.rec(f"align read {name}", r)
            self.rec(f"align read {name}: data", hashlib.sha256(d).hexdigest()[:16])
        for name, off, n, bo in [("aligned 512", SECTOR, SECTOR, 0), ("offset +1", 1, PAGE, 0),
                                 ("length 100", 0, 100, 0), ("buffer +1", 0, PAGE, 1)]:
            self.rec(f"align write {name}", self.dio_write(fd, off, pattern(2, n), bo))
        os.close(fd)
        self.state("align", p)

    def eof(self):
        p = self.file("eof", 10000, 3)
        fd = os.open(p, os.O_RDWR | os.O_DIRECT)
        for off, n in [(8192, PAGE), (8192, 2 * PAGE), (9728, SECTOR), (9728, PAGE), (10240, SECTOR),
                       (12288, PAGE), (1 << 30, PAGE), (0, 16 << 10)]:
            r, d = self.dio_read(fd, off, n)
            self.rec(f"eof read {off}+{n}", r)
            self.rec(f"eof read {off}+{n}: data", hashlib.sha256(d).hexdigest()[:16])
        os.close(fd)

    def holes(self):
        p = self.file("holes")
        fd = os.open(p, os.O_RDWR | os.O_DIRECT)
        os.ftruncate(fd, 1 * MIB)
        self.rec("holes: write in the middle (hole inside i_size)",
                 self.dio_write(fd, 512 << 10, pattern(4, 64 << 10)))
        self.rec("holes: 512 B write into a hole", self.dio_write(fd, 100 * SECTOR, pattern(5, SECTOR)))
        for off, n in [(0, 64 << 10), (448 << 10, 256 << 10), (0, MIB), (100 * SECTOR, SECTOR)]:
            r, d = self.dio_read(fd, off, n)
            self.rec(f"holes read {off}+{n}", r)
            self.rec(f"holes read {off}+{n}: data", hashlib.sha256(d).hexdigest()[:16])
        os.close(fd)
        self.state("holes", p)

    def extending(self):
        p = self.file("extend", 10240, 6)
        fd = os.open(p, os.O_RDWR | os.O_DIRECT)
        self.rec("extend: 512 B at EOF", self.dio_write(fd, 10240, pattern(7, SECTOR)))
        self.rec("extend: size", os.fstat(fd).st_size)
        self.rec("extend: 64 KiB at EOF", self.dio_write(fd, 10752, pattern(8, 64 << 10)))
        self.rec("extend: 1 MiB past EOF", self.dio_write(fd, 2 * MIB, pattern(9, MIB)))
        self.rec("extend: size after", os.fstat(fd).st_size)
        self.rec("extend: misaligned at EOF", self.dio_write(fd, 3 * MIB + 1, pattern(10, PAGE)))
        # Buffers that are not page-aligned: 1 MiB + 512 B spans 258
        # pages, more than the Rust engine's 256-page round, which then
        # must not end inside a block (xfstests generic/465).
        self.rec("extend: 1 MiB + 512 at EOF, buffer at +512",
                 self.dio_write(fd, 3 * MIB, pattern(11, MIB + SECTOR), SECTOR))
        self.rec("extend: 2 MiB at EOF, buffer at +2048",
                 self.dio_write(fd, 4 * MIB + SECTOR, pattern(12, 2 * MIB), 2048))
        self.rec("extend: size at the end", os.fstat(fd).st_size)
        os.close(fd)
        self.state("extend", p)

    def aio(self):
        p = self.file("aio", 4 * MIB, 11)
        fd = os.open(p, os.O_RDWR | os.O_DIRECT)
        ctx = Ctx()
        bufs, reqs = [], []
        for i, (op, off, n) in enumerate([(CMD_PREAD, 0, PAGE), (CMD_PREAD, MIB, MIB), (CMD_PWRITE, 2 * MIB, 64 << 10),
                                          (CMD_PWRITE, 3 * MIB, 256 << 10), (CMD_PREAD, 1, PAGE),
                                          (CMD_PREAD, 8 * MIB, PAGE), (CMD_PWRITE, 4 * MIB, 128 << 10),
                                          (CMD_PREAD, 3 * MIB + MIB // 2, 2 * MIB)]):
            b = Buf(n + PAGE)
            if op == CMD_PWRITE:
                b.fill(pattern(100 + i, n))
            bufs.append(b)
            reqs.append(iocb(op, fd, b, 0, n, off, i))
        got, dup, extra = run_batch(ctx, reqs)
        for r in reqs:
            self.rec(f"aio {'read' if r.opcode == CMD_PREAD else 'write'} {r.offset}+{r.nbytes}",
                     got.get(r.data, "no event"))
        self.rec("aio: duplicate events", len(dup))
        self.rec("aio: extra events", len(extra))
        report("aio exactly once", len(got) == len(reqs) and not dup and not extra,
               f"{len(got)} events of {len(reqs)}, duplicates {dup}, extra {len(extra)}")
        ctx.close()
        os.close(fd)
        self.state("aio", p)

    def fault(self):
        """writev from two segments, the second PROT_NONE: 7.3 returns
        EFAULT and zero-fills the rest of the mapping; rext2 returns the
        first segment's length (the documented deviation)."""
        seg = 16 << 10
        p = self.file("fault", 256 << 10, 12)
        fd = os.open(p, os.O_RDWR | os.O_DIRECT)
        m = mmap.mmap(-1, 2 * seg)
        m[:seg] = pattern(13, seg)
        addr = ctypes.addressof(ctypes.c_char.from_buffer(m))
        if libc.mprotect(ctypes.c_void_p(addr + seg), ctypes.c_size_t(seg), 0) != 0:
            raise OSError(ctypes.get_errno(), "mprotect")
        v = memoryview(m)
        r = outcome(lambda: os.pwritev(fd, [v[:seg], v[seg:]], 64 << 10))
        v.release()
        os.close(fd)
        self.rec("fault: writev, second segment PROT_NONE", r)
        with open(p, "rb") as f:
            data = f.read()
        self.rec("fault: first segment", hashlib.sha256(data[64 << 10:(64 << 10) + seg]).hexdigest()[:16])
        self.rec("fault: after the first segment", hashlib.sha256(data[(64 << 10) + seg:]).hexdigest()[:16])
        self.rec("fault: before", hashlib.sha256(data[:64 << 10]).hexdigest()[:16])
        self.rec("fault: stat", stat_of(p))

    # -- the random mix ------------------------------------------------------

    def mix(self, seed, nops):
        rnd = random.Random(seed)
        p = self.file("mix", 2 * MIB, 14)
        model = bytearray(pattern(14, 2 * MIB))
        fd = os.open(p, os.O_RDWR | os.O_DIRECT)
        ctx = Ctx()
        ring = Uring()
        bad = 0

        def one(kind):
            n = max(1, int(2 ** rnd.uniform(9, 20)))
            aligned = rnd.random() < 0.8
            off = rnd.randrange(0, 8 * MIB // SECTOR) * SECTOR
            bo = 0
            if aligned:
                n = max(SECTOR, n // SECTOR * SECTOR)
            else:
                what = rnd.choice(["off", "len", "buf"])
                off += rnd.randrange(1, SECTOR) if what == "off" else 0
                n += rnd.randrange(1, SECTOR) if what == "len" else 0
                bo = rnd.randrange(1, SECTOR) if what == "buf" else 0
            return (kind, off, n, bo, off % SECTOR == 0 and n % SECTOR == 0 and bo == 0)

        def expect_read(off, n, ok_align, r, data, name):
            nonlocal bad
            size = len(model)
            want = max(0, min(n, size - off))
            if not ok_align:
                good = r == "EINVAL" or (off >= size and r == 0)
            else:
                good = r == want and data == bytes(model[off:off + want])
            if not good:
                bad += 1
                if bad <= 5:
                    report(f"mix model {name}", False,
                           f"read {off}+{n} returned {r}, model expects {want if ok_align else 'EINVAL'}"
                           f"{'' if r != want else ' (data differs)'}")

        def apply_write(off, data, r, ok_align, name):
            nonlocal bad
            if isinstance(r, int) and r > 0:
                end = off + r
                if end > len(model):
                    model.extend(bytes(end - len(model)))
                model[off:end] = data[:r]
            good = r == len(data) or (not ok_align and r == "EINVAL")
            if not good:
                bad += 1
                if bad <= 5:
                    report(f"mix model {name}", False, f"write {off}+{len(data)} returned {r}")

        for i in range(nops):
            name = f"mix {i:03d}"
            c = rnd.random()
            if c < 0.05:
                size = rnd.randrange(0, 9 * MIB)
                os.ftruncate(fd, size)
                if size < len(model):
                    del model[size:]
                else:
                    model.extend(bytes(size - len(model)))
                self.rec(f"{name} truncate {size}", os.fstat(fd).st_size)
            elif c < 0.35:
                # An AIO batch of 1-6 requests, each in its own 1 MiB slot
                # of the first 8 MiB so that their order cannot matter.
                slots = rnd.sample(range(8), rnd.randint(1, 6))
                reqs, meta = [], []
                for k, s in enumerate(slots):
                    kind, off, n, bo, ok = one(rnd.choice("rw"))
                    n = min(n, MIB)
                    off = s * MIB + (off % SECTOR if not ok else 0) + rnd.randrange(0, (MIB - n) // SECTOR + 1) * SECTOR
                    ok = off % SECTOR == 0 and n % SECTOR == 0 and bo == 0
                    b = Buf(n + bo + PAGE)
                    data = rnd.randbytes(n) if kind == "w" else b""
                    if kind == "w":
                        b.fill(data, bo)
                    reqs.append(iocb(CMD_PWRITE if kind == "w" else CMD_PREAD, fd, b, bo, n, off, k))
                    meta.append((kind, off, n, ok, b, bo, data))
                got, dup, extra = run_batch(ctx, reqs)
                for k, (kind, off, n, ok, b, bo, data) in enumerate(meta):
                    r = got.get(k, "no event")
                    if isinstance(r, int) and r < 0:
                        r = errno.errorcode.get(-r, str(r))
                    self.rec(f"{name}.{k} aio {kind} {off}+{n}", r)
                    if kind == "w":
                        apply_write(off, data, r, ok, f"{name}.{k}")
                    else:
                        d = b.get(bo, r) if isinstance(r, int) and r > 0 else b""
                        expect_read(off, n, ok, r, d, f"{name}.{k}")
                if dup or extra:
                    bad += 1
                    report(f"{name} aio exactly once", False, f"duplicates {dup}, extra {len(extra)}")
                self.rec(f"{name} aio events", [len(got), len(dup), len(extra)])
            elif c < 0.50:
                # io_uring: one IORING_OP_READ or IORING_OP_WRITE.
                kind, off, n, bo, ok = one(rnd.choice("rw"))
                b = Buf(n + bo + PAGE)
                b.fill(b"\xa5" * (n + bo))
                data = rnd.randbytes(n) if kind == "w" else b""
                if kind == "w":
                    b.fill(data, bo)
                r = outcome(lambda: ring.rw(kind, fd, _At(b.addr + bo), n, off))
                self.rec(f"{name} uring {kind} {off}+{n}@{bo}", r)
                if kind == "w":
                    apply_write(off, data, r, ok, name)
                else:
                    d = b.get(bo, r) if isinstance(r, int) and r > 0 else b""
                    expect_read(off, n, ok, r, d, name)
            else:
                kind, off, n, bo, ok = one(rnd.choice("rw"))
                if kind == "w":
                    data = rnd.randbytes(n)
                    r = self.dio_write(fd, off, data, bo)
                    self.rec(f"{name} write {off}+{n}@{bo}", r)
                    apply_write(off, data, r, ok, name)
                else:
                    r, d = self.dio_read(fd, off, n, bo)
                    self.rec(f"{name} read {off}+{n}@{bo}", r)
                    expect_read(off, n, ok, r, d, name)
        ctx.close()
        ring.close()
        size = os.fstat(fd).st_size
        os.close(fd)
        report(f"mix: {nops} operations, every read as the model says", bad == 0, f"{bad} disagreements")
        with open(p, "rb") as f:
            whole = f.read()
        report("mix: final content is the model's", size == len(model) and whole == bytes(model),
               f"size {size}, model {len(model)}")
        self.state("mix", p)


class _At:
    """A buffer address for Uring.rw (a Buf at an offset)."""

    def __init__(self, addr):
        self.addr = addr


def run(argv):
    mnt, out = argv[0], argv[1]
    seed, nops = 12, 200
    rest = argv[2:]
    while rest:
        if rest[0] == "--seed":
            seed = int(rest[1])
        elif rest[0] == "--ops":
            nops = int(rest[1])
        else:
            raise SystemExit(f"unknown option {rest[0]}")
        rest = rest[2:]
    o = Oracle(mnt)
    times = []
    for step in (o.alignment, o.eof, o.holes, o.extending, o.aio, o.fault, lambda: o.mix(seed, nops)):
        t = time.monotonic()
        step()
        times.append(f"{time.monotonic() - t:.1f}")
    print(f"oracle: steps took {' '.join(times)} s (alignment eof holes extending aio fault mix)")
    with open(out, "w") as f:
        json.dump(o.out, f, indent=1, sort_keys=True)
    print(f"oracle: {len(o.out)} outcomes recorded (seed {seed}, {nops} mixed operations)")
    return exit_status()


def deviation(stock, rdio):
    """Whether rdio differs from stock only by the documented write-fault
    deviation. Returns the keys it explains, or None."""
    ks = sorted(stock)
    ret = [k for k in ks if k.endswith("fault: writev, second segment PROT_NONE")]
    if not ret:
        return None
    k = ret[0]
    seg = 16 << 10
    if stock[k] != "EFAULT" or rdio.get(k) != seg:
        return None
    # 7.3 zero-filled after the fault: that part and the size/blocks it
    # may have changed are explained; the first segment must agree.
    return {k} | {x for x in ks if x.endswith("fault: after the first segment") or x.endswith("fault: stat")}


def compare(argv):
    with open(argv[0]) as f:
        stock = json.load(f)
    with open(argv[1]) as f:
        rdio = json.load(f)
    diffs = [k for k in sorted(set(stock) | set(rdio)) if stock.get(k, "<missing>") != rdio.get(k, "<missing>")]
    explained = deviation(stock, rdio) or set()
    bad = 0
    for k in diffs:
        tag = "deviation (documented: a write fault gives a short count, no zero-fill)" \
            if k in explained else "DIFF"
        bad += k not in explained
        print(f"{tag}: {k}: stock {stock.get(k, '<missing>')!r}, rdio {rdio.get(k, '<missing>')!r}")
    print(f"compare: {len(stock)} outcomes, {bad} differences, {len(set(diffs) & explained)} documented deviations")
    return 1 if bad else 0


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "run":
        return run(sys.argv[2:])
    if len(sys.argv) == 4 and sys.argv[1] == "compare":
        return compare(sys.argv[2:])
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
