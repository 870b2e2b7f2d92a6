#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write corrupted copies of a clean ext2 image, one per case.

Usage: corrupt.py IMAGE OUT_DIR

IMAGE should be a small clean ext2 image (e.g. 4 MiB with 1 KiB blocks);
every case works on any block size.  OUT_DIR gets NN-<case>.img files and
cases.tsv, tab-separated, with a header line "file case field expect":

  file    image file name (relative to OUT_DIR)
  case    case name
  field   what was changed: name@byte-offset old->new
  expect  refuse   the mount (even read-only) must fail
          ro-only  a read-only mount works, a read-write one must be refused
          warn     the mount works, with a warning in the kernel log

Only the primary superblock (byte 1024) and the first group descriptor (in
the block after the superblock's block) are changed; everything else,
including the backup superblocks, is left alone.  Where a field has
invariants tied to other fields, the others are kept consistent so that the
case trips only the check it is named after (e.g. inodes-per-group-too-big
also sets s_inodes_count to match).

The expectations are those of rext2.  The in-kernel ext2 driver differs on
a few: it does not check s_first_ino or s_first_data_block, mounts
s_rev_level > 1 read-only instead of refusing, and only warns about
s_state on read-write mounts.
"""

import os
import struct
import sys

SB = 1024

# superblock fields: name -> (offset in superblock, struct format)
SB_FIELDS = {
    "s_inodes_count": (0, "<I"),
    "s_blocks_count": (4, "<I"),
    "s_first_data_block": (20, "<I"),
    "s_log_block_size": (24, "<I"),
    "s_blocks_per_group": (32, "<I"),
    "s_inodes_per_group": (40, "<I"),
    "s_magic": (56, "<H"),
    "s_state": (58, "<H"),
    "s_rev_level": (76, "<I"),
    "s_first_ino": (84, "<I"),
    "s_inode_size": (88, "<H"),
    "s_feature_compat": (92, "<I"),
    "s_feature_incompat": (96, "<I"),
    "s_feature_ro_compat": (100, "<I"),
}
# group descriptor fields (32-byte descriptors)
GD_FIELDS = {
    "bg_block_bitmap": (0, "<I"),
    "bg_inode_bitmap": (4, "<I"),
    "bg_inode_table": (8, "<I"),
}


class Image:
    def __init__(self, data):
        self.data = bytearray(data)
        self.changes = []

    def get(self, off, fmt):
        return struct.unpack_from(fmt, self.data, off)[0]

    def put(self, name, off, fmt, value):
        old = self.get(off, fmt)
        struct.pack_into(fmt, self.data, off, value)
        self.changes.append("%s@%d %#x->%#x" % (name, off, old, value))

    def sb(self, name):
        off, fmt = SB_FIELDS[name]
        return self.get(SB + off, fmt)

    def set_sb(self, name, value):
        off, fmt = SB_FIELDS[name]
        self.put(name, SB + off, fmt, value)

    def gd_off(self):
        bs = 1024 << self.sb("s_log_block_size")
        return (self.sb("s_first_data_block") + 1) * bs

    def gd(self, name):
        off, fmt = GD_FIELDS[name]
        return self.get(self.gd_off() + off, fmt)

    def set_gd(self, name, value):
        off, fmt = GD_FIELDS[name]
        self.put(name + "[0]", self.gd_off() + off, fmt, value)


def geometry(img, size):
    g = {}
    g["bs"] = 1024 << img.sb("s_log_block_size")
    g["blocks"] = img.sb("s_blocks_count")
    g["first"] = img.sb("s_first_data_block")
    g["bpg"] = img.sb("s_blocks_per_group")
    g["ipg"] = img.sb("s_inodes_per_group")
    g["groups"] = (g["blocks"] - g["first"] + g["bpg"] - 1) // g["bpg"]
    g["isize"] = img.sb("s_inode_size") if img.sb("s_rev_level") else 128
    g["itb"] = g["ipg"] * g["isize"] // g["bs"]
    g["dev_blocks"] = size // g["bs"]
    return g


def cases(g):
    """(name, expect, mutate(img)) for every case."""
    bs = g["bs"]
    or_sb = lambda name, bit: lambda i: i.set_sb(name, i.sb(name) | bit)
    set_sb = lambda name, v: lambda i: i.set_sb(name, v)
    set_gd = lambda name, v: lambda i: i.set_gd(name, v)

    def past_device(i):
        # beyond the device but with the same number of groups, so that
        # s_inodes_count still matches and only the size check trips
        n = g["first"] + g["groups"] * g["bpg"]
        if n <= g["dev_blocks"]:
            n = g["dev_blocks"] + 1
        i.set_sb("s_blocks_count", n)

    def ipg_too_big(i):
        ipg = 8 * bs + 8
        i.set_sb("s_inodes_per_group", ipg)
        i.set_sb("s_inodes_count", ipg * g["groups"])

    def itable_past_end(i):
        # starts inside group 0, ends after its last block
        last = min(g["first"] + g["bpg"], g["blocks"]) - 1
        i.set_gd("bg_inode_table", last - 1)

    return [
        ("bad-magic", "refuse", set_sb("s_magic", 0)),
        ("rev-level-2", "refuse", set_sb("s_rev_level", 2)),
        ("log-block-size-7", "refuse", set_sb("s_log_block_size", 7)),
        ("log-block-size-ffffffff", "refuse",
         set_sb("s_log_block_size", 0xFFFFFFFF)),
        ("incompat-unknown", "refuse",
         or_sb("s_feature_incompat", 0x08000000)),
        ("incompat-journal-dev", "refuse", or_sb("s_feature_incompat", 0x0008)),
        ("incompat-extents", "refuse", or_sb("s_feature_incompat", 0x0040)),
        ("blocks-count-0", "refuse", set_sb("s_blocks_count", 0)),
        ("blocks-count-x100", "refuse",
         set_sb("s_blocks_count", g["blocks"] * 100)),
        ("blocks-count-past-device", "refuse", past_device),
        ("inodes-count-0", "refuse", set_sb("s_inodes_count", 0)),
        ("blocks-per-group-0", "refuse", set_sb("s_blocks_per_group", 0)),
        ("blocks-per-group-too-big", "refuse",
         set_sb("s_blocks_per_group", 8 * bs + 8)),
        ("inodes-per-group-0", "refuse", set_sb("s_inodes_per_group", 0)),
        ("inodes-per-group-too-big", "refuse", ipg_too_big),
        ("inode-size-100", "refuse", set_sb("s_inode_size", 100)),
        ("inode-size-192", "refuse", set_sb("s_inode_size", 192)),
        ("inode-size-8192", "refuse", set_sb("s_inode_size", 8192)),
        ("first-data-block-5", "refuse", set_sb("s_first_data_block", 5)),
        ("gd-block-bitmap-out-of-range", "refuse",
         set_gd("bg_block_bitmap", 0xFFFFFF00)),
        ("gd-inode-bitmap-out-of-range", "refuse",
         set_gd("bg_inode_bitmap", 0xFFFFFF00)),
        ("gd-inode-table-out-of-range", "refuse",
         set_gd("bg_inode_table", 0xFFFFFF00)),
        ("gd-inode-table-past-end", "refuse", itable_past_end),
        ("first-ino-0", "refuse", set_sb("s_first_ino", 0)),
        ("inodes-count-mismatch", "refuse",
         set_sb("s_inodes_count", g["ipg"] * g["groups"] + 8)),
        ("ro-compat-unknown", "ro-only",
         or_sb("s_feature_ro_compat", 0x1000)),
        ("state-not-clean", "warn", set_sb("s_state", 0)),
        ("state-errors", "warn", set_sb("s_state", 2)),
        ("state-clean-with-errors", "warn", set_sb("s_state", 3)),
    ]


def main():
    if len(sys.argv) != 3 or sys.argv[1].startswith("-"):
        sys.exit("usage: corrupt.py IMAGE OUT_DIR")
    src, out = sys.argv[1], sys.argv[2]
    with open(src, "rb") as f:
        data = f.read()
    base = Image(data)
    if len(data) < 4096 or base.sb("s_magic") != 0xEF53:
        sys.exit("corrupt.py: %s is not an ext2 image" % src)
    if base.sb("s_state") != 1:
        sys.exit("corrupt.py: %s is not clean (s_state=%d)"
                 % (src, base.sb("s_state")))
    if base.sb("s_rev_level") != 1:
        sys.exit("corrupt.py: %s is not a revision 1 file system" % src)
    g = geometry(base, len(data))
    # sanity: the descriptor of group 0 must point inside group 0
    for name in GD_FIELDS:
        v = base.gd(name)
        if not g["first"] <= v < min(g["first"] + g["bpg"], g["blocks"]):
            sys.exit("corrupt.py: %s[0]=%d is outside group 0; wrong layout?"
                     % (name, v))
    os.makedirs(out, exist_ok=True)
    rows = ["file\tcase\tfield\texpect"]
    for n, (name, expect, mutate) in enumerate(cases(g), 1):
        img = Image(data)
        mutate(img)
        assert img.changes and img.data != base.data, name
        fname = "%02d-%s.img" % (n, name)
        with open(os.path.join(out, fname), "wb") as f:
            f.write(img.data)
        rows.append("\t".join((fname, name, ", ".join(img.changes), expect)))
    with open(os.path.join(out, "cases.tsv"), "w") as f:
        f.write("\n".join(rows) + "\n")
    print("corrupt.py: %s: %d-byte blocks, %d blocks, %d group(s), "
          "descriptors at byte %d; wrote %d cases to %s"
          % (src, g["bs"], g["blocks"], g["groups"], base.gd_off(),
             len(rows) - 1, out))


if __name__ == "__main__":
    main()
