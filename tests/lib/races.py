#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Races on one file with the data checked (issue 13), on a read-write
mount. Every 512-byte sector any writer puts down names the writer and its
offset (faultio.pattern), so a read can be judged sector by sector against
what a correct interleaving allows: the sector's old contents or one of the
writers' sectors for that offset, and zeros only where the file may have a
hole. Free blocks of the test images hold 0xAA, so stale blocks show.

  dio-vs-read    one thread O_DIRECT-overwrites random ranges of a
                 fsynced file while one reads it buffered and one through
                 a shared mmap; afterwards the disk (O_DIRECT), the page
                 cache and a fresh mmap must hold exactly the last write of
                 every sector.
  dio-vs-trunc   O_DIRECT writes against truncates down and back up, and
                 buffered reads: every sector old, written or zero.
  dio-extend     three threads, each O_DIRECT-writing its own chunks in
                 turn so the file grows under all of them, with a reader:
                 at the end every chunk is its writer's and i_size exact.
  hole-fill      an O_DIRECT write and a buffered write start together
                 into the holes of a sparse file: the same range (the
                 result is wholly one of them) and neighbouring blocks
                 (both survive); checked in the page cache and on disk.
  alloc          writeback of mmap-dirtied holes (msync) and buffered
                 writes to the next blocks start together, in regions whose
                 indirect block neither has allocated yet: every block of
                 both must read back (O_DIRECT and buffered), and e2fsck
                 (the case) finds no block allocated twice or leaked.

