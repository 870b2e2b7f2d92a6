#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""DIO-SPEC section 9 cases for writes on a read-write rext2 mount, each
printed as "Tn: ok" or "Tn: FAIL ...". MNT is a 4 KiB-block rext2 mount
on a 512-byte logical device DEV whose free space was filled with 0xAA
before mkfs; MNT4KN (optional) a 4 KiB-block rext2 mount on a 4096-byte
logical device; SLOW (optional) a rext2 mount on a device whose writes
take long (dm-delay), for the cases that need a write in flight (T19,
T26). The engine counters are found from DEV by ksft.counters_path.

usage: diospec_write.py MNT DEV [--4kn MNT4KN] [--slow SLOW]
"""
import argparse
import ctypes
import ctypes.util
import errno
import fcntl
import mmap
import os
import struct
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import aio  # noqa: E402  (the AIO syscalls)
from diospec import protected  # noqa: E402
from ksft import counters, counters_path, exit_status, expect_errno, report  # noqa: E402

PAGE = 4096
BS = 4096
FIBMAP = 1


def abuf(n, fill=b"\0"):
    """A page-aligned buffer of n bytes (an anonymous mapping)."""
    m = mmap.mmap(-1, max(n, PAGE))
    if fill != b"\0":
        m[:] = (fill * (len(m) // len(fill) + 1))[:len(m)]
    return m


def pat(tag, n):
    unit = f"[w {tag:06x}]".encode()
    return (unit * (n // len(unit) + 1))[:n]


def odirect(path, flags=os.O_RDWR):
    return os.open(path, flags | os.O_DIRECT)


def pwrite_d(fd, data, off):
    b = abuf(len(data))
    b[:len(data)] = data
    return os.pwritev(fd, [memoryview(b)[:len(data)]], off)


def pread_d(fd, n, off):
    b = abuf(n)
    got = os.preadv(fd, [memoryview(b)[:n]], off)
    return bytes(b[:got])


def patched(base, off, data):
    """`base` with `data` written at `off`."""
    w = bytearray(base)
    w[off:off + len(data)] = data
    return bytes(w)


def content(path):
    with open(path, "rb") as f:
        return f.read()


def fibmap(fd, lblk):
    return struct.unpack("i", fcntl.ioctl(fd, FIBMAP, struct.pack("i", lblk)))[0]


def raw_block(dev, pblk):
    """Fs block pblk as it is on the device (O_DIRECT: not the cache)."""
    fd = os.open(dev, os.O_RDONLY | os.O_DIRECT)
    try:
        return pread_d(fd, BS, pblk * BS)
    finally:
        os.close(fd)


def fresh(m, name, data=b"", size=None):
    p = os.path.join(m, name)
    with open(p, "wb") as f:
        f.write(data)
        if size is not None:
            f.truncate(size)
        f.flush()
        os.fsync(f.fileno())
    return p


def flushes(dev):
    """Flush requests the device completed: field 16 of /sys/block/DEV/stat
    (Documentation/block/stat.rst)."""
    name = os.path.basename(os.path.realpath(dev))
    with open(f"/sys/block/{name}/stat") as f:
        fields = f.read().split()
    if len(fields) < 17:
        raise SystemExit(f"/sys/block/{name}/stat has no flush fields")
    return int(fields[15])


libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


def pagecache(path, off, n):
    """The number of pages of [off, off + n) of the file in the page cache:
    mincore on a private mapping, which itself faults nothing in."""
    fd = os.open(path, os.O_RDONLY)
    size = off + n
    mm = mmap.mmap(fd, size, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_WRITE)
    os.close(fd)
    anchor = ctypes.c_char.from_buffer(mm)
    addr = ctypes.addressof(anchor)
    npages = (size + PAGE - 1) // PAGE
    vec = (ctypes.c_ubyte * npages)()
    r = libc.mincore(ctypes.c_void_p(addr), ctypes.c_size_t(size), vec)
    err = ctypes.get_errno()
    del anchor
    mm.close()
    if r != 0:
        raise OSError(err, "mincore")
    return sum(v & 1 for v in vec[off // PAGE:])


RWF_NOWAIT = 0x8


def t19_t26(slow):
    """T19 and T26 on `slow`, a mount whose device delays every write (the
    caller made it with dm-delay), so a direct write stays in flight long
    enough to put something in its way."""
    # T19: a buffered read while the AIO write is in flight brings the old
    # data into the page cache; the completion must invalidate it: after
    # the event the pages are gone and a buffered read gets the new data.
    p = fresh(slow, "t19", pat(19, 16 * BS))
    old = pat(19, 16 * BS)
    fd = odirect(p)
    ctx = aio.Ctx()
    b = aio.Buf(8 * BS)
    b.fill(pat(0x191, 8 * BS))
    ctx.submit([aio.iocb(aio.CMD_PWRITE, fd, b, 0, 8 * BS, 4 * BS, 19)])
    pending = not ctx.events(0, 1, 0)
    with open(p, "rb") as f:
        f.seek(4 * BS)
        during = f.read(8 * BS)
    cached = pagecache(p, 4 * BS, 8 * BS)
    evs = ctx.events(1, 1, 30.0)
    after_cached = pagecache(p, 4 * BS, 8 * BS)
    ctx.close()
    os.close(fd)
    want = old[:4 * BS] + pat(0x191, 8 * BS) + old[12 * BS:]
    report("T19", pending and during == old[4 * BS:12 * BS] and cached == 8
           and len(evs) == 1 and evs[0].res == 8 * BS and after_cached == 0 and content(p) == want,
           f"in flight at the read {pending}, read saw old data {during == old[4 * BS:12 * BS]},"
           f" pages cached during {cached}/8, after the event {after_cached}/8,"
           f" event {[e.res for e in evs]}, new data visible {content(p) == want}")

    # T26: truncate while AIO writes are in flight: it waits for them
    # (inode_dio_wait), so when ftruncate returns every write is done and
    # its event comes at once: 50 ms of grace for the few instructions
    # between inode_dio_end and ki_complete (7.3's dio_complete has them in
    # that order too), where a write the truncate did not wait for is
    # still held by the device for most of its 400 ms. (The dm device's
    # inflight count cannot tell: it reads 0 for bio-based devices.)
    nreq, size = 16, 64 * BS
    p = fresh(slow, "t26", pat(26, size))
    fd = odirect(p)
    ctx = aio.Ctx()
    bufs = [aio.Buf(4 * BS) for _ in range(nreq)]
    for i, b in enumerate(bufs):
        b.fill(pat(0x2600 + i, 4 * BS))
    ctx.submit([aio.iocb(aio.CMD_PWRITE, fd, b, 0, 4 * BS, i * 4 * BS, 2600 + i) for i, b in enumerate(bufs)])
    early = len(ctx.events(0, nreq, 0))
    os.ftruncate(fd, 8 * BS)
    at_return = ctx.events(nreq, nreq, 0.05)
    rest = ctx.events(nreq - len(at_return), nreq, 30.0) if len(at_return) < nreq else []
    evs = at_return + rest
    os.ftruncate(fd, size)
    data = pread_d(fd, size, 0)
    ctx.close()
    os.close(fd)
    want = pat(0x2600, 4 * BS) + pat(0x2601, 4 * BS) + bytes(size - 8 * BS)
    report("T26", early < nreq and len(at_return) == nreq and len(evs) == nreq
           and all(e.res == 4 * BS for e in evs) and data == want,
           f"{nreq - early} of {nreq} in flight at the truncate,"
           f" {len(at_return)} events within 50 ms of its return, results {sorted({e.res for e in evs})},"
           f" data right {data == want}")


def t18_write_through(wts, cpath):
    """T18, written through: a data-sync overwrite with nothing for fsync
    to write goes out with REQ_FUA on a device whose cache honours it, or
    plainly on one without a cache, and is not followed by a flush; on a
    cache without FUA, under O_SYNC, past EOF, or after an unsynced
    allocation, the write is synced with a flush as in 7.3. Each entry of
    `wts` is (kind, mount, device), kind "fua", "nofua" or "nocache"."""
    for kind, m, dev in wts:
        cached = kind != "nocache"

        def step(what, fn, through):
            c0, f0 = counters(cpath), flushes(dev)
            ok = fn()
            c1, f1 = counters(cpath), flushes(dev)
            wt, fl = c1["written_through"] - c0["written_through"], f1 - f0
            # Without a volatile cache a flush ends before it is counted:
            # only the counter tells the two apart there.
            flush_ok = not cached or (fl == 0 if through else fl >= 1)
            report(f"T18 {kind}: {what}", ok and wt == int(through) and flush_ok,
                   f"(data right, written through, flushes): ({ok}, {wt}, {fl}), want written"
                   f" through {int(through)}")

        # An overwrite of a file whose blocks and inode are on disk.
        p = fresh(m, "t18wt", pat(0x18a, 16 * BS))

        def dsync_pwrite(flags, off, tag, n=4 * BS):
            fd = odirect(p, os.O_RDWR | flags)
            data = pat(tag, n)
            r = pwrite_d(fd, data, off)
            os.close(fd)
            return r == n and read_d(p, n, off) == data

        def aio_dsync(off, tag):
            fd = odirect(p)
            ctx = aio.Ctx()
            b = aio.Buf(4 * BS)
            b.fill(pat(tag, 4 * BS))
            got, dup, extra = aio.run_batch(ctx, [aio.iocb(aio.CMD_PWRITE, fd, b, 0, 4 * BS, off, 1,
                                                           rw_flags=aio.RWF_DSYNC)])
            ctx.close()
            os.close(fd)
            return got.get(1) == 4 * BS and not (dup or extra) and \
                read_d(p, 4 * BS, off) == pat(tag, 4 * BS)

        step("O_DSYNC overwrite", lambda: dsync_pwrite(os.O_DSYNC, 0, 0x18b), kind != "nofua")
        if kind != "fua":
            continue
        step("AIO RWF_DSYNC overwrite", lambda: aio_dsync(4 * BS, 0x18c), True)
        step("O_SYNC overwrite", lambda: dsync_pwrite(os.O_SYNC, 8 * BS, 0x18d), False)
        step("O_DSYNC write past EOF", lambda: dsync_pwrite(os.O_DSYNC, 16 * BS, 0x18e), False)
        # Blocks allocated by a buffered write that nobody synced: their
        # indirect block and the inode are not on disk yet.
        with open(p, "r+b") as f:
            f.seek(40 * BS)
            f.write(pat(0x18f, 4 * BS))
        step("O_DSYNC overwrite after an unsynced allocation",
             lambda: dsync_pwrite(os.O_DSYNC, 40 * BS, 0x190), False)


def read_d(path, n, off):
    """n bytes at off of path, read with O_DIRECT (from the device)."""
    fd = odirect(path, os.O_RDONLY)
    try:
        return pread_d(fd, n, off)
    finally:
        os.close(fd)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mnt")
    ap.add_argument("dev")
    ap.add_argument("--4kn", dest="m4kn")
    ap.add_argument("--slow")
    ap.add_argument("--wt", action="append", default=[], metavar="KIND:MNT:DEV",
                    help="a rext2 mount on a null_blk device for T18's written-through writes;"
                         " KIND is fua, nofua or nocache")
    a = ap.parse_args()
    m, dev, m4kn, slow = a.mnt, a.dev, a.m4kn, a.slow
    cpath = counters_path(dev)

    # T1: O_DIRECT at open and through F_SETFL on a writable fd.
    p = fresh(m, "t1")
    fd = os.open(p, os.O_WRONLY)
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_DIRECT)
    ok = bool(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_DIRECT) and pwrite_d(fd, pat(1, BS), 0) == BS
    os.close(fd)
    report("T1", ok and content(p) == pat(1, BS))

    # T2: misaligned writes fail with EINVAL and change nothing.
    old = pat(2, 4 * BS)
    p = fresh(m, "t2", old)
    fd = odirect(p)
    b = abuf(2 * PAGE)
    mv = memoryview(b)
    same = lambda: content(p) == old and os.fstat(fd).st_size == len(old)  # noqa: E731
    expect_errno("T2 offset 100", errno.EINVAL, lambda: os.pwritev(fd, [mv[:BS]], 100), same)
    expect_errno("T2 buffer+1", errno.EINVAL, lambda: os.pwritev(fd, [mv[1:1 + BS]], 0), same)
    expect_errno("T2 length 1000", errno.EINVAL, lambda: os.pwritev(fd, [mv[:1000]], 0), same)
    segs = [mv[i * 512:(i + 1) * 512] for i in range(8)] + [mv[4096 + 1:4096 + 1 + 512]]
    expect_errno("T2 writev bad segment", errno.EINVAL, lambda: os.pwritev(fd, segs, 0), same)
    os.close(fd)

    # T3: 512-byte alignment on the 512-logical device (blkfactor 3); on
    # a 4Kn device only 4 KiB alignment.
    p = fresh(m, "t3", pat(3, 4 * BS))
    fd = odirect(p)
    n = pwrite_d(fd, pat(0x33, 1536), 512)
    os.close(fd)
    report("T3 512-logical", n == 1536 and content(p) == patched(pat(3, 4 * BS), 512, pat(0x33, 1536)),
           f"wrote {n}")
    if m4kn:
        p = fresh(m4kn, "t3", pat(3, 4 * BS))
        fd = odirect(p)
        expect_errno("T3 4Kn 512-aligned", errno.EINVAL, lambda: pwrite_d(fd, pat(4, 512), 512))
        n = pwrite_d(fd, pat(5, BS), BS)
        os.close(fd)
        report("T3 4Kn aligned", n == BS and content(p)[BS:2 * BS] == pat(5, BS))

    # T4: zero length. The VFS returns 0 before ->write_iter (and
    # generic_file_write_iter before ->direct_IO), so this checks the VFS,
    # not the engine: the engine's counters show it was not entered.
    p = fresh(m, "t4", pat(4, BS))
    fd = odirect(p)
    c0 = counters(cpath)
    n = os.pwritev(fd, [memoryview(abuf(PAGE))[:0]], 0)
    c1 = counters(cpath)
    os.close(fd)
    report("T4 (VFS: returns 0 before direct_IO; the engine is not tested)",
           n == 0 and content(p) == pat(4, BS) and c1["writes"] == c0["writes"],
           f"returned {n}, engine writes +{c1['writes'] - c0['writes']}")

    # T11: one call over existing blocks and holes inside i_size.
    c0 = counters(cpath)
    p = fresh(m, "t11", pat(11, 2 * BS), 4 * BS)
    fd = odirect(p)
    n = pwrite_d(fd, pat(0x111, 4 * BS), 0)
    back = pread_d(fd, 4 * BS, 0)
    os.close(fd)
    c1 = counters(cpath)
    report("T11", n == 4 * BS and back == pat(0x111, 4 * BS)
           and c1["buffered_fallbacks"] > c0["buffered_fallbacks"],
           f"wrote {n}, fallbacks +{c1['buffered_fallbacks'] - c0['buffered_fallbacks']}")

    # T12: writes at or after i_size inside the EOF block (no blocks) go
    # buffered (the engine's fallback counter counts each); the block holds
    # the written bytes and zeros, never 0xAA.
    for off in (2048, 3072):
        p = fresh(m, f"t12-{off}", b"", 2048)
        fd = odirect(p)
        c0 = counters(cpath)
        n = pwrite_d(fd, pat(12, 512), off)
        c1 = counters(cpath)
        os.fsync(fd)
        blk = pread_d(fd, BS, 0)
        os.close(fd)
        want = bytes(off) + pat(12, 512)
        fb = c1["buffered_fallbacks"] - c0["buffered_fallbacks"]
        report(f"T12 at {off}", n == 512 and fb == 1 and blk == want and b"\xaa" * 16 not in blk,
               f"wrote {n}, buffered fallbacks +{fb} (want +1), block {blk[:off + 520][-530:]!r}")

    # T13: extending writes: i_size right after each return; two
    # O_APPEND|O_DIRECT writers at once never overlap.
    p = fresh(m, "t13")
    fd = odirect(p)
    ok = True
    for i in range(8):
        ok &= pwrite_d(fd, pat(0x1300 + i, BS), i * BS) == BS and os.fstat(fd).st_size == (i + 1) * BS
    os.close(fd)
    p2 = fresh(m, "t13-append")

    def appender(tag, count):
        f = os.open(p2, os.O_WRONLY | os.O_APPEND | os.O_DIRECT)
        for i in range(count):
            pwrite_d(f, pat(tag + i, BS), 0)
        os.close(f)
    ts = [threading.Thread(target=appender, args=(t, 40)) for t in (0x13000, 0x13100)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    data = content(p2)
    blocks = {data[i:i + BS] for i in range(0, len(data), BS)}
    wanted = {pat(t + i, BS) for t in (0x13000, 0x13100) for i in range(40)}
    report("T13", ok and len(data) == 80 * BS and blocks == wanted,
           f"size {len(data)}, {len(blocks & wanted)} of 80 blocks intact")

    # T14: sub-block zeroing of new blocks, on the device itself.
    p = fresh(m, "t14a")
    fd = odirect(p)
    n = pwrite_d(fd, pat(14, 512), 0)
    raw = raw_block(dev, fibmap(fd, 0))
    os.close(fd)
    report("T14 start", n == 512 and raw == pat(14, 512) + bytes(BS - 512),
           f"block tail holds {set(raw[512:])}")
    p = fresh(m, "t14b", pat(0x140, BS))
    fd = odirect(p)
    n = pwrite_d(fd, pat(0x141, 512), BS + 1536)
    raw = raw_block(dev, fibmap(fd, 1))
    os.close(fd)
    report("T14 middle", n == 512 and raw == bytes(1536) + pat(0x141, 512) + bytes(2048),
           f"head {set(raw[:1536])} tail {set(raw[2048:])}")

    # T15: a sub-block overwrite touches only its sectors.
    p = fresh(m, "t15", pat(15, 2 * BS))
    fd = odirect(p)
    n = pwrite_d(fd, pat(0x151, 512), 1024)
    os.close(fd)
    report("T15", n == 512 and content(p) == patched(pat(15, 2 * BS), 1024, pat(0x151, 512)))

    # T18: AIO with RWF_DSYNC: the device sees a flush before the event
    # (its flush count in /sys/block/DEV/stat); without RWF_DSYNC, none.
    p = fresh(m, "t18", pat(18, 16 * BS))
    fd = odirect(p)
    ctx = aio.Ctx()
    b = aio.Buf(4 * BS)
    res = {}
    for tag, flags in ((0, 0), (1, aio.RWF_DSYNC)):
        b.fill(pat(0x180 + tag, 4 * BS))
        f0 = flushes(dev)
        got, dup, extra = aio.run_batch(ctx, [aio.iocb(aio.CMD_PWRITE, fd, b, 0, 4 * BS, tag * 4 * BS,
                                                       18, rw_flags=flags)])
        res[tag] = (got.get(18), flushes(dev) - f0, dup or extra)
    ctx.close()
    os.close(fd)
    want = pat(0x180, 4 * BS) + pat(0x181, 4 * BS) + pat(18, 16 * BS)[8 * BS:]
    report("T18", res[0][0] == 4 * BS and res[1][0] == 4 * BS and not res[0][2] and not res[1][2]
           and res[0][1] == 0 and res[1][1] >= 1 and content(p) == want,
           f"(result, flushes before the event): plain {res[0][:2]}, RWF_DSYNC {res[1][:2]}")
    if a.wt:
        t18_write_through([tuple(w.split(":", 2)) for w in a.wt], cpath)
    else:
        print("T18 written through: not run: no null_blk mounts (--wt)")

    if slow:
        t19_t26(slow)
    else:
        print("T19, T26: not run: no slow device (--slow)")

    # T21: buffered/direct coherency.
    p = fresh(m, "t21", pat(21, 8 * BS))
    with open(p, "r+b") as f:
        f.seek(BS)
        f.write(pat(0x211, BS))
        f.flush()
        fd = odirect(p)
        a = pread_d(fd, BS, BS) == pat(0x211, BS)
        pwrite_d(fd, pat(0x212, BS), 2 * BS)
        f.seek(2 * BS)
        b_ = f.read(BS) == pat(0x212, BS)
        mm = mmap.mmap(f.fileno(), 8 * BS)
        mm[3 * BS:3 * BS + 16]
        pwrite_d(fd, pat(0x213, BS), 3 * BS)
        c = mm[3 * BS:4 * BS] == pat(0x213, BS)
        mm.close()
        os.close(fd)
    report("T21", a and b_ and c, f"buffered->direct {a} direct->buffered {b_} direct->mmap {c}")

    # T22: a fault in the second segment of a write. rext2 returns the
    # bytes before the fault (7.3 returns EFAULT for (ii): see
    # Documentation/rext2.rst); nothing past them is written.
    for case, first in (("(i) 48 KiB", 48 << 10), ("(ii) 8 KiB", 8 << 10)):
        p = fresh(m, "t22", pat(22, 64 << 10))
        fd = odirect(p)
        good = abuf(first)
        good[:] = pat(0x221, first)
        bad = protected(PAGE, 0)
        try:
            r = os.pwritev(fd, [memoryview(good), memoryview(bad)[:PAGE]], 0)
        except OSError as e:
            r = -e.errno
        os.close(fd)
        want = pat(0x221, first) + pat(22, 64 << 10)[first:]
        report(f"T22 {case}", r == first and content(p) == want, f"returned {r}")
        bad.close()
    p = fresh(m, "t22x", pat(0x222, BS))
    fd = odirect(p)
    good = abuf(8 << 10)
    good[:] = pat(0x223, 8 << 10)
    bad = protected(PAGE, 0)
    try:
        r = os.pwritev(fd, [memoryview(good), memoryview(bad)[:PAGE]], BS)
    except OSError as e:
        r = -e.errno
    size = os.fstat(fd).st_size
    os.close(fd)
    report("T22 extending", r == 8 << 10 and size == BS + (8 << 10)
           and content(p) == pat(0x222, BS) + pat(0x223, 8 << 10), f"returned {r}, size {size}")

    # T23: writing from an unreadable buffer.
    p = fresh(m, "t23", pat(23, BS))
    fd = odirect(p)
    bad = protected(PAGE, 0)
    expect_errno("T23", errno.EFAULT, lambda: os.pwritev(fd, [memoryview(bad)[:PAGE]], 0),
                 lambda: content(p) == pat(23, BS))
    os.close(fd)

    # T24: the source buffer is an mmap of the same file (Linus's case):
    # no deadlock, and the data lands.
    p = fresh(m, "t24", pat(24, 256 * PAGE))
    fd = odirect(p)
    f = open(p, "r+b")
    mm = mmap.mmap(f.fileno(), 128 * PAGE)
    n = os.pwritev(fd, [memoryview(mm)[:66 * PAGE]], 160 * PAGE)
    mm.close()
    f.close()
    os.close(fd)
    want = bytearray(pat(24, 256 * PAGE))
    want[160 * PAGE:226 * PAGE] = want[:66 * PAGE]
    report("T24", n == 66 * PAGE and content(p) == bytes(want), f"wrote {n}")

    # T27: one large write (16 MiB: the image is small), and read back.
    big = 16 << 20
    p = fresh(m, "t27")
    fd = odirect(p)
    b = abuf(big)
    b[:] = pat(27, big)
    n = os.pwritev(fd, [memoryview(b)], 0)
    back = pread_d(fd, big, 0)
    os.close(fd)
    report("T27", n == big and back == pat(27, big), f"wrote {n}")
    os.unlink(p)

    # T28: 1024 segments of 512 bytes at varied page offsets (some share
    # a page); one bad segment makes the whole call EINVAL.
    b = abuf(1024 * PAGE)
    segs, want = [], bytearray()
    for i in range(1024):
        off = (i // 2) * PAGE + (i % 2) * 2048 + (512 if i % 3 == 0 and i % 2 == 0 else 0)
        chunk = pat(0x28000 + i, 512)
        b[off:off + 512] = chunk
        segs.append(memoryview(b)[off:off + 512])
        want += chunk
    p = fresh(m, "t28", bytes(512 * 1024))
    fd = odirect(p)
    n = os.pwritev(fd, segs, 0)
    ok = n == 512 * 1024 and content(p) == bytes(want)
    bad = segs[:10] + [memoryview(b)[PAGE * 600 + 1:PAGE * 600 + 513]] + segs[10:20]
    expect_errno("T28 bad segment", errno.EINVAL, lambda: os.pwritev(fd, bad, 0),
                 lambda: content(p) == bytes(want))
    os.close(fd)
    report("T28", ok, f"wrote {n}")

    # T29: a physically fragmented file (appends to two files alternate):
    # a whole-file direct write and read are right, and the bios were cut
    # at the discontinuities.
    pa, pb = fresh(m, "t29a"), fresh(m, "t29b")
    fa, fb = odirect(pa), odirect(pb)
    for i in range(32):
        pwrite_d(fa, pat(0x2900 + i, BS), i * BS)
        pwrite_d(fb, pat(0x2a00 + i, BS), i * BS)
    os.close(fb)
    c0 = counters(cpath)
    n = pwrite_d(fa, pat(0x29ff, 32 * BS), 0)
    back = pread_d(fa, 32 * BS, 0)
    c1 = counters(cpath)
    os.close(fa)
    cuts = c1["bio_cut_disk_discontiguity"] - c0["bio_cut_disk_discontiguity"]
    report("T29", n == 32 * BS and back == pat(0x29ff, 32 * BS) and cuts >= 16,
           f"wrote {n}, disk cuts {cuts}")

    # T33: ENOSPC on an extending write: the error, not a short count; size
    # and free blocks as before.
    st = os.statvfs(m)
    free = st.f_bavail * st.f_frsize
    p = fresh(m, "t33", pat(33, BS))
    fd = odirect(p)
    b = abuf(free + (4 << 20))
    before = os.statvfs(m).f_bfree
    expect_errno("T33", errno.ENOSPC, lambda: os.pwritev(fd, [memoryview(b)], BS),
                 lambda: os.fstat(fd).st_size == BS and os.statvfs(m).f_bfree == before,
                 f"(size {os.fstat(fd).st_size}, free {os.statvfs(m).f_bfree} vs {before})")
    os.close(fd)
    del b
    os.unlink(p)

    # T35: fork() while a direct read fills a private buffer: the parent's
    # buffer gets the data.
    p = fresh(m, "t35", pat(35, 64 * BS))
    fd = odirect(p, os.O_RDONLY)
    stop = threading.Event()

    def forker():
        while not stop.is_set():
            pid = os.fork()
            if pid == 0:
                os._exit(0)
            os.waitpid(pid, 0)
    t = threading.Thread(target=forker)
    t.start()
    ok = True
    for i in range(40):
        b = abuf(64 * BS)
        n = os.preadv(fd, [memoryview(b)], 0)
        ok &= n == 64 * BS and bytes(b) == pat(35, 64 * BS)
    stop.set()
    t.join()
    os.close(fd)
    report("T35", ok)

    # T36: RWF_NOWAIT is refused, through pwritev2 and through an AIO
    # iocb: rext2 opens files with FMODE_NOWAIT for reads, and its
    # write_iter refuses a non-blocking write before it takes i_rwsem, as
    # the VFS did for 7.3's callers. The engine's counters show it was not
    # entered; the file is unchanged.
    p = fresh(m, "t36", pat(36, BS))
    fd = odirect(p)
    c0 = counters(cpath)
    expect_errno("T36 pwritev2", errno.EOPNOTSUPP,
                 lambda: os.pwritev(fd, [memoryview(abuf(BS))[:BS]], 0, os.RWF_NOWAIT),
                 lambda: content(p) == pat(36, BS))
    ctx = aio.Ctx()
    b = aio.Buf(BS)
    b.fill(pat(0x361, BS))
    # FMODE_NOWAIT lets io_submit take the iocb; write_iter's refusal is
    # then the event's result.
    got, dup, extra = aio.run_batch(ctx, [aio.iocb(aio.CMD_PWRITE, fd, b, 0, BS, 0, 36, rw_flags=RWF_NOWAIT)])
    r = got.get(36)
    report("T36 aio", r == -errno.EOPNOTSUPP and not dup and not extra and content(p) == pat(36, BS),
           f"result {r}, duplicates {dup}, extra {len(extra)}")
    ctx.close()
    c1 = counters(cpath)
    report("T36 engine not entered", c1["writes"] == c0["writes"] and c1["reads"] == c0["reads"],
           f"engine writes +{c1['writes'] - c0['writes']}, reads +{c1['reads'] - c0['reads']}")
    os.close(fd)

    # T37: AIO in flight when the process exits without reaping: the
    # exit waits for them; the file then holds the data.
    p = fresh(m, "t37", pat(37, 64 * BS))
    pid = os.fork()
    if pid == 0:
        fd = odirect(p)
        ctx = aio.Ctx()
        bufs = [aio.Buf(8 * BS) for _ in range(8)]
        for i, b in enumerate(bufs):
            b.fill(pat(0x371 + i, 8 * BS))
        ctx.submit([aio.iocb(aio.CMD_PWRITE, fd, b, 0, 8 * BS, i * 8 * BS, i) for i, b in enumerate(bufs)])
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    want = b"".join(pat(0x371 + i, 8 * BS) for i in range(8))
    report("T37", status == 0 and content(p) == want)
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
