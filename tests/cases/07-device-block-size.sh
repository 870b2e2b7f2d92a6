#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A filesystem block smaller than the device's logical block is refused
# with a message; equal sizes mount and read correctly.
. "$REXT2_ROOT/tests/lib/common.sh"

mark small
dev=$(attach "$REXT2_WORK/full-1024.img" 4096)
if mnt rext2 "$dev" "$T_MNT/a" ro 2>/dev/null; then
	fail "1 KiB blocks on a 4 KiB-sector device mounted"
fi
klog small | grep -q 'rext2: mount refused' || fail "no message for the block size refusal"
dev=$(attach "$REXT2_WORK/full-4096.img" 4096)
if mnt rext2 "$dev" "$T_MNT/b" ro; then
	treecmp "$REXT2_WORK/tree-full" "$T_MNT/b" --ignore lost+found --no-root-attrs --a-is-reference \
		--label-a tree --label-b rext2-4k-sector >/dev/null ||
		fail "content differs on a 4 KiB-sector device"
else
	fail "4 KiB blocks on a 4 KiB-sector device refused"
fi
finish
