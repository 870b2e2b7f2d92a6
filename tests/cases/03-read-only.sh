#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# This rext2 is read-only: a read-write mount is refused with a message,
# remounting read-write is refused, and writes fail with EROFS.
. "$REXT2_ROOT/tests/lib/common.sh"

img=$REXT2_WORK/full-1024.img
cp "$img" /tmp/rext2-ro.img
dev=$(attach_rw /tmp/rext2-ro.img)
sum_before=$(md5sum </tmp/rext2-ro.img)
mkdir -p "$T_MNT/rw"
if mount -t rext2 -o rw "$dev" "$T_MNT/rw" 2>/dev/null && ! is_ro_mount "$T_MNT/rw"; then
	fail "read-write mount accepted"
fi
umount "$T_MNT/rw" 2>/dev/null
klog | grep -q 'rext2: mount refused: this rext2 supports read-only mounts only' ||
	fail "no message for the refused read-write mount"
mnt rext2 "$dev" "$T_MNT/ro" ro || fail "read-only mount failed"
if mount -o remount,rw "$T_MNT/ro" 2>/dev/null; then
	fail "remount read-write accepted"
fi
is_ro_mount "$T_MNT/ro" || fail "mount is not read-only after the remount attempt"
if touch "$T_MNT/ro/newfile" 2>/dev/null; then
	fail "creating a file succeeded"
fi
if echo x 2>/dev/null >>"$T_MNT/ro/top-file"; then
	fail "appending to a file succeeded"
fi
cleanup
[ "$sum_before" = "$(md5sum </tmp/rext2-ro.img)" ] || fail "the image changed"
rm -f /tmp/rext2-ro.img
finish
