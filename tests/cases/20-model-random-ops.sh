#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Model-based random operations (tools/fsmodel) at 1, 2 and 4 KiB blocks:
# the same seeded sequence of creates, writes (holes, appends, far
# offsets), truncates, reads, mkdir/rmdir, renames, links, symlinks,
# fifos, device nodes, chmod/chown/utimes and fsyncs runs on a read-write
# rext2 mount and on a tmpfs reference directory; every result (value or
# errno) and, every 100 operations, the whole trees (read back after
# syncfs and drop_caches) must match. Then e2fsck -fn must find the image
# clean and the in-kernel ext2 must read the reference tree from it.
# Reverse direction: a tree the in-kernel ext2 wrote, continued by rext2
# with another seed against the same reference, checked the same way.
# First, fsmodel must catch a planted bug (a self-check of the tool).
# Skipped while rext2 refuses read-write mounts ("supports read-only
# mounts only"). Seeds derive from REXT2_SEED; fsmodel prints each one
# first, so a failing run repeats with the same --seed and --ops.
#
# REXT2_FSMODEL_OPS (default 2000) and REXT2_FSMODEL_REVERSE_OPS (default
# 400: that many by ext2, then as many again by rext2) scale the runs.
. "$REXT2_ROOT/tests/lib/common.sh"

fsmodel=$REXT2_WORK/bin/rext2-fsmodel
seed=${REXT2_SEED:-$(cat "$REXT2_WORK/seed" 2>/dev/null || echo 20261123)}
ops=${REXT2_FSMODEL_OPS:-$(quick_or 300 2000)}
rops=${REXT2_FSMODEL_REVERSE_OPS:-$(quick_or 60 400)}
tmp=/tmp/rext2-model
ref=$T_MNT/ref

if [ ! -x "$fsmodel" ]; then
	echo "FAIL: $fsmodel is missing (tests/prepare builds tools/fsmodel)"
	exit 1
fi
note "seed $seed (REXT2_SEED), $ops operations per run, $rops per reverse half"
mkdir -p "$tmp/empty"

# model SEED OPS DIR [OPTIONS...]: fsmodel on DIR against the reference.
model() {
	local s=$1 n=$2 dir=$3
	shift 3
	# Under emulation one operation can take seconds, and it runs on the
	# target first: mtimes get a matching tolerance.
	"$fsmodel" --seed "$s" --ops "$n" --mtime-slack 5 "$@" "$dir" "$ref/model"
}

# fresh_image BS IMG: an empty ext2 image, free blocks filled with 0xAA.
fresh_image() {
	if [ -f "$REXT2_WORK/empty-$1.img" ]; then
		cp "$REXT2_WORK/empty-$1.img" "$2"
	else
		"$REXT2_ROOT/tests/lib/mkimage.sh" "$2" "$1" "$tmp/empty" 64 >/dev/null
	fi
}

# fresh_ref: an empty reference directory on a tmpfs of its own.
fresh_ref() {
	if mountpoint -q "$ref"; then
		umount "$ref"
	fi
	mnt tmpfs none "$ref" rw,size=1g,mode=755 && mkdir "$ref/model"
}

# fsck_clean IMG WHAT: e2fsck -fn must find nothing to fix.
fsck_clean() {
	local out
	if out=$(e2fsck -fn "$1" 2>&1); then
		note "e2fsck -fn $2: $(printf '%s\n' "$out" | tail -n 1)"
	else
		printf '%s\n' "$out" | head -n 60
		fail "e2fsck -fn reports problems $2"
	fi
}

# ext2_sees IMG WHAT: the in-kernel ext2 (read-only) reads the reference.
ext2_sees() {
	local m=$T_MNT/ext2-ro
	mnt ext2 "$(attach "$1")" "$m" ro || { fail "ext2 mount $2"; return; }
	treecmp "$ref/model" "$m/model" --hardlinks --label-a reference --label-b ext2 ||
		fail "the in-kernel ext2 reads a different tree $2"
	umount "$m"
}

# The tool must catch a planted bug (a byte changed behind its back).
mark selftest
mnt tmpfs none "$T_MNT/self" rw,size=256m && mkdir "$T_MNT/self/a" "$T_MNT/self/b"
out=$(FSMODEL_PLANT_BUG=flip-byte "$fsmodel" --seed "$seed" --ops 200 "$T_MNT/self/a" "$T_MNT/self/b")
rc=$?
if [ $rc -ne 1 ] || ! printf '%s\n' "$out" | grep -q 'content differs'; then
	printf '%s\n' "$out"
	fail "fsmodel did not catch a planted bug (exit $rc)"
fi
umount "$T_MNT/self"

for bs in $(block_sizes 1024 2048 4096); do
	img=$tmp/model-$bs.img
	m=$T_MNT/rw-$bs

	# rext2 writes, e2fsck and the in-kernel ext2 check.
	mark "rext2-$bs"
	fresh_image "$bs" "$img" || { fail "no empty image ($bs)"; continue; }
	fresh_ref || { fail "tmpfs for the reference"; continue; }
	dev=$(attach_rw "$img")
	if ! mnt rext2 "$dev" "$m" rw; then
		fail "read-write rext2 mount ($bs)"
		cleanup
		continue
	fi
	mkdir "$m/model"
	same=1
	FSMODEL_DROP_CACHES=1 model "$((seed + bs))" "$ops" "$m/model" --stamp-times || {
		fail "rext2 diverged from the reference ($bs-byte blocks)"
		same=0
	}
	note "df: $(df -k "$m" | tail -n 1)"
	umount "$m" || fail "umount rext2 ($bs)"
	fsck_clean "$img" "after rext2 wrote it ($bs-byte blocks)"
	# (Only identical trees had their times stamped for treecmp.)
	[ $same = 1 ] && ext2_sees "$img" "after rext2 wrote it ($bs-byte blocks)"
	cleanup
	rm -f "$img"

	# The in-kernel ext2 writes, rext2 continues.
	mark "reverse-$bs"
	fresh_image "$bs" "$img" || { fail "no empty image ($bs)"; continue; }
	fresh_ref || { fail "tmpfs for the reference"; continue; }
	dev=$(attach_rw "$img")
	mnt ext2 "$dev" "$m" rw || { fail "read-write ext2 mount ($bs)"; cleanup; continue; }
	mkdir "$m/model"
	model "$((seed + bs + 1))" "$rops" "$m/model" ||
		fail "the in-kernel ext2 diverged from the reference ($bs-byte blocks)"
	umount "$m" || fail "umount ext2 ($bs)"
	fsck_clean "$img" "after ext2 wrote it ($bs-byte blocks)"
	if mnt rext2 "$dev" "$m" rw; then
		same=1
		FSMODEL_DROP_CACHES=1 model "$((seed + bs + 2))" "$rops" "$m/model" --stamp-times || {
			fail "rext2 continuing ext2's tree diverged ($bs-byte blocks)"
			same=0
		}
		umount "$m" || fail "umount rext2 ($bs)"
		fsck_clean "$img" "after rext2 changed ext2's tree ($bs-byte blocks)"
		[ $same = 1 ] && ext2_sees "$img" "after rext2 changed ext2's tree ($bs-byte blocks)"
	else
		fail "read-write rext2 mount of ext2's tree ($bs)"
	fi
	cleanup
	rm -f "$img"
done
rm -rf "$tmp"
finish
