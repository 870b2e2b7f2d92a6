# SPDX-License-Identifier: GPL-2.0
"""I/O helpers shared by the fault and race tests (races.py, diomodel.py,
powerlog.py, slowdev.py): self-identifying sector patterns, page-aligned
buffers, and the three ways to issue direct I/O besides pread/pwrite:
Linux AIO (io_submit, from aio.py) and io_uring (raw io_uring_setup and
io_uring_enter through ctypes, IORING_OP_READ/WRITE, no liburing)."""
import ctypes
import ctypes.util
import mmap
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import aio  # noqa: E402

PAGE = 4096
SECTOR = 512
libc = aio.libc


def sector_data(tag, off):
    """512 bytes that name the writer `tag` (an int) and the file offset
    `off` (a multiple of 512): a stale, shifted or zeroed sector can
    never pass for another."""
    head = f"[rext2 w{tag:08x} @{off:012x}]".encode()
    body = bytes(((tag * 131 + off // SECTOR * 7 + i) & 0xFF) | 1 for i in range(SECTOR - len(head)))
    return head + body


_cache = {}


def pattern(tag, off, n):
    """The bytes writer `tag` puts at [off, off+n) (off, n multiples of 512)."""
    out = bytearray()
    for s in range(off, off + n, SECTOR):
        k = (tag, s)
        d = _cache.get(k)
        if d is None:
            d = sector_data(tag, s)
            if len(_cache) < 200000:
                _cache[k] = d
        out += d
    return bytes(out)


def sector_tag(data, off):
    """The writer tag of one 512-byte sector read at file offset `off`:
    an int, 0 for an all-zero sector, or None when it is neither zeros
    nor a whole sector of some writer's pattern for that offset."""
    if data == bytes(SECTOR):
        return 0
    if not data.startswith(b"[rext2 w"):
        return None
    try:
        tag = int(data[8:16], 16)
    except ValueError:
        return None
    return tag if data == sector_data(tag, off) else None


class Buf(aio.Buf):
    """A page-aligned anonymous buffer (poisoned before each read)."""

    def poison(self, n=None, byte=0xC5):
        n = self.size if n is None else n
        self.m[0:n] = bytes([byte]) * n


def dio_pread(fd, buf, n, off):
    buf.poison(n)
    r = os.preadv(fd, [memoryview(buf.m)[:n]], off)
    return buf.get(0, r)


def dio_pwrite(fd, buf, data, off, flags=0):
    buf.fill(data)
    return os.pwritev(fd, [memoryview(buf.m)[:len(data)]], off, flags)


class Aio:
    """One-request-at-a-time (or batch) Linux AIO over aio.Ctx."""

    def __init__(self, depth=64):
        self.ctx = aio.Ctx(depth)

    def close(self):
        self.ctx.close()

    def rw(self, reqs):
        """reqs: [(op 'r'|'w', fd, Buf, n, off[, rw_flags])]; returns
        their results."""
        iocbs = [aio.iocb(aio.CMD_PREAD if r[0] == "r" else aio.CMD_PWRITE, r[1], r[2], 0, r[3], r[4], i,
                          r[5] if len(r) > 5 else 0)
                 for i, r in enumerate(reqs)]
        got, dup, extra = aio.run_batch(self.ctx, iocbs)
        if dup or extra or len(got) != len(reqs):
            raise RuntimeError(f"aio: events {got} duplicates {dup} extra {len(extra)}")
        return [got[i] for i in range(len(reqs))]


NR_IO_URING_SETUP, NR_IO_URING_ENTER = 425, 426
IORING_OP_READ, IORING_OP_WRITE = 22, 23
IORING_ENTER_GETEVENTS = 1
OFF_SQ_RING, OFF_CQ_RING, OFF_SQES = 0, 0x8000000, 0x10000000


class Uring:
    """A minimal io_uring: one SQE submitted and reaped at a time."""

    def __init__(self, entries=8):
        p = bytearray(120)
        struct.pack_into("I", p, 0, entries)
        pbuf = (ctypes.c_char * 120).from_buffer(p)
        fd = libc.syscall(ctypes.c_long(NR_IO_URING_SETUP), ctypes.c_uint(entries), pbuf)
        if fd < 0:
            e = ctypes.get_errno()
            raise OSError(e, "io_uring_setup: " + os.strerror(e))
        self.fd = fd
        sq_entries, cq_entries = struct.unpack_from("II", p, 0)
        # io_sqring_offsets at 40, io_cqring_offsets at 80.
        (self.sq_head, self.sq_tail, self.sq_mask, _, _, _, self.sq_array) = struct.unpack_from("7I", p, 40)
        (self.cq_head, self.cq_tail, self.cq_mask, _, _, self.cq_cqes) = struct.unpack_from("6I", p, 80)
        self.sq = mmap.mmap(fd, self.sq_array + sq_entries * 4, offset=OFF_SQ_RING)
        self.cq = mmap.mmap(fd, self.cq_cqes + cq_entries * 16, offset=OFF_CQ_RING)
        self.sqes = mmap.mmap(fd, sq_entries * 64, offset=OFF_SQES)

    def close(self):
        for m in (self.sq, self.cq, self.sqes):
            m.close()
        os.close(self.fd)

    def _u32(self, m, off, v=None):
        if v is None:
            return struct.unpack_from("I", m, off)[0]
        struct.pack_into("I", m, off, v)

    def rw(self, op, fd, buf, n, off):
        """One IORING_OP_READ/WRITE; returns its result (bytes) or raises."""
        tail = self._u32(self.sq, self.sq_tail)
        idx = tail & self._u32(self.sq, self.sq_mask)
        sqe = struct.pack("BBHiQQIIQHHiQQ", IORING_OP_READ if op == "r" else IORING_OP_WRITE,
                          0, 0, fd, off, buf.addr, n, 0, 0x5EED, 0, 0, 0, 0, 0)
        self.sqes[idx * 64:idx * 64 + 64] = sqe
        self._u32(self.sq, self.sq_array + idx * 4, idx)
        self._u32(self.sq, self.sq_tail, (tail + 1) & 0xFFFFFFFF)
        r = libc.syscall(ctypes.c_long(NR_IO_URING_ENTER), ctypes.c_uint(self.fd), ctypes.c_uint(1),
                         ctypes.c_uint(1), ctypes.c_uint(IORING_ENTER_GETEVENTS), None, ctypes.c_size_t(0))
        if r < 0:
            e = ctypes.get_errno()
            raise OSError(e, "io_uring_enter: " + os.strerror(e))
        head = self._u32(self.cq, self.cq_head)
        if head == self._u32(self.cq, self.cq_tail):
            raise RuntimeError("io_uring: no completion after GETEVENTS")
        ci = head & self._u32(self.cq, self.cq_mask)
        user, res, _ = struct.unpack_from("QiI", self.cq, self.cq_cqes + ci * 16)
        self._u32(self.cq, self.cq_head, (head + 1) & 0xFFFFFFFF)
        if user != 0x5EED:
            raise RuntimeError(f"io_uring: completion for {user:#x}")
        if res < 0:
            raise OSError(-res, os.strerror(-res))
        return res
