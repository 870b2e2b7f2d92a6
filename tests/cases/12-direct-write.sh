#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# O_DIRECT writes through rext2 (DIO_LOCKING | DIO_SKIP_HOLES): a seeded
# random workload (tests/lib/diowrite.py) of direct writes into data, past
# EOF and into holes inside i_size, mixed with buffered writes, truncates
# and reads, checked against a model at every step, on empty 1, 2 and 4
# KiB-block images, at the fs block alignment and at 512 bytes (blkfactor
# > 0), and on a 4 KiB image over a loop device with a 512-byte logical
# block. The counters must show direct writes, buffered fallbacks (holes
# inside i_size) and sub-block zeroing (new blocks at blkfactor > 0); then
# e2fsck -fn is clean, the in-kernel ext2 reads exactly the model's
# content, no file holds a 512-byte run of the 0xAA fill pattern (stale
# data), and every page pin taken was released.
. "$REXT2_ROOT/tests/lib/common.sh"

# attach_rw_lbs FILE LBS: a writable loop device with that logical block
# size (common.sh's attach_rw has no such option).
attach_rw_lbs() { losetup -f --show -b "$2" "$1" | tee -a "$T_LOOPS"; }
# counter FILE NAME: one value from a counters file (or a saved copy).
counter() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
pins_before=$(pins)
seed=$(cat "$REXT2_WORK/seed" 2>/dev/null || echo 1)
ops=${REXT2_DIOWRITE_OPS:-$(quick_or 40 80)}
tmp=/tmp/rext2-dw
rm -rf "$tmp" && mkdir -p "$tmp"

# workload LABEL DEV BS SEED ALIGN...: mount DEV (a BS-block image) rext2
# read-write, run diowrite.py at each alignment (file wALIGN, expected
# content in $tmp/exp-$img_label), check the counters, unmount, e2fsck -fn.
workload() {
	local label=$1 dev=$2 bs=$3 s=$4 m=$T_MNT/$1 stats c delta="" lbsz
	local -A d
	shift 4
	mark "$label"
	mnt rext2 "$dev" "$m" rw || { fail "$label: rw mount"; return; }
	lbsz=$(blockdev --getss "$dev")
	stats=$REXT2_DIO_STATS
	[ -r "$stats" ] || { fail "$label: no counters file $stats"; umount "$m"; return; }
	cp "$stats" "$tmp/before"
	py "$REXT2_ROOT/tests/lib/diowrite.py" "$m" --prefix w --seed "$s" --ops "$ops" \
		--align "$@" --counters "$stats" --expect "$tmp/exp-$img_label" ||
		fail "$label: diowrite (alignments $*)"
	cp "$stats" "$tmp/after"
	for c in writes write_bytes buffered_fallbacks subblock_zero_writes; do
		d[$c]=$(( $(counter "$tmp/after" $c) - $(counter "$tmp/before" $c) ))
		delta="$delta $c+${d[$c]}"
	done
	note "$label (device block $lbsz, alignments $*):$delta"
	[ "${d[writes]}" -gt 0 ] && [ "${d[write_bytes]}" -gt 0 ] || fail "$label: writes or write_bytes did not grow"
	[ "${d[buffered_fallbacks]}" -gt 0 ] || fail "$label: no buffered fallback after writes into holes inside i_size"
	if [ "${*: -1}" -lt "$bs" ]; then
		[ "${d[subblock_zero_writes]}" -gt 0 ] || fail "$label: no sub-block zeroing at blkfactor > 0"
	else
		[ "${d[subblock_zero_writes]}" -eq 0 ] || fail "$label: sub-block zeroing at blkfactor 0"
	fi
	umount "$m" || { fail "$label: umount"; return; }
	local out
	out=$(e2fsck -fn "$tmp/$img_label.img" 2>&1) || {
		fail "$label: e2fsck -fn found problems"
		printf '%s\n' "$out" | head -n 40 | sed 's/^/# /'
	}
}

final=()
for bs in $(block_sizes 1024 2048 4096); do
	img_label=b$bs
	img=$tmp/$img_label.img
	mkdir -p "$tmp/exp-$img_label"
	cp "$REXT2_WORK/empty-$bs.img" "$img"
	dev=$(attach_rw "$img")
	if [ "$bs" -lt 4096 ]; then
		workload "$img_label" "$dev" "$bs" "$((seed + bs))" "$bs" 512
	else
		# 4 KiB blocks at 4 KiB, then the same image on a device with a
		# 512-byte logical block at 512 bytes (blkfactor 3).
		workload "$img_label" "$dev" "$bs" "$((seed + bs))" "$bs"
		losetup -d "$dev"
		dev=$(attach_rw_lbs "$img" 512)
		workload "$img_label-lbs512" "$dev" "$bs" "$((seed + bs + 1))" 512
	fi
	final+=("$img_label:$dev")
done

# The in-kernel ext2 must read what the models say each file holds, and
# no file may hold a sector of the 0xAA fill (none was written).
mark ext2-check
dirs=()
for x in "${final[@]}"; do
	img_label=${x%%:*} dev=${x#*:}
	m=$T_MNT/ext2-$img_label
	mnt ext2 "$dev" "$m" ro || { fail "$img_label: ext2 mount"; continue; }
	dirs+=("$m")
	for e in "$tmp/exp-$img_label"/*; do
		[ -f "$e" ] || continue
		cmp "$e" "$m/$(basename "$e")" ||
			fail "$img_label: in-kernel ext2 reads $(basename "$e") differently from the model"
	done
done
[ ${#dirs[@]} -gt 0 ] || dirs=(/nonexistent)
head -c 512 /dev/zero | tr '\0' '\252' >"$tmp/aa512"
nfiles=$(find "${dirs[@]}" -type f | wc -l)
stale=$(LC_ALL=C grep -rlaF -f "$tmp/aa512" "${dirs[@]}")
case $? in
0) fail "a 512-byte run of the 0xAA fill (stale data) in: $stale" ;;
1) note "0xAA scan: $nfiles files, none holds a 512-byte run of the fill pattern" ;;
*) fail "0xAA scan: grep failed" ;;
esac

cleanup
rm -rf "$tmp"
pins_after=$(pins)
note "page pins outstanding: before $pins_before, after $pins_after"
[ "$pins_after" -eq "$pins_before" ] || fail "page pins leaked: $pins_before -> $pins_after"
finish
