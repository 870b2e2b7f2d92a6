#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Polled completion (RWF_HIPRI), beyond 7.3's fs/direct-io.c and ext2
# (neither has an iopoll): on a null_blk device with a poll queue, fio's
# io_uring engine with hipri=1 (an IORING_SETUP_IOPOLL ring, refused with
# EOPNOTSUPP by a file without iopoll) overwrites a written file with
# 4 KiB random blocks and reads every one back, verified. Every one of
# those requests is on the one-bio path, and the engine's
# polled_requests counter must count each: the device can poll
# (queue/io_poll), so its bios completed only when io_uring polled them.
# Then e2fsck -fn finds the image clean.
. "$REXT2_ROOT/tests/lib/common.sh"
. "$REXT2_ROOT/tests/lib/nullb.sh"

command -v fio >/dev/null || { echo "SKIP: fio not installed"; exit "$KSFT_SKIP"; }
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
[ -r "$REXT2_DIO_STATS" ] || { fail "no counters file $REXT2_DIO_STATS"; finish; }
trap 'nullb_cleanup' EXIT
dev=$(nullb_create rext2-poll 64 0 0 1) || { fail "null_blk device with a poll queue"; finish; }
name=${dev#/dev/}
[ "$(cat "/sys/block/$name/queue/io_poll")" = 1 ] || { fail "$dev cannot poll"; finish; }
mke2fs -q -F -t ext2 -b 4096 "$dev" || { fail "mke2fs"; finish; }
mnt rext2 "$dev" "$T_MNT/p" rw || { fail "rw mount"; finish; }
# Written (not sparse) and synced, so that every block is on disk.
dd if=/dev/urandom of="$T_MNT/p/f" bs=1M count=4 conv=fsync status=none || fail "writing the file"

polled() { awk '$1 == "polled_requests" { print $2 }' "$REXT2_DIO_STATS"; }
c0=$(cat "$REXT2_DIO_STATS")
p0=$(polled)
out=$(fio --name=polled --filename="$T_MNT/p/f" --size=4M --bs=4k --rw=randwrite \
	--direct=1 --ioengine=io_uring --hipri=1 --iodepth=8 --verify=crc32c \
	--do_verify=1 --verify_fatal=1 --output-format=terse 2>&1)
rc=$?
p1=$(polled)
if [ "$rc" -ne 0 ]; then
	fail "fio io_uring hipri=1 exited $rc"
	printf '%s\n' "$out" | tail -n 5 | sed 's/^/# /'
fi
# 1024 writes and 1024 verifying reads, all inside i_size on one block
# run each: every one goes by the one-bio path, polled.
if [ $((p1 - p0)) -lt 2048 ]; then
	fail "polled_requests grew by $((p1 - p0)), expected at least 2048"
	# The engine's counters that moved, for the reader.
	printf '%s\n' "$c0" | awk 'NR == FNR { b[$1] = $2; next } $2 != b[$1] { print "# " $1, b[$1], "->", $2 }' - "$REXT2_DIO_STATS"
else
	echo "# polled_requests +$((p1 - p0))"
fi
umount "$T_MNT/p" || fail "umount"
out=$(e2fsck -fn "$dev" 2>&1) || { fail "e2fsck -fn"; printf '%s\n' "$out" | head -n 20 | sed 's/^/# /'; }
finish
