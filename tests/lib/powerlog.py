#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Power-loss testing with dm-log-writes: a workload that records what it
made durable, and a replayer of the log written from the kernel's format
(Documentation/admin-guide/device-mapper/log-writes.rst; the on-disk
layout is in drivers/md/dm-log-writes.c: a super block in the log's
first sector {le64 magic 0x6a736677736872, le64 version 1, le64
nr_entries, le32 sectorsize}, then per entry one sector holding {le64
sector, le64 nr_sectors, le64 flags, le64 data_len} (a mark's name
follows it in the same sector) and, unless it is a discard or a mark,
nr_sectors sectors of the data written; sectors in units of sectorsize;
flags FLUSH 1, FUA 2, DISCARD 4, MARK 8, METADATA 16). A completed
write is held back until the next flush completes, and then enters the
log just before that flush (FUA writes enter at once); a mark enters
when it is sent. So writes a flush never covered come after every later
mark (the rest at the end of the log, when the target is removed).

  powerlog.py workload MOUNTDIR DMNAME JOURNAL --seed N --steps N
      On files f0..f2 (existing, empty) of MOUNTDIR: buffered writes +
      fsync, O_DIRECT writes + fsync, O_DIRECT writes on an O_DSYNC fd,
      buffered and O_DIRECT pwritev2(RWF_DSYNC), AIO O_DIRECT RWF_DSYNC
      overwrites of blocks an unsynced buffered write allocated, into
      holes inside i_size
      and past EOF, and data-sync O_DIRECT overwrites (O_DSYNC, RWF_DSYNC,
      AIO RWF_DSYNC) of blocks already on disk in a file "ow" that was
      written and synced before the first mark, one slot of it per step,
      mixed with unsynced writes to a file "noise". After each durable
      step returns: "dmsetup message DMNAME 0 mark mK", and the regions it
      made durable go to JOURNAL (JSON lines). Regions never overlap, so
      what a mark made durable stays so. The overwrites are what the
      engine writes through (REQ_FUA, no flush after them: the log's
      device advertises FUA); with the engine counters readable, none
      being written through is a failure (the replay would not test it).

  powerlog.py check LOG BASE_IMAGE JOURNAL WORKDIR [--every K]
      Replays the log onto a copy of BASE_IMAGE up to every flush or FUA
      entry (and the end); at each point, on a copy: e2fsck -fy, then
      e2fsck -fn must be clean; mounted read-only with rext2, every region
      of every mark logged before the point must read back intact. Then
      the same at every mark (power lost just after a durable step
      returned): only the writes a flush covered before the mark (and
      FUA writes) are applied, and the mark's own regions must be in
      them. Prints "replay points: N checked, N mark points checked, N
      needed repair, ..., N lost bytes".
