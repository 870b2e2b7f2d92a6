#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write systematically corrupted copies of a small clean ext2 image.

Usage: fuzzimg.py BASE_IMAGE OUTDIR --seed N --count N [--first K --limit M]

The base image is parsed here (no e2fsprogs): the superblock at byte 1024,
the group descriptors, the block and inode bitmaps, every in-use inode and
its block map (i_block, indirect, double and triple indirect blocks), and
every directory block, with the path of each inode.  Case I of COUNT
changes one targeted thing (class multi: several), in class CLASSES[I % 8]:

  super     a superblock field: counts, log block size, blocks/inodes per
            group, first data block, revision, inode size, first inode,
            feature words, state, errors, creator OS, ... (the magic only
            rarely: a bad magic is just "refused")
  gdesc     a group descriptor field: bitmap and inode table locations
            (0, the superblock, another group's metadata, a data block,
            past the end, shifted), free counts, used dirs, flags, the
            whole descriptor
  inode     a field of an in-use inode: mode (every file type), links, size
            and size_high, i_blocks, flags, dtime, file_acl, extra_isize,
            the whole inode
  iblock    an i_block pointer: 0, past the end, metadata (superblock,
            descriptors, bitmaps, the inode table, the inode's own table
            block), another file's data or indirect block, a slot past EOF
  dirent    a directory entry: rec_len (0, unaligned, too small, past the
            block), name_len, inode (0, reserved, free, huge, the dir itself,
            an ancestor), file type, name bytes, "." and "..", whole block
  indirect  an entry of an indirect, double or triple indirect block: past
            the end, metadata, self and parent loops, cross links, an entry
            past EOF, the whole block
  bitmap    block bitmap (used blocks or metadata marked free, free blocks
            marked used, padding bits past the last block cleared, all 0,
            all 1) and inode bitmap (in-use, reserved and padding bits)
  multi     two to four corruptions in one image: block maps that point at
            metadata, past the device or at a block the map already holds
            (the same block twice), alone or with one of any other class

Within a class the kinds of change are taken in a seeded order, so COUNT/8
cases per class cover as many different kinds as possible; which inode,
entry or block is hit is drawn from a generator seeded by (seed, I).  The
same base layout, seed and I always give the same corruption, so a range
of cases can be written at a time (--first, --limit) and one case can be
reproduced alone (--first I --limit 1).

