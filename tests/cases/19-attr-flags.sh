#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Attribute flags (chattr/lsattr: immutable, append-only, sync, noatime,
# nodump, dirsync) and O_TMPFILE, at 1 and 4 KiB blocks, each run on rext2
# and, for reference, on the in-kernel ext2 over an image of its own:
# tests/lib/attrflags.py sets the flags with the other driver, then checks
# what the kernel enforces (EPERM on every change of an immutable file,
# appends only to an append-only one, CAP_LINUX_IMMUTABLE), what new
# entries inherit, the statx attributes of every kind of inode,
# FS_IOC_FSSETXATTR, and tmpfiles unnamed (freed on
# close) and linked with linkat. Both drivers' outcomes must be identical;
# then e2fsck -fn is clean and the other driver sees the flags and the
# linked tmpfile.
. "$REXT2_ROOT/tests/lib/common.sh"

tmp=/tmp/rext2-af
rm -rf "$tmp" && mkdir -p "$tmp"
af() { py "$REXT2_ROOT/tests/lib/attrflags.py" "$@"; }

for bs in 1024 4096; do
	for drv in rext2 ext2; do
		other=ext2
		[ "$drv" = ext2 ] && other=rext2
		label=$drv-$bs img=$tmp/$drv-$bs.img m=$T_MNT/$drv-$bs
		mark "$label"
		mke2fs -q -F -t ext2 -b "$bs" "$img" 32M || { fail "$label: mke2fs"; continue; }
		dev=$(attach_rw "$img")
		if ! mnt "$other" "$dev" "$m" rw; then
			fail "$label: $other rw mount"
			continue
		fi
		af setup "$m" || fail "$label: setup with $other"
		umount "$m"
		if mnt "$drv" "$dev" "$m" rw; then
			af check "$m" --out "$tmp/$label.json" | sed "s/^/$label: /"
			[ "${PIPESTATUS[0]}" -eq 0 ] || fail "$label: checks"
			umount "$m" || fail "$label: umount"
		else
			fail "$label: $drv rw mount"
		fi
		out=$(e2fsck -fn "$img" 2>&1) || { fail "$label: e2fsck -fn found problems"; echo "$out"; }
		if mnt "$other" "$dev" "$m" ro; then
			af verify "$m" | sed "s/^/$label: /"
			[ "${PIPESTATUS[0]}" -eq 0 ] || fail "$label: $other does not see the changes"
			umount "$m"
		else
			fail "$label: $other ro mount"
		fi
	done
	same_outcomes "$bs" "$tmp"
done
finish