"""
import argparse
import json
import os
import random
import shutil
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultio import Aio, Buf, pattern  # noqa: E402
from ksft import counters, counters_path  # noqa: E402

MAGIC = 0x6a736677736872
FLUSH, FUA, DISCARD, MARK = 1, 2, 4, 8
RWF_DSYNC = 0x2


def workload(a):
    rnd = random.Random(a.seed)
    files = [os.path.join(a.mnt, f"f{i}") for i in range(3)]
    cursor = [0, 0, 0]
    bs = os.statvfs(a.mnt).f_bsize
    noise = os.open(os.path.join(a.mnt, "noise"), os.O_RDWR | os.O_CREAT, 0o644)
    buf = Buf(64 << 10)
    jr = open(a.journal, "w")
    ctx = Aio()
    marks = 0
    # The overwrite slots: written and synced before the first mark, not
    # journaled; each overwrite step then replaces one slot.
    ow = os.path.join(a.mnt, "ow")
    slot, nslots = 4 * bs, a.steps + 3
    with open(ow, "wb") as f:
        f.write(pattern(1, 0, nslots * slot))
        os.fsync(f.fileno())
    # Its directory entry too (fsync of a file does not write it in ext2).
    dfd = os.open(a.mnt, os.O_RDONLY | os.O_DIRECTORY)
    os.fsync(dfd)
    os.close(dfd)
    slots = list(range(nslots))
    rnd.shuffle(slots)
    ow_kinds = ["ow-odsync", "ow-rwf_dsync", "ow-aio-dsync"]
    through0 = written_through()
    # The random steps, then one overwrite of each kind.
    kinds = [rnd.choice(["buf+fsync", "dio+fsync", "dio-odsync", "buf-rwf_dsync", "dio-rwf_dsync", "hole",
                         "aio-dsync"] + ow_kinds) for _ in range(a.steps)] + ow_kinds
    for k, kind in enumerate(kinds):
        if kind.startswith("ow-"):
            f, path = None, ow
            n, off = rnd.randint(1, 4) * bs, slots.pop() * slot
        else:
            f = rnd.randrange(3)
            path = files[f]
            n = rnd.randint(1, 12) * bs
            off = cursor[f] + rnd.choice([0, 0, bs, 5 * bs, 40 * bs])
        tag = 100 + k
        data = pattern(tag, off, n)
        if kind.startswith("ow-"):
            # Blocks and inode on disk: a pure overwrite, data sync only.
            fd = os.open(ow, os.O_RDWR | os.O_DIRECT | (os.O_DSYNC if kind == "ow-odsync" else 0))
            buf.fill(data)
            if kind == "ow-aio-dsync":
                r = ctx.rw([("w", fd, buf, n, off, RWF_DSYNC)])[0]
            else:
                r = os.pwritev(fd, [memoryview(buf.m)[:n]], off, RWF_DSYNC if kind == "ow-rwf_dsync" else 0)
        elif kind == "aio-dsync":
            # Blocks allocated by an unsynced buffered write, then
            # overwritten by an AIO O_DIRECT RWF_DSYNC write (queued: the
            # engine's completion must sync the inode and block map).
            bfd = os.open(path, os.O_RDWR)
            os.pwrite(bfd, pattern(5000 + k, off, n), off)
            os.close(bfd)
            fd = os.open(path, os.O_RDWR | os.O_DIRECT)
            buf.fill(data)
            r = ctx.rw([("w", fd, buf, n, off, RWF_DSYNC)])[0]
        elif kind == "hole":
            # Grow i_size past the region first, then an O_DIRECT
            # RWF_DSYNC write into the hole that leaves.
            fd = os.open(path, os.O_RDWR | os.O_DIRECT)
            os.ftruncate(fd, off + n + rnd.randint(1, 8) * bs)
            buf.fill(data)
            r = os.pwritev(fd, [memoryview(buf.m)[:n]], off, RWF_DSYNC)
        elif kind.startswith("dio"):
            flags = os.O_RDWR | os.O_DIRECT | (os.O_DSYNC if kind == "dio-odsync" else 0)
            fd = os.open(path, flags)
            buf.fill(data)
            r = os.pwritev(fd, [memoryview(buf.m)[:n]], off, RWF_DSYNC if kind == "dio-rwf_dsync" else 0)
            if kind == "dio+fsync":
                os.fsync(fd)
        else:
            fd = os.open(path, os.O_RDWR)
            r = os.pwritev(fd, [data], off, RWF_DSYNC if kind == "buf-rwf_dsync" else 0)
            if kind == "buf+fsync":
                os.fsync(fd)
        os.close(fd)
        if r != n:
            print(f"FAIL: step {k} {kind}: wrote {r} of {n}")
            return 1
        if f is not None:
            cursor[f] = max(cursor[f], off + n)
        marks += 1
        subprocess.run(["dmsetup", "message", a.dmname, "0", "mark", f"m{k}"], check=True)
        jr.write(json.dumps({"mark": f"m{k}", "kind": kind, "file": os.path.basename(path), "off": off,
                             "len": n, "tag": tag}) + "\n")
        # Unsynced noise between the durable steps.
        if rnd.random() < 0.6:
            os.pwrite(noise, pattern(9000 + k, 0, 4 * bs), rnd.randrange(0, 64) * bs)
    jr.close()
    os.close(noise)
    print(f"workload: {len(kinds)} durable steps, {marks} marks")
    through = written_through()
    if through is None:
        print("# engine counters not readable: written-through overwrites not counted")
    elif through - through0 == 0:
        print(f"FAIL: none of the {sum(k.startswith('ow-') for k in kinds)} data-sync overwrites was written "
              "through (REQ_FUA): the replay cannot test them")
        return 1
    else:
        print(f"written through: {through - through0} data-sync overwrites (REQ_FUA, no flush)")
    return 0


def written_through():
    """The engine's written_through counter, or None if unreadable."""
    try:
        return counters(counters_path())["written_through"]
    except OSError:
        return None


