#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The workers of tests/cases/14-concurrency.sh, and the check of what they
leave. System calls only (a fork+exec per operation costs about a second
in the emulated debug VM).

"run MNT DATA" forks three namespace workers, which create, rename, link
and unlink names of their own and race on directory names they all share
in MNT/d, and two data workers, which write, truncate and O_DIRECT-read
MNT/shared and O_DIRECT-append to and truncate a file of their own. Every
operation's result is checked: one on a worker's own names must succeed;
one on a shared name may only lose a race (EEXIST, ENOENT, ENOTEMPTY),
and those are counted. Each error is printed with the operation. Exit 1 if
any worker had an error.

"verify MNT DATA" checks the data: each namespace worker's names and
contents are exactly what its own operations leave; each append file holds
its last ten O_DIRECT appends; every 4 KiB block of MNT/shared is zeros or
(a prefix of) a block a writer wrote there; O_DIRECT reads of it (into a
poisoned buffer) equal buffered ones. Exit 1 on any difference.

DATA is a file of at least 256 KiB of random bytes.

usage: concurrency.py run|verify MNT DATA
"""
import errno
import mmap
import os
import sys

NS_ITER, DATA_ITER = 60, 40
RACES = (errno.EEXIST, errno.ENOENT, errno.ENOTEMPTY)
BS = 4096


def seeks():
    return {(i * w) % 97 for i in range(1, DATA_ITER + 1) for w in (1, 2)}


class Worker:
    def __init__(self, name):
        self.name, self.errors, self.races = name, 0, 0

    def must(self, what, fn, *args, ok=()):
        try:
            return fn(*args)
        except OSError as e:
            if e.errno in ok:
                return None
            print(f"{self.name}: {what}: {errno.errorcode.get(e.errno, e.errno)} ({e.strerror})", flush=True)
            self.errors += 1
            return None

    def racy(self, what, fn, *args):
        try:
            fn(*args)
        except OSError as e:
            if e.errno in RACES:
                self.races += 1
            else:
                print(f"{self.name}: {what}: {errno.errorcode.get(e.errno, e.errno)} ({e.strerror})", flush=True)
                self.errors += 1


def put(path, text):
    with open(path, "w") as f:
        f.write(text)


def namespace(d, wid):
    w = Worker(f"namespace {wid}")
    for i in range(1, NS_ITER + 1):
        f, g = f"{d}/f{wid}-{i}", f"{d}/g{wid}-{i % 7}"
        h = f"{d}/h{wid}-{i % 5}"
        w.must(f"create {f}", put, f, f"{wid}-{i}\n")
        w.must(f"rename {f} {g}", os.rename, f, g)
        w.must(f"unlink {h}", os.unlink, h, ok=(errno.ENOENT,))  # ln -f
        w.must(f"link {g} {h}", os.link, g, h)
        w.racy(f"mkdir dir{i % 4}", os.mkdir, f"{d}/dir{i % 4}")
        w.racy(f"rename dir{i % 4} dir{(i + wid) % 4}", os.rename, f"{d}/dir{i % 4}", f"{d}/dir{(i + wid) % 4}")
        w.racy(f"rmdir dir{(i + 1) % 4}", os.rmdir, f"{d}/dir{(i + 1) % 4}")
        w.must(f"unlink h{wid}-{(i + 2) % 5}", os.unlink, f"{d}/h{wid}-{(i + 2) % 5}", ok=(errno.ENOENT,))
    return w


def ns_model(wid):
    """{name: content} that namespace worker `wid` leaves."""
    g, h = {}, {}
    for i in range(1, NS_ITER + 1):
        g[i % 7] = f"{wid}-{i}\n"
        h[i % 5] = g[i % 7]
        h.pop((i + 2) % 5, None)
    out = {f"g{wid}-{k}": v for k, v in g.items()}
    out.update({f"h{wid}-{k}": v for k, v in h.items()})
    return out


def dread(path, buf):
    """The whole file through O_DIRECT reads into `buf`, poisoned before
    each read so that an unzeroed hole shows."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
    out, off = bytearray(), 0
    try:
        while True:
            buf[:] = b"\xa5" * len(buf)
            n = os.preadv(fd, [buf], off)
            if n <= 0:
                return bytes(out)
            out += buf[:n]
            off += n
    finally:
        os.close(fd)


