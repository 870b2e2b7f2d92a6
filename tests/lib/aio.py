#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Asynchronous O_DIRECT through the Linux AIO syscalls (io_setup,
io_submit, io_getevents; no libaio needed) on a read-write rext2 mount,
checking DIO-SPEC 7.6: every iocb gets exactly one completion event with
the right result, requests that must complete synchronously do, and the
data is right. Prints "name: ok" or "name: FAIL ..." per case and a final
"aio: N requests, N queued, N completed in the submitter" line from the
counters.

usage: aio.py MOUNTDIR COUNTERS_FILE
"""
import ctypes
import ctypes.util
import errno
import mmap
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ksft import counters, exit_status, report  # noqa: E402

NR_IO_SETUP, NR_IO_DESTROY, NR_IO_GETEVENTS, NR_IO_SUBMIT = 206, 207, 208, 209
CMD_PREAD, CMD_PWRITE = 0, 1
RWF_DSYNC = 0x2
PAGE = 4096

libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
libc.syscall.restype = ctypes.c_long


class Iocb(ctypes.Structure):
    _fields_ = [("data", ctypes.c_uint64), ("key", ctypes.c_uint32),
                ("rw_flags", ctypes.c_int32), ("opcode", ctypes.c_uint16),
                ("reqprio", ctypes.c_int16), ("fildes", ctypes.c_uint32),
                ("buf", ctypes.c_uint64), ("nbytes", ctypes.c_uint64),
                ("offset", ctypes.c_int64), ("reserved2", ctypes.c_uint64),
                ("flags", ctypes.c_uint32), ("resfd", ctypes.c_uint32)]


class Event(ctypes.Structure):
    _fields_ = [("data", ctypes.c_uint64), ("obj", ctypes.c_uint64),
                ("res", ctypes.c_int64), ("res2", ctypes.c_int64)]


class Timespec(ctypes.Structure):
    _fields_ = [("sec", ctypes.c_long), ("nsec", ctypes.c_long)]


def sys_call(nr, *args):
    r = libc.syscall(ctypes.c_long(nr), *args)
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return r


class Ctx:
    def __init__(self, depth=256):
        self.id = ctypes.c_ulong(0)
        sys_call(NR_IO_SETUP, ctypes.c_uint(depth), ctypes.byref(self.id))

    def close(self):
        sys_call(NR_IO_DESTROY, self.id)

    def submit(self, iocbs):
        arr = (ctypes.POINTER(Iocb) * len(iocbs))(*[ctypes.pointer(i) for i in iocbs])
        return sys_call(NR_IO_SUBMIT, self.id, ctypes.c_long(len(iocbs)), arr)

    def events(self, min_nr, max_nr, timeout_s):
        evs = (Event * max_nr)()
        ts = Timespec(int(timeout_s), int((timeout_s % 1) * 1e9))
        n = sys_call(NR_IO_GETEVENTS, self.id, ctypes.c_long(min_nr),
                     ctypes.c_long(max_nr), evs, ctypes.byref(ts))
        return list(evs[:n])


class Buf:
    """A page-aligned anonymous buffer."""

    def __init__(self, size):
        self.size = max(size, PAGE)
        self.m = mmap.mmap(-1, (self.size + PAGE - 1) // PAGE * PAGE)
        self.addr = ctypes.addressof(ctypes.c_char.from_buffer(self.m))

    def fill(self, data, off=0):
        self.m[off:off + len(data)] = data

    def get(self, off, n):
        return bytes(self.m[off:off + n])


def iocb(op, fd, buf, off_in_buf, n, pos, tag, rw_flags=0):
    return Iocb(data=tag, opcode=op, fildes=fd, buf=buf.addr + off_in_buf,
                nbytes=n, offset=pos, rw_flags=rw_flags)


def pattern(tag, n):
    unit = f"<aio {tag:08x}>".encode()
    return (unit * (n // len(unit) + 1))[:n]


def run_batch(ctx, reqs):
    """Submits all `reqs`, collects their events, then waits briefly for
    any event too many. Returns ({tag: res}, [duplicate tags], extra)."""
    if ctx.submit(reqs) != len(reqs):
        raise RuntimeError("short io_submit")
    got, dup = {}, []
    while len(got) < len(reqs):
        evs = ctx.events(1, len(reqs), 30.0)
        if not evs:
            break
        for e in evs:
            if e.data in got:
                dup.append(e.data)
            else:
                got[e.data] = e.res
    return got, dup, ctx.events(0, 16, 0.2)


def main():
    mnt, cpath = sys.argv[1], sys.argv[2]
    bs = os.statvfs(mnt).f_bsize
    c0 = counters(cpath)
    ctx = Ctx()
    path = os.path.join(mnt, "aio-data")
    size = 4 << 20
    # The file: 4 MiB of data written buffered, on disk before the direct I/O.
    with open(path, "wb") as f:
        for i in range(0, size, 1 << 20):
            f.write(pattern(0x1000 + i // (1 << 20), 1 << 20))
        f.flush()
        os.fsync(f.fileno())
    expect = bytearray()
    for i in range(0, size, 1 << 20):
        expect += pattern(0x1000 + i // (1 << 20), 1 << 20)
    fd = os.open(path, os.O_RDWR | os.O_DIRECT)
    nreq = 0

    # 1. A batch of reads of many sizes, up to 2 MiB (more than one page
    # batch, so the request is submitted in two rounds).
    sizes = [bs, 2 * bs, PAGE, 3 * PAGE, 64 << 10, 1 << 20, 2 << 20, 8 * bs]
    bufs, reqs = [], []
    pos = 0
    for i, n in enumerate(sizes):
        b = Buf(n)
        bufs.append(b)
        p = (pos * 7919 * bs) % (size - n) // bs * bs
        reqs.append(iocb(CMD_PREAD, fd, b, 0, n, p, i))
        pos += 1
    got, dup, extra = run_batch(ctx, reqs)
    nreq += len(reqs)
    bad = [i for i, r in enumerate(reqs) if got.get(i) != r.nbytes
           or bufs[i].get(0, r.nbytes) != bytes(expect[r.offset:r.offset + r.nbytes])]
    report("read-batch", not bad and not dup and not extra,
           f"bad {bad} results {got} duplicates {dup} extra {len(extra)}")

    # 2. Overwrites inside the file (no allocation): queued, then read back.
    reqs, bufs = [], []
    for i in range(16):
        n = [bs, PAGE, 32 << 10, 256 << 10][i % 4]
        p = (i * 131 * bs) % (size - n) // bs * bs
        b = Buf(n)
        data = pattern(0x2000 + i, n)
        b.fill(data)
        bufs.append(b)
        reqs.append(iocb(CMD_PWRITE, fd, b, 0, n, p, 100 + i,
                         RWF_DSYNC if i % 5 == 0 else 0))
    got, dup, extra = run_batch(ctx, reqs)
    nreq += len(reqs)
    for r, b in zip(reqs, bufs):
        expect[r.offset:r.offset + r.nbytes] = b.get(0, r.nbytes)
    bad = [r.data for r in reqs if got.get(r.data) != r.nbytes]
    report("overwrite-batch", not bad and not dup and not extra,
           f"bad {bad} results {got} duplicates {dup} extra {len(extra)}")
    with open(path, "rb") as f:
        report("overwrite-data", f.read() == bytes(expect), "file differs from the written data")

    c1 = counters(cpath)
    sync0 = c1["aio_completed_sync"]

    # 3. An extending write: must complete synchronously (DIO-SPEC 1.5
    # step 8), and i_size is updated when the event arrives.
    n = 8 * bs
    b = Buf(n)
    b.fill(pattern(0x3000, n))
    got, dup, extra = run_batch(ctx, [iocb(CMD_PWRITE, fd, b, 0, n, size, 300)])
    nreq += 1
    expect += pattern(0x3000, n)
    c2 = counters(cpath)
    report("extending-write", got.get(300) == n and not dup and not extra
           and os.fstat(fd).st_size == size + n
           and c2["aio_completed_sync"] == sync0 + 1 and c2["aio_queued"] == c1["aio_queued"],
           f"result {got} size {os.fstat(fd).st_size} sync +{c2['aio_completed_sync'] - sync0}"
           f" queued +{c2['aio_queued'] - c1['aio_queued']}")

    # 4. A write into a hole inside i_size: the engine stops at the hole,
    # drains, returns short, and the generic code writes the rest buffered:
    # one event with the full count, completed in the submitter.
    os.ftruncate(fd, size + n + 64 * bs)
    expect += bytes(64 * bs)
    hole = size + n + 8 * bs
    m = 16 * bs
    b = Buf(m)
    b.fill(pattern(0x4000, m))
    got, dup, extra = run_batch(ctx, [iocb(CMD_PWRITE, fd, b, 0, m, hole, 400)])
    nreq += 1
    expect[hole:hole + m] = pattern(0x4000, m)
    c3 = counters(cpath)
    report("hole-write", got.get(400) == m and not dup and not extra
           and c3["aio_queued"] == c2["aio_queued"] and c3["buffered_fallbacks"] > c2["buffered_fallbacks"],
           f"result {got} queued +{c3['aio_queued'] - c2['aio_queued']}"
           f" fallbacks +{c3['buffered_fallbacks'] - c2['buffered_fallbacks']}")

    # 5. A read of a hole only: no bio, so it cannot be queued; zeros.
    b = Buf(8 * bs)
    b.fill(b"\xee" * (8 * bs))
    got, dup, extra = run_batch(ctx, [iocb(CMD_PREAD, fd, b, 0, 8 * bs, hole + m + 8 * bs, 500)])
    nreq += 1
    c4 = counters(cpath)
    report("hole-read", got.get(500) == 8 * bs and b.get(0, 8 * bs) == bytes(8 * bs)
           and not dup and not extra and c4["aio_queued"] == c3["aio_queued"],
           f"result {got} zeros {b.get(0, 8 * bs) == bytes(8 * bs)} queued +{c4['aio_queued'] - c3['aio_queued']}")

    # 6. Errors are reported in the event, not lost: a misaligned read
    # (EINVAL) and a read past EOF (0), next to a good read.
    b = Buf(2 * PAGE)
    reqs = [iocb(CMD_PREAD, fd, b, 1, bs, 0, 600),
            iocb(CMD_PREAD, fd, b, 0, bs, 1 << 30, 601),
            iocb(CMD_PREAD, fd, b, PAGE, bs, 0, 602)]
    got, dup, extra = run_batch(ctx, reqs)
    nreq += 3
    report("errors-in-events", got.get(600) == -errno.EINVAL and got.get(601) == 0
           and got.get(602) == bs and b.get(PAGE, bs) == bytes(expect[:bs]) and not dup and not extra,
           f"results {got}")

    # 7. Many reads in flight while the file is truncated and regrown:
    # truncate waits for them (inode_dio_wait), nothing hangs.
    reqs, bufs = [], []
    for i in range(32):
        b = Buf(64 << 10)
        bufs.append(b)
        reqs.append(iocb(CMD_PREAD, fd, b, 0, 64 << 10, (i * (64 << 10)) % size, 700 + i))
    ctx.submit(reqs)
    os.ftruncate(fd, size // 2)
    got = {}
    while len(got) < len(reqs):
        evs = ctx.events(1, 64, 30.0)
        if not evs:
            break
        for e in evs:
            got[e.data] = e.res
    nreq += len(reqs)
    extra = ctx.events(0, 16, 0.2)
    report("truncate-during-reads", len(got) == len(reqs) and not extra
           and all(r >= 0 for r in got.values()), f"{len(got)} events of {len(reqs)}, results {set(got.values())}")
    os.close(fd)
    ctx.close()

    c = counters(cpath)
    d = {k: c[k] - c0[k] for k in c}
    print(f"aio: {nreq} requests, {d['aio_queued']} queued, {d['aio_completed']} completed from a bio,"
          f" {d['aio_completed_sync']} completed in the submitter", flush=True)
    report("counters", d["aio_queued"] > 0 and d["aio_completed"] == d["aio_queued"],
           f"queued {d['aio_queued']} completed {d['aio_completed']}")
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
