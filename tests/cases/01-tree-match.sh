#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Every file read through rext2 matches the source tree and what the
# in-kernel ext2 driver sees, at 1, 2 and 4 KiB blocks: names, types,
# sizes, modes, owners, link counts, times, link targets, contents; and
# FIEMAP reports the same block map as ext2's.
. "$REXT2_ROOT/tests/lib/common.sh"

for bs in $(block_sizes 1024 2048 4096); do
	img=$REXT2_WORK/full-$bs.img
	r=$(attach "$img")
	e=$(attach "$img")
	mnt rext2 "$r" "$T_MNT/rext2-$bs" || { fail "mount rext2 ($bs)"; continue; }
	mnt ext2 "$e" "$T_MNT/ext2-$bs" || { fail "mount ext2 ($bs)"; continue; }
	# The quick tier leaves out the comparison with the source tree (the
	# strict one with ext2 below reads every file too).
	if [ "${REXT2_QUICK:-0}" != 1 ]; then
		treecmp "$REXT2_WORK/tree-full" "$T_MNT/rext2-$bs" --ignore lost+found \
			--no-root-attrs --a-is-reference --hardlinks --label-a tree --label-b "rext2-$bs" ||
			fail "rext2 differs from the source tree at $bs-byte blocks"
	fi
	treecmp "$T_MNT/ext2-$bs" "$T_MNT/rext2-$bs" --strict \
		--label-a "ext2-$bs" --label-b "rext2-$bs" ||
		fail "rext2 differs from in-kernel ext2 at $bs-byte blocks"
	py "$REXT2_ROOT/tests/lib/fiemap.py" "$T_MNT/ext2-$bs" "$T_MNT/rext2-$bs" ||
		fail "FIEMAP differs from in-kernel ext2 at $bs-byte blocks"
	cleanup
done
finish
