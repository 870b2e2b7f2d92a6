#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Model-based direct I/O soak (tests/lib/diomodel.py, in the manner of
# fsx): a seeded random mix of buffered, O_DIRECT (pwrite/pread, Linux
# AIO, io_uring), misaligned O_DIRECT (EINVAL), mmap reads and writes,
# truncates up and down, writes that extend or land in holes, fsyncs and
# cache drops on three files, every read checked byte for byte against an
# in-memory model; at 1, 2 and 4 KiB blocks on 512-byte logical sectors
# and 4 KiB blocks on a 4 KiB-sector loop device (where 1 KiB blocks must
# be refused at mount). After each run: e2fsck -fn clean, and a fresh
# read-only mount reads the model's contents. First, the tool must catch
# a planted bug. REXT2_DIOMODEL_OPS (default 200) operations per run;
# seeds derive from REXT2_SEED and are printed first.
. "$REXT2_ROOT/tests/lib/common.sh"

seed=${REXT2_SEED:-$(cat "$REXT2_WORK/seed" 2>/dev/null || echo 20261123)}
ops=${REXT2_DIOMODEL_OPS:-200}
tool=$REXT2_ROOT/tests/lib/diomodel.py
save=/tmp/rext2-diomodel
total=0

# attach_lbs FILE LBS: a writable loop device with logical sector LBS.
attach_lbs() {
	losetup -f --show -b "$2" "$1" | tee -a "$T_LOOPS"
}

# The tool must catch a planted bug (one byte of one read flipped).
mark selftest
img=/tmp/rext2-diomodel.img
cp "$REXT2_WORK/empty-4096.img" "$img"
dev=$(attach_rw "$img")
if mnt rext2 "$dev" "$T_MNT/self" rw; then
	out=$(DIOMODEL_PLANT_BUG=20 py "$tool" "$T_MNT/self" --seed "$seed" --ops 60 --lbs 512)
	rc=$?
	if [ $rc -ne 1 ] || ! printf '%s\n' "$out" | grep -q 'first difference'; then
		printf '%s\n' "$out"
		fail "diomodel did not catch a planted bug (exit $rc)"
	fi
	umount "$T_MNT/self"
else
	fail "rw mount for the self-check"
fi
cleanup

for combo in 1024:512 2048:512 4096:512 4096:4096 1024:4096; do
	bs=${combo%:*} lbs=${combo#*:}
	mark "model-$bs-$lbs"
	cp "$REXT2_WORK/empty-$bs.img" "$img"
	dev=$(attach_lbs "$img" "$lbs")
	m=$T_MNT/m$bs-$lbs
	if [ "$bs" -lt "$lbs" ]; then
		if mnt rext2 "$dev" "$m" rw 2>/dev/null; then
			fail "$bs-byte blocks on $lbs-byte sectors: mount accepted"
		else
			note "$bs-byte blocks on $lbs-byte sectors: mount refused, as it must be"
		fi
		cleanup
		continue
	fi
	mnt rext2 "$dev" "$m" rw || { fail "$bs/$lbs: rw mount"; cleanup; continue; }
	rm -rf "$save" && mkdir -p "$save"
	s=$((seed + bs + lbs))
	if py "$tool" "$m" --seed "$s" --ops "$ops" --lbs "$lbs" --save "$save"; then
		total=$((total + ops))
	else
		fail "$bs-byte blocks, $lbs-byte sectors: a read differed from the model (seed $s, --ops $ops)"
	fi
	umount "$m" || fail "$bs/$lbs: umount"
	out=$(e2fsck -fn "$img" 2>&1) || { fail "$bs/$lbs: e2fsck -fn"; printf '%s\n' "$out" | head -n 30 | sed 's/^/# /'; }
	if mnt rext2 "$dev" "$m" ro; then
		for f in "$save"/model-*; do
			[ -f "$f" ] || continue
			cmp "$f" "$m/$(basename "$f")" || fail "$bs/$lbs: $(basename "$f") differs from the model after a remount"
		done
		umount "$m"
	else
		fail "$bs/$lbs: read-only remount"
	fi
	cleanup
done
rm -rf "$save" "$img"
note "model operations checked: $total"
finish
