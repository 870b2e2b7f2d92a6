#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A seeded random O_DIRECT write workload on a file of a rext2 mount,
checked against a shadow copy of the file kept in memory; one workload
(and file, PREFIX<ALIGN>) per --align value, one after the other, in one
process (a Python start costs seconds in the emulated test VM).

Operations: O_DIRECT pwritev (1-3 iovecs at varied buffer offsets,
lengths and offsets aligned to --align, up to --max-io bytes) anywhere in
the file, extending past EOF (with and without a gap), into holes inside
EOF (which the engine hands back to buffered I/O: DIO_SKIP_HOLES) and
O_APPEND; buffered writes (some far past EOF, leaving holes), ftruncate
down and up, O_DIRECT reads (1-3 iovecs) and buffered reads; misaligned
direct writes (offset, length, address, one bad iovec among good ones)
must fail with EINVAL and change nothing; zero-length writes do nothing.
After every change the touched range is read back (alternately with
O_DIRECT and buffered reads) and st_size checked; every --full-every
operations, and at the end, the whole file is compared both ways.

The data written never contains a 0xAA byte (the pattern test images are
filled with before mkfs), so a 0xAA in anything read back is stale data.

With the engine counters file (/sys/kernel/debug/rext2/dio, used when
readable, unless --counters says otherwise), every direct write
is also checked against what DIO-SPEC predicts from the file's block map
(which the model tracks): "writes" +1, "write_bytes" + the bytes before
the first hole inside i_size, "buffered_fallbacks" +1 if a hole stopped
it, "subblock_zero_writes" + the zero chunks around new blocks (blkfactor
> 0: the start of the first new block before the request and the tail of
the last one after it, per round of at most 256 pinned pages), "errors"
+0; a misaligned or zero-length write leaves "writes" unchanged.

Prints a one-line summary per workload; exit status 0, 1 on any
mismatch (with the seed, the operation, the file offset, expected and
actual bytes and the first differing byte), 2 on usage errors.
--expect DIR writes each model's final content (what the file must hold)
to DIR/<file name>.

usage: diowrite.py MNT [--prefix P] [--seed N] [--ops N] [--align BYTES...]
                   [--max-size BYTES] [--max-io BYTES] [--full-every N]
                   [--counters PATH|auto|none] [--expect DIR]
