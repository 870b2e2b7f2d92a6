#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# fsync and fdatasync after background writeback (tests/lib/metawb.py): on
# a 4 KiB-block image behind a loop device, the flusher writes a file's
# data and its inode (a non-integrity write_inode: the inode-table block
# is left dirty in the buffer cache, the inode is clean); an fsync after
# an overwrite, and an fdatasync after an append, made in the seconds
# before that block's own writeback, must each put the new inode in the
# image. Then e2fsck -fn finds the image clean.
. "$REXT2_ROOT/tests/lib/common.sh"

command -v debugfs >/dev/null || { echo "SKIP: debugfs not installed"; exit "$KSFT_SKIP"; }
img=/tmp/rext2-metawb.img
cp "$REXT2_WORK/empty-4096.img" "$img"
dev=$(attach_rw "$img")
mnt rext2 "$dev" "$T_MNT/r" rw || { fail "rw mount"; cleanup; finish; }
py "$REXT2_ROOT/tests/lib/metawb.py" "$img" "$T_MNT/r" 4096 || fail "inode durable after writeback"
umount "$T_MNT/r" || fail "umount"
cleanup
out=$(e2fsck -fn "$img" 2>&1) || { fail "e2fsck -fn"; printf '%s\n' "$out" | head -n 20 | sed 's/^/# /'; }
rm -f "$img"
finish
