#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""I/O on a failing device (used by 27-failing-device): every write path
must fail with EIO, and, with MODE "all" (every bio fails), every
O_DIRECT read too; with MODE "writes" (reads still work), O_DIRECT reads
of the data written before the fault must return it intact. MOUNTDIR
holds "keep" (1 MiB, faultio pattern tag 1, on disk before the fault).

usage: failio.py MOUNTDIR writes|all
"""
import errno
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultio import Aio, Buf, Uring, dio_pread, dio_pwrite, pattern  # noqa: E402
from ksft import exit_status, report  # noqa: E402

K64 = 64 << 10


def eio(case, fn):
    try:
        r = fn()
        if isinstance(r, (bytes, bytearray)):
            r = f"{len(r)} bytes of data"
        report(case, False, f"returned {r}, expected EIO")
    except OSError as e:
        report(case, e.errno == errno.EIO, f"{errno.errorcode.get(e.errno)}, expected EIO")


def main():
    mnt, mode = sys.argv[1], sys.argv[2]
    keep = os.path.join(mnt, "keep")
    b = Buf(K64)
    fd = os.open(keep, os.O_RDWR | os.O_DIRECT)
    eio("O_DIRECT overwrite", lambda: dio_pwrite(fd, b, pattern(7, 0, K64), 0))
    eio("O_DIRECT O_DSYNC overwrite", lambda: dio_pwrite(fd, b, pattern(7, K64, K64), K64, 0x2))
    ctx = Aio()

    def aio_write():
        b.fill(pattern(7, 2 * K64, K64))
        r = ctx.rw([("w", fd, b, K64, 2 * K64)])[0]
        if r < 0:
            raise OSError(-r, os.strerror(-r))
        return r
    eio("AIO O_DIRECT overwrite", aio_write)
    u = Uring()
    eio("io_uring O_DIRECT overwrite", lambda: (b.fill(pattern(7, 3 * K64, K64)), u.rw("w", fd, b, K64, 3 * K64))[1])
    new = os.open(os.path.join(mnt, "new-dio"), os.O_RDWR | os.O_CREAT | os.O_DIRECT, 0o644)
    eio("O_DIRECT extending write", lambda: dio_pwrite(new, b, pattern(8, 0, K64), 0))
    os.close(new)

    def buffered_fsync():
        with open(os.path.join(mnt, "new-buffered"), "wb") as f:
            f.write(pattern(9, 0, K64))
            f.flush()
            os.fsync(f.fileno())
    eio("buffered write + fsync", buffered_fsync)

    def aio_read():
        b.poison()
        r = ctx.rw([("r", fd, b, K64, 4 * K64)])[0]
        if r < 0:
            raise OSError(-r, os.strerror(-r))
        return r if b.get(0, K64) == pattern(1, 4 * K64, K64) else "wrong data"
    if mode == "all":
        eio("O_DIRECT read", lambda: dio_pread(fd, b, K64, 0))
        eio("AIO O_DIRECT read", aio_read)
        eio("io_uring O_DIRECT read", lambda: u.rw("r", fd, b, K64, 5 * K64))
    else:
        # The failed overwrites must not have changed what the disk holds.
        big = Buf(1 << 20)
        report("O_DIRECT read of the data", dio_pread(fd, big, 1 << 20, 0) == pattern(1, 0, 1 << 20),
               "differs from what was on disk before the fault")
        report("AIO O_DIRECT read", aio_read() == K64, "wrong data")
    ctx.close()
    u.close()
    os.close(fd)
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