def read_log(path):
    """[(flags, sector, nr_sectors, data_offset_in_log, mark_name)], sectorsize."""
    with open(path, "rb") as f:
        magic, version, nr, ss = struct.unpack("<QQQI", f.read(28))
        if magic != MAGIC or version != 1:
            raise SystemExit(f"FAIL: {path}: not a dm-log-writes log (magic {magic:#x} version {version})")
        entries = []
        pos = ss
        for _ in range(nr):
            f.seek(pos)
            sector, nsec, flags, dlen = struct.unpack("<QQQQ", f.read(32))
            name = f.read(dlen).decode(errors="replace") if flags & MARK else None
            pos += ss
            entries.append((flags, sector, nsec, pos, name))
            if not flags & (DISCARD | MARK):
                pos += nsec * ss
        return entries, ss


def run(cmd):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def apply(log, img, entry, ss):
    """Writes one log entry's effect (a write or a discard) to IMG."""
    flags, sector, nsec, dpos, _ = entry
    if flags & MARK:
        return
    if flags & DISCARD:
        img.seek(sector * ss)
        img.write(bytes(nsec * ss))
    elif nsec:
        log.seek(dpos)
        img.seek(sector * ss)
        img.write(log.read(nsec * ss))


def check_image(label, image, mnt, durable):
    """e2fsck -fy, then -fn clean, then DURABLE intact: (repaired, lost, bad)."""
    fy = run(["e2fsck", "-fy", image])
    if fy.returncode not in (0, 1):
        print(f"FAIL: {label}: e2fsck -fy exit {fy.returncode}:\n{fy.stdout[-1500:]}")
        return 0, 0, 1
    fn = run(["e2fsck", "-fn", image])
    if fn.returncode != 0:
        print(f"FAIL: {label}: e2fsck -fn after -fy exit {fn.returncode}:\n{fn.stdout[-1500:]}")
        return 0, 0, 1
    return int(fy.returncode == 1), check_regions(label, image, mnt, durable), 0