usage: races.py MOUNTDIR --rounds N [--seed S]
Prints "race NAME: N rounds ok" or FAIL lines, then "races: N run".
"""
import argparse
import mmap
import os
import random
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultio import SECTOR, Buf, dio_pread, dio_pwrite, pattern, sector_tag  # noqa: E402
from ksft import exit_status, report  # noqa: E402

SIZE = 64 << 10
PAGE = mmap.PAGESIZE
problems = []


def problem(msg):
    if len(problems) < 20:
        print(f"# {msg}", flush=True)
    problems.append(msg)


def check_sectors(what, data, base, allowed):
    """Each sector of `data` (read at `base`) must carry a tag in
    allowed(off) (0 meaning zeros). Returns the tags seen."""
    tags = []
    for i in range(0, len(data) - len(data) % SECTOR, SECTOR):
        off = base + i
        t = sector_tag(data[i:i + SECTOR], off)
        if t is None or t not in allowed(off):
            problem(f"{what}: sector @{off:#x} holds {data[i:i + 24]!r}..., allowed {sorted(allowed(off))[:8]}")
            return None
        tags.append(t)
    return tags


def drop_caches():
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")


def read_all_ways(path, size):
    """The file read O_DIRECT (disk), buffered (page cache) and by mmap."""
    out = {}
    fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
    b = Buf(size)
    out["O_DIRECT"] = dio_pread(fd, b, size, 0)
    os.close(fd)
    with open(path, "rb", buffering=0) as f:
        out["buffered"] = f.read(size + 1)
        with mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ) as m:
            out["mmap"] = bytes(m[:])
    return out


class Reader(threading.Thread):
    def __init__(self, path, how, allowed, stop):
        super().__init__()
        self.path, self.how, self.allowed, self.stop, self.reads = path, how, allowed, stop, 0

    def run(self):
        fd = os.open(self.path, os.O_RDONLY)
        try:
            while not self.stop.is_set():
                if self.how == "mmap":
                    size = os.fstat(fd).st_size
                    if size == 0:
                        continue
                    try:
                        with mmap.mmap(fd, size, prot=mmap.PROT_READ) as m:
                            data = bytes(m[:size - size % SECTOR])
                    except (ValueError, OSError):
                        continue
                else:
                    data = os.pread(fd, SIZE * 4, 0)
                self.reads += 1
                if check_sectors(f"{self.how} read", data, 0, self.allowed) is None:
                    return
        finally:
            os.close(fd)


def run_together(*fns):
    """Runs each of FNS in its own thread, and waits for all of them."""
    ts = [threading.Thread(target=f) for f in fns]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def prefill(path, tag, size):
    with open(path, "wb") as f:
        f.write(pattern(tag, 0, size))
        f.flush()
        os.fsync(f.fileno())


def race_dio_vs_read(mnt, bs, rnd, r):
    path = os.path.join(mnt, f"race-read-{r}")
    prefill(path, 1, SIZE)
    allowed = {off: {1} for off in range(0, SIZE, SECTOR)}
    last = {off: 1 for off in range(0, SIZE, SECTOR)}
    stop = threading.Event()
    readers = [Reader(path, "buffered", lambda o: allowed[o], stop),
               Reader(path, "mmap", lambda o: allowed[o], stop)]
    for t in readers:
        t.start()
    fd = os.open(path, os.O_RDWR | os.O_DIRECT)
    b = Buf(4 * bs)
    for k in range(16):
        n = rnd.randint(1, 4) * bs
        off = rnd.randrange(0, SIZE - n + 1, bs)
        tag = r * 1000 + k + 2
        for s in range(off, off + n, SECTOR):
            allowed[s].add(tag)
            last[s] = tag
        if dio_pwrite(fd, b, pattern(tag, off, n), off) != n:
            problem(f"dio-vs-read: short O_DIRECT write at {off:#x}")
    os.close(fd)
    stop.set()
    for t in readers:
        t.join()
    want = b"".join(pattern(last[o], o, SECTOR) for o in range(0, SIZE, SECTOR))
    # What the readers left in the page cache must be gone or current.
    views = {"page cache": open(path, "rb").read()}
    drop_caches()
    views.update(read_all_ways(path, SIZE))
    for how, data in views.items():
        if data != want:
            problem(f"dio-vs-read round {r}: {how} read after the race differs from the last writes")
    os.unlink(path)
    return sum(t.reads for t in readers)


def race_dio_vs_trunc(mnt, bs, rnd, r):
    path = os.path.join(mnt, f"race-trunc-{r}")
    prefill(path, 1, SIZE)
    allowed = {off: {0, 1} for off in range(0, SIZE, SECTOR)}
    stop = threading.Event()
    reader = Reader(path, "buffered", lambda o: allowed[o], stop)
    reader.start()

    def truncater():
        fd = os.open(path, os.O_RDWR)
        tr = random.Random(rnd.random())
        while not stop.is_set():
            os.ftruncate(fd, tr.randrange(0, SIZE, SECTOR))
            os.ftruncate(fd, SIZE)
        os.close(fd)
    tt = threading.Thread(target=truncater)
    tt.start()
    fd = os.open(path, os.O_RDWR | os.O_DIRECT)
    b = Buf(4 * bs)
    for k in range(16):
        n = rnd.randint(1, 4) * bs
        off = rnd.randrange(0, SIZE - n + 1, bs)
        tag = r * 1000 + k + 2
        for s in range(off, off + n, SECTOR):
            allowed[s].add(tag)
        try:
            w = dio_pwrite(fd, b, pattern(tag, off, n), off)
            if w != n:
                problem(f"dio-vs-trunc: O_DIRECT write at {off:#x} returned {w}, not {n}")
        except OSError as e:
            problem(f"dio-vs-trunc: O_DIRECT write at {off:#x}: {e}")
    os.close(fd)
    stop.set()
    tt.join()
    reader.join()
    size = os.stat(path).st_size
    if size != SIZE:
        problem(f"dio-vs-trunc: size {size} after the race, expected {SIZE} (truncates end at it, writes lie inside)")
    drop_caches()
    for how, data in read_all_ways(path, SIZE).items():
        check_sectors(f"dio-vs-trunc round {r} {how} after", data, 0, lambda o: allowed[o])
    os.unlink(path)
    return reader.reads


def race_dio_extend(mnt, bs, rnd, r):
    path = os.path.join(mnt, f"race-extend-{r}")
    open(path, "wb").close()
    nthreads, per = 3, 6
    chunk = 2 * bs
    owner = {}
    for t in range(nthreads):
        for i in range(per):
            base = (i * nthreads + t) * chunk
            for s in range(base, base + chunk, SECTOR):
                owner[s] = 10 + t
    stop = threading.Event()
    reader = Reader(path, "buffered", lambda o: {0, owner.get(o, -1)}, stop)
    reader.start()
    errs = []

    def writer(t):
        fd = os.open(path, os.O_WRONLY | os.O_DIRECT)
        b = Buf(chunk)
        for i in range(per):
            off = (i * nthreads + t) * chunk
            try:
                if dio_pwrite(fd, b, pattern(10 + t, off, chunk), off) != chunk:
                    errs.append(f"short write at {off:#x}")
            except OSError as e:
                errs.append(f"write at {off:#x}: {e}")
        os.close(fd)
    ws = [threading.Thread(target=writer, args=(t,)) for t in range(nthreads)]
    for w in ws:
        w.start()
    for w in ws:
        w.join()
    stop.set()
    reader.join()
    for e in errs:
        problem(f"dio-extend: {e}")
    total = nthreads * per * chunk
    if os.stat(path).st_size != total:
        problem(f"dio-extend: size {os.stat(path).st_size}, expected {total}")
    want = b"".join(pattern(owner[o], o, SECTOR) for o in range(0, total, SECTOR))
    drop_caches()
    for how, data in read_all_ways(path, total).items():
        if data[:total + 1] != want:
            problem(f"dio-extend round {r}: {how} read differs from the writers' chunks")
    os.unlink(path)
    return reader.reads


def race_hole_fill(mnt, bs, rnd, r):
    """Returns 0 (no reader)."""
    path = os.path.join(mnt, f"race-hole-{r}")
    with open(path, "wb") as f:
        f.truncate(SIZE)
    same = r % 2 == 0
    blk = rnd.randrange(0, SIZE // bs - 1)
    a_off = blk * bs
    b_off = a_off if same else (blk + 1) * bs
    go = threading.Barrier(2)
    errs = []

    def dio():
        fd = os.open(path, os.O_WRONLY | os.O_DIRECT)
        b = Buf(bs)
        b.fill(pattern(20, a_off, bs))
        go.wait()
        try:
            if os.pwritev(fd, [memoryview(b.m)[:bs]], a_off) != bs:
                errs.append("short O_DIRECT write")
        except OSError as e:
            errs.append(f"O_DIRECT write: {e}")
        os.close(fd)

    def buffered():
        fd = os.open(path, os.O_WRONLY)
        data = pattern(21, b_off, bs)
        go.wait()
        if os.pwrite(fd, data, b_off) != bs:
            errs.append("short buffered write")
        os.close(fd)
    run_together(dio, buffered)
    for e in errs:
        problem(f"hole-fill: {e}")
    fd = os.open(path, os.O_RDONLY)
    views = {"page cache": os.pread(fd, SIZE, 0)}
    os.fsync(fd)
    os.close(fd)
    drop_caches()
    views.update(read_all_ways(path, SIZE))
    lo, hi = min(a_off, b_off), max(a_off, b_off) + bs
    for how, data in views.items():
        if data[:lo] != bytes(lo) or data[hi:SIZE] != bytes(SIZE - hi) or len(data) != SIZE:
            problem(f"hole-fill round {r} ({how}): data outside the two writes or wrong size {len(data)}")
            continue
        if same:
            got = data[a_off:a_off + bs]
            if got not in (pattern(20, a_off, bs), pattern(21, a_off, bs)):
                tags = [sector_tag(got[i:i + SECTOR], a_off + i) for i in range(0, bs, SECTOR)]
                problem(f"hole-fill round {r} ({how}): same block @{a_off:#x} is not wholly one write: tags {tags}")
        elif data[a_off:a_off + bs] != pattern(20, a_off, bs) or data[b_off:b_off + bs] != pattern(21, b_off, bs):
            problem(f"hole-fill round {r} ({how}): O_DIRECT block @{a_off:#x} or buffered block @{b_off:#x} lost")
    os.unlink(path)
    return 0


def race_alloc(mnt, bs, rnd, r):
    """Returns 0 (no reader)."""
    # Writeback allocates the blocks of mmap-dirtied pages without
    # i_rwsem, so it can fill holes at the same time as a buffered write
    # (a stale look-up before the block map's write hold would give two
    # indirect blocks for one pointer, one of them leaked).
    # Each region below is one indirect block's span in the double-
    # indirect tree, not yet allocated: the first block each side puts
    # there needs that indirect block too, and only one may be made.
    per = bs // 4
    first = 12 + per
    regions = 48
    size = (first + per * (regions + 1)) * bs
    path = os.path.join(mnt, f"race-alloc-{r}")
    with open(path, "wb") as f:
        f.truncate(size)
    # Per region: one block for the mmap side and one, on the next page,
    # for the buffered side; both sides meet at a barrier before each.
    pairs = []
    for i in range(regions):
        span = (first + per * (i + 1)) * bs
        p = rnd.randrange(0, per * bs // PAGE - 1)
        pairs.append((span + p * PAGE, span + (p + 1) * PAGE))
    mine = {}
    for m_off, w_off in pairs:
        mine[m_off], mine[w_off] = 30, 31
    go = threading.Barrier(2, timeout=120)
    errs = []

    def mapper():
        try:
            with open(path, "r+b") as f, mmap.mmap(f.fileno(), size) as m:
                # fdatasync, not m.flush(): msync holds the GIL, and
                # the buffered side would then never run alongside it.
                for off, _ in pairs:
                    m[off:off + bs] = pattern(30, off, bs)
                    go.wait()
                    os.fdatasync(f.fileno())
        except (OSError, ValueError, threading.BrokenBarrierError) as e:
            errs.append(f"mmap write + msync: {e!r}")
            go.abort()

    def writer():
        fd = os.open(path, os.O_WRONLY)
        try:
            for _, off in pairs:
                go.wait()
                if os.pwrite(fd, pattern(31, off, bs), off) != bs:
                    errs.append(f"short buffered write at {off:#x}")
            os.fsync(fd)
        except (OSError, threading.BrokenBarrierError) as e:
            errs.append(f"buffered write: {e!r}")
            go.abort()
        os.close(fd)
    run_together(mapper, writer)
    for e in errs:
        problem(f"alloc: {e}")
    drop_caches()
    fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
    bfd = os.open(path, os.O_RDONLY)
    b = Buf(bs)
    for off, t in sorted(mine.items()):
        got = {"O_DIRECT": dio_pread(fd, b, bs, off), "buffered": os.pread(bfd, bs, off)}
        for how, data in got.items():
            if data != pattern(t, off, bs):
                who = "mmap" if t == 30 else "buffered"
                problem(f"alloc round {r} ({how}): the {who} write's block @{off:#x} lost: "
                        f"tag {sector_tag(data[:SECTOR], off)}")
                break
    os.close(fd)
    os.close(bfd)
    os.unlink(path)
    return 0


RACES = [("dio-vs-read", race_dio_vs_read), ("dio-vs-trunc", race_dio_vs_trunc),
         ("dio-extend", race_dio_extend), ("hole-fill", race_hole_fill),
         ("alloc", race_alloc)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mnt")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    bs = os.statvfs(a.mnt).f_bsize
    print(f"races: seed {a.seed}, {a.rounds} rounds each, {bs}-byte blocks", flush=True)
    total = 0
    for name, fn in RACES:
        rnd = random.Random(f"{a.seed}-{name}")
        before = len(problems)
        reads = 0
        rounds = a.rounds * (2 if name == "hole-fill" else 1)
        for r in range(rounds):
            reads += fn(a.mnt, bs, rnd, r)
            total += 1
        report(f"race {name}", len(problems) == before,
               f"{len(problems) - before} problems in {rounds} rounds")
        print(f"# race {name}: {rounds} rounds, {reads} concurrent reads checked", flush=True)
    print(f"races: {total} run, {len(problems)} problems", flush=True)
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
