#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# O_DIRECT reads through rext2 return what the in-kernel ext2 reads with
# buffered I/O: random aligned offsets, lengths and iovec splits, at the fs
# block size and at the device's 512-byte logical block (blkfactor > 0),
# across holes and EOF; misaligned requests fail with EINVAL. fio then
# drives libaio (QD 16) and io_uring with registered buffers (a kernel
# iterator: no pins). Afterwards every page pin taken was released.
. "$REXT2_ROOT/tests/lib/common.sh"

pins_before=$(pins)
seed=$(cat "$REXT2_WORK/seed" 2>/dev/null || echo 1)
for bs in $(block_sizes 1024 2048 4096); do
	img=$REXT2_WORK/full-$bs.img
	mnt rext2 "$(attach "$img")" "$T_MNT/r$bs" || { fail "mount rext2 ($bs)"; continue; }
	mnt ext2 "$(attach "$img")" "$T_MNT/e$bs" || { fail "mount ext2 ($bs)"; continue; }
	for al in "$bs" 512; do
		py "$REXT2_ROOT/tests/lib/dioread.py" "$T_MNT/r$bs" "$T_MNT/e$bs" \
			--seed "$((seed + bs + al))" --ops 150 --align "$al" ||
			fail "O_DIRECT reads differ ($bs-byte blocks, $al-byte alignment)"
	done
	cleanup
done

nofio=
if ! command -v fio >/dev/null; then
	nofio=1
else
	img=$REXT2_WORK/full-4096.img
	mnt rext2 "$(attach "$img")" "$T_MNT/fio" || fail "mount for fio"
	f=$T_MNT/fio/indirect/1k-dind-1m
	[ -f "$f" ] || f=$(find "$T_MNT/fio" -type f -size +200k | head -n 1)
	for engine in "libaio --iodepth=16" "io_uring --iodepth=16 --fixedbufs=1" "psync"; do
		# shellcheck disable=SC2086
		out=$(fio --name=dio --filename="$f" --readonly --rw=randread --bs=4k \
			--direct=1 --ioengine=$engine --loops=2 \
			--output-format=terse --terse-version=3 2>&1)
		rc=$?
		err=$(printf '%s\n' "$out" | tail -n 1 | cut -d';' -f5)
		ios=$(printf '%s\n' "$out" | tail -n 1 | cut -d';' -f6)
		note "fio ${engine%% *}: exit $rc, error $err, read KiB $ios"
		[ "$rc" -eq 0 ] && [ "$err" = 0 ] || fail "fio ${engine%% *} failed: $out"
	done
	cleanup
fi
pins_after=$(pins)
note "page pins outstanding: before $pins_before, after $pins_after"
[ "$pins_after" -eq "$pins_before" ] || fail "page pins leaked: $pins_before -> $pins_after"
if [ -n "$nofio" ] && [ "$T_FAILS" -eq 0 ]; then
	# Half of the case (libaio, io_uring with fixed buffers) did not run.
	cleanup
	echo "SKIP: fio is not installed (scripts/setup installs it): the libaio and io_uring runs were not made; the O_DIRECT read comparisons passed"
	exit "$KSFT_SKIP"
fi
finish
