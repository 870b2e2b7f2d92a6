#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""DIO-SPEC section 9 cases that a read-only rext2 can run, each printed
as "Tn: ok" or "Tn: FAIL ...". REXT2 is a 4 KiB-block rext2 mount on a
512-byte logical device; REXT2_4KN (optional) the same image on a
4096-byte logical device.

usage: diospec.py REXT2 [REXT2_4KN]
"""
import errno
import fcntl
import mmap
import os
import sys

import ksft
from ksft import expect_errno, exit_status, report

PAGE = 4096


def protected(size, prot):
    """An anonymous mapping Python thinks is writable, re-protected with
    mprotect to `prot` (Python refuses to hand out non-writable buffers)."""
    import ctypes
    import ctypes.util
    m = mmap.mmap(-1, size)
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    addr = ctypes.addressof(ctypes.c_char.from_buffer(m))
    if libc.mprotect(ctypes.c_void_p(addr), ctypes.c_size_t(size), prot) != 0:
        raise OSError(ctypes.get_errno(), "mprotect")
    return m


def odirect(path):
    return os.open(path, os.O_RDONLY | os.O_DIRECT)


def buffered(path, off, n):
    with open(path, "rb") as f:
        f.seek(off)
        return f.read(n)


def main():
    m = sys.argv[1]
    m4kn = sys.argv[2] if len(sys.argv) > 2 else None
    data = os.path.join(m, "indirect/1k-dind-1m")     # 1 MiB of data
    small = os.path.join(m, "sizes/size-1023")         # i_size 1023
    hole = os.path.join(m, "sparse/hole-middle")       # data, hole, data
    buf = mmap.mmap(-1, 8 << 20)
    mv = memoryview(buf)

    # T1: O_DIRECT at open and through fcntl.
    fd = os.open(data, os.O_RDONLY)
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_DIRECT)
    ok = fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_DIRECT != 0
    os.close(fd)
    os.close(odirect(data))
    report("T1", ok, "F_SETFL did not keep O_DIRECT")

    fd = odirect(data)
    # T2: misaligned offset, address, length; one bad segment among good ones.
    expect_errno("T2 offset", errno.EINVAL, lambda: os.preadv(fd, [mv[:PAGE]], 100))
    expect_errno("T2 address", errno.EINVAL, lambda: os.preadv(fd, [mv[1:PAGE + 1]], 0))
    expect_errno("T2 length", errno.EINVAL, lambda: os.preadv(fd, [mv[:1000]], 0))
    segs = [mv[i * PAGE:(i + 1) * PAGE] for i in range(8)] + [mv[9 * PAGE:9 * PAGE + 100]]
    expect_errno("T2 one bad iovec", errno.EINVAL, lambda: os.preadv(fd, segs, 0))

    # T3: 512-byte alignment on a 4 KiB-block fs over a 512-byte device
    # works; on a 4Kn device it is EINVAL.
    n = os.preadv(fd, [mv[512:512 + 1536]], 512)
    report("T3 512-logical", n == 1536 and bytes(mv[512:2048]) == buffered(data, 512, 1536))
    if m4kn:
        fd4 = odirect(os.path.join(m4kn, "indirect/1k-dind-1m"))
        expect_errno("T3 4Kn", errno.EINVAL, lambda: os.preadv(fd4, [mv[:512]], 512))
        n = os.preadv(fd4, [mv[:PAGE]], PAGE)
        report("T3 4Kn aligned", n == PAGE and bytes(mv[:PAGE]) == buffered(data, PAGE, PAGE))
        os.close(fd4)

    # T4: zero length. The VFS (and generic_file_read_iter) return 0
    # before ->direct_IO is called: this checks the VFS, not the engine.
    report("T4 (VFS: returns 0 before direct_IO; the engine is not tested)",
           os.preadv(fd, [mv[:0]], 0) == 0)
    os.close(fd)

    # T5, T6: at or past EOF, even misaligned or inside the EOF block: 0.
    fd = odirect(small)
    size = os.fstat(fd).st_size
    r = [os.preadv(fd, [mv[:PAGE]], size - size % 512 + 512 if size % 512 else size),
         os.preadv(fd, [mv[:PAGE]], 1 << 20),
         os.preadv(fd, [mv[1:PAGE + 1]], size + 1)]
    report("T5", r == [0, 0, 0], f"returned {r}")
    report("T6", os.preadv(fd, [mv[:512]], 1024) == 0)
    # T7: a read across EOF is short: exactly i_size bytes.
    n = os.preadv(fd, [mv[:PAGE]], 0)
    report("T7", n == size and bytes(mv[:n]) == buffered(small, 0, size), f"{n} of {size}")
    os.close(fd)

    # T8: holes read as zeros over a 0xFF-filled buffer, also a 512-byte
    # read inside the hole.
    fd = odirect(hole)
    hsize = os.fstat(fd).st_size
    want = buffered(hole, 0, hsize)
    mv[:hsize] = b"\xff" * hsize
    n = os.preadv(fd, [mv[:hsize]], 0)
    mid = hsize // 2 // 512 * 512
    mv[:512] = b"\xff" * 512
    n2 = os.preadv(fd, [mv[:512]], mid)
    report("T8", n == hsize and n2 == 512 and bytes(mv[:512]) == want[mid:mid + 512]
           and want[mid:mid + 512] == bytes(512), "hole data wrong")
    os.close(fd)

    # T22: a fault in the second iovec gives a short read; in the first, EFAULT.
    fd = odirect(data)
    bad = protected(2 * PAGE, 0)  # PROT_NONE
    bad_mv = memoryview(bad)
    good = mv[:48 << 10]
    try:
        n = os.preadv(fd, [good, bad_mv], 0)
        report("T22 second segment", n == 48 << 10 and bytes(good) == buffered(data, 0, 48 << 10),
               f"read {n}")
    except OSError as e:
        report("T22 second segment", False, str(e))
    expect_errno("T22 first segment", errno.EFAULT, lambda: os.preadv(fd, [bad_mv, good], 0))
    # T23: reading into a read-only buffer is EFAULT.
    ro = protected(PAGE, mmap.PROT_READ)
    expect_errno("T23", errno.EFAULT, lambda: os.preadv(fd, [memoryview(ro)], 0))

    # T24: read into a private writable mapping of the same file: no
    # deadlock, the data arrives.
    fdm = os.open(data, os.O_RDONLY)
    priv = mmap.mmap(fdm, 128 * PAGE, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_WRITE)
    n = os.preadv(fd, [memoryview(priv)[:66 * PAGE]], 128 * PAGE)
    report("T24", n == 66 * PAGE and bytes(priv[:66 * PAGE]) == buffered(data, 128 * PAGE, 66 * PAGE))
    priv.close()
    os.close(fdm)

    # T28: 1024 segments of 512 bytes at varied page offsets, some sharing
    # a page.
    segs, views, o = [], [], 0
    for i in range(1024):
        o += 512 * (1 + (i * 7) % 3)
        views.append(mv[o:o + 512])
    n = os.preadv(fd, views, 0)
    got = b"".join(bytes(v) for v in views)
    report("T28", n == 512 * 1024 and got == buffered(data, 0, 512 * 1024), f"read {n}")

    # T36, a deliberate difference from 7.3 (Documentation/rext2.rst):
    # rext2 opens files with FMODE_NOWAIT, so an RWF_NOWAIT read is taken,
    # through preadv2 and through an AIO iocb, where 7.3's callers refuse
    # it (EOPNOTSUPP): it reads the data or, if it would block, fails with
    # EAGAIN (28-nowait checks which is which). Writes still refuse it
    # (diospec_write.py). io_uring IOPOLL is not run.
    try:
        n = os.preadv(fd, [mv[:PAGE]], 0, os.RWF_NOWAIT)
        res = n if bytes(mv[:n]) == buffered(data, 0, n) else "wrong data"
    except OSError as e:
        res = errno.errorcode.get(e.errno, e.errno)
    report("T36 preadv2", res in (PAGE, "EAGAIN"), f"RWF_NOWAIT read: {res}")
    import aio
    ctx = aio.Ctx()
    b = aio.Buf(PAGE)
    got, dup, extra = aio.run_batch(ctx, [aio.iocb(aio.CMD_PREAD, fd, b, 0, PAGE, 0, 36, rw_flags=0x8)])
    r = got.get(36)
    ok = (r == PAGE and b.get(0, PAGE) == buffered(data, 0, PAGE)) or r == -errno.EAGAIN
    report("T36 aio", ok and not dup and not extra, f"result {r}, duplicates {dup}, extra {len(extra)}")
    ctx.close()
    os.close(fd)
    print(f"diospec: {ksft.fails} failed")
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
