#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The engine's counters in /sys/kernel/debug/rext2/dio (rext2.ko loaded
# with dio_stats=1) show the bio assembly DIO-SPEC prescribes: a read inside one contiguous
# run is one bio with no boundary flush, even at 976 KiB; a read across the end of the
# direct blocks flushes at the boundary and needs a second bio; hole
# blocks are zero-filled without bios. A synchronous read inside one run
# and inside i_size is one bio built on the one-bio path
# (one_bio_requests); across a boundary, past EOF or over a hole it is
# not.
. "$REXT2_ROOT/tests/lib/common.sh"

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
for bs in 1024 4096; do
	dev=$(attach "$REXT2_WORK/full-$bs.img")
	mnt rext2 "$dev" "$T_MNT/r$bs" || { fail "mount ($bs)"; continue; }
done
[ -r "$REXT2_DIO_STATS" ] || fail "no counters file $REXT2_DIO_STATS"
py - "$T_MNT" "$REXT2_DIO_STATS" <<'PY' || fail "counter checks"
import mmap, os, sys
mnt, stats = sys.argv[1], sys.argv[2]
buf = mmap.mmap(-1, 1 << 20)
bad = 0

def counters(path):
    with open(stats) as f:
        return {k: int(v) for k, v in (l.split() for l in f if l.strip())}

def check(path, off, length, want_bytes, **want):
    global bad
    before = counters(path)
    fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
    n = os.preadv(fd, [memoryview(buf)[:length]], off)
    os.close(fd)
    after = counters(path)
    delta = {k: after[k] - before[k] for k in after}
    got = {k: delta[k] for k in want}
    ok = n == want_bytes and got == want and delta["reads"] == 1 and delta["read_bytes"] == n
    print(f"{os.path.relpath(path, mnt)} @{off}+{length}: {n} bytes, {got}{'' if ok else '  <-- expected %s, %d bytes' % (want, want_bytes)}")
    if not ok:
        bad += 1

f4 = os.path.join(mnt, "r4096/indirect/1k-dind-1m")
# Blocks 12..75: one run inside the single-indirect array.
check(f4, 48 << 10, 256 << 10, 256 << 10, bios_submitted=1, boundary_flushes=0, one_bio_requests=1, multi_bio_requests=0)
# Blocks 12..255 (976 KiB, 244 pages): still one run, one round, one bio.
check(f4, 48 << 10, 976 << 10, 976 << 10, bios_submitted=1, boundary_flushes=0, one_bio_requests=1)
# Blocks 0..15: the direct run ends the array (boundary), then block 12:
# two runs, two bios on the direct path.
check(f4, 0, 64 << 10, 64 << 10, bios_submitted=2, boundary_flushes=1, one_bio_requests=0, multi_bio_requests=1)
# Blocks 0..7: inside the direct blocks, no boundary.
check(f4, 0, 32 << 10, 32 << 10, bios_submitted=1, boundary_flushes=0, one_bio_requests=1)
# 1 KiB blocks: a 14-block file read with a 16 KiB request: boundary at
# logical block 12, then EOF stops the request at 14 KiB.
f1 = os.path.join(mnt, "r1024/indirect/1k-ind")
size = os.stat(f1).st_size
check(f1, 0, 16 << 10, size, bios_submitted=2, boundary_flushes=1, one_bio_requests=0, multi_bio_requests=0)
# A hole: four zero-filled blocks and no bio.
h = os.path.join(mnt, "r4096/sparse/all-hole")
check(h, 0, 16 << 10, 16 << 10, bios_submitted=0, hole_blocks_zeroed=4, one_bio_requests=0, multi_bio_requests=0)
if any(buf[:16 << 10]):
    print("hole read returned non-zero bytes"); bad += 1
print(open(stats).read().strip().replace("\n", ", "))
sys.exit(1 if bad else 0)
PY
finish