"""
import argparse
import collections
import errno
import mmap
import os
import random
import sys

try:
    from _sha256 import sha256      # built in; hashlib loads OpenSSL (slow)
except ImportError:
    from hashlib import sha256

PAGE = mmap.PAGESIZE
BATCH_PAGES = 256       # pages per engine round (BIO_MAX_VECS)
CMP = 64 << 10          # compare in slices of this size (fast memcmp)
POOL_SLACK = 1 << 20    # random start offsets into the data pool


class Mismatch(Exception):
    pass


def fs_block_size(path):
    return os.statvfs(path).f_bsize


def device_of(path):
    st = os.stat(path)
    return os.major(st.st_dev), os.minor(st.st_dev)


def logical_block_size(path):
    maj, mnr = device_of(path)
    try:
        with open(f"/sys/dev/block/{maj}:{mnr}/queue/logical_block_size") as f:
            return int(f.read())
    except OSError:
        return 512


def read_counters(path):
    with open(path) as f:
        return {k: int(v) for k, v in (l.split() for l in f if l.strip())}


class Workload:
    def __init__(self, a, align):
        self.a = a
        self.seed = a.seed + align
        self.rng = random.Random(self.seed)
        self.al = align
        self.fs = fs_block_size(a.mnt)
        self.lbs = logical_block_size(a.mnt)
        if self.al % self.lbs or self.al > PAGE or self.al & (self.al - 1):
            raise SystemExit(f"diowrite: --align {self.al} must be a power of two, "
                             f"a multiple of the device's logical block ({self.lbs}) "
                             f"and at most {PAGE}")
        self.max_size = a.max_size // self.fs * self.fs
        self.max_io = a.max_io // self.al * self.al
        self.name = f"{a.prefix}{self.al}"
        self.path = os.path.join(a.mnt, self.name)
        self.counters = None
        if a.counters == "auto":
            p = "/sys/kernel/debug/rext2/dio"
            if os.access(p, os.R_OK):
                self.counters = p
        elif a.counters != "none":
            self.counters = a.counters
        # Buffers: allocated once, reused by every operation.
        self.wbuf = mmap.mmap(-1, self.max_io + 4 * PAGE)
        self.wv = memoryview(self.wbuf)
        self.rsize = 1 << 20
        self.rbuf = mmap.mmap(-1, self.rsize + 4 * PAGE)
        self.rv = memoryview(self.rbuf)
        # The data: random bytes without 0xAA; each write copies a slice
        # starting at a random offset, so no two writes look alike.
        self.pool = self.rng.randbytes(self.max_io + POOL_SLACK).translate(
            bytes.maketrans(b"\xaa", b"\x55"))
        self.poolv = memoryview(self.pool)
        self.zeros = memoryview(bytes(self.max_size))
        # The model: content (zero past size), size, allocated fs blocks.
        self.model = bytearray(self.max_size)
        self.mv = memoryview(self.model)
        self.size = 0
        self.alloc = bytearray(self.max_size // self.fs + 1)
        self.log = collections.deque(maxlen=12)
        self.problems = 0
        self.stats = collections.Counter()
        self.op = -1

    # ---- helpers -------------------------------------------------------

    def open(self):
        self.fd_b = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
        self.fd_d = os.open(self.path, os.O_RDWR | os.O_DIRECT)
        self.fd_a = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_DIRECT)

    def close(self):
        for fd in (self.fd_a, self.fd_d, self.fd_b):
            os.close(fd)

    def problem(self, msg):
        self.problems += 1
        print(f"diowrite: op {self.op}: {msg}")

    def fail(self, msg):
        raise Mismatch(msg)

    def roundup(self, x, a):
        return (x + a - 1) // a * a

    def layout(self, length, nvec):
        """Where in wbuf the iovecs go: (buffer offset, length) pairs,
        lengths multiples of the alignment, with gaps between them."""
        al, rng = self.al, self.rng
        units = length // al
        nvec = max(1, min(nvec, units))
        cuts = sorted(rng.sample(range(1, units), nvec - 1)) if nvec > 1 else []
        bounds = [0] + cuts + [units]
        p = rng.choice([0, 0, rng.randrange(0, PAGE // al) * al])
        segs = []
        for k in range(nvec):
            n = (bounds[k + 1] - bounds[k]) * al
            segs.append((p, n))
            p += n + rng.choice([0, 0, al, PAGE])
        return segs

    def rounds(self, segs):
        """Byte counts of the engine's rounds: iov_iter_extract_pages per
        iovec, at most BATCH_PAGES page slots per round."""
        out, slots, tot = [], 0, 0
        for bo, n in segs:
            while n > 0:
                if slots == BATCH_PAGES:
                    out.append(tot)
                    slots, tot = 0, 0
                off = bo % PAGE
                b = min(n, (BATCH_PAGES - slots) * PAGE - off)
                slots += (off + b + PAGE - 1) // PAGE
                tot += b
                bo += b
                n -= b
        if tot:
            out.append(tot)
        return out

    def predict(self, pos, segs, count):
        """(direct bytes, fell back, zero chunks) DIO-SPEC expects."""
        fs = self.fs
        a = pos
        for bo, n in segs:
            a |= bo | n
        last = (self.size - 1) // fs if self.size > 0 else -1
        direct = count
        for fb in range(pos // fs, min((pos + count - 1) // fs, last) + 1):
            if not self.alloc[fb]:
                direct = max(0, fb * fs - pos)
                break
        zeros = 0
        if direct == count and a % fs:
            done = set()
            p = pos
            for rb in self.rounds(segs):
                e = p + rb
                fa, fz = p // fs, (e - 1) // fs
                if p % fs and fa > last and not self.alloc[fa] and fa not in done:
                    zeros += 1
                if e % fs and fz > last and not self.alloc[fz] and fz not in done:
                    zeros += 1
                done.update(range(fa, fz + 1))
                p = e
        return direct, direct < count, zeros

    def mark_alloc(self, off, n):
        if n > 0:
            self.alloc[off // self.fs:(off + n - 1) // self.fs + 1] = \
                b"\x01" * ((off + n - 1) // self.fs - off // self.fs + 1)

    def set_size(self, new):
        if new < self.size:
            self.model[new:self.size] = self.zeros[:self.size - new]
            first = (new + self.fs - 1) // self.fs
            self.alloc[first:] = bytes(len(self.alloc) - first)
        self.size = new

    def counters_now(self):
        return read_counters(self.counters) if self.counters else None

    def check_counters(self, before, what, **want):
        if before is None:
            return
        after = self.counters_now()
        got = {k: after[k] - before[k] for k in want}
        if got != want:
            self.problem(f"counters after {what}: got {got}, expected {want}")

    def compare(self, off, n, how):
        """rbuf[:n] against the model at file offset off."""
        rb, mv = self.rbuf, self.mv
        for i in range(0, n, CMP):
            j = min(n, i + CMP)
            if rb[i:j] != mv[off + i:off + j].tobytes():
                got, want = rb[i:j], mv[off + i:off + j].tobytes()
                k = next(k for k in range(j - i) if got[k] != want[k])
                stale = got.count(0xAA)
                self.fail(f"{how} read of {off}+{n} (size {self.size}): first differing byte "
                          f"at file offset {off + i + k}: expected {want[k:k + 16].hex()} "
                          f"got {got[k:k + 16].hex()}"
                          + (f"; {stale} stale 0xAA bytes in the {len(got)}-byte slice"
                             if stale else ""))

    def read_check(self, off, length, direct, nvec=1):
        """Read [off, off+length) and compare; direct reads must be
        aligned by the caller."""
        al = self.al
        if direct and nvec > 1 and length > al:
            units = length // al
            cuts = sorted(self.rng.sample(range(1, units), min(nvec, units) - 1))
            b = [0] + [c * al for c in cuts] + [length]
            views = [self.rv[b[k]:b[k + 1]] for k in range(len(b) - 1)]
        else:
            views = [self.rv[:length]]
        how = "O_DIRECT" if direct else "buffered"
        try:
            n = os.preadv(self.fd_d if direct else self.fd_b, views, off)
        except OSError as e:
            self.fail(f"{how} read of {off}+{length} ({len(views)} iovecs): {e}")
        want = max(0, min(length, self.size - off))
        if n != want:
            self.fail(f"{how} read of {off}+{length} (size {self.size}) returned {n}, expected {want}")
        self.compare(off, n, how)

    def verify(self, off, end, direct):
        off, end = max(0, off), min(end, self.max_size)
        if direct:
            off = off // self.al * self.al
            end = self.roundup(end, self.al)
        while off < end:
            n = min(end - off, self.rsize)
            self.read_check(off, n, direct)
            off += n

    def check_size(self):
        st = os.fstat(self.fd_b)
        if st.st_size != self.size:
            self.fail(f"st_size {st.st_size}, expected {self.size}")

    def full_verify(self, both=False):
        self.verify(0, self.size, True)
        if both:
            self.verify(0, self.size, False)
        past = self.roundup(self.size, self.al)
        for off in (past, past + 4 * self.al):
            n = os.preadv(self.fd_d, [self.rv[:self.al]], off)
            if n != 0:
                self.fail(f"O_DIRECT read at {off} (size {self.size}) returned {n}, expected 0")
        self.stats["full checks"] += 1

    def after_change(self, off, end):
        fs = self.fs
        self.check_size()
        self.verify(off - fs, end + fs, self.op % 2 == 0)

    # ---- operations ----------------------------------------------------

    def fill(self, segs):
        s = self.rng.randrange(POOL_SLACK)
        acc = 0
        for bo, n in segs:
            self.wbuf[bo:bo + n] = self.poolv[s + acc:s + acc + n]
            acc += n
        return s

    def dwrite(self, pos, length, kind, append=False):
        rng = self.rng
        length = min(length, self.max_size - pos) // self.al * self.al
        if length <= 0:
            return
        segs = self.layout(length, rng.choice([1, 1, 2, 3]))
        s = self.fill(segs)
        views = [self.wv[bo:bo + n] for bo, n in segs]
        direct, fallback, zeros = self.predict(pos, segs, length)
        desc = (f"{kind} O_DIRECT {'writev (O_APPEND)' if append else 'pwritev'} {pos}+{length} "
                f"iovecs {segs} (size {self.size})")
        self.log.append(desc)
        before = self.counters_now()
        try:
            n = os.writev(self.fd_a, views) if append else os.pwritev(self.fd_d, views, pos)
        except OSError as e:
            self.fail(f"{desc}: {e}")
        if n != length:
            self.fail(f"{desc}: wrote {n} bytes, expected {length}")
        self.check_counters(before, desc, writes=1, write_bytes=direct,
                            buffered_fallbacks=int(fallback),
                            subblock_zero_writes=zeros, errors=0)
        self.mv[pos:pos + length] = self.poolv[s:s + length]
        self.mark_alloc(pos, length)
        self.size = max(self.size, pos + length)
        self.stats[kind] += 1
        self.stats["fell back"] += fallback
        self.stats["zero chunks"] += zeros
        self.after_change(pos, pos + length)

    def io_length(self):
        rng, al = self.rng, self.al
        top = self.max_io // al
        units = rng.choices([1, 2, 3, rng.randrange(1, 17), rng.randrange(1, 65),
                             rng.randrange(1, top + 1), top], [3, 2, 1, 4, 3, 2, 1])[0]
        return min(units, top) * al

    def op_dwrite(self):
        top = min(self.size, self.max_size - self.al)
        pos = self.rng.randrange(0, top // self.al + 1) * self.al
        self.dwrite(pos, self.io_length(), "direct")

    def op_dextend(self):
        rng, al = self.rng, self.al
        gap = rng.choice([0, 0, al * rng.randrange(1, 9), self.fs * rng.randrange(1, 300)])
        pos = self.roundup(self.size, al) + gap
        if pos + al > self.max_size:
            return self.op_trunc(shrink=True)
        self.dwrite(pos, self.io_length(), "extending")

    def op_dhole(self):
        """A direct write starting in, or running into, a hole inside
        i_size: the engine stops there and the rest goes buffered."""
        rng, fs, al = self.rng, self.fs, self.al
        nb = (self.size + fs - 1) // fs
        hb = -1
        if nb:
            r = rng.randrange(nb)
            hb = self.alloc.find(0, r, nb)
            if hb < 0:
                hb = self.alloc.find(0, 0, nb)
        if hb < 0:
            # No hole: make one past the data, inside the new i_size.
            self.op_trunc(shrink=False)
            nb = (self.size + fs - 1) // fs
            hb = self.alloc.find(0, 0, nb)
            if hb < 0:
                return
        pos = hb * fs + rng.randrange(0, fs // al) * al
        if rng.random() < 0.4:
            pos = max(0, hb * fs - rng.randrange(1, 9) * al)    # data, then the hole
        self.dwrite(pos, self.io_length(), "into-hole")

    def op_dappend(self):
        if self.size % self.lbs:
            return self.misaligned_append()
        self.dwrite(self.size, self.io_length(), "append", append=True)

    def misaligned_append(self):
        segs = [(0, self.al)]
        desc = f"O_APPEND O_DIRECT write at size {self.size} (not {self.lbs}-aligned)"
        self.log.append(desc)
        self.expect_einval(desc, lambda: os.writev(self.fd_a, [self.wv[:self.al]]), self.size, self.al)

    def op_bwrite(self, sparse=False):
        rng = self.rng
        length = rng.choice([1, rng.randrange(1, 4096), rng.randrange(1, 65536)])
        if sparse:
            off = self.size + rng.randrange(self.fs, 64 * self.fs)
        else:
            off = rng.randrange(0, self.size + 65536)
        if off >= self.max_size:
            return self.op_trunc(shrink=True)
        length = min(length, self.max_size - off)
        s = rng.randrange(POOL_SLACK)
        desc = f"buffered pwrite {off}+{length} (size {self.size})"
        self.log.append(desc)
        n = os.pwrite(self.fd_b, self.poolv[s:s + length], off)
        if n != length:
            self.fail(f"{desc}: wrote {n}")
        self.mv[off:off + length] = self.poolv[s:s + length]
        self.mark_alloc(off, length)
        self.size = max(self.size, off + length)
        self.stats["sparse buffered" if sparse else "buffered"] += 1
        if rng.random() < 0.2:
            os.fsync(self.fd_b)
        self.after_change(off, off + length)

    def op_trunc(self, shrink=None):
        rng = self.rng
        if shrink is None:
            shrink = rng.random() < 0.5
        if shrink:
            new = rng.randrange(0, self.size + 1)
        else:
            new = min(self.max_size, self.size + rng.randrange(1, 2 << 20))
        if rng.random() < 0.3:
            new = new // self.fs * self.fs
        desc = f"ftruncate {self.size} -> {new}"
        self.log.append(desc)
        os.ftruncate(self.fd_b, new)
        old = self.size
        self.set_size(new)
        self.stats["truncate"] += 1
        self.after_change(min(old, new), max(old, new))

    def op_dread(self):
        rng, al = self.rng, self.al
        off = rng.randrange(0, (self.size + 2 * al) // al + 1) * al
        length = min(self.io_length(), self.rsize)
        self.log.append(f"O_DIRECT read {off}+{length}")
        self.read_check(off, length, True, rng.choice([1, 2, 3]))
        self.stats["direct reads"] += 1

    def op_bread(self):
        rng = self.rng
        off = rng.randrange(0, self.size + 4096)
        length = rng.randrange(1, self.rsize)
        self.log.append(f"buffered read {off}+{length}")
        self.read_check(off, length, False)
        self.stats["buffered reads"] += 1

    def expect_einval(self, desc, call, pos, length):
        before = self.counters_now()
        try:
            n = call()
            self.fail(f"{desc}: wrote {n} bytes, expected EINVAL")
        except OSError as e:
            if e.errno != errno.EINVAL:
                self.fail(f"{desc}: {e}, expected EINVAL")
        self.check_counters(before, desc, writes=0, write_bytes=0)
        self.stats["misaligned"] += 1
        self.check_size()
        self.verify(pos - self.fs, pos + length + self.fs, True)

    def op_misaligned(self):
        rng, al, lbs, wv = self.rng, self.al, self.lbs, self.wv
        top = min(self.size + 4 * al, self.max_size - 4 * al)
        pos = rng.randrange(0, top // al + 1) * al
        self.fill([(0, 4 * al + PAGE)])
        kind = rng.choice(["offset", "length", "address", "bad iovec length", "bad iovec address"])
        if kind == "offset":
            off = pos + rng.randrange(1, lbs)
            views = [wv[:al]]
        elif kind == "length":
            off = pos
            views = [wv[:al + rng.choice([1, 100, lbs // 2])]]
        elif kind == "address":
            off = pos
            views = [wv[rng.choice([1, 8, lbs // 2]):][:al]]
        elif kind == "bad iovec length":
            off = pos
            views = [wv[:al], wv[PAGE:PAGE + 1000], wv[2 * PAGE:2 * PAGE + al]]
        else:
            off = pos
            views = [wv[:al], wv[PAGE + 8:PAGE + 8 + al], wv[3 * PAGE:3 * PAGE + al]]
        length = sum(len(v) for v in views)
        desc = f"misaligned ({kind}) O_DIRECT pwritev at {off}, {length} bytes (size {self.size})"
        self.log.append(desc)
        self.expect_einval(desc, lambda: os.pwritev(self.fd_d, views, off), off, length)

    def op_zero(self):
        pos = self.rng.randrange(0, self.size + 2 * self.al) // self.al * self.al
        desc = f"zero-length O_DIRECT pwritev at {pos}"
        self.log.append(desc)
        before = self.counters_now()
        n = os.pwritev(self.fd_d, [self.wv[:0]], pos)
        if n != 0:
            self.fail(f"{desc} returned {n}")
        self.check_counters(before, desc, writes=0, write_bytes=0)
        self.check_size()

    # ---- driver --------------------------------------------------------

    def run(self):
        rng = self.rng
        ops = [(self.op_dwrite, 24), (self.op_dextend, 14), (self.op_dhole, 12),
               (self.op_dappend, 4), (self.op_bwrite, 10), (lambda: self.op_bwrite(True), 5),
               (self.op_trunc, 8), (self.op_dread, 8), (self.op_bread, 5),
               (self.op_misaligned, 6), (self.op_zero, 1)]
        funcs = [f for f, _ in ops]
        weights = [w for _, w in ops]
        # A fixed start: a write inside the first block of the empty file
        # (sub-block zeroing when --align is below the block size), a
        # hole made inside i_size and written into, a misaligned write.
        first = [lambda: self.dwrite(rng.randrange(0, self.fs // self.al) * self.al,
                                     self.al * rng.randrange(1, 4), "extending"),
                 lambda: self.op_trunc(shrink=False), self.op_dhole, self.op_misaligned]
        self.open()
        try:
            for self.op in range(self.a.ops):
                if self.op < len(first):
                    first[self.op]()
                else:
                    rng.choices(funcs, weights)[0]()
                if self.a.full_every and self.op % self.a.full_every == self.a.full_every - 1:
                    self.full_verify(both=self.op % (2 * self.a.full_every) == 2 * self.a.full_every - 1)
            self.op = self.a.ops
            self.log.append("final check")
            os.fsync(self.fd_b)
            self.full_verify(both=True)
        finally:
            self.close()


def main():
    ap = argparse.ArgumentParser(description="random O_DIRECT write workload against a model")
    ap.add_argument("mnt", help="a read-write rext2 mount (or a directory in one)")
    ap.add_argument("--prefix", default="diowrite-a",
                    help="file name inside MNT, followed by the alignment")
    ap.add_argument("--seed", type=int, default=1, help="base seed (plus the alignment)")
    ap.add_argument("--ops", type=int, default=100)
    ap.add_argument("--align", type=int, nargs="+", default=[4096])
    ap.add_argument("--max-size", type=int, default=8 << 20)
    ap.add_argument("--max-io", type=int, default=1 << 20)
    ap.add_argument("--full-every", type=int, default=25)
    ap.add_argument("--counters", default="auto",
                    help="the mount's debugfs counters file, 'auto' or 'none'")
    ap.add_argument("--expect", help="write each file's expected final content to this directory")
    a = ap.parse_args()
    if a.max_io < max(a.align) or a.max_size < 4 * a.max_io:
        ap.error("need --max-io >= --align and --max-size >= 4 * --max-io")
    bad = 0
    for al in a.align:
        bad += run(a, al)
    return 1 if bad else 0


def run(a, al):
    w = Workload(a, al)
    try:
        w.run()
    except Mismatch as e:
        print(f"diowrite: MISMATCH (seed {w.seed}, --align {w.al}, op {w.op}) in {w.path}: {e}")
        print("diowrite: last operations, oldest first:")
        for line in w.log:
            print(f"diowrite:   {line}")
        return 1
    if a.expect:
        with open(os.path.join(a.expect, w.name), "wb") as f:
            f.write(w.mv[:w.size])
    digest = sha256(w.mv[:w.size]).hexdigest()
    s = w.stats
    print(f"diowrite: {w.name}: seed {w.seed}, {a.ops} ops at {w.al}-byte alignment "
          f"(fs block {w.fs}, device block {w.lbs}): direct writes {s['direct']} + "
          f"extending {s['extending']} + into holes {s['into-hole']} + appends {s['append']} "
          f"({s['fell back']} fell back to buffered, {s['zero chunks']} sub-block zero chunks), "
          f"buffered writes {s['buffered']} + sparse {s['sparse buffered']}, truncates {s['truncate']}, "
          f"reads {s['direct reads']} direct + {s['buffered reads']} buffered, "
          f"misaligned {s['misaligned']}, full checks {s['full checks']}; "
          f"counters {'checked' if w.counters else 'not checked'}; final size {w.size}, "
          f"sha256 {digest}; {w.problems} problems")
    return 1 if w.problems else 0


if __name__ == "__main__":
    sys.exit(main())
