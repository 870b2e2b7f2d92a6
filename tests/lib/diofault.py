#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Systematic fault injection into O_DIRECT requests on a read-write
rext2 mount, with the kernel's per-task fail-nth interface: for each
operation and each N = 1, 2, ..., the Nth fault-injection point the
operation passes (a slab or page allocation, a bio submission to the
device) fails, until an operation passes all of them. The caller enables
failslab and fail_page_alloc for sleeping allocations, and
fail_make_request on the device (make-it-fail).

Each faulted operation must fail with an expected errno (EIO, ENOMEM,
EFAULT, EAGAIN) or succeed, possibly short, with the right data; a file's
size changes only by what a write reports; and each operation must have
failed with EIO (a bio) at some fault point, and each synchronous one on
the general path with ENOMEM (the engine's request allocation). Then the data is rewritten and
the next N is tried. Prints one line per operation, "name: ok (K fault
points, results ...)" or "name: FAIL ...".

usage: diofault.py MNT COUNTERS
"""
import errno
import mmap
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import aio  # noqa: E402
from ksft import counters, exit_status, report  # noqa: E402

PAGE = 4096
MAX_N = 400
ALLOWED = {errno.EIO, errno.ENOMEM, errno.EFAULT, errno.EAGAIN}


def pat(tag, n):
    unit = f"[f {tag:06x}]".encode()
    return (unit * (n // len(unit) + 1))[:n]


class FailNth:
    """This thread's /proc fail-nth file."""

    def __init__(self):
        self.fd = os.open(f"/proc/self/task/{threading.get_native_id()}/fail-nth", os.O_RDWR)

    def arm(self, n):
        os.pwrite(self.fd, str(n).encode(), 0)

    def disarm(self):
        """Disarms; True if the fault was injected."""
        left = int(os.pread(self.fd, 32, 0).split()[0])
        os.pwrite(self.fd, b"0", 0)
        return left == 0


