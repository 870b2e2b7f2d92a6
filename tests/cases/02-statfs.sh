#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# statfs through rext2 reports what the in-kernel ext2 reports.
. "$REXT2_ROOT/tests/lib/common.sh"

fmt='type=%t bsize=%s blocks=%b bfree=%f bavail=%a files=%c ffree=%d namelen=%l fsid=%i'
for bs in 1024 2048 4096; do
	img=$REXT2_WORK/full-$bs.img
	mnt rext2 "$(attach "$img")" "$T_MNT/r$bs" || { fail "mount rext2 ($bs)"; continue; }
	mnt ext2 "$(attach "$img")" "$T_MNT/e$bs" || { fail "mount ext2 ($bs)"; continue; }
	a=$(stat -f -c "$fmt" "$T_MNT/r$bs")
	b=$(stat -f -c "$fmt" "$T_MNT/e$bs")
	note "rext2 $bs: $a"
	[ "$a" = "$b" ] || fail "statfs differs at $bs: ext2 says $b"
	cleanup
done
finish