def check(a):
    entries, ss = read_log(a.log)
    journal = [json.loads(line) for line in open(a.journal)]
    by_mark = {j["mark"]: j for j in journal}
    work = os.path.join(a.workdir, "replay.img")
    point = os.path.join(a.workdir, "point.img")
    mnt = os.path.join(a.workdir, "mnt")
    os.makedirs(mnt, exist_ok=True)
    points = [i for i, e in enumerate(entries) if e[0] & (FLUSH | FUA)]
    points = points[::a.every] + [len(entries) - 1]
    nflush = sum(1 for e in entries if e[0] & FLUSH)
    nfua = sum(1 for e in entries if e[0] & FUA)
    print(f"# log: {len(entries)} entries, {nflush} flushes, {nfua} FUA, "
          f"{sum(1 for e in entries if e[0] & MARK)} marks, sector size {ss}; {len(points)} replay points", flush=True)
    checked = repaired = lost = bad = 0
    # Flush points: the device as it was at a flush (or FUA) entry, with
    # every write logged before it; every mark logged before it must hold.
    shutil.copyfile(a.base, work)
    applied = 0
    durable = []
    with open(a.log, "rb") as log, open(work, "r+b") as img:
        for p in sorted(set(points)):
            while applied <= p:
                e = entries[applied]
                if e[0] & MARK and e[4] in by_mark:
                    durable.append(by_mark[e[4]])
                apply(log, img, e, ss)
                applied += 1
            img.flush()
            shutil.copyfile(work, point)
            r, lo, b = check_image(f"point {p}", point, mnt, durable)
            repaired, lost, bad = repaired + r, lost + lo, bad + b
            checked += 1 - b
    # Mark points: power lost just after a durable step returned. Only
    # what a flush covered before the mark survives for certain (writes
    # logged before the last flush entry, and FUA writes since): the
    # step's own data must be in it, or it was acknowledged without being
    # made durable (an fsync that never flushed the device's cache).
    marks = 0
    shutil.copyfile(a.base, work)
    applied = 0
    durable = []
    with open(a.log, "rb") as log, open(work, "r+b") as img:
        last = -1
        for i, e in enumerate(entries):
            if e[0] & FLUSH:
                last = i
            if not (e[0] & MARK and e[4] in by_mark):
                continue
            durable.append(by_mark[e[4]])
            while applied <= last:
                apply(log, img, entries[applied], ss)
                applied += 1
            img.flush()
            shutil.copyfile(work, point)
            with open(point, "r+b") as pimg:
                for k in range(last + 1, i):
                    if entries[k][0] & FUA:
                        apply(log, pimg, entries[k], ss)
            r, lo, b = check_image(f"mark {e[4]} (entry {i}, last flush {last})", point, mnt, durable)
            repaired, lost, bad = repaired + r, lost + lo, bad + b
            marks += 1 - b
    print(f"replay points: {checked} checked, {marks} mark points checked, {repaired} needed repair by e2fsck -fy, "
          f"{len(durable)} durable writes, {lost} lost bytes, {bad} failed fsck", flush=True)
    return 1 if lost or bad or checked == 0 or marks == 0 else 0


def check_regions(label, image, mnt, durable):
    dev = run(["losetup", "-f", "--show", "-r", image]).stdout.strip()
    lost = 0
    try:
        m = run(["mount", "-t", "rext2", "-o", "ro", dev, mnt])
        if m.returncode != 0:
            print(f"FAIL: {label}: rext2 mount: {m.stdout}")
            return sum(j["len"] for j in durable) or 1
        try:
            for j in durable:
                path = os.path.join(mnt, j["file"])
                try:
                    with open(path, "rb") as f:
                        f.seek(j["off"])
                        got = f.read(j["len"])
                except OSError as e:
                    got = b""
                    print(f"# {label}: {j['file']}: {e}")
                want = pattern(j["tag"], j["off"], j["len"])
                if got != want:
                    bad = sum(1 for x, y in zip(got, want) if x != y) + len(want) - len(got)
                    lost += bad
                    print(f"FAIL: {label}: {j['kind']} write {j['mark']} to {j['file']} "
                          f"@{j['off']:#x}+{j['len']:#x}: {bad} bytes lost (read {len(got)})")
        finally:
            run(["umount", mnt])
    finally:
        run(["losetup", "-d", dev])
    return lost


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("workload")
    w.add_argument("mnt")
    w.add_argument("dmname")
    w.add_argument("journal")
    w.add_argument("--seed", type=int, default=1)
    w.add_argument("--steps", type=int, default=20)
    c = sub.add_parser("check")
    c.add_argument("log")
    c.add_argument("base")
    c.add_argument("journal")
    c.add_argument("workdir")
    c.add_argument("--every", type=int, default=1)
    a = ap.parse_args()
    return workload(a) if a.cmd == "workload" else check(a)


if __name__ == "__main__":
    sys.exit(main())
