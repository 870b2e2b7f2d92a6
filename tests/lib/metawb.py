#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""fsync and fdatasync after background writeback write the inode.

The flusher writes a dirty inode with a non-integrity write_inode: the
inode-table block becomes a dirty buffer of the block device, and the
inode is clean. An fsync (or fdatasync, when the size changed) in the
seconds before that buffer's own writeback must still put the inode on
disk (7.3's ext2 marks the inode I_METADATA_WRITEBACK and syncs it in
sync_inode_metadata). A filesystem that does not finds a clean inode and
returns with the new mtime or i_size only in memory.

IMG is the image behind the loop device that DIR is mounted from: what
the loop device has been sent is what IMG holds, while the mount's
dirty buffers are not in it yet. Two steps, each on a file written and
synced first:
  fsync     an overwrite (the mtime changes, the block map does not);
  fdatasync an append inside the file's last block (i_size changes).
In each, the step waits until the flusher has written the file's data
to IMG, then checks that the inode in IMG is still the old one (the
window is open: otherwise it tries again, up to three times), syncs, and
the inode in IMG must now be the new one.

usage: metawb.py IMG DIR BLOCKSIZE
"""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ksft import exit_status, report  # noqa: E402

# Dirty data and inodes are written back after EXPIRE centiseconds, the
# flusher wakes every WAKE: the table buffer that write_inode dirties
# then stays dirty for about EXPIRE, far longer than a step needs.
EXPIRE, WAKE = 500, 50
OLD_MTIME = 1000000000
TRIES = 3


def debugfs(img, req):
    return subprocess.run(["debugfs", "-R", req, img], capture_output=True, text=True, check=True).stdout


def inode_at(img, name, bs):
    """Byte offset in IMG of NAME's inode record."""
    out = debugfs(img, f"imap /{name}")
    m = re.search(r"located at block (\d+), offset (0x[0-9a-f]+)", out)
    if not m:
        raise RuntimeError(f"debugfs imap /{name}: {out!r}")
    return int(m.group(1)) * bs + int(m.group(2), 16)


def block_at(img, name, bs):
    """Byte offset in IMG of NAME's first data block."""
    return int(debugfs(img, f"bmap /{name} 0").split()[0]) * bs


def on_disk(img, off, n):
    with open(img, "rb") as f:
        f.seek(off)
        return f.read(n)


def field(img, ino_off, at):
    """A little-endian 32-bit field of the inode record in IMG."""
    return int.from_bytes(on_disk(img, ino_off + at, 4), "little")


def sysctl(name, value=None):
    path = f"/proc/sys/vm/{name}"
    with open(path) as f:
        old = f.read().strip()
    if value is not None:
        with open(path, "w") as f:
            f.write(str(value))
    return old


def attempt(img, mnt, bs, step, n):
    """One try of STEP; returns (window seen, inode right after the sync, why)."""
    name = f"{step}-{n}"
    path = os.path.join(mnt, name)
    first = bytes([0x30 + n]) * (4096 if step == "fsync" else 100)
    with open(path, "wb") as f:
        f.write(first)
        os.fsync(f.fileno())
    if step == "fsync":
        os.utime(path, (OLD_MTIME, OLD_MTIME))
    os.sync()
    ino, data = inode_at(img, name, bs), block_at(img, name, bs)
    # mtime at offset 16, i_size at 4; the new bytes at the block's start,
    # or after the first 100.
    at, new_at = (16, 0) if step == "fsync" else (4, 100)
    old = field(img, ino, at)
    new_bytes = bytes([0x61 + n]) * 100
    fd = os.open(path, os.O_WRONLY)
    try:
        os.pwrite(fd, new_bytes, new_at)
        deadline = time.monotonic() + EXPIRE / 100 + 20
        while on_disk(img, data + new_at, 100) != new_bytes:
            if time.monotonic() > deadline:
                return False, False, "the flusher never wrote the data"
            time.sleep(0.05)
        # write_inode follows the data's submission at once.
        time.sleep(0.5)
        if field(img, ino, at) != old:
            return False, False, "the inode reached the disk before the sync"
        (os.fsync if step == "fsync" else os.fdatasync)(fd)
        now = field(img, ino, at)
    finally:
        os.close(fd)
    want_ok = now != old and (step == "fsync" or now == 200)
    return True, want_ok, f"on-disk {'mtime' if step == 'fsync' else 'i_size'} {old} -> {now} after {step}"


def main():
    img, mnt, bs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    old = (sysctl("dirty_expire_centisecs", EXPIRE), sysctl("dirty_writeback_centisecs", WAKE))
    try:
        for step in ("fsync", "fdatasync"):
            whys = []
            for n in range(TRIES):
                seen, ok, why = attempt(img, mnt, bs, step, n)
                whys.append(why)
                if seen:
                    report(f"{step}-after-writeback", ok, why)
                    break
            else:
                report(f"{step}-after-writeback", False, f"the window was never open: {'; '.join(whys)}")
    finally:
        sysctl("dirty_expire_centisecs", old[0])
        sysctl("dirty_writeback_centisecs", old[1])
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
