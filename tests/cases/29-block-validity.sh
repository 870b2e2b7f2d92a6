#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Block maps that point into metadata (block validity), at 1 KiB and 4 KiB
# blocks (tests/lib/validity.py): files whose direct pointer, IND entry or
# IND pointer is set (debugfs sif) to the superblock, a descriptor block, a
# reserved descriptor block, the block and inode bitmaps, the first
# inode-table block, or another file's block. O_DIRECT writes (sync, AIO),
# buffered writes + fsync, mmap writes + msync, buffered, O_DIRECT and AIO
# reads and truncates on them must give EUCLEAN or EIO (mmap: SIGBUS) and a
# kernel message naming the inode and the block; after unmount nothing
# outside the files' own blocks has changed (byte comparison of the
# image), e2fsck -fn reports what it reported before, no page pin is left.
# The in-kernel ext2 writes into the metadata here: it is not compared.
. "$REXT2_ROOT/tests/lib/common.sh"

need mke2fs e2fsck debugfs losetup
for bs in 1024 4096; do
	mark "block validity at ${bs}-byte blocks"
	py "$REXT2_ROOT/tests/lib/validity.py" "/tmp/rext2-validity-$bs" "$T_MNT/v$bs" "$bs" ||
		fail "$bs-byte blocks: validity.py (FAIL lines above)"
done
finish