def main():
    m, cpath = sys.argv[1], sys.argv[2]
    size = 512 << 10
    path = os.path.join(m, "fault-data")
    good = pat(0xf00, size)
    # A file in two interleaved halves, so a whole-file request is many
    # bios: its blocks alternate with another file's.
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_DIRECT)
    other = os.open(os.path.join(m, "fault-other"), os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_DIRECT)
    buf = mmap.mmap(-1, size + (1 << 20))
    mv = memoryview(buf)
    for off in range(0, size, 8 * PAGE):
        buf[:8 * PAGE] = good[off:off + 8 * PAGE]
        os.pwritev(fd, [mv[:8 * PAGE]], off)
        os.pwritev(other, [mv[:8 * PAGE]], off)
    os.close(other)
    nth = FailNth()
    ctx = aio.Ctx()
    c0 = counters(cpath)

    def restore():
        os.ftruncate(fd, size)
        buf[:size] = good
        if os.pwritev(fd, [mv[:size]], 0) != size:
            raise RuntimeError("restore: short write")

    # The patterns are made beforehand: while a fault is armed, only the
    # system call under test may run into fault points (an allocation by
    # Python itself would take the fault instead).
    fill_ee, new1, new2, new3 = b"\xee" * size, pat(0xf01, size), pat(0xf02, 64 << 10), pat(0xf03, size)

    def armed(n, call):
        """Runs call() with fault n armed: (result or -errno, injected)."""
        nth.arm(n)
        try:
            r = call()
        except OSError as e:
            r = -e.errno
        return r, nth.disarm()

    # Each operation returns (result or -errno, injected, ok-or-reason).
    def sync_read(n):
        buf[:size] = fill_ee
        r, inj = armed(n, lambda: os.preadv(fd, [mv[:size]], 0))
        if r < 0:
            return r, inj, -r in ALLOWED or f"errno {-r}"
        return r, inj, bytes(buf[:r]) == good[:r] or "wrong data"

    def sync_overwrite(n):
        buf[:size] = new1
        r, inj = armed(n, lambda: os.pwritev(fd, [mv[:size]], 0))
        st = os.fstat(fd).st_size
        ok = (-r in ALLOWED if r < 0 else r <= size) and st == size
        return r, inj, ok or f"result {r}, size {st}"

    def extending(length):
        def run(n):
            buf[:length] = new2[:length]
            r, inj = armed(n, lambda: os.pwritev(fd, [mv[:length]], size))
            st = os.fstat(fd).st_size
            ok = -r in ALLOWED and st == size if r < 0 else st == size + r
            return r, inj, ok or f"result {r}, size {st}"
        return run

    abuf = aio.Buf(size)

    def aio_op(op):
        def run(n):
            if op == aio.CMD_PWRITE:
                abuf.fill(new3)
            reqs = [aio.iocb(op, fd, abuf, 0, size, 0, 1)]
            r, inj = armed(n, lambda: ctx.submit(reqs))
            if r < 0:  # io_submit itself failed
                return r, inj, -r in ALLOWED or f"io_submit errno {-r}"
            got = {}
            for e in ctx.events(1, 4, 30.0):
                got.setdefault(e.data, []).append(e.res)
            extra = ctx.events(0, 4, 0.2)
            if list(got) != [1] or len(got[1]) != 1 or extra:
                return None, inj, f"events {got} extra {len(extra)}"
            r = got[1][0]
            if r < 0:
                return r, inj, -r in ALLOWED or f"event errno {-r}"
            if op == aio.CMD_PREAD:
                return r, inj, abuf.get(0, r) == good[:r] or "wrong data"
            return r, inj, os.fstat(fd).st_size == size or "size changed"
        return run

    # The errnos each operation must have met at some fault point: EIO
    # (a bio) for all; ENOMEM (the engine's request allocation) for those
    # on the general path. The fragmented file's whole-file requests have
    # too many runs for the direct path; a block-aligned extending write
    # takes the direct path, whose only allocations are bios from mempools
    # (they wait rather than fail, as block/fops.c's); one that ends
    # inside a block takes the general path. (Through io_submit, fail-nth
    # has not been seen to reach the request's allocation: the faults land
    # in slab refills that tolerate them. The code path is the same.)
    general, direct = {"ENOMEM", "EIO"}, {"EIO"}
    ops = [("sync-read", sync_read, False, general),
           ("sync-overwrite", sync_overwrite, True, general),
           ("extending-write", extending(64 << 10), True, direct),
           ("extending-write-tail", extending((64 << 10) - 512), True, general),
           ("aio-read", aio_op(aio.CMD_PREAD), False, direct),
           ("aio-overwrite", aio_op(aio.CMD_PWRITE), True, direct)]
    for name, op, writes, must in ops:
        before = counters(cpath)
        results = {}
        bad = None
        n = 1
        while n <= MAX_N:
            r, injected, ok = op(n)
            if ok is not True and bad is None:
                bad = f"fault {n}: result {r}: {ok}"
            if not injected:
                break
            key = "ok" if r is not None and r >= 0 else errno.errorcode.get(-r, str(r)) if r else "?"
            results[key] = results.get(key, 0) + 1
            if writes or r is None or r < 0:
                restore()
            n += 1
        summary = f"({n - 1} fault points, results {dict(sorted(results.items()))})"
        if n > MAX_N:
            bad = bad or f"still injecting after {MAX_N} fault points"
        after = counters(cpath)
        d = {k: after[k] - before[k] for k in ("rounds", "one_bio_requests", "multi_bio_requests")}
        print(f"  {name}: counters {d}", flush=True)
        missing = must - set(results)
        if bad is None and missing:
            bad = f"no fault gave {' or '.join(sorted(missing))}"
        report(name, bad is None, summary if bad is None else f"{bad} {summary}")
        if bad is None:
            print(f"  {summary}", flush=True)
        restore()
    ctx.close()
    os.close(fd)
    c1 = counters(cpath)
    print(f"faults: engine errors counted {c1['errors'] - c0['errors']}", flush=True)
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
