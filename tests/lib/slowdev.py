#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Direct I/O on a slow device (used by 26-slow-device): on FILE, a
fsynced file of 1 MiB written with faultio pattern tag 1 before the
device was slowed, issues a sync O_DIRECT read, a sync O_DIRECT
overwrite, and one AIO batch of reads and overwrites, and checks every
result and, at the end, the data (O_DIRECT). Prints how long each took
(information only: no timed assertion).

usage: slowdev.py FILE
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultio import Aio, Buf, dio_pread, dio_pwrite, pattern  # noqa: E402
from ksft import exit_status, report  # noqa: E402

K64 = 64 << 10


def timed(what, fn):
    t = time.monotonic()
    r = fn()
    print(f"# {what}: {time.monotonic() - t:.1f} s", flush=True)
    return r


def main():
    path = sys.argv[1]
    fd = os.open(path, os.O_RDWR | os.O_DIRECT)
    b = Buf(K64)
    got = timed("sync O_DIRECT read", lambda: dio_pread(fd, b, K64, 0))
    report("slow sync read", got == pattern(1, 0, K64), f"read {len(got)} bytes, not the file's data")
    n = timed("sync O_DIRECT write", lambda: dio_pwrite(fd, b, pattern(2, 2 * K64, K64), 2 * K64))
    report("slow sync write", n == K64, f"wrote {n}")
    ctx = Aio()
    bufs = [Buf(K64) for _ in range(6)]
    reqs = []
    for i, bb in enumerate(bufs):
        off = (4 + i) * K64
        if i % 2:
            bb.fill(pattern(3, off, K64))
            reqs.append(("w", fd, bb, K64, off))
        else:
            bb.poison()
            reqs.append(("r", fd, bb, K64, off))
    res = timed("AIO batch (3 reads, 3 writes)", lambda: ctx.rw(reqs))
    ok = res == [K64] * 6 and all(bufs[i].get(0, K64) == pattern(1, (4 + i) * K64, K64) for i in (0, 2, 4))
    report("slow aio batch", ok, f"results {res}")
    ctx.close()
    want = bytearray(pattern(1, 0, 1 << 20))
    want[2 * K64:3 * K64] = pattern(2, 2 * K64, K64)
    for i in (1, 3, 5):
        off = (4 + i) * K64
        want[off:off + K64] = pattern(3, off, K64)
    big = Buf(1 << 20)
    got = timed("O_DIRECT read back of 1 MiB", lambda: dio_pread(fd, big, 1 << 20, 0))
    report("slow read back", got == bytes(want), "the file differs from what was written")
    os.close(fd)
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
