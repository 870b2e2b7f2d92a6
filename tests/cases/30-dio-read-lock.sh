#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# O_DIRECT readers share i_rwsem (tests/lib/readlock.py): on a 4 KiB-block
# image behind a dm-linear device, a file's block map is dropped from
# memory, the device is suspended, and one reader stops in the block-map
# lookup with the engine's hold of i_rwsem; a second reader's AIO read
# must still be submitted. An engine that takes i_rwsem exclusive for
# reads, as 7.3 does, fails this case. Then e2fsck -fn finds the image
# clean.
. "$REXT2_ROOT/tests/lib/common.sh"
. "$REXT2_ROOT/tests/lib/dm.sh"

command -v dmsetup >/dev/null || { echo "SKIP: dmsetup not installed"; exit "$KSFT_SKIP"; }
img=/tmp/rext2-readlock.img
cp "$REXT2_WORK/empty-4096.img" "$img"
dev=$(attach_rw "$img")
lin=$(dm_create rext2-readlock "0 $(sectors "$dev") linear $dev 0") || { fail "dmsetup create linear"; finish; }
mnt rext2 "$lin" "$T_MNT/r" rw || { fail "rw mount"; dm_cleanup; finish; }
pattern_file "$T_MNT/r/file" $((1 << 20)) || fail "writing the test file"
# The inode (and its cached block-map runs) and the indirect block go.
sync
echo 3 >/proc/sys/vm/drop_caches
py "$REXT2_ROOT/tests/lib/readlock.py" "$T_MNT/r/file" rext2-readlock 4096 || fail "shared read lock"
umount "$T_MNT/r" || fail "umount"
dm_cleanup
cleanup
out=$(e2fsck -fn "$img" 2>&1) || { fail "e2fsck -fn"; printf '%s\n' "$out" | head -n 20 | sed 's/^/# /'; }
rm -f "$img"
finish
