#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Races on one file with the data checked (tests/lib/races.py), at 1 KiB
# and 4 KiB blocks: O_DIRECT writes against buffered reads and mmap
# faults of the same range, O_DIRECT against truncate, three O_DIRECT
# writers extending one file, and an O_DIRECT write racing a buffered
# write into the same or a neighbouring hole, and writeback of mmap-
# dirtied holes against buffered writes that need the same new indirect
# blocks. Every read, during and
# after each race, must be what some correct interleaving allows (each
# sector old, one writer's, or zero only where a hole may be); then
# e2fsck -fn must find the image clean. REXT2_RACE_ROUNDS (default 2)
# scales the rounds (hole-fill runs twice as many); the seed derives
# from REXT2_SEED.
. "$REXT2_ROOT/tests/lib/common.sh"

seed=${REXT2_SEED:-$(cat "$REXT2_WORK/seed" 2>/dev/null || echo 20261123)}
rounds=${REXT2_RACE_ROUNDS:-2}
runs=0
for bs in 1024 4096; do
	mark "races-$bs"
	img=/tmp/rext2-races-$bs.img
	cp "$REXT2_WORK/empty-$bs.img" "$img"
	dev=$(attach_rw "$img")
	m=$T_MNT/r$bs
	mnt rext2 "$dev" "$m" rw || { fail "$bs: rw mount"; continue; }
	out=$(py "$REXT2_ROOT/tests/lib/races.py" "$m" --rounds "$rounds" --seed "$((seed + bs))") ||
		fail "$bs: races.py found problems"
	printf '%s\n' "$out"
	n=$(printf '%s\n' "$out" | sed -n 's/^races: \([0-9]*\) run.*/\1/p')
	runs=$((runs + ${n:-0}))
	umount "$m" || fail "$bs: umount"
	out=$(e2fsck -fn "$img" 2>&1) || { fail "$bs: e2fsck -fn after the races"; printf '%s\n' "$out" | head -n 30 | sed 's/^/# /'; }
	cleanup
	rm -f "$img"
done
note "races run: $runs"
[ "$runs" -gt 0 ] || fail "no race ran"
finish
