#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""O_DIRECT readers of one file share i_rwsem (a deliberate difference
from 7.3, which takes it exclusive: Documentation/rext2.rst).

FILE is on a rext2 mount over the device-mapper device DMNAME, written
and synced, with the buffer cache and the inode dropped since, so its
block map is on disk only. With DMNAME suspended (bios held until it
resumes), reader A's O_DIRECT read of block 100 stops in the block-map
lookup, waiting for the indirect block, with i_rwsem held by the engine.
Then reader B submits an AIO O_DIRECT read of block 0 (mapped by the
inode alone): io_submit must return while A still waits, which it can
only if A's hold is shared. Then the device resumes and both reads must
return the file's data. Prints "read-lock: ok" or "read-lock: FAIL ...".

usage: readlock.py FILE DMNAME BLOCKSIZE
"""
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import aio  # noqa: E402
from faultio import Buf, pattern  # noqa: E402
from ksft import exit_status, report  # noqa: E402

# How long A gets to reach the lookup, and how long B's io_submit may
# take while A waits (both far above what they need on an idle guest).
SETTLE, WAIT = 2.0, 10.0


def dmsetup(*args):
    subprocess.run(["dmsetup", "--noudevsync", *args], check=True)


def main():
    path, dmname, bs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    fa = os.open(path, os.O_RDONLY | os.O_DIRECT)
    fb = os.open(path, os.O_RDONLY | os.O_DIRECT)
    ctx = aio.Ctx()
    ba, bb = Buf(bs), Buf(bs)
    ba.fill(b"\xc5" * bs)
    bb.fill(b"\xc5" * bs)
    a_res, b_submitted = [], threading.Event()

    def reader_a():
        try:
            a_res.append(os.preadv(fa, [memoryview(ba.m)[:bs]], 100 * bs))
        except OSError as e:
            a_res.append(-e.errno)

    def reader_b():
        ctx.submit([aio.iocb(aio.CMD_PREAD, fb, bb, 0, bs, 0, 1)])
        b_submitted.set()

    dmsetup("suspend", "--nolockfs", dmname)
    resumed = False
    try:
        ta = threading.Thread(target=reader_a)
        ta.start()
        time.sleep(SETTLE)
        a_waiting = ta.is_alive()
        tb = threading.Thread(target=reader_b)
        tb.start()
        b_during = b_submitted.wait(WAIT)
        a_still = ta.is_alive()
    finally:
        dmsetup("resume", dmname)
        resumed = True
    ta.join(60)
    tb.join(60)
    evs = ctx.events(1, 1, 30.0) if b_submitted.is_set() else []
    ctx.close()
    os.close(fa)
    os.close(fb)
    a_ok = a_res == [bs] and ba.get(0, bs) == pattern(1, 100 * bs, bs)
    b_ok = len(evs) == 1 and evs[0].res == bs and bb.get(0, bs) == pattern(1, 0, bs)
    report("read-lock", resumed and a_waiting and a_still and b_during and a_ok and b_ok,
           f"(A waiting on the suspended device when B started {a_waiting}, B's io_submit returned while"
           f" A waited {b_during and a_still}, A's read right {a_ok}, B's read right {b_ok})")
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
