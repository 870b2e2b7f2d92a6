#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Corrupt superblocks and group descriptors: each image is refused at
# mount with a "mount refused" message, mounted read-only only (unknown
# RO_COMPAT features), or mounted with a warning (unclean state).
. "$REXT2_ROOT/tests/lib/common.sh"

dir=$REXT2_WORK/corrupt
# The quick tier checks every fourth image that must be refused, and all
# the others (read-only and warning cases).
step=$(quick_or 4 1)
n=0
refused=0
while IFS=$'\t' read -r file case field expect; do
	[ "$file" = file ] && continue
	if [ "$expect" = refuse ]; then
		refused=$((refused + 1))
		[ $(((refused - 1) % step)) = 0 ] || continue
	fi
	n=$((n + 1))
	mark "$case"
	dev=$(attach "$dir/$file")
	m=$T_MNT/$case
	case $expect in
	refuse)
		if mnt rext2 "$dev" "$m" ro 2>/dev/null; then
			fail "$case ($field): mounted"
		elif ! klog "$case" | grep -q 'rext2: mount refused'; then
			fail "$case ($field): refused without a message"
		fi ;;
	ro-only)
		mnt rext2 "$dev" "$m" ro || fail "$case ($field): read-only mount failed"
		ls "$m" >/dev/null || fail "$case: cannot list the root"
		umount "$m" 2>/dev/null
		# A read-only loop device would be refused before rext2 sees it.
		cp "$dir/$file" /tmp/rext2-rw.img
		rw=$(attach_rw /tmp/rext2-rw.img)
		if mount -t rext2 -o rw "$rw" "$m" 2>/dev/null && ! is_ro_mount "$m"; then
			fail "$case ($field): read-write mount accepted"
		fi
		klog "$case" | grep -q 'unsupported RO_COMPAT' ||
			fail "$case: no RO_COMPAT message"
		umount "$m" 2>/dev/null
		rm -f /tmp/rext2-rw.img ;;
	warn)
		if mnt rext2 "$dev" "$m" ro; then
			[ -f "$m/file" ] || fail "$case: content missing"
			klog "$case" | grep -q 'rext2: warning:' ||
				fail "$case ($field): mounted without a warning"
		else
			fail "$case ($field): mount failed"
		fi ;;
	*) fail "$case: unknown expectation $expect" ;;
	esac
	cleanup
done <"$dir/cases.tsv"
note "$n corrupted images checked"
[ "$n" -gt "$(quick_or 8 20)" ] || fail "only $n cases found"
finish
