#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Generate a deterministic test tree for rext2 images.

Usage: mktree.py OUTDIR [--seed N] [--profile small|full] [--huge]

The tree exercises ext2 block mapping at 1, 2 and 4 KiB blocks (direct,
single, double and triple indirect ranges, holes of every shape), large
directories, odd names, fast and slow symlinks, modes, owners, special
files, hard links and timestamps.  The same seed and profile give the same
tree (names, contents, modes, owners, times) on every run; OUTDIR must be
missing or empty.

File contents use a recognizable pattern: every 512-byte sector of file
number F at byte offset O starts with the ASCII header
"[rext2 fFFFFFF @OOOOOOOOOOOO]" (hex) followed by seeded pseudo-random bytes,
so a misplaced or stale block is easy to identify in a hexdump.  No data
block is ever all zeroes (mke2fs -d turns all-zero blocks into holes).

Block-map ranges (logical block numbers) per block size:
    1 KiB: direct 0-11, IND 12-267, DIND 268-65803, TIND 65804-
    2 KiB: direct 0-11, IND 12-523, DIND 524-262667, TIND 262668-
    4 KiB: direct 0-11, IND 12-1035, DIND 1036-1049611, TIND 1049612-

--profile small leaves out the large dense files and the triple-indirect
sparse file.  --huge (off by default) adds a 5 GiB sparse file that reaches
triple indirect at 2 and 4 KiB blocks and needs i_size_high; comparing it
means reading 5 GiB, so it is opt-in.
"""

import argparse
import hashlib
import os
import stat
import sys

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB

# Deterministic timestamps: everything gets BASE_TIME + a per-path offset,
# except the explicit cases in times/.
BASE_TIME = 1_600_000_000


class Tree:
    def __init__(self, root, seed, profile, huge):
        self.root = os.fsencode(root)
        self.seed = seed
        self.profile = profile
        self.huge = huge
        self.full = profile == "full"
        self.is_root = os.geteuid() == 0
        self.next_fid = 1
        self.files = 0
        self.dirs = 0
        self.symlinks = 0
        self.special = 0
        self.bytes = 0          # apparent size of regular files
        self.data = 0           # bytes actually written (non-hole)
        self.skipped = []
        self.modes = []         # (path, mode), applied last
        self.owners = []        # (path, uid, gid)
        self.times = {}         # path -> mtime (explicit)

    # -- helpers ---------------------------------------------------------

    def p(self, rel):
        if isinstance(rel, str):
            rel = rel.encode()
        return os.path.join(self.root, rel) if rel else self.root

    def pattern(self, fid, off, length):
        """Pattern bytes of file fid for [off, off+length)."""
        out = bytearray()
        end = off + length
        sec = off // 512
        while sec * 512 < end:
            base = sec * 512
            hdr = b"[rext2 f%06x @%012x]" % (fid, base)
            key = b"%d:%d:%d" % (self.seed, fid, sec)
            body = hashlib.shake_128(key).digest(512 - len(hdr))
            chunk = hdr + body
            lo = max(off, base) - base
            hi = min(end, base + 512) - base
            out += chunk[lo:hi]
            sec += 1
        return bytes(out)

    def mkdir(self, rel, mode=0o755):
        os.mkdir(self.p(rel))
        self.dirs += 1
        self.modes.append((self.p(rel), mode))

    def write_file(self, rel, size=None, writes=None, mode=0o644):
        """Create a regular file.

        size only: dense pattern file of that size.
        writes: list of (offset, length) pattern writes; the file is then
        truncated (extended) to size if given.
        """
        fid = self.next_fid
        self.next_fid += 1
        path = self.p(rel)
        with open(path, "wb") as f:
            if writes is None:
                pos = 0
                while pos < size:
                    n = min(MIB, size - pos)
                    f.write(self.pattern(fid, pos, n))
                    pos += n
                self.data += size
            else:
                for off, length in writes:
                    f.seek(off)
                    f.write(self.pattern(fid, off, length))
                    self.data += length
                if size is not None:
                    f.truncate(size)
        self.files += 1
        self.bytes += os.stat(path).st_size
        self.modes.append((path, mode))
        return path

    def symlink(self, rel, target):
        if isinstance(target, str):
            target = target.encode()
        os.symlink(target, self.p(rel))
        self.symlinks += 1

    def chown(self, rel, uid, gid):
        self.owners.append((self.p(rel), uid, gid))

    # -- sections --------------------------------------------------------

    def sizes(self):
        self.mkdir("sizes")
        for n in (0, 1, 2, 511, 512, 513, 1023, 1024, 1025, 2047, 2048, 2049,
                  4095, 4096, 4097, 8191, 8192, 8193, 65535, 65536, 65537):
            self.write_file("sizes/size-%d" % n, n)

    def indirect(self):
        """Dense files around the block-map boundaries."""
        self.mkdir("indirect")
        sizes = {
            # 1 KiB blocks: last direct block, first IND, first DIND
            "1k-direct-end": 12 * KIB,
            "1k-ind-first": 12 * KIB + 1,
            "1k-ind": 13 * KIB + 313,
            "1k-ind-end": 268 * KIB,
            "1k-dind-first": 268 * KIB + 1,
            "1k-dind": 300 * KIB + 7,
            # 2 KiB blocks
            "2k-direct-end": 24 * KIB,
            "2k-ind-first": 24 * KIB + 1,
            # 4 KiB blocks
            "4k-direct-end": 48 * KIB,
            "4k-ind-first": 48 * KIB + 1,
        }
        if self.full:
            sizes.update({
                "1k-dind-1m": 1 * MIB + 3,
                "2k-ind-end": (12 + 512) * 2 * KIB,
                "2k-dind-first": (12 + 512) * 2 * KIB + 1,
                "4k-ind-end": (12 + 1024) * 4 * KIB,
                "4k-dind-first": (12 + 1024) * 4 * KIB + 1,
            })
        for name, size in sizes.items():
            self.write_file("indirect/" + name, size)

    def sparse(self):
        self.mkdir("sparse")
        w = self.write_file
        # holes at the start, in the middle, at the end, and everywhere
        w("sparse/hole-start", 300 * KIB, [(300 * KIB - 5000, 5000)])
        w("sparse/hole-middle", 1 * MIB, [(0, 20000), (1 * MIB - 9000, 9000)])
        w("sparse/hole-end", 1 * MIB, [(0, 10000)])
        w("sparse/all-hole", 2 * MIB, [])
        w("sparse/all-hole-1", 1, [])
        w("sparse/all-hole-5000", 5000, [])
        # small writes straddling block boundaries; the rest of those blocks
        # must read back as zeroes, not as hole-vs-data confusion
        w("sparse/partial", 70 * KIB,
          [(1021, 6), (2047, 2), (4093, 8), (20000, 1), (65535, 2)])
        # no IND block at 1 KiB (blocks 12-267 all holes), data in DIND
        w("sparse/no-ind-1k", 310 * KIB, [(0, 1000), (300 * KIB + 17, 3000)])
        # DIND children 1 and 2 absent at 1 KiB (each covers 256 KiB)
        w("sparse/dind-child-holes-1k", 268 * KIB + 4 * 256 * KIB + 100,
          [(268 * KIB, 2000), (268 * KIB + 3 * 256 * KIB + 5, 1500)])
        # no IND block at 4 KiB (blocks 12-1035 all holes); at 4 KiB 5 MiB is
        # in DIND child 0 and 13 MiB in DIND child 2, child 1 absent
        w("sparse/no-ind-4k", 14 * MIB,
          [(100, 4000), (5 * MIB, 4096), (13 * MIB + 333, 7000)])
        # last byte only
        w("sparse/last-byte", 3 * MIB + 1, [(3 * MIB, 1)])
        if self.full:
            # TIND at 1 KiB starts at logical block 65804 (byte 67383296)
            tind = 65804 * KIB
            w("sparse/tind-1k", 128 * MIB, [
                (0, 3000),                  # direct
                (12 * KIB, 1024),           # first IND block
                (268 * KIB, 1024),          # first DIND block
                (33 * MIB + 1, 5000),       # middle of DIND
                (tind - 700, 1400),         # straddles DIND -> TIND
                (66 * MIB, 4096),
                (70 * MIB + 12345, 10000),
                (tind + 256 * KIB, 1024),   # second TIND->DIND child
                (100 * MIB, 8192),
            ])
        if self.huge:
            tind2 = 262668 * 2 * KIB
            tind4 = 1049612 * 4 * KIB
            w("sparse/huge-5g", 5 * GIB, [
                (0, 4096),
                (tind2 - 100, 200),         # DIND -> TIND at 2 KiB
                (2 * GIB - 50, 100),        # crosses 2^31
                (tind4 - 100, 200),         # DIND -> TIND at 4 KiB (> 4 GiB)
                (4 * GIB + 512 * MIB, 5000),
            ])

    def bigdir(self):
        """Many entries with name lengths 1..255 (bytes)."""
        self.mkdir("bigdir")
        count = 600 if self.full else 300
        # name alphabet: mostly ASCII, some spaces and multi-byte UTF-8
        alpha = [c.encode() for c in
                 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                 "0123456789-_.,+=@%~ "] + \
                [c.encode() for c in "éüßøΩжあ日本😀"]
        seen = set()
        for i in range(count):
            length = i + 1 if i < 255 else 1 + self.rnd(b"len", i) % 255
            n = 0
            while True:
                name = self.rand_name(i, n, length, alpha)
                n += 1
                if name not in seen and name not in (b".", b".."):
                    break
            seen.add(name)
            rel = b"bigdir/" + name
            kind = i % 50
            if kind == 17:
                self.mkdir(rel)
            elif kind == 33:
                self.symlink(rel, b"../sizes/size-%d" % (i % 3))
            else:
                self.write_file(rel, (i * 37) % 700)

    def rnd(self, tag, *args):
        key = b"%d:%s:" % (self.seed, tag) + b":".join(b"%d" % a for a in args)
        return int.from_bytes(hashlib.sha256(key).digest()[:8], "little")

    def rand_name(self, i, attempt, length, alpha):
        # the first 255 names start with their index to stay unique, where
        # that fits; the rest are random
        out = b""
        if length >= 5 and i < 255:
            out = b"%03d-" % i
        k = 0
        while len(out) < length:
            c = alpha[self.rnd(b"name", i, attempt, k) % len(alpha)]
            k += 1
            if len(out) + len(c) > length:
                c = b"x"
            out += c
        return out

    def names(self):
        self.mkdir("names")
        names = [
            b"x" * 255,
            "é".encode() * 127 + b"y",          # 255 bytes, multi-byte
            "日".encode() * 85,                   # 255 bytes
            b"with  two spaces",
            b" leading-space",
            b"trailing-space ",
            b" ",
            b"-dash",
            b".hidden",
            b"..dots",
            b"...",
            b"a.b.c",
            "日本語ファイル名".encode(),
            "émoji-😀-Ωmega".encode(),
            b"latin1-\xe9-not-utf8-\xff\xfe",
            b"tab\there",
            b"newline\nname",
            b"\x01ctrl\x7f",
            b"back\\slash",
            b"glob*?[]",
            b"quote'\"",
            b"colon:semi;pipe|amp&",
        ]
        for i, name in enumerate(names):
            assert 1 <= len(name) <= 255 and b"/" not in name, name
            self.write_file(b"names/" + name, 10 + i * 3)
        self.mkdir("names/" + "d" * 255)
        self.write_file(b"names/" + b"d" * 255 + b"/" + b"f" * 255, 5)

    def deep(self):
        path = "deep"
        self.mkdir(path)
        for level in range(1, 13):
            path += "/d%d" % level
            self.mkdir(path)
            self.write_file(path + "/file-%d" % level, level * 111)
        self.mkdir("deep/branch")
        self.mkdir("deep/branch/x")
        self.mkdir("deep/branch/x/y")
        self.mkdir("deep/branch/x/y/z")
        self.mkdir("deep/branch/x/y/z/w")
        self.mkdir("deep/branch/x/y/z/w/v")
        self.write_file("deep/branch/x/y/z/w/v/leaf", 4097)

    def empty(self):
        self.mkdir("empty-top")
        self.mkdir("empty")
        self.mkdir("empty/e1")
        self.mkdir("empty/e2")
        self.mkdir("empty/e2/nested-empty")
        self.mkdir("empty/e3", 0o700)

    def links(self):
        self.mkdir("links")

        def exact(length, tail):
            """A target of exactly length bytes that resolves like tail."""
            pad = length - len(tail)
            assert pad >= 0 and pad != 1
            if tail.startswith("/"):
                t = "/" * pad + tail
            elif pad % 2:
                t = ".//" + "./" * ((pad - 3) // 2) + tail
            else:
                t = "./" * (pad // 2) + tail
            t = t.encode()
            assert len(t) == length, (length, t)
            return t

        s = self.symlink
        s("links/fast-rel-valid", "../sizes/size-1")
        s("links/fast-abs-valid", "/dev/null")
        s("links/fast-dangling", "no-such-file")
        s("links/len-1", "x")
        s("links/dir-link", "../deep")
        s("links/dot", ".")
        s("links/loop-a", "loop-b")
        s("links/loop-b", "loop-a")
        s("links/self", "self")
        s("links/utf8", "ünïcödé/日本/😀")
        s("links/spaces", "../names/with  two spaces")
        # 59 bytes is the longest fast symlink, 60 the shortest slow one
        for n in (58, 59, 60, 61):
            s("links/len-%d-valid" % n, exact(n, "../sizes/size-1"))
            s("links/len-%d-dangling" % n, exact(n, "nothing-here"))
        s("links/slow-abs-dangling", b"/nonexistent/" + b"long/" * 40)
        s("links/slow-abs-valid", exact(120, "/dev/null"))
        s("links/slow-255", exact(255, "../sizes/size-2"))
        s("links/slow-500", exact(500, "../indirect/1k-ind"))
        s("links/slow-1000", exact(1000, "missing"))
        s("links/slow-utf8", ("ü" * 40 + "/target").encode())

    def modes_(self):
        self.mkdir("modes")
        for mode in (0o600, 0o755, 0o444, 0o4755, 0o2755, 0o6777, 0o000,
                     0o777, 0o640):
            self.write_file("modes/f%04o" % mode, 100, mode=mode)
        for mode in (0o1777, 0o700, 0o555, 0o2775, 0o000):
            self.mkdir("modes/d%04o" % mode, mode)
        self.write_file("modes/d1777/inside", 10)

    def owners_(self):
        self.mkdir("owners")
        for name, uid, gid in (("u1000", 1000, 1000),
                               ("u65534", 65534, 65534),
                               ("u70000-g70001", 70000, 70001),
                               ("g4242", 0, 4242),
                               ("u4000000000", 4000000000, 3999999999)):
            self.write_file("owners/" + name, 50)
            self.chown("owners/" + name, uid, gid)
        self.mkdir("owners/dir-1000")
        self.chown("owners/dir-1000", 1000, 100)
        self.symlink("owners/link-1234", "u1000")
        self.chown("owners/link-1234", 1234, 5678)
        # setuid file owned by someone else: chown before chmod keeps the bit
        self.write_file("owners/setuid-1000", 20, mode=0o4750)
        self.chown("owners/setuid-1000", 1000, 1000)

    def hardlinks(self):
        self.mkdir("hardlinks")
        self.write_file("hardlinks/orig", 5000)
        os.link(self.p("hardlinks/orig"), self.p("hardlinks/link1"))
        os.link(self.p("hardlinks/orig"), self.p("deep/d1/link-to-orig"))
        self.write_file("hardlinks/pair-a", 0)
        os.link(self.p("hardlinks/pair-a"), self.p("hardlinks/pair-b"))
        self.write_file("hardlinks/sparse-a", 600 * KIB, [(400 * KIB, 100)])
        os.link(self.p("hardlinks/sparse-a"), self.p("hardlinks/sparse-b"))

    def special_(self):
        self.mkdir("special")
        os.mkfifo(self.p("special/fifo"), 0o644)
        self.special += 1
        try:
            os.mknod(self.p("special/socket"), stat.S_IFSOCK | 0o755)
            self.special += 1
        except OSError as e:
            self.skipped.append("special/socket: %s" % e)
        devs = (("chr-1-3", stat.S_IFCHR, 1, 3),
                ("chr-300-70000", stat.S_IFCHR, 300, 70000),
                ("blk-8-1", stat.S_IFBLK, 8, 1),
                ("blk-259-300", stat.S_IFBLK, 259, 300))
        for name, kind, major, minor in devs:
            try:
                os.mknod(self.p("special/" + name), kind | 0o660,
                         os.makedev(major, minor))
                self.special += 1
            except OSError as e:
                self.skipped.append("special/%s: %s" % (name, e))

    def timestamps(self):
        self.mkdir("times")
        for name, t in (("epoch", 0), ("before-epoch", -86400 * 365),
                        ("y2038-max", 2**31 - 1), ("one", 1),
                        ("y2000", 946684800)):
            self.write_file("times/" + name, 10)
            self.times[self.p("times/" + name)] = t
        self.mkdir("times/dir-2001")
        self.times[self.p("times/dir-2001")] = 1_000_000_000
        self.symlink("times/link-1999", "epoch")
        self.times[self.p("times/link-1999")] = 930_000_000

    # -- driver ----------------------------------------------------------

    def build(self):
        os.umask(0)
        self.sizes()
        self.indirect()
        self.sparse()
        self.bigdir()
        self.names()
        self.deep()
        self.empty()
        self.links()
        self.modes_()
        self.owners_()
        self.hardlinks()
        self.special_()
        self.timestamps()
        self.write_file("top-file", 1234)
        self.finish()

    def finish(self):
        if self.is_root:
            for path, uid, gid in self.owners:
                os.chown(path, uid, gid, follow_symlinks=False)
        elif self.owners:
            self.skipped.append("chown of %d entries (not root)"
                                % len(self.owners))
        for path, mode in self.modes:
            os.chmod(path, mode)
        os.chmod(self.root, 0o755)
        # times last, children before parents (creating entries changes the
        # parent's mtime); symlinks with lutimes
        entries = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            for n in dirnames + filenames:
                entries.append(os.path.join(dirpath, n))
        entries.sort(key=lambda e: -e.count(b"/"))
        for e in entries + [self.root]:
            rel = os.path.relpath(e, self.root)
            t = self.times.get(e)
            if t is None:
                t = BASE_TIME + self.rnd(b"time", *rel) % (86400 * 365)
            os.utime(e, (t, t), follow_symlinks=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--profile", choices=("small", "full"), default="full")
    ap.add_argument("--huge", action="store_true",
                    help="add a 5 GiB sparse file (TIND at 2K/4K blocks)")
    args = ap.parse_args()

    if os.path.exists(args.outdir):
        if not os.path.isdir(args.outdir) or os.listdir(args.outdir):
            sys.exit("mktree: %s exists and is not an empty directory"
                     % args.outdir)
    else:
        os.mkdir(args.outdir)

    t = Tree(args.outdir, args.seed, args.profile, args.huge)
    t.build()
    for s in t.skipped:
        print("mktree: warning: skipped %s" % s, file=sys.stderr)
    print("mktree: profile=%s seed=%d: %d files, %d dirs, %d symlinks, "
          "%d special, %d bytes (%d written)"
          % (args.profile, args.seed, t.files, t.dirs + 1, t.symlinks,
             t.special, t.bytes, t.data))


if __name__ == "__main__":
    main()