def data(m, wid, src):
    w = Worker(f"data {wid}")
    shared, grow = f"{m}/shared", f"{m}/grow{wid}"
    buf = mmap.mmap(-1, 1 << 20)
    app = mmap.mmap(-1, 64 << 10)
    app[:] = src[:64 << 10]
    n = 0
    for i in range(1, DATA_ITER + 1):
        seek = i * wid % 97
        fd = w.must("open shared", os.open, shared, os.O_WRONLY | os.O_CREAT, 0o644)
        if fd is not None:
            for k in range(8):   # dd bs=4k count=8 conv=notrunc
                w.must(f"write shared block {seek + k}", os.pwrite, fd, src[k * BS:(k + 1) * BS], (seek + k) * BS)
            os.close(fd)
        w.must("truncate shared", os.truncate, shared, (i * 7919 + wid) % 400000)
        # One read from 0: a second read after a short one would start
        # misaligned, and EINVAL there is right if the file grew meanwhile.
        fd = w.must("open shared O_DIRECT", os.open, shared, os.O_RDONLY | os.O_DIRECT)
        if fd is not None:
            w.must("O_DIRECT read of shared", os.preadv, fd, [buf], 0)
            os.close(fd)
        fd = w.must(f"open grow{wid}", os.open, grow, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_DIRECT, 0o644)
        if fd is not None:
            r = w.must(f"O_DIRECT append {n + 1} to grow{wid}", os.write, fd, app)
            os.close(fd)
            if r is not None:
                n += 1
                if r != len(app):
                    print(f"{w.name}: append {n} wrote {r} of {len(app)} bytes", flush=True)
                    w.errors += 1
        size = os.stat(grow).st_size
        if size != n * len(app):
            print(f"{w.name}: grow{wid} is {size} bytes after {n} appends of 64 KiB", flush=True)
            w.errors += 1
        if i % 10 == 0 and i < DATA_ITER:
            w.must(f"truncate grow{wid}", os.truncate, grow, 0)
            n = 0
    return w


def run(m, src):
    os.mkdir(f"{m}/d")
    jobs = [(namespace, (f"{m}/d", wid)) for wid in (1, 2, 3)] + [(data, (m, wid, src)) for wid in (1, 2)]
    pids = []
    for fn, args in jobs:
        pid = os.fork()
        if pid == 0:
            try:
                w = fn(*args)
                print(f"{w.name}: {w.errors} errors, {w.races} races lost on shared names", flush=True)
                os._exit(1 if w.errors else 0)
            except BaseException as e:  # noqa: BLE001 (report anything)
                print(f"worker {fn.__name__}{args[1:2]}: {e!r}", flush=True)
                os._exit(2)
        pids.append(pid)
    bad = 0
    for pid in pids:
        _, st = os.waitpid(pid, 0)
        bad += os.waitstatus_to_exitcode(st) != 0
    print(f"concurrency: {len(pids)} workers, {bad} with errors", flush=True)
    return 1 if bad else 0


def verify(m, src):
    bad = 0
    names = os.listdir(f"{m}/d")
    for wid in (1, 2, 3):
        want = ns_model(wid)
        got = {}
        for n in names:
            if n.startswith((f"g{wid}-", f"h{wid}-")):
                with open(f"{m}/d/{n}") as f:
                    got[n] = f.read()
        if got != want:
            print(f"namespace {wid}: left {sorted(got.items())}, its operations leave {sorted(want.items())}")
            bad += 1
        left = [n for n in names if n.startswith(f"f{wid}-")]
        if left:
            print(f"namespace {wid}: {left} survived their rename")
            bad += 1
    for wid in (1, 2):
        with open(f"{m}/grow{wid}", "rb") as f:
            g = f.read()
        if g != src[:64 << 10] * 10:
            print(f"grow{wid}: {len(g)} bytes, not its last ten O_DIRECT appends")
            bad += 1
    blocks = [src[j * BS:(j + 1) * BS] for j in range(8)]
    valid = seeks()
    with open(f"{m}/shared", "rb") as f:
        buffered = f.read()
    direct = dread(f"{m}/shared", mmap.mmap(-1, 1 << 20))
    if direct != buffered:
        first = next((k for k in range(min(len(direct), len(buffered))) if direct[k] != buffered[k]), None)
        print(f"shared: O_DIRECT and buffered reads differ ({len(direct)} vs {len(buffered)} bytes, first at {first})")
        bad += 1
    for k in range(0, len(buffered), BS):
        b = buffered[k:k + BS].rstrip(b"\0")
        blk = k // BS
        if b and not any(blk - j in valid and blocks[j].startswith(b) for j in range(8)):
            print(f"shared: block {blk} holds data no writer put there")
            bad += 1
    print(f"verify: {sum(len(ns_model(w)) for w in (1, 2, 3))} names, 2 append files,"
          f" {(len(buffered) + BS - 1) // BS} shared blocks checked, {bad} problems")
    return 1 if bad else 0


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("run", "verify"):
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[3], "rb") as f:
        src = f.read()
    return (run if sys.argv[1] == "run" else verify)(sys.argv[2], src)


if __name__ == "__main__":
    sys.exit(main())