OUTDIR gets NNNN-CLASS-KIND.img for the written cases and cases.tsv (header
line, then one line per case of all COUNT, written or not): file, class,
description, where the description names the inode and its path, the
field, its byte offset in the image and "old->new".  Copies are made with
the kernel's file copy (sparse-friendly where the base has holes) and then
patched in place.
"""

import argparse
import os
import random
import shutil
import struct
import sys

SB = 1024
CLASSES = ("super", "gdesc", "inode", "iblock", "dirent", "indirect", "bitmap", "multi")

S_IFMT = 0o170000
S_IFSOCK, S_IFLNK, S_IFREG, S_IFBLK = 0o140000, 0o120000, 0o100000, 0o060000
S_IFDIR, S_IFCHR, S_IFIFO = 0o040000, 0o020000, 0o010000

# superblock: name -> (offset in the superblock, struct format)
SBF = {
    "s_inodes_count": (0, "<I"), "s_blocks_count": (4, "<I"),
    "s_r_blocks_count": (8, "<I"), "s_free_blocks_count": (12, "<I"),
    "s_free_inodes_count": (16, "<I"), "s_first_data_block": (20, "<I"),
    "s_log_block_size": (24, "<I"), "s_log_frag_size": (28, "<I"),
    "s_blocks_per_group": (32, "<I"), "s_frags_per_group": (36, "<I"),
    "s_inodes_per_group": (40, "<I"), "s_mnt_count": (52, "<H"),
    "s_max_mnt_count": (54, "<H"), "s_magic": (56, "<H"),
    "s_state": (58, "<H"), "s_errors": (60, "<H"),
    "s_minor_rev_level": (62, "<H"), "s_creator_os": (72, "<I"),
    "s_rev_level": (76, "<I"), "s_first_ino": (84, "<I"),
    "s_inode_size": (88, "<H"), "s_block_group_nr": (90, "<H"),
    "s_feature_compat": (92, "<I"), "s_feature_incompat": (96, "<I"),
    "s_feature_ro_compat": (100, "<I"), "s_reserved_gdt_blocks": (206, "<H"),
    "s_journal_inum": (224, "<I"), "s_last_orphan": (232, "<I"),
    "s_desc_size": (254, "<H"), "s_default_mount_opts": (256, "<I"),
    "s_first_meta_bg": (260, "<I"),
}
# group descriptor (32 bytes): name -> (offset, format)
GDF = {
    "bg_block_bitmap": (0, "<I"), "bg_inode_bitmap": (4, "<I"),
    "bg_inode_table": (8, "<I"), "bg_free_blocks_count": (12, "<H"),
    "bg_free_inodes_count": (14, "<H"), "bg_used_dirs_count": (16, "<H"),
    "bg_flags": (18, "<H"),
}
# inode: name -> (offset, format)
INF = {
    "i_mode": (0, "<H"), "i_uid": (2, "<H"), "i_size": (4, "<I"),
    "i_dtime": (20, "<I"), "i_gid": (24, "<H"), "i_links_count": (26, "<H"),
    "i_blocks": (28, "<I"), "i_flags": (32, "<I"), "i_file_acl": (104, "<I"),
    "i_size_high": (108, "<I"), "i_faddr": (112, "<I"),
    "l_i_blocks_hi": (116, "<H"), "l_i_file_acl_high": (118, "<H"),
    "i_extra_isize": (128, "<H"),
}


class Inode:
    def __init__(self, ino, off, raw):
        self.ino, self.off = ino, off
        g = lambda name: struct.unpack_from(INF[name][1], raw, INF[name][0])[0]
        self.mode = g("i_mode")
        self.size = g("i_size") | (g("i_size_high") << 32 if self.mode & S_IFMT == S_IFREG else 0)
        self.links = g("i_links_count")
        self.blocks512 = g("i_blocks")
        self.file_acl = g("i_file_acl")
        self.iblock = list(struct.unpack_from("<15I", raw, 40))
        self.paths = []
        self.data = []      # (logical block, physical block)
        self.meta = []      # Meta records (indirect blocks)
        self.slots = []     # Slot records (every block pointer)

    @property
    def kind(self):
        return {S_IFREG: "file", S_IFDIR: "dir", S_IFLNK: "symlink"}.get(
            self.mode & S_IFMT, "special")

    def name(self):
        return "inode %d (%s %s)" % (
            self.ino, self.kind, self.paths[0] if self.paths else "<unlinked>")


class Slot:
    """A block pointer: in i_block or in an indirect block."""

    def __init__(self, off, value, label, level, owner, meta=None, past_eof=False):
        self.off, self.value, self.label = off, value, label
        self.level = level      # 0: points at data; 1..3: at an IND/DIND/TIND block
        self.owner, self.meta, self.past_eof = owner, meta, past_eof


class Meta:
    """An indirect block: level 1 (IND), 2 (DIND) or 3 (TIND)."""

    def __init__(self, block, level, owner, parent_slot):
        self.block, self.level = block, level
        self.owner, self.parent_slot = owner, parent_slot
        self.used = 0       # entries up to the last non-zero one

    def name(self, fs):
        return "%s block %d of %s" % (("IND", "DIND", "TIND")[self.level - 1],
                                      self.block, self.owner.name())


class Dirent:
    def __init__(self, dirino, block, boff, off, ino, rec_len, name_len, ftype, name, idx):
        self.dir, self.block, self.boff, self.off = dirino, block, boff, off
        self.ino, self.rec_len, self.name_len = ino, rec_len, name_len
        self.ftype, self.name, self.idx = ftype, name, idx
        self.last = False

    def label(self):
        return "dirent %r (inode %d) at +%d of block %d of dir %s" % (
            self.name.decode("latin-1"), self.ino, self.boff, self.block,
            self.dir.paths[0] if self.dir.paths else self.dir.ino)


class Fs:
    def __init__(self, data, max_visits=None):
        self.data = data
        self.visits_left = max_visits   # None: no limit (a clean base)
        s = lambda name: self.u(SB + SBF[name][0], SBF[name][1])
        if len(data) < 2048 or s("s_magic") != 0xEF53:
            raise ValueError("not an ext2 image")
        self.bs = 1024 << s("s_log_block_size")
        self.blocks = s("s_blocks_count")
        self.first = s("s_first_data_block")
        self.bpg = s("s_blocks_per_group")
        self.ipg = s("s_inodes_per_group")
        self.inodes_count = s("s_inodes_count")
        self.rev = s("s_rev_level")
        self.isize = s("s_inode_size") if self.rev else 128
        self.first_ino = s("s_first_ino") if self.rev else 11
        self.ro_compat = s("s_feature_ro_compat")
        self.incompat = s("s_feature_incompat")
        if self.incompat & ~0x0012 or self.bs * self.blocks > len(data):
            raise ValueError("unsupported features or truncated image")
        self.groups = (self.blocks - self.first + self.bpg - 1) // self.bpg
        self.itb = (self.ipg * self.isize + self.bs - 1) // self.bs
        self.gdt = self.first + 1
        self.gdt_blocks = (self.groups * 32 + self.bs - 1) // self.bs
        self.resgdt = s("s_reserved_gdt_blocks") if s("s_feature_compat") & 0x10 else 0
        self.gd = []
        for g in range(self.groups):
            off = self.gdt * self.bs + 32 * g
            d = {k: self.u(off + o, f) for k, (o, f) in GDF.items()}
            d["off"] = off
            self.gd.append(d)
        self.meta_blocks = {}
        resgdt = s("s_reserved_gdt_blocks")
        for g in range(self.groups):
            start = self.first + g * self.bpg
            if self.has_super(g):
                self.meta_blocks[start] = "superblock of group %d" % g
                for b in range(start + 1, start + 1 + self.gdt_blocks + resgdt):
                    self.meta_blocks[b] = "descriptor block of group %d" % g
            d = self.gd[g]
            self.meta_blocks[d["bg_block_bitmap"]] = "block bitmap of group %d" % g
            self.meta_blocks[d["bg_inode_bitmap"]] = "inode bitmap of group %d" % g
            for b in range(d["bg_inode_table"], d["bg_inode_table"] + self.itb):
                self.meta_blocks[b] = "inode table of group %d" % g
        self.inodes = {}
        for g in range(self.groups):
            bm = self.block(self.gd[g]["bg_inode_bitmap"])
            for i in range(self.ipg):
                if bm[i // 8] >> (i % 8) & 1:
                    ino = g * self.ipg + i + 1
                    off = self.inode_off(ino)
                    node = Inode(ino, off, data[off:off + self.isize])
                    if node.mode and (ino >= self.first_ino or ino == 2):
                        self.inodes[ino] = node
        self.dirents = []
        for node in self.inodes.values():
            self.walk(node)
        self.paths()

    def u(self, off, fmt):
        return struct.unpack_from(fmt, self.data, off)[0]

    def block(self, b):
        return self.data[b * self.bs:(b + 1) * self.bs]

    def has_super(self, g):
        if g <= 1 or not self.ro_compat & 1:
            return True
        for p in (3, 5, 7):
            n = p
            while n < g:
                n *= p
            if n == g:
                return True
        return False

    def inode_off(self, ino):
        g, i = divmod(ino - 1, self.ipg)
        return self.gd[g]["bg_inode_table"] * self.bs + i * self.isize

    def is_fast_symlink(self, node):
        acl = self.bs // 512 if node.file_acl else 0
        return node.kind == "symlink" and node.blocks512 - acl == 0

    def walk(self, node):
        if node.kind not in ("file", "dir", "symlink") or self.is_fast_symlink(node):
            return
        nblocks = (node.size + self.bs - 1) // self.bs
        ppb = self.bs // 4
        span = [1, ppb, ppb * ppb, ppb ** 3]

        def visit(off, v, label, level, lblk, meta):
            if self.visits_left is not None:
                self.visits_left -= 1
                if self.visits_left < 0:
                    raise ValueError("block maps too large to walk (loops?)")
            slot = Slot(off, v, label, level, node, meta, past_eof=lblk >= nblocks)
            node.slots.append(slot)
            if v == 0 or v >= self.blocks:
                return
            if level == 0:
                node.data.append((lblk, v))
                return
            m = Meta(v, level, node, slot)
            node.meta.append(m)
            for i in range(ppb):
                w = self.u(v * self.bs + 4 * i, "<I")
                if w:
                    m.used = i + 1
                visit(v * self.bs + 4 * i, w, "%s block %d[%d]" % (
                    ("IND", "DIND", "TIND")[level - 1], v, i),
                    level - 1, lblk + i * span[level - 1], m)

        starts = [12, 12 + ppb, 12 + ppb + ppb * ppb]
        for k in range(15):
            level = 0 if k < 12 else k - 11
            visit(node.off + 40 + 4 * k, node.iblock[k], "i_block[%d]" % k,
                  level, k if k < 12 else starts[k - 12], None)
        if node.kind == "dir":
            for lblk, b in sorted(node.data):
                if lblk >= nblocks:
                    continue
                off, idx, last = 0, 0, None
                raw = self.block(b)
                while off + 8 <= self.bs:
                    ino, rec, nl, ft = struct.unpack_from("<IHBB", raw, off)
                    d = Dirent(node, b, off, b * self.bs + off, ino, rec, nl, ft,
                               bytes(raw[off + 8:off + 8 + nl]), idx)
                    self.dirents.append(d)
                    last = d
                    if rec < 8:
                        break
                    off += rec
                    idx += 1
                if last:
                    last.last = True

    def paths(self):
        todo = [(2, "/")]
        seen = {2}
        if 2 in self.inodes:
            self.inodes[2].paths.append("/")
        by_dir = {}
        for d in self.dirents:
            by_dir.setdefault(d.dir.ino, []).append(d)
        while todo:
            ino, path = todo.pop()
            for d in by_dir.get(ino, []):
                if d.ino == 0 or d.name in (b".", b".."):
                    continue
                p = path.rstrip("/") + "/" + d.name.decode("utf-8", "replace")
                child = self.inodes.get(d.ino)
                if child is None:
                    continue
                child.paths.append(p)
                if child.kind == "dir" and d.ino not in seen:
                    seen.add(d.ino)
                    todo.append((d.ino, p))
        for node in self.inodes.values():
            node.paths.sort()

    # pools
    def nodes(self, *kinds):
        return [n for n in self.inodes.values() if n.kind in kinds and n.paths]

    def data_blocks(self, exclude=None):
        return [(b, n) for n in self.inodes.values() if n is not exclude
                for _, b in n.data]

    def metas(self, level=None):
        return [m for n in self.inodes.values() for m in n.meta
                if level is None or m.level == level]

    def free_blocks(self):
        out = []
        for g in range(self.groups):
            bm = self.block(self.gd[g]["bg_block_bitmap"])
            n = min(self.bpg, self.blocks - self.first - g * self.bpg)
            out += [self.first + g * self.bpg + i for i in range(n)
                    if not bm[i // 8] >> (i % 8) & 1]
        return out


class NotApplicable(Exception):
    pass


class Mut:
    """The patches and description of one case."""

    def __init__(self, fs, rng):
        self.fs, self.rng = fs, rng
        self.patches = {}   # offset -> byte
        self.notes = []

    def cur(self, off, fmt):
        size = struct.calcsize(fmt)
        b = bytes(self.patches.get(off + i, self.fs.data[off + i]) for i in range(size))
        return struct.unpack(fmt, b)[0]

    def raw(self, off, new):
        for i, x in enumerate(new):
            self.patches[off + i] = x

    def put(self, what, off, fmt, value):
        size = struct.calcsize(fmt)
        value &= (1 << (8 * size)) - 1
        old = self.cur(off, fmt)
        if old == value:
            raise NotApplicable
        self.raw(off, struct.pack(fmt, value))
        self.notes.append("%s@%d %#x->%#x" % (what, off, old, value))

    def fill(self, what, off, new):
        if bytes(new) == bytes(self.fs.data[off:off + len(new)]):
            raise NotApplicable
        self.raw(off, new)
        self.notes.append("%s@%d (%d bytes)" % (what, off, len(new)))

    def pick(self, seq):
        seq = list(seq)
        if not seq:
            raise NotApplicable
        return self.rng.choice(seq)

    def pick_node(self, nodes):
        """An inode, each shape (kind, mapping depth, fast symlink, root,
        hard-linked) as likely as any other: the 50 one-block files of a
        big directory must not crowd out the one triple-indirect file."""
        shapes = {}
        for n in nodes:
            key = (n.kind, max([x.level for x in n.meta] or [0]),
                   self.fs.is_fast_symlink(n), n.ino == 2, n.links > 1 and n.kind == "file",
                   len(n.data) > 1)
            shapes.setdefault(key, []).append(n)
        if not shapes:
            raise NotApplicable
        return self.rng.choice(shapes[self.rng.choice(sorted(shapes))])

    def effective(self):
        return any(self.fs.data[o] != b for o, b in self.patches.items())


# ---------------------------------------------------------------- values
# A value is an int or a function (mut, context) -> int; context is the
# inode/slot being changed, for "its own block" style values.

def block_values(fs):
    """Block numbers a pointer (or a bitmap/table location) can be set to."""
    g0 = fs.gd[0]
    return [
        ("zero", 0),
        ("superblock", fs.first),
        ("descriptors", fs.gdt),
        ("block-bitmap", g0["bg_block_bitmap"]),
        ("inode-bitmap", g0["bg_inode_bitmap"]),
        ("inode-table", g0["bg_inode_table"]),
        ("inode-table-mid", g0["bg_inode_table"] + fs.itb // 2),
        ("reserved-gdt", lambda m, c: fs.gdt + fs.gdt_blocks if fs.resgdt else m.pick([])),
        ("own-table-block", lambda m, c: own_table_block(fs, c)),
        ("last-block", fs.blocks - 1),
        ("blocks-count", fs.blocks),
        ("past-end", fs.blocks + 1000),
        ("huge", 0xFFFFFFFF),
        ("bit31", 0x80000000),
        ("free-block", lambda m, c: m.pick(fs.free_blocks())),
        ("other-data", lambda m, c: m.pick(b for b, n in fs.data_blocks(owner(c)))),
        ("own-data", lambda m, c: m.pick(b for _, b in owner(c).data) if owner(c) else
         m.pick(b for b, _ in fs.data_blocks())),
        ("other-indirect", lambda m, c: m.pick(x.block for x in fs.metas() if x.owner is not owner(c))),
        ("group1-meta", lambda m, c: fs.gd[-1]["bg_inode_table"] if fs.groups > 1
         else m.pick([fs.blocks - 2])),
    ]


def owner(c):
    if isinstance(c, Inode):
        return c
    if isinstance(c, (Slot, Meta)):
        return c.owner
    return None


def own_table_block(fs, c):
    node = owner(c)
    if node is None:
        return fs.gd[0]["bg_inode_table"]
    return node.off // fs.bs


def resolve(m, v, ctx):
    return v(m, ctx) if callable(v) else v


# ---------------------------------------------------------------- classes

def super_recipes(fs):
    ic = fs.inodes_count
    R = []

    def f(field, *vals):
        off, fmt = SBF[field]
        for name, v in vals:
            def run(m, field=field, off=off, fmt=fmt, v=v):
                val = resolve(m, v, None)
                m.put("superblock " + field, SB + off, fmt, val)
            R.append(("%s-%s" % (field[2:], name), run))

    cur = lambda field: fs.u(SB + SBF[field][0], SBF[field][1])
    f("s_inodes_count", ("0", 0), ("minus-1", ic - 1), ("plus-1", ic + 1),
      ("double", ic * 2), ("huge", 0xFFFFFFFF))
    f("s_blocks_count", ("0", 0), ("first", fs.first), ("minus-1", fs.blocks - 1),
      ("one-group", fs.first + fs.bpg), ("plus-1", fs.blocks + 1),
      ("double", fs.blocks * 2), ("huge", 0xFFFFFFFF))
    f("s_r_blocks_count", ("past-blocks", fs.blocks + 1), ("all", fs.blocks))
    f("s_free_blocks_count", ("0", 0), ("past-blocks", fs.blocks + 5), ("huge", 0xFFFFFFFF))
    f("s_free_inodes_count", ("0", 0), ("past-inodes", ic + 5), ("huge", 0xFFFFFFFF))
    f("s_first_data_block", ("0", 0 if fs.first else 1), ("2", 2), ("huge", 0xFFFFFFF0))
    f("s_log_block_size", ("1", 1 if fs.bs == 1024 else 0), ("2", 2), ("3", 3),
      ("7", 7), ("huge", 0xFFFFFFFF))
    f("s_log_frag_size", ("plus-1", cur("s_log_frag_size") + 1), ("huge", 0xFFFFFFFF))
    f("s_blocks_per_group", ("0", 0), ("1", 1), ("8", 8), ("half", fs.bpg // 2),
      ("plus-8", fs.bpg + 8), ("max-plus-8", 8 * fs.bs + 8), ("huge", 0xFFFFFFFF))
    f("s_frags_per_group", ("half", fs.bpg // 2), ("0", 0))
    f("s_inodes_per_group", ("0", 0), ("1", 1), ("minus-8", fs.ipg - 8),
      ("plus-1", fs.ipg + 1), ("max-plus-8", 8 * fs.bs + 8), ("huge", 0xFFFFFFFF))
    f("s_mnt_count", ("max", 0xFFFF))
    f("s_magic", ("ext2-old", 0xEF51))   # rarely: a bad magic is just refused
    f("s_state", ("0", 0), ("errors", 2), ("clean-errors", 3), ("all", 0xFFFF))
    # s_errors 3 ("panic") is left out: honouring it would be correct.
    f("s_errors", ("0", 0), ("remount-ro", 2), ("huge", 0xFFFF))
    f("s_minor_rev_level", ("huge", 0xFFFF))
    f("s_creator_os", ("hurd", 1), ("masix", 2), ("huge", 0xFFFFFFFF))
    f("s_rev_level", ("0", 0), ("2", 2), ("huge", 0xFFFFFFFF))
    f("s_first_ino", ("0", 0), ("1", 1), ("2", 2), ("minus-1", fs.first_ino - 1),
      ("plus-100", fs.first_ino + 100), ("past-inodes", ic + 1), ("huge", 0xFFFFFFFF))
    f("s_inode_size", ("0", 0), ("64", 64), ("129", 129), ("128", 128 if fs.isize != 128 else 256),
      ("512", 512), ("block", fs.bs), ("2-blocks", 2 * fs.bs), ("huge", 0xFFFF))
    f("s_block_group_nr", ("5", 5))
    compat, incompat, ro = (cur("s_feature_compat"), cur("s_feature_incompat"),
                            cur("s_feature_ro_compat"))
    f("s_feature_compat", ("has-journal", compat | 0x4), ("no-dir-index", compat & ~0x20),
      ("no-resize-inode", compat & ~0x10), ("all", 0xFFFFFFFF))
    f("s_feature_incompat", ("no-filetype", incompat & ~0x2), ("compression", incompat | 0x1),
      ("recover", incompat | 0x4), ("meta-bg", incompat | 0x10), ("extents", incompat | 0x40),
      ("64bit", incompat | 0x80), ("flex-bg", incompat | 0x200),
      ("inline-data", incompat | 0x8000), ("unknown", incompat | 0x10000000),
      ("all", 0xFFFFFFFF))
    f("s_feature_ro_compat", ("no-sparse-super", ro & ~0x1), ("no-large-file", ro & ~0x2),
      ("btree-dir", ro | 0x4), ("huge-file", ro | 0x8), ("gdt-csum", ro | 0x10),
      ("dir-nlink", ro | 0x20), ("metadata-csum", ro | 0x400), ("unknown", ro | 0x8000))
    f("s_reserved_gdt_blocks", ("huge", 0xFFFF), ("0", 0))
    f("s_last_orphan", ("file", lambda m, c: m.pick(n.ino for n in fs.nodes("file"))),
      ("huge", 0xFFFFFFFF))
    f("s_first_meta_bg", ("huge", 0xFFFFFFFF))
    f("s_desc_size", ("odd", 33))
    f("s_default_mount_opts", ("all", 0xFFFFFFFF))
    return R


def gdesc_recipes(fs):
    R = []
    locs = block_values(fs) + [
        ("shift-plus-1", lambda m, c: m.cur(c[1], "<I") + 1),
        ("shift-minus-1", lambda m, c: m.cur(c[1], "<I") - 1),
        ("other-group-same", lambda m, c: fs.gd[(c[0] + 1) % fs.groups][c[2]]
         if fs.groups > 1 else m.pick([])),
        ("past-group-end", lambda m, c: min(fs.first + (c[0] + 1) * fs.bpg, fs.blocks) - 1),
    ]
    for field in ("bg_block_bitmap", "bg_inode_bitmap", "bg_inode_table"):
        for name, v in locs:
            if name == "own-table-block":
                continue

            def run(m, field=field, v=v):
                g = m.rng.randrange(fs.groups)
                off = fs.gd[g]["off"] + GDF[field][0]
                val = resolve(m, v, (g, off, field))
                m.put("group %d %s" % (g, field), off, "<I", val)
            R.append(("%s-%s" % (field[3:], name), run))

    def counts(field, vals):
        for name, v in vals:
            def run(m, field=field, v=v):
                g = m.rng.randrange(fs.groups)
                off = fs.gd[g]["off"] + GDF[field][0]
                val = v(g, fs.gd[g][field]) if callable(v) else v
                m.put("group %d %s" % (g, field), off, "<H", val)
            R.append(("%s-%s" % (field[3:], name), run))

    counts("bg_free_blocks_count", [("0", 0), ("plus-1", lambda g, x: x + 1),
                                    ("bpg-plus-1", fs.bpg + 1), ("huge", 0xFFFF)])
    counts("bg_free_inodes_count", [("0", 0), ("plus-1", lambda g, x: x + 1),
                                    ("ipg-plus-1", fs.ipg + 1), ("huge", 0xFFFF)])
    counts("bg_used_dirs_count", [("0", 0), ("huge", 0xFFFF)])
    counts("bg_flags", [("inode-uninit", 1), ("block-uninit", 2), ("all", 0xFFFF)])

    def whole(name, gen):
        def run(m):
            g = m.rng.randrange(fs.groups)
            m.fill("group %d descriptor %s" % (g, name), fs.gd[g]["off"], gen(m, g))
        R.append(("desc-" + name, run))

    whole("zero", lambda m, g: bytes(32))
    whole("ones", lambda m, g: b"\xff" * 32)
    whole("random", lambda m, g: bytes(m.rng.randrange(256) for _ in range(32)))
    if fs.groups > 1:
        whole("copy-of-other", lambda m, g: fs.data[fs.gd[(g + 1) % fs.groups]["off"]:][:32])
    return R


def inode_recipes(fs):
    R = []

    def add(name, kinds, field, v):
        off0, fmt = INF[field]
        if off0 + struct.calcsize(fmt) > fs.isize:
            return

        def run(m):
            node = m.pick_node(fs.nodes(*kinds))
            val = v(m, node) if callable(v) else v
            m.put("%s %s" % (node.name(), field), node.off + off0, fmt, val)
        R.append((name, run))

    keep = lambda t: lambda m, n: (m.cur(n.off, "<H") & 0o7777) | t
    anyk = ("file", "dir", "symlink")
    for t, tn in ((S_IFDIR, "dir"), (S_IFREG, "file"), (S_IFLNK, "symlink"),
                  (S_IFCHR, "chr"), (S_IFBLK, "blk"), (S_IFIFO, "fifo"),
                  (S_IFSOCK, "sock"), (0o170000, "bad-type-17"), (0o050000, "bad-type-05"),
                  (0, "no-type")):
        add("mode-" + tn, anyk, "i_mode", keep(t))
    add("mode-0", anyk, "i_mode", 0)
    add("mode-ffff", anyk, "i_mode", 0xFFFF)
    R.append(("root-mode-file", lambda m: m.put(
        "root inode 2 i_mode", fs.inode_off(2), "<H", S_IFREG | 0o755)))
    add("size-0", anyk, "i_size", 0)
    add("size-1", anyk, "i_size", 1)
    add("size-minus-1", anyk, "i_size", lambda m, n: (n.size - 1) & 0xFFFFFFFF)
    add("size-plus-1", anyk, "i_size", lambda m, n: n.size + 1)
    add("size-plus-block", anyk, "i_size", lambda m, n: n.size + fs.bs)
    add("size-2g", anyk, "i_size", 0x7FFFFFFF)
    add("size-4g", anyk, "i_size", 0xFFFFFFFF)
    add("dir-size-unaligned", ("dir",), "i_size", lambda m, n: n.size - 24)
    add("dir-size-plus-blocks", ("dir",), "i_size", lambda m, n: n.size + 40 * fs.bs)
    add("symlink-size-59", ("symlink",), "i_size", 59)
    add("symlink-size-60", ("symlink",), "i_size", 60)
    add("symlink-size-61", ("symlink",), "i_size", 61)
    add("symlink-size-block-plus-1", ("symlink",), "i_size", fs.bs + 1)
    add("size-high-1", ("file", "dir"), "i_size_high", 1)
    add("size-high-huge", ("file", "dir"), "i_size_high", 0xFFFFFFFF)
    add("size-high-bit31", ("file",), "i_size_high", 0x80000000)
    add("links-0", anyk, "i_links_count", 0)
    add("links-1", ("dir",), "i_links_count", 1)
    add("links-max", anyk, "i_links_count", 0xFFFF)
    add("links-65000", anyk, "i_links_count", 65000)
    add("blocks-0", ("file", "dir"), "i_blocks", 0)
    add("blocks-huge", anyk, "i_blocks", 0xFFFFFFFF)
    add("blocks-fast-symlink-slow", ("symlink",), "i_blocks", lambda m, n: n.blocks512 or fs.bs // 512)
    add("blocks-slow-symlink-fast", ("symlink",), "i_blocks", 0)
    add("blocks-double", ("file",), "i_blocks", lambda m, n: 2 * n.blocks512 + 2)
    for flag, fn in ((0x4, "compr"), (0x10, "immutable"), (0x20, "append"),
                     (0x800, "ecompr"), (0x1000, "index"), (0x4000, "journal-data"),
                     (0x40000, "huge-file"), (0x80000, "extents"), (0x200000, "ea-inode"),
                     (0x10000000, "inline-data"), (0x40000000, "casefold")):
        add("flags-" + fn, anyk, "i_flags", lambda m, n, flag=flag: m.cur(n.off + 32, "<I") | flag)
    add("flags-all", anyk, "i_flags", 0xFFFFFFFF)
    add("dtime-set", anyk, "i_dtime", 1)
    add("file-acl-past-end", anyk, "i_file_acl", fs.blocks + 7)
    add("file-acl-inode-table", anyk, "i_file_acl", fs.gd[0]["bg_inode_table"])
    add("file-acl-data", anyk, "i_file_acl", lambda m, n: m.pick(b for b, _ in fs.data_blocks()))
    add("file-acl-high", anyk, "l_i_file_acl_high", 1)
    add("blocks-hi", ("file",), "l_i_blocks_hi", 0xFFFF)
    add("faddr", anyk, "i_faddr", 0xFFFFFFFF)
    add("uid-max", anyk, "i_uid", 0xFFFF)
    add("extra-isize-0", anyk, "i_extra_isize", 0)
    add("extra-isize-odd", anyk, "i_extra_isize", 3)
    add("extra-isize-big", anyk, "i_extra_isize", fs.isize - 128 + 4)
    add("extra-isize-huge", anyk, "i_extra_isize", 0xFFFF)

    def deleted(m):
        node = m.pick_node(fs.nodes(*anyk))
        m.put(node.name() + " i_links_count", node.off + 26, "<H", 0)
        m.put(node.name() + " i_dtime", node.off + 20, "<I", 1)
    R.append(("deleted-but-linked", deleted))

    def whole(name, gen, kinds=anyk):
        def run(m):
            node = m.pick_node(fs.nodes(*kinds))
            m.fill("%s whole inode %s" % (node.name(), name), node.off, gen(m))
        R.append(("whole-" + name, run))
    whole("zero", lambda m: bytes(fs.isize))
    whole("ones", lambda m: b"\xff" * fs.isize)
    whole("random", lambda m: bytes(m.rng.randrange(256) for _ in range(fs.isize)))
    R.append(("root-zero", lambda m: m.fill("root inode 2 whole inode zero",
                                            fs.inode_off(2), bytes(fs.isize))))

    def stale_free(m):
        # a free inode slot that looks in use: the next create may get it
        used = set(fs.inodes)
        free = [i for i in range(fs.first_ino, min(fs.ipg, fs.inodes_count) + 1) if i not in used]
        ino = m.pick(free[:8])
        src = m.pick_node(fs.nodes("file", "dir"))
        off = fs.inode_off(ino)
        m.fill("free inode %d made a copy of %s" % (ino, src.name()), off,
               fs.data[src.off:src.off + fs.isize])
    R.append(("stale-free-inode", stale_free))
    return R


def iblock_recipes(fs):
    R = []
    for name, v in block_values(fs):
        for where in ("direct", "ind-slot", "dind-slot", "tind-slot", "past-eof"):
            def run(m, v=v, where=where):
                def ok(s):
                    if s.meta is not None:
                        return False
                    if where == "direct":
                        return s.level == 0 and s.value
                    if where == "past-eof":
                        return s.level == 0 and s.past_eof
                    lvl = {"ind-slot": 1, "dind-slot": 2, "tind-slot": 3}[where]
                    return s.level == lvl and s.value
                cands = [n for n in fs.nodes("file", "dir", "symlink")
                         if not fs.is_fast_symlink(n) and any(ok(s) for s in n.slots)]
                node = m.pick_node(cands)
                s = m.pick(s for s in node.slots if ok(s))
                m.put("%s %s" % (node.name(), s.label), s.off, "<I", resolve(m, v, s))
            R.append(("%s-%s" % (where, name), run))

    def dup(m):
        """The same block twice in one file's map: a later data pointer set
        to an earlier one (direct or inside an indirect block)."""
        node = m.pick_node([n for n in fs.nodes("file", "dir") if len(n.data) > 1])
        slots = [x for x in node.slots if x.level == 0 and x.value]
        a, b = sorted(m.rng.sample(slots, 2), key=lambda x: x.off)
        m.put("%s %s (same block as %s)" % (node.name(), b.label, a.label), b.off, "<I", a.value)
    R.append(("same-block-twice", dup))

    def fast_text(name, gen):
        def run(m):
            node = m.pick(n for n in fs.nodes("symlink") if fs.is_fast_symlink(n))
            m.fill("%s fast symlink target %s" % (node.name(), name), node.off + 40, gen(m))
        R.append(("fast-symlink-" + name, run))
    fast_text("nul", lambda m: bytes(60))
    fast_text("ff", lambda m: b"\xff" * 60)
    fast_text("slashes", lambda m: b"/" * 60)
    return R


def dirent_recipes(fs):
    R = []

    def pick_entry(m, where):
        ents = fs.dirents
        if where == "dot":
            ents = [d for d in ents if d.name == b"." and d.idx == 0]
        elif where == "dotdot":
            ents = [d for d in ents if d.name == b".."]
        elif where == "last":
            ents = [d for d in ents if d.last and d.name not in (b".", b"..")]
        elif where == "first-in-block":
            ents = [d for d in ents if d.idx == 0 and d.name != b"."]
        else:
            ents = [d for d in ents if d.name not in (b".", b"..") and d.ino]
        # each directory as likely as any other, then an entry in it
        dirs = sorted({d.dir.ino for d in ents})
        if not dirs:
            raise NotApplicable
        ino = m.rng.choice(dirs)
        return m.pick(d for d in ents if d.dir.ino == ino)

    def field(fname, name, v, wheres=("entry", "last", "dot", "dotdot", "first-in-block")):
        off, fmt = {"inode": (0, "<I"), "rec_len": (4, "<H"), "name_len": (6, "<B"),
                    "file_type": (7, "<B")}[fname]
        for where in wheres:
            def run(m, where=where, v=v):
                d = pick_entry(m, where)
                val = v(m, d) if callable(v) else v
                m.put("%s %s" % (d.label(), fname), d.off + off, fmt, val)
            R.append(("%s-%s-%s" % (fname.replace("_", "-"), name, where), run))

    field("rec_len", "0", 0)
    field("rec_len", "4", 4)
    field("rec_len", "too-small-for-name", lambda m, d: ((8 + d.name_len + 3) & ~3) - 4)
    field("rec_len", "unaligned", lambda m, d: d.rec_len + 1)
    field("rec_len", "unaligned-2", lambda m, d: d.rec_len + 2)
    field("rec_len", "past-block", lambda m, d: fs.bs - d.boff + 4)
    field("rec_len", "swallow-rest", lambda m, d: fs.bs - d.boff, ("entry", "dot", "dotdot"))
    field("rec_len", "short-gap", lambda m, d: d.rec_len - 4, ("last",))
    field("rec_len", "huge", 0xFFFC, ("entry", "last"))
    field("name_len", "0", 0)
    field("name_len", "255", 255, ("entry", "last"))
    field("name_len", "past-rec", lambda m, d: d.rec_len - 7, ("entry", "last", "dot"))
    field("name_len", "plus-1", lambda m, d: d.name_len + 1, ("entry", "dot", "dotdot"))
    field("inode", "0", 0)
    field("inode", "1", 1, ("entry", "dotdot"))
    field("inode", "reserved-7", 7, ("entry", "dot"))
    field("inode", "first-ino-minus-1", fs.first_ino - 1, ("entry",))
    field("inode", "free", lambda m, d: m.pick(
        i for i in range(fs.first_ino, fs.first_ino + 300) if i not in fs.inodes), ("entry", "dotdot"))
    field("inode", "count", fs.inodes_count, ("entry",))
    field("inode", "count-plus-1", fs.inodes_count + 1, ("entry", "dotdot"))
    field("inode", "huge", 0xFFFFFFFF, ("entry", "dot"))
    field("inode", "own-dir", lambda m, d: d.dir.ino, ("entry", "dotdot"))
    field("inode", "root", 2, ("entry", "dot"))
    field("inode", "a-file", lambda m, d: m.pick(n.ino for n in fs.nodes("file")), ("dot", "dotdot"))
    field("inode", "a-dir", lambda m, d: m.pick(n.ino for n in fs.nodes("dir") if n.ino != d.ino),
          ("entry", "dot"))
    field("file_type", "0", 0, ("entry", "dot"))
    field("file_type", "dir", 2, ("entry",))
    field("file_type", "file", 1, ("entry", "dotdot"))
    field("file_type", "symlink", 7, ("entry",))
    field("file_type", "8", 8, ("entry",))
    field("file_type", "ff", 0xFF, ("entry",))

    def name_bytes(name, gen, where="entry"):
        def run(m):
            d = pick_entry(m, where)
            if d.name_len == 0:
                raise NotApplicable
            new = gen(m, d)
            m.fill("%s name -> %r" % (d.label(), bytes(new)), d.off + 8, new)
        R.append(("name-" + name + ("" if where == "entry" else "-" + where), run))
    name_bytes("slash", lambda m, d: b"/" + d.name[1:])
    name_bytes("nul", lambda m, d: d.name[:-1] + b"\0")
    name_bytes("dot", lambda m, d: b"." if d.name_len == 1 else b"." + d.name[1:], "dot")
    name_bytes("x", lambda m, d: b"x", "dot")
    name_bytes("xx", lambda m, d: b"xx", "dotdot")

    def duplicate(m):
        d = pick_entry(m, "entry")
        others = [e for e in fs.dirents if e.dir is d.dir and e is not d and e.ino
                  and e.name_len == d.name_len and e.name not in (b".", b"..")]
        e = m.pick(others)
        m.fill("%s name -> %r (duplicate)" % (d.label(), e.name), d.off + 8, e.name)
    R.append(("name-duplicate", duplicate))

    def merge_dotdot(m):
        d = pick_entry(m, "dot")
        m.put(d.label() + " rec_len (swallows ..)", d.off + 4, "<H", 24 if fs.bs > 24 else 12)
    R.append(("dot-swallows-dotdot", merge_dotdot))

    def whole(name, gen):
        def run(m):
            d = pick_entry(m, "entry")
            m.fill("directory block %d of %s %s" % (d.block, d.dir.name(), name),
                   d.block * fs.bs, gen(m))
        R.append(("block-" + name, run))
    whole("zero", lambda m: bytes(fs.bs))
    whole("ones", lambda m: b"\xff" * fs.bs)
    whole("random", lambda m: bytes(m.rng.randrange(256) for _ in range(fs.bs)))
    whole("aa", lambda m: b"\xaa" * fs.bs)
    return R


def indirect_recipes(fs):
    R = []
    vals = block_values(fs) + [
        ("self", lambda m, c: c.meta.block),
        ("parent", lambda m, c: (c.meta.parent_slot.meta.block if c.meta.parent_slot.meta
                                 else m.pick([]))),
        ("own-ind", lambda m, c: m.pick(x.block for x in c.owner.meta if x.level == 1)),
        ("own-top", lambda m, c: m.pick(x.block for x in c.owner.meta if x.parent_slot.meta is None)),
    ]
    for name, v in vals:
        for where in ("ind", "dind", "tind", "past-eof"):
            def run(m, v=v, where=where):
                if where == "past-eof":
                    metas = [x for x in fs.metas() if x.used < fs.bs // 4]
                    meta = m.pick(metas)
                    s = m.pick(x for x in meta.owner.slots if x.meta is meta and not x.value)
                else:
                    lvl = {"ind": 1, "dind": 2, "tind": 3}[where]
                    meta = m.pick(fs.metas(lvl))
                    s = m.pick(x for x in meta.owner.slots if x.meta is meta and x.value)
                m.put("%s entry %s" % (meta.owner.name(), s.label), s.off, "<I",
                      resolve(m, v, s))
            R.append(("%s-%s" % (where, name), run))

    def whole(name, gen):
        def run(m):
            meta = m.pick(fs.metas())
            m.fill("%s whole block %s" % (meta.name(fs), name), meta.block * fs.bs, gen(m, meta))
        R.append(("block-" + name, run))
    whole("zero", lambda m, x: bytes(fs.bs))
    whole("ones", lambda m, x: b"\xff" * fs.bs)
    whole("aa", lambda m, x: b"\xaa" * fs.bs)
    whole("random", lambda m, x: bytes(m.rng.randrange(256) for _ in range(fs.bs)))
    whole("copy-of-other", lambda m, x: fs.block(m.pick(y.block for y in fs.metas()
                                                        if y is not x and y.level == x.level)))
    whole("all-self", lambda m, x: struct.pack("<I", x.block) * (fs.bs // 4))
    return R


def bitmap_recipes(fs):
    R = []

    def bbit(b):
        g, i = divmod(b - fs.first, fs.bpg)
        return fs.gd[g]["bg_block_bitmap"] * fs.bs + i // 8, 1 << (i % 8), g

    def ibit(ino):
        g, i = divmod(ino - 1, fs.ipg)
        return fs.gd[g]["bg_inode_bitmap"] * fs.bs + i // 8, 1 << (i % 8), g

    def flip(m, what, off, bit, setit):
        old = m.cur(off, "<B")
        new = old | bit if setit else old & ~bit
        m.put(what, off, "<B", new)

    def blockbit(name, gen, setit=False):
        def run(m):
            b, why = gen(m)
            off, bit, g = bbit(b)
            flip(m, "group %d block bitmap bit of block %d (%s) %s" % (
                g, b, why, "set" if setit else "cleared"), off, bit, setit)
        R.append(("block-" + name, run))

    blockbit("data-free", lambda m: (lambda x: (x[0], "data of " + x[1].name()))(
        m.pick(fs.data_blocks())))
    blockbit("indirect-free", lambda m: (lambda x: (x.block, x.name(fs)))(m.pick(fs.metas())))
    blockbit("dir-block-free", lambda m: (lambda d: (d.block, "directory block of " + d.dir.name()))(
        m.pick(fs.dirents)))
    for label in ("superblock", "descriptor block", "block bitmap", "inode bitmap", "inode table"):
        blockbit(label.replace(" ", "-") + "-free", lambda m, label=label: m.pick(
            (b, w) for b, w in fs.meta_blocks.items() if w.startswith(label)))
    blockbit("free-used", lambda m: (m.pick(fs.free_blocks()[:64]), "free"), True)

    def bytes_of(name, gen):
        def run(m):
            g = m.rng.randrange(fs.groups)
            m.fill("group %d %s" % (g, name), *gen(m, g))
        R.append((name.replace(" ", "-"), run))

    def bbm(g):
        return fs.gd[g]["bg_block_bitmap"] * fs.bs

    def ibm(g):
        return fs.gd[g]["bg_inode_bitmap"] * fs.bs

    def nblocks(g):
        return min(fs.bpg, fs.blocks - fs.first - g * fs.bpg)

    bytes_of("block bitmap zero", lambda m, g: (bbm(g), bytes(fs.bs)))
    bytes_of("block bitmap ones", lambda m, g: (bbm(g), b"\xff" * fs.bs))
    bytes_of("block bitmap used zero", lambda m, g: (bbm(g), bytes(nblocks(g) // 16)))
    bytes_of("block bitmap free ones", lambda m, g: (
        bbm(g) + (nblocks(g) // 8) // 2, b"\xff" * ((nblocks(g) // 8) - (nblocks(g) // 8) // 2)))
    bytes_of("block bitmap random", lambda m, g: (bbm(g), bytes(m.rng.randrange(256)
                                                               for _ in range(fs.bs))))

    def padding(m):
        g = fs.groups - 1
        n = nblocks(g)
        if n >= 8 * fs.bs:
            raise NotApplicable
        start = (n + 7) // 8
        m.fill("group %d block bitmap padding past block %d cleared" % (g, fs.blocks - 1),
               bbm(g) + start, bytes(fs.bs - start))
        if n % 8:
            off = bbm(g) + n // 8
            m.raw(off, bytes([fs.data[off] & ((1 << (n % 8)) - 1)]))
    R.append(("block-padding-cleared", padding))

    def inodebit(name, gen, setit=False):
        def run(m):
            ino, why = gen(m)
            off, bit, g = ibit(ino)
            flip(m, "group %d inode bitmap bit of %s %s" % (
                g, why, "set" if setit else "cleared"), off, bit, setit)
        R.append(("inode-" + name, run))

    inodebit("file-free", lambda m: (lambda n: (n.ino, n.name()))(
        m.pick_node(fs.nodes("file", "symlink"))))
    inodebit("dir-free", lambda m: (lambda n: (n.ino, n.name()))(m.pick_node(fs.nodes("dir"))))
    inodebit("root-free", lambda m: (2, "root inode 2"))
    inodebit("reserved-free", lambda m: (lambda i: (i, "reserved inode %d" % i))(
        m.pick(range(1, fs.first_ino))))
    inodebit("free-used", lambda m: (lambda i: (i, "free inode %d" % i))(
        m.pick(i for i in range(fs.first_ino, fs.first_ino + 200) if i not in fs.inodes)), True)
    bytes_of("inode bitmap zero", lambda m, g: (ibm(g), bytes(fs.bs)))
    bytes_of("inode bitmap ones", lambda m, g: (ibm(g), b"\xff" * fs.bs))
    bytes_of("inode bitmap reserved zero", lambda m, g: (ibm(0), bytes((fs.first_ino - 1) // 8)))
    bytes_of("inode bitmap free ones", lambda m, g: (
        ibm(g) + fs.ipg // 16, b"\xff" * (fs.ipg // 8 - fs.ipg // 16)))

    def ipadding(m):
        g = m.rng.randrange(fs.groups)
        if fs.ipg >= 8 * fs.bs or fs.ipg % 8:
            raise NotApplicable
        m.fill("group %d inode bitmap padding past inode %d cleared" % (g, (g + 1) * fs.ipg),
               ibm(g) + fs.ipg // 8, bytes(fs.bs - fs.ipg // 8))
    R.append(("inode-padding-cleared", ipadding))
    return R


# Values of a block pointer that a map must never be followed to.
BAD_MAP_VALUES = ("superblock", "descriptors", "reserved-gdt", "block-bitmap", "inode-bitmap",
                  "inode-table", "inode-table-mid", "own-table-block", "group1-meta",
                  "blocks-count", "past-end", "huge", "bit31", "own-data", "self", "parent",
                  "own-ind", "own-top")


def multi_recipes(fs):
    """Two to four corruptions in one image: bad block maps (metadata, past
    the device, the same block twice), with or without one of any class."""
    maps = [(k, r) for k, r in iblock_recipes(fs) + indirect_recipes(fs)
            if k == "same-block-twice" or k.split("-", 1)[-1] in BAD_MAP_VALUES
            or any(k.endswith("-" + v) for v in BAD_MAP_VALUES)]
    anything = [(k, r) for c in CLASSES if c != "multi" for k, r in RECIPES[c](fs)]
    R = []

    def combo(name, nmaps, nany):
        def run(m):
            picked = m.rng.sample(maps, nmaps) + m.rng.sample(anything, nany)
            done = 0
            for k, r in picked:
                before = len(m.notes)
                try:
                    r(m)
                except NotApplicable:
                    continue
                if len(m.notes) > before:
                    m.notes[before] = "[%s] %s" % (k, m.notes[before])
                    done += 1
            if done < 2:
                raise NotApplicable
        R.append((name, run))
    combo("maps-2", 2, 0)
    combo("maps-3", 3, 0)
    combo("maps-4", 4, 0)
    combo("maps-2-any-1", 2, 1)
    combo("maps-1-any-1", 1, 1)
    combo("maps-3-any-1", 3, 1)
    return R


RECIPES = {
    "super": super_recipes, "gdesc": gdesc_recipes, "inode": inode_recipes,
    "iblock": iblock_recipes, "dirent": dirent_recipes,
    "indirect": indirect_recipes, "bitmap": bitmap_recipes, "multi": multi_recipes,
}


TRIES = 16


def attempt(fs, run, seed, index, k):
    """Run one recipe with the k-th generator of case INDEX; None if it
    does not apply (nothing to pick from, or no change)."""
    m = Mut(fs, random.Random("fuzzimg:%d:%d:%d" % (seed, index, k)))
    try:
        run(m)
    except NotApplicable:
        return None
    return m if m.effective() else None


def applicable(fs, cls, seed):
    """The class's recipes in a seeded order, without those that never
    apply to this image (e.g. TIND entries when no file has a TIND block)."""
    lst = RECIPES[cls](fs)
    random.Random("fuzzimg:%d:%s" % (seed, cls)).shuffle(lst)
    return [(kind, run) for kind, run in lst
            if any(attempt(fs, run, seed, -1, k) for k in range(TRIES))]


def make_case(fs, recipes, seed, index):
    """(class, kind, description, patches) of case INDEX."""
    cls = CLASSES[index % len(CLASSES)]
    order = recipes[cls]
    nth = index // len(CLASSES)
    for step in range(len(order)):
        kind, run = order[(nth + step) % len(order)]
        for k in range(TRIES):
            m = attempt(fs, run, seed, index, k)
            if m:
                return cls, kind, "; ".join(m.notes), sorted(m.patches.items())
    raise SystemExit("fuzzimg.py: no %s corruption applies to this image" % cls)


def runs(patches):
    """Sorted (offset, byte) pairs as (offset, bytes) runs."""
    out = []
    for off, b in patches:
        if out and out[-1][0] + len(out[-1][1]) == off:
            out[-1][1].append(b)
        else:
            out.append((off, bytearray([b])))
    return [(o, bytes(r)) for o, r in out]


def main():
    ap = argparse.ArgumentParser(
        description="Write corrupted copies of a small clean ext2 image "
        "(one targeted corruption each) and OUTDIR/cases.tsv.")
    ap.add_argument("base", metavar="BASE_IMAGE")
    ap.add_argument("outdir", metavar="OUTDIR")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--count", type=int, required=True, help="number of cases")
    ap.add_argument("--first", type=int, default=0, help="first case to write (default 0)")
    ap.add_argument("--limit", type=int, default=None,
                    help="write at most this many images (default: all from --first)")
    ap.add_argument("--no-manifest", action="store_true", help="do not (re)write cases.tsv")
    a = ap.parse_args()
    if a.count < 1 or a.first < 0:
        ap.error("--count must be positive and --first non-negative")
    with open(a.base, "rb") as f:
        data = f.read()
    try:
        fs = Fs(data)
    except (ValueError, struct.error, IndexError) as e:
        sys.exit("fuzzimg.py: %s: %s" % (a.base, e))
    recipes = {cls: applicable(fs, cls, a.seed) for cls in CLASSES}
    os.makedirs(a.outdir, exist_ok=True)
    last = a.count if a.limit is None else min(a.count, a.first + a.limit)
    rows = ["file\tclass\tdescription"]
    written = 0
    for i in range(a.count):
        if a.no_manifest and not a.first <= i < last:
            continue
        cls, kind, desc, patches = make_case(fs, recipes, a.seed, i)
        fname = "%04d-%s-%s.img" % (i, cls, kind)
        rows.append("%s\t%s\t%s" % (fname, cls, desc.replace("\t", " ")))
        if a.first <= i < last:
            path = os.path.join(a.outdir, fname)
            shutil.copyfile(a.base, path)
            fd = os.open(path, os.O_WRONLY)
            try:
                for off, run in runs(patches):
                    os.pwrite(fd, run, off)
            finally:
                os.close(fd)
            written += 1
    if not a.no_manifest:
        with open(os.path.join(a.outdir, "cases.tsv"), "w") as f:
            f.write("\n".join(rows) + "\n")
    print("fuzzimg.py: %s: %d-byte blocks, %d blocks, %d group(s), %d inodes in use, "
          "%d directory entries, %d indirect blocks; seed %d: wrote %d of %d cases to %s"
          % (a.base, fs.bs, fs.blocks, fs.groups, len(fs.inodes), len(fs.dirents),
             len(fs.metas()), a.seed, written, a.count, a.outdir))


if __name__ == "__main__":
    main()
