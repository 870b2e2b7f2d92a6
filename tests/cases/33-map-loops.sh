#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Truncate and unlink over block maps that are graphs, not trees, at 1 KiB
# and 4 KiB blocks (tests/lib/maploops.py): an indirect block whose entries
# name itself, trees whose every entry names one block (2^16 to 2^30
# pointers), an IND entry naming its own IND block, and a partial truncate
# into a self-referencing DIND block. Each truncate or unlink must end
# (120 s each), with 0 or EUCLEAN/EIO and a "not a tree" message naming the
# inode, without flooding the kernel log; the untouched files must survive,
# e2fsck -fy must touch only the victims and leave the image clean, no page
# pin may be left. Found by make fuzz-long: a self-referencing TIND block
# made truncate free one block 2^24 times, printing each time.
. "$REXT2_ROOT/tests/lib/common.sh"

need mke2fs e2fsck debugfs losetup
for bs in 1024 4096; do
	mark "map loops at ${bs}-byte blocks"
	if ! py "$REXT2_ROOT/tests/lib/maploops.py" "/tmp/rext2-maploops-$bs" "$T_MNT/m$bs" "$bs"; then
		fail "$bs-byte blocks: maploops.py (FAIL lines above)"
		# A walk that did not end may still hold a CPU and the mount.
		break
	fi
done
finish
