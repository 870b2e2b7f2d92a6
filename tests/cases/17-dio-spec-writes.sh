#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# DIO-SPEC section 9 cases that apply to writes: T1-T4, T11-T15, T19,
# T21-T24, T27-T29, T33, T35-T37 (see tests/lib/diospec_write.py and
# Documentation/rext2.rst), on a 4 KiB-block image over a 512-byte logical
# loop device and a copy over a 4096-byte one; the free space was filled
# with 0xAA before mkfs; T19 and T26, which need a write in flight, on a
# third copy behind dm-delay (writes and flushes take 400 ms); T18's
# written-through writes on three 4 KiB-block null_blk devices: a
# volatile cache with FUA, one without, and no cache. Then every page pin
# is released and e2fsck -fn finds the images clean. Without dmsetup the
# case runs the rest and then skips (T19 and T26 not run).
. "$REXT2_ROOT/tests/lib/common.sh"
. "$REXT2_ROOT/tests/lib/nullb.sh"

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
pins_before=$(pins)
img=/tmp/rext2-dsw.img img4k=/tmp/rext2-dsw-4kn.img imgslow=/tmp/rext2-dsw-slow.img
slow=rext2-dsw-slow
cp "$REXT2_WORK/empty-4096.img" "$img"
cp "$REXT2_WORK/empty-4096.img" "$img4k"
dev=$(attach_rw "$img")
dev4k=$(losetup -f --show -b 4096 "$img4k" | tee -a "$T_LOOPS")
mnt rext2 "$dev" "$T_MNT/w" rw || { fail "rw mount"; finish; }
mnt rext2 "$dev4k" "$T_MNT/w4kn" rw || fail "rw mount on a 4Kn device"
slow_args=() noslow=
remove_slow() {
	if dmsetup info "$slow" >/dev/null 2>&1; then
		umount "$T_MNT/slow" 2>/dev/null
		dmsetup remove "$slow"
	fi
}
trap 'remove_slow; nullb_cleanup' EXIT
wt_args=() wt_devs=()
for kind in fua:16:1 nofua:16:0 nocache:0:0; do
	IFS=: read -r k cache fua <<<"$kind"
	if d=$(nullb_create "rext2-dsw-$k" 64 "$cache" "$fua") &&
		mke2fs -q -F -t ext2 -b 4096 "$d" >/dev/null && mnt rext2 "$d" "$T_MNT/wt-$k" rw; then
		wt_args+=(--wt "$k:$T_MNT/wt-$k:$d")
		wt_devs+=("$d")
	else
		fail "null_blk device ($k) or its rext2 mount"
	fi
done
if command -v dmsetup >/dev/null; then
	cp "$REXT2_WORK/empty-4096.img" "$imgslow"
	devslow=$(attach_rw "$imgslow")
	# dm-delay: reads at once, writes (and flushes) after 400 ms. The guest
	# has no udev: no /dev/mapper link, so mount devtmpfs's /dev/dm-N.
	if dmsetup create --noudevsync "$slow" \
		--table "0 $(blockdev --getsz "$devslow") delay $devslow 0 0 $devslow 0 400" &&
		dm=/dev/dm-$(dmsetup info -c --noheadings -o minor "$slow" | tr -d ' ') &&
		mnt rext2 "$dm" "$T_MNT/slow" rw; then
		slow_args=(--slow "$T_MNT/slow")
	else
		fail "dm-delay device or its rext2 mount"
	fi
else
	noslow=1
fi
py "$REXT2_ROOT/tests/lib/diospec_write.py" "$T_MNT/w" "$dev" --4kn "$T_MNT/w4kn" "${slow_args[@]}" \
	"${wt_args[@]}" || fail "DIO-SPEC write cases"
for d in "${wt_devs[@]}"; do
	umount "$d" || fail "umount $d"
	out=$(e2fsck -fn "$d" 2>&1) || { fail "e2fsck -fn $d"; printf '%s\n' "$out" | head -n 30 | sed 's/^/# /'; }
done
umount "$T_MNT/w" || fail "umount"
umount "$T_MNT/w4kn" || fail "umount (4Kn)"
if [ ${#slow_args[@]} -gt 0 ]; then
	umount "$T_MNT/slow" || fail "umount (dm-delay)"
	dmsetup remove "$slow" || fail "dmsetup remove"
fi
for i in "$img" "$img4k" ${slow_args[@]:+"$imgslow"}; do
	out=$(e2fsck -fn "$i" 2>&1) || { fail "e2fsck -fn $(basename "$i")"; printf '%s\n' "$out" | head -n 30 | sed 's/^/# /'; }
done
pins_after=$(pins)
[ "$pins_after" -eq "$pins_before" ] || fail "page pins: $((pins_after - pins_before)) acquired but not released"
nullb_cleanup
rm -f "$img" "$img4k" "$imgslow"
if [ -n "$noslow" ] && [ "$T_FAILS" -eq 0 ]; then
	echo "SKIP: dmsetup not installed: T19 and T26 (a write in flight on a dm-delay device) were not run; the other cases passed"
	exit "$KSFT_SKIP"
fi
finish
