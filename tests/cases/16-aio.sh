#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Asynchronous O_DIRECT (DIO-SPEC 7.3-7.6) through the AIO syscalls
# (tests/lib/aio.py), on 1 KiB and 4 KiB-block images: a batch of reads
# (up to 2 MiB, two rounds), a batch of overwrites (some RWF_DSYNC), an
# extending write and a write into a hole inside i_size (both must
# complete in the submitter), a read of a hole (no bio), errors in events,
# and reads in flight across a truncate. Each iocb gets exactly one event
# with the right result, the data is right, the counters show requests
# queued (-EIOCBQUEUED) and exactly as many completed from a bio; then
# every page pin is released, e2fsck -fn is clean and the in-kernel ext2
# reads the same file.
. "$REXT2_ROOT/tests/lib/common.sh"

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
pins_before=$(pins)

for bs in $(block_sizes 1024 4096); do
	mark "aio at ${bs}-byte blocks"
	img=/tmp/rext2-aio-$bs.img
	cp "$REXT2_WORK/empty-$bs.img" "$img"
	dev=$(attach_rw "$img")
	m=$T_MNT/aio$bs
	mnt rext2 "$dev" "$m" rw || { fail "$bs: rw mount"; continue; }
	py "$REXT2_ROOT/tests/lib/aio.py" "$m" "$REXT2_DIO_STATS" ||
		fail "$bs: aio.py"
	sum=$(md5sum <"$m/aio-data")
	umount "$m" || { fail "$bs: umount"; continue; }
	out=$(e2fsck -fn "$img" 2>&1) || { fail "$bs: e2fsck -fn"; printf '%s\n' "$out" | head -n 30 | sed 's/^/# /'; }
	mnt ext2 "$dev" "$m" ro || { fail "$bs: in-kernel ext2 mount"; continue; }
	[ "$(md5sum <"$m/aio-data")" = "$sum" ] || fail "$bs: ext2 reads different data"
	umount "$m"
done
pins_after=$(pins)
[ "$pins_after" -eq "$pins_before" ] || fail "page pins: $((pins_after - pins_before)) acquired but not released"
cleanup
rm -f /tmp/rext2-aio-*.img
finish
