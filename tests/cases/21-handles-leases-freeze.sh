#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# File handles, leases and freezing, at 1 and 4 KiB blocks, each run on
# rext2 and, for reference, on the in-kernel ext2 over an image of its own
# (tests/lib/vfsfeatures.py): name_to_handle_at/open_by_handle_at after the
# caches are dropped (a file, a directory reconnected through "..", the
# root, a renamed file) and ESTALE for an unlinked file, a wrong
# generation, an out-of-range and a reserved inode number; read and write
# leases; FIFREEZE/FITHAW with a writer that waits for the thaw, and the
# on-disk state a frozen image shows (clean, but not while an unlinked
# file is still open). Both drivers' outcomes must be identical; then
# e2fsck -fn must find the image clean.
. "$REXT2_ROOT/tests/lib/common.sh"

tmp=/tmp/rext2-vf
rm -rf "$tmp" && mkdir -p "$tmp"
vf() { py "$REXT2_ROOT/tests/lib/vfsfeatures.py" "$@"; }

# On kernels without CONFIG_EXT2_FS (Debian's), "ext2" is the ext4 driver
# (CONFIG_EXT4_USE_FOR_EXT2). It leaves s_state 0 on a frozen image where
# ext2 and rext2 write 1 (clean), so that outcome is then checked for rext2
# alone (against the value it must have) and not compared.
ext4_only=("state frozen")
for bs in $(block_sizes 1024 4096); do
	for drv in rext2 ext2; do
		label=$drv-$bs img=$tmp/$drv-$bs.img m=$T_MNT/$drv-$bs
		mark "$label"
		mke2fs -q -F -t ext2 -b "$bs" "$img" 32M || { fail "$label: mke2fs"; continue; }
		dev=$(attach_rw "$img")
		if ! mnt "$drv" "$dev" "$m" rw; then
			fail "$label: $drv rw mount"
			continue
		fi
		nc=()
		if [ "$drv" = ext2 ] && [ -d "/sys/fs/ext4/$(basename "$(readlink -f "$dev")")" ]; then
			note "$label: the reference is the ext4 driver: not compared: ${ext4_only[*]}"
			nc=(--not-compared "$(IFS=,; echo "${ext4_only[*]}")")
			vf drop "$tmp/rext2-$bs.json" "${ext4_only[@]}" 2>/dev/null
		fi
		vf setup "$m" || fail "$label: setup"
		vf check "$m" "$dev" --out "$tmp/$label.json" "${nc[@]}" | sed "s/^/$label: /"
		[ "${PIPESTATUS[0]}" -eq 0 ] || fail "$label: checks"
		umount "$m" || fail "$label: umount"
		out=$(e2fsck -fn "$img" 2>&1) || { fail "$label: e2fsck -fn found problems"; echo "$out"; }
	done
	same_outcomes "$bs" "$tmp"
done
finish
