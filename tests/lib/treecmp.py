#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Compare two directory trees (e.g. two mounts of the same ext2 image).

Usage: treecmp.py A B [--label-a X] [--label-b Y] [--hardlinks] [--blocks]
                  [--ino] [--dir-size] [--times] [--strict]
                  [--ignore RELPATH]... [--no-root-attrs] [--max-print N]

Walks both trees without following symlinks and prints one line per
difference:  DIFF <path>: <what>: <X>=<value> <Y>=<value>
then a summary line  "treecmp: N entries compared, M differences".
Exit status: 0 no differences, 1 differences, 2 usage error.

Always compared, per entry: presence, file type, mode bits (st_mode &
0o7777), uid, gid, link count, mtime (whole seconds), size (not for
directories, see --dir-size), device number of block/char devices, symlink
target (readlink), and regular file contents (read in 1 MiB chunks; the
first differing offset is reported).  Each tree is also checked on its own:
the d_type and d_ino that readdir reports must agree with lstat.

Options for comparing two mounts of the same image (--strict turns all of
them on; do not use them against the host tree the image was built from):
  --blocks    st_blocks
  --ino       inode numbers
  --dir-size  directory sizes
  --times     atime and ctime (whole seconds)
--hardlinks: paths that share an inode in A must share one in B, and the
other way round (works between any two trees).
--ignore RELPATH skips that path (e.g. lost+found) in both trees;
--no-root-attrs skips the attributes of A and B themselves (mke2fs -d does
not copy the tree root's mtime, and lost+found adds a link to the root).
"""

import argparse
import os
import stat
import sys

CHUNK = 1 << 20

TYPES = {
    stat.S_IFREG: "file", stat.S_IFDIR: "dir", stat.S_IFLNK: "symlink",
    stat.S_IFIFO: "fifo", stat.S_IFSOCK: "socket", stat.S_IFCHR: "chardev",
    stat.S_IFBLK: "blockdev",
}


def show(path):
    """Printable form of a bytes path."""
    s = path.decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() else "\\x%02x" % ord(c) for c in s)


def ftype(mode):
    return TYPES.get(stat.S_IFMT(mode), "type-%o" % stat.S_IFMT(mode))


def secs(ns):
    return ns // 1_000_000_000


class Cmp:
    def __init__(self, args):
        self.a = os.fsencode(args.a)
        self.b = os.fsencode(args.b)
        self.la = args.label_a
        self.lb = args.label_b
        self.args = args
        self.ignore = {os.fsencode(p.strip("/")) for p in args.ignore}
        self.entries = 0
        self.diffs = 0
        self.printed = 0
        # inode -> paths, per tree, for the hard link check
        self.inodes = ({}, {})
        self.ino_of = ({}, {})

    bufs = (memoryview(bytearray(CHUNK)), memoryview(bytearray(CHUNK)))

    def diff(self, rel, what, va=None, vb=None, raw=None):
        self.diffs += 1
        if self.printed >= self.args.max_print:
            return
        self.printed += 1
        line = "DIFF %s: %s" % (show(rel or b"."), what)
        if raw is not None:
            line += ": " + raw
        elif va is not None or vb is not None:
            line += ": %s=%s %s=%s" % (self.la, va, self.lb, vb)
        print(line)

    # -- walking ---------------------------------------------------------

    def listdir(self, top, rel, side):
        """{name: DirEntry} of a directory, or None on error."""
        label = (self.la, self.lb)[side]
        try:
            with os.scandir(os.path.join(top, rel) if rel else top) as it:
                ents = {e.name: e for e in it}
        except OSError as e:
            self.diff(rel, "%s: readdir failed: %s" % (label, e))
            return None
        # readdir's d_type / d_ino must agree with lstat
        for name, e in ents.items():
            try:
                st = e.stat(follow_symlinks=False)
            except OSError:
                continue            # reported when the entry is compared
            kind = stat.S_IFMT(st.st_mode)
            dt = (e.is_dir(follow_symlinks=False),
                  e.is_file(follow_symlinks=False),
                  e.is_symlink())
            want = (kind == stat.S_IFDIR, kind == stat.S_IFREG,
                    kind == stat.S_IFLNK)
            if dt != want:
                self.diff(os.path.join(rel, name),
                          "%s: readdir d_type disagrees with lstat (%s)"
                          % (label, ftype(st.st_mode)))
            if e.inode() != st.st_ino and not (side == 0 and self.args.a_is_reference):
                self.diff(os.path.join(rel, name),
                          "%s: readdir d_ino %d != lstat st_ino %d"
                          % (label, e.inode(), st.st_ino))
        return ents

    def run(self):
        for top, label in ((self.a, self.la), (self.b, self.lb)):
            if not os.path.isdir(top) or os.path.islink(top):
                print("treecmp: %s (%s) is not a directory" % (show(top), label),
                      file=sys.stderr)
                sys.exit(2)
        stack = [b""]
        while stack:
            rel = stack.pop()
            is_dirs = self.entry(rel)
            if is_dirs:
                ea = self.listdir(self.a, rel, 0)
                eb = self.listdir(self.b, rel, 1)
                if ea is None or eb is None:
                    continue
                names = sorted(set(ea) | set(eb), reverse=True)
                for name in names:
                    sub = os.path.join(rel, name) if rel else name
                    if sub in self.ignore:
                        continue
                    if name not in eb:
                        self.diff(sub, "only in %s" % self.la)
                    elif name not in ea:
                        self.diff(sub, "only in %s" % self.lb)
                    else:
                        stack.append(sub)
        if self.args.hardlinks:
            self.check_hardlinks()
        print("treecmp: %d entries compared, %d differences"
              % (self.entries, self.diffs))
        return 1 if self.diffs else 0

    # -- one entry -------------------------------------------------------

    def entry(self, rel):
        """Compare one path; True if it is a directory on both sides."""
        self.entries += 1
        pa = os.path.join(self.a, rel) if rel else self.a
        pb = os.path.join(self.b, rel) if rel else self.b
        sts = []
        for p, label in ((pa, self.la), (pb, self.lb)):
            try:
                sts.append(os.lstat(p))
            except OSError as e:
                self.diff(rel, "%s: lstat failed: %s" % (label, e))
                return False
        sa, sb = sts
        ta, tb = stat.S_IFMT(sa.st_mode), stat.S_IFMT(sb.st_mode)
        if ta != tb:
            self.diff(rel, "type", ftype(sa.st_mode), ftype(sb.st_mode))
            return False
        a = self.args

        if ta != stat.S_IFDIR:
            for side, st in enumerate((sa, sb)):
                self.inodes[side].setdefault(st.st_ino, []).append(rel)
                self.ino_of[side][rel] = st.st_ino

        if rel or not a.no_root_attrs:
            def cmp(what, va, vb, fmt=str):
                if va != vb:
                    self.diff(rel, what, fmt(va), fmt(vb))

            cmp("mode", sa.st_mode & 0o7777, sb.st_mode & 0o7777, oct)
            cmp("uid", sa.st_uid, sb.st_uid)
            cmp("gid", sa.st_gid, sb.st_gid)
            cmp("nlink", sa.st_nlink, sb.st_nlink)
            cmp("mtime", secs(sa.st_mtime_ns), secs(sb.st_mtime_ns))
            if ta != stat.S_IFDIR or a.dir_size:
                cmp("size", sa.st_size, sb.st_size)
            if a.blocks:
                cmp("blocks", sa.st_blocks, sb.st_blocks)
            if a.ino:
                cmp("ino", sa.st_ino, sb.st_ino)
            if a.times:
                cmp("atime", secs(sa.st_atime_ns), secs(sb.st_atime_ns))
                cmp("ctime", secs(sa.st_ctime_ns), secs(sb.st_ctime_ns))
            if ta in (stat.S_IFCHR, stat.S_IFBLK):
                cmp("rdev", "%d:%d" % (os.major(sa.st_rdev), os.minor(sa.st_rdev)),
                    "%d:%d" % (os.major(sb.st_rdev), os.minor(sb.st_rdev)))

        if ta == stat.S_IFLNK:
            self.cmp_link(rel, pa, pb)
        elif ta == stat.S_IFREG:
            self.cmp_content(rel, pa, pb, sa, sb)
        return ta == stat.S_IFDIR

    def cmp_link(self, rel, pa, pb):
        targets = []
        for p, label in ((pa, self.la), (pb, self.lb)):
            try:
                targets.append(os.readlink(p))
            except OSError as e:
                self.diff(rel, "%s: readlink failed: %s" % (label, e))
                return
        if targets[0] != targets[1]:
            self.diff(rel, "symlink target", repr(targets[0]), repr(targets[1]))

    def cmp_content(self, rel, pa, pb, sa, sb):
        fds = []
        try:
            for p, label in ((pa, self.la), (pb, self.lb)):
                try:
                    fds.append(os.open(p, os.O_RDONLY | os.O_NOFOLLOW))
                except OSError as e:
                    self.diff(rel, "%s: open failed: %s" % (label, e))
                    return
            off = 0
            first = None
            nbad = 0
            while True:
                lens = []
                for fd, buf, label in zip(fds, self.bufs, (self.la, self.lb)):
                    try:
                        lens.append(read_into(fd, buf))
                    except OSError as e:
                        self.diff(rel, "%s: read failed at offset %d: %s"
                                  % (label, off, e))
                        return
                ba = self.bufs[0][:lens[0]]
                bb = self.bufs[1][:lens[1]]
                if ba != bb:
                    nbad += 1
                    if first is None:
                        n = min(len(ba), len(bb))
                        i = next((i for i in range(n) if ba[i] != bb[i]), n)
                        first = off + i
                if len(ba) < CHUNK or len(bb) < CHUNK:
                    off += max(len(ba), len(bb))
                    break
                off += CHUNK
            if first is not None:
                self.diff(rel, "content differs from offset %d (%d of %d "
                          "MiB chunks differ)" % (first, nbad,
                                                   max(1, -(-off // CHUNK))))
            # reads must stop exactly at st_size
            for st, fd, label in ((sa, fds[0], self.la), (sb, fds[1], self.lb)):
                end = os.lseek(fd, 0, os.SEEK_CUR)
                if end != st.st_size:
                    self.diff(rel, "%s: read returned %d bytes, st_size is %d"
                              % (label, end, st.st_size))
        finally:
            for fd in fds:
                os.close(fd)

    # -- hard links ------------------------------------------------------

    def check_hardlinks(self):
        """Paths sharing an inode in A must share one in B and vice versa."""
        paths = set(self.ino_of[0]) & set(self.ino_of[1])

        def group(side, p):
            return frozenset(q for q in self.inodes[side][self.ino_of[side][p]]
                             if q in paths)

        # union of both sharing relations; one report per connected set
        parent = {p: p for p in paths}

        def find(p):
            while parent[p] != p:
                parent[p] = parent[parent[p]]
                p = parent[p]
            return p

        for side in (0, 1):
            for names in self.inodes[side].values():
                names = [q for q in names if q in paths]
                for q in names[1:]:
                    parent[find(q)] = find(names[0])
        comps = {}
        for p in paths:
            comps.setdefault(find(p), []).append(p)
        for members in comps.values():
            if all(group(0, p) == group(1, p) for p in members):
                continue

            def groups(side):
                gs = sorted({group(side, p) for p in members}, key=sorted)
                return "; ".join("[%s]" % " ".join(show(q) for q in sorted(g))
                                 for g in gs)

            self.diff(min(members), "hard links",
                      raw="inodes shared by %s: %s; by %s: %s"
                      % (self.la, groups(0), self.lb, groups(1)))


def read_into(fd, buf):
    """Fill buf (a memoryview) from fd, looping over short reads; returns
    the byte count. Reusing one buffer matters: a fresh 1 MiB bytes object
    per read costs a page fault per page, which dominates in a TCG guest."""
    got = 0
    n = len(buf)
    while got < n:
        r = os.readv(fd, [buf[got:]])
        if r == 0:
            break
        got += r
    return got


def main():
    ap = argparse.ArgumentParser(
        description="Compare two directory trees recursively.",
        epilog="Exit status: 0 same, 1 differences, 2 usage error.")
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--label-a", default="A")
    ap.add_argument("--label-b", default="B")
    ap.add_argument("--hardlinks", action="store_true",
                    help="check that hard link groups match")
    ap.add_argument("--blocks", action="store_true", help="compare st_blocks")
    ap.add_argument("--ino", action="store_true", help="compare inode numbers")
    ap.add_argument("--dir-size", action="store_true",
                    help="compare directory sizes")
    ap.add_argument("--times", action="store_true",
                    help="compare atime and ctime too")
    ap.add_argument("--strict", action="store_true",
                    help="--blocks --ino --dir-size --times --hardlinks "
                         "(two mounts of one image)")
    ap.add_argument("--ignore", action="append", default=[],
                    metavar="RELPATH", help="skip this path in both trees")
    ap.add_argument("--a-is-reference", action="store_true",
                    help="A is a reference tree seen through 9p/overlayfs, "
                    "whose readdir d_ino need not equal st_ino: do not check it")
    ap.add_argument("--no-root-attrs", action="store_true",
                    help="do not compare the attributes of A and B themselves")
    ap.add_argument("--max-print", type=int, default=1000,
                    help="print at most N differences (all are counted)")
    args = ap.parse_args()
    if args.strict:
        args.blocks = args.ino = args.dir_size = args.times = True
        args.hardlinks = True
    sys.exit(Cmp(args).run())


if __name__ == "__main__":
    main()
