#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fault injection into direct I/O (tests/lib/diofault.py): with the
# kernel's fail-nth interface, every allocation and bio submission that a
# sync read, a sync overwrite, a block-aligned extending write, one that
# ends inside a block, an AIO read and an AIO overwrite pass through fails
# in turn (failslab and fail_page_alloc for
# sleeping allocations, fail_make_request on the device), on a 1 KiB-block
# image whose test file is fragmented. Each faulted request fails cleanly
# or succeeds with the right data, sizes change only by what a write
# reports; then no page pin is left, nothing hung or warned (the runner's
# kernel-log check), e2fsck -fn is clean and the in-kernel ext2 mounts it.
. "$REXT2_ROOT/tests/lib/common.sh"

fi=/sys/kernel/debug
mountpoint -q $fi || mount -t debugfs none $fi
for d in failslab fail_page_alloc fail_make_request; do
	[ -d "$fi/$d" ] || { echo "SKIP: $fi/$d missing (kernel without CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC, CONFIG_FAIL_MAKE_REQUEST and CONFIG_FAULT_INJECTION_DEBUG_FS)"; exit "$KSFT_SKIP"; }
done
[ -e /proc/self/fail-nth ] || [ -e "/proc/self/task/$$/fail-nth" ] || { echo "SKIP: no /proc fail-nth (CONFIG_FAULT_INJECTION)"; exit "$KSFT_SKIP"; }

pins_before=$(pins)
img=/tmp/rext2-faults.img
cp "$REXT2_WORK/empty-1024.img" "$img"
dev=$(attach_rw "$img")
mnt rext2 "$dev" "$T_MNT/f" rw || { fail "rw mount"; finish; }

# Sleeping allocations may fail too (by default only atomic ones do), of
# any order; no stack dump per injected fault; bios to this device only.
restore_faults() {
	echo 0 >"/sys/block/$(basename "$dev")/make-it-fail"
	echo Y >$fi/failslab/ignore-gfp-wait
	echo Y >$fi/fail_page_alloc/ignore-gfp-wait
	echo 1 >$fi/fail_page_alloc/min-order
	for d in failslab fail_page_alloc fail_make_request; do echo 2 >"$fi/$d/verbose"; done
}
echo N >$fi/failslab/ignore-gfp-wait
echo N >$fi/fail_page_alloc/ignore-gfp-wait
echo 0 >$fi/fail_page_alloc/min-order
for d in failslab fail_page_alloc fail_make_request; do echo 0 >"$fi/$d/verbose"; done
echo 1 >"/sys/block/$(basename "$dev")/make-it-fail"
py "$REXT2_ROOT/tests/lib/diofault.py" "$T_MNT/f" "$REXT2_DIO_STATS" || fail "fault injection"
restore_faults
umount "$T_MNT/f" || fail "umount"
out=$(e2fsck -fn "$img" 2>&1) || { fail "e2fsck -fn"; printf '%s\n' "$out" | head -n 30 | sed 's/^/# /'; }
mnt ext2 "$dev" "$T_MNT/f" ro || fail "in-kernel ext2 mount"
umount "$T_MNT/f" 2>/dev/null
pins_after=$(pins)
[ "$pins_after" -eq "$pins_before" ] || fail "page pins: $((pins_after - pins_before)) acquired but not released"
cleanup
rm -f "$img"
finish
