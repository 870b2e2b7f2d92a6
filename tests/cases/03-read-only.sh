#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A read-only mount is read-only: writes fail with EROFS and the image is
# unchanged bit for bit. Remounting read-write then works (and writes
# land), remounting read-only again leaves a clean, e2fsck-valid image.
. "$REXT2_ROOT/tests/lib/common.sh"

img=/tmp/rext2-ro.img
cp "$REXT2_WORK/full-1024.img" "$img"
dev=$(attach_rw "$img")
sum_before=$(md5sum <"$img")
mnt rext2 "$dev" "$T_MNT/ro" ro || fail "read-only mount failed"
if touch "$T_MNT/ro/newfile" 2>/dev/null; then
	fail "creating a file on a read-only mount succeeded"
fi
if echo x 2>/dev/null >>"$T_MNT/ro/top-file"; then
	fail "appending to a file on a read-only mount succeeded"
fi
umount "$T_MNT/ro"
[ "$sum_before" = "$(md5sum <"$img")" ] || fail "a read-only mount changed the image"

mnt rext2 "$dev" "$T_MNT/ro" ro || fail "read-only mount failed"
mount -o remount,rw "$T_MNT/ro" || fail "remount read-write refused"
is_ro_mount "$T_MNT/ro" && fail "still read-only after remount,rw"
echo "written after remount" >"$T_MNT/ro/newfile" || fail "write after remount,rw failed"
mount -o remount,ro "$T_MNT/ro" || fail "remount read-only refused"
is_ro_mount "$T_MNT/ro" || fail "not read-only after remount,ro"
if touch "$T_MNT/ro/another" 2>/dev/null; then
	fail "creating a file after remount,ro succeeded"
fi
umount "$T_MNT/ro"
out=$(e2fsck -fn "$img" 2>&1) || { fail "e2fsck after remounts"; echo "$out" | sed 's/^/# /'; }
dumpe2fs -h "$img" 2>/dev/null | grep -q '^Filesystem state: *clean$' ||
	fail "the filesystem is not marked clean after unmount"
cleanup
rm -f "$img"
finish
