#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The direct path over several runs of blocks (rust/dio/simple.rs): a
# synchronous O_DIRECT request that fits one bio is pinned into one bio,
# which is split where the blocks under it stop being contiguous. On
# empty 1 and 4 KiB-block images, with dio_stats=1:
# - block-aligned 1 MiB writes past EOF allocate on the direct path (one
#   round each, no sub-block zeroing), some of them across pointer-array
#   boundaries (several runs: multi_bio_requests, boundary_flushes);
# - a 1 MiB overwrite across runs and 1 MiB reads across them are direct
#   too, and read back what was written;
# - a write past EOF that ends inside a block goes by the general path and
#   zeroes the rest of its new block;
# then e2fsck -fn is clean, the in-kernel ext2 reads the same bytes, and
# every page pin taken was released.
. "$REXT2_ROOT/tests/lib/common.sh"

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
[ -r "$REXT2_DIO_STATS" ] || { fail "no counters file $REXT2_DIO_STATS"; finish; }
pins_before=$(pins)
tmp=/tmp/rext2-direct-path
rm -rf "$tmp" && mkdir -p "$tmp"

for bs in 1024 4096; do
	img=$tmp/empty-$bs.img
	cp "$REXT2_WORK/empty-$bs.img" "$img"
	dev=$(attach_rw "$img")
	m=$T_MNT/d$bs
	mark "$bs"
	mnt rext2 "$dev" "$m" rw || { fail "$bs: rw mount"; continue; }
	py - "$m" "$REXT2_DIO_STATS" "$bs" "$tmp/expect-$bs" <<'PY' || fail "$bs: direct-path checks"
import mmap, os, random, sys

mnt, stats, bs, expect_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
MIB = 1 << 20
buf = mmap.mmap(-1, MIB)
rnd = random.Random(bs)
bad = 0
total = {}


def counters():
    with open(stats) as f:
        return {k: int(v) for k, v in (l.split() for l in f if l.strip())}


def step(label, call, want, **expect):
    """Runs call(); its result must be want, and each counter delta in
    expect must hold (an int: equal; a callable: true of the delta)."""
    global bad
    before = counters()
    got = call()
    d = {k: v - before[k] for k, v in counters().items()}
    for k, v in d.items():
        total[k] = total.get(k, 0) + v
    wrong = [k for k, e in expect.items() if not (e(d[k]) if callable(e) else d[k] == e)]
    keys = sorted(set(expect) | {"bios_submitted", "one_bio_requests", "multi_bio_requests"})
    shown = ", ".join(f"{k} {d[k]}" for k in keys)
    ok = got == want and not wrong
    print(f"{bs}: {label}: {got} ({shown}){'' if ok else f'  <-- expected {want}, wrong: {wrong}'}")
    if not ok:
        bad += 1


direct = lambda d: d == 1
path = os.path.join(mnt, "grow")
fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_DIRECT)
expect = bytearray()
for i in range(4):
    data = rnd.randbytes(MIB)
    buf[:] = data
    step(f"aligned 1 MiB write past EOF at {i} MiB", lambda: os.pwrite(fd, buf, i * MIB), MIB,
         writes=1, rounds=1, subblock_zero_writes=0, errors=0,
         bios_submitted=lambda d: d >= 1,
         **{"one_bio_requests": lambda d: d <= 1, "multi_bio_requests": lambda d: d <= 1})
    expect += data
if total.get("one_bio_requests", 0) + total.get("multi_bio_requests", 0) != 4:
    print(f"{bs}: not every aligned write took the direct path: {total}")
    bad += 1
if total.get("multi_bio_requests", 0) < 1 or total.get("boundary_flushes", 0) < 1:
    print(f"{bs}: no write crossed a pointer-array boundary on the direct path: {total}")
    bad += 1

# An overwrite of 1 MiB from 512 KiB: inside i_size, across runs at 1 KiB
# blocks (an array holds 256 KiB there).
data = rnd.randbytes(MIB)
buf[:] = data
want_runs = (lambda d: d == 1) if bs == 1024 else (lambda d: d <= 1)
step("1 MiB overwrite at 512 KiB", lambda: os.pwrite(fd, buf, MIB // 2), MIB,
     writes=1, rounds=1, subblock_zero_writes=0, buffered_fallbacks=0,
     multi_bio_requests=want_runs)
expect[MIB // 2:MIB // 2 + MIB] = data

# Reads of every MiB: direct, one bio or one per run; the bytes written.
for i in range(4):
    step(f"1 MiB read at {i} MiB", lambda: os.preadv(fd, [buf], i * MIB), MIB,
         reads=1, rounds=1, hole_blocks_zeroed=0,
         **{"one_bio_requests": lambda d: d <= 1, "multi_bio_requests": lambda d: d <= 1,
            "bios_submitted": lambda d: d >= 1})
    if buf[:] != expect[i * MIB:(i + 1) * MIB]:
        print(f"{bs}: read at {i} MiB returned other bytes than were written")
        bad += 1

# Past EOF, ending inside a block: the general path, which zeroes the
# rest of the new block (sub-block zeroing needs the dio block below the
# fs block: 512-byte pieces).
data = rnd.randbytes(1536)
buf[:1536] = data
step("1536-byte write past EOF", lambda: os.pwrite(fd, memoryview(buf)[:1536], len(expect)), 1536,
     writes=1, one_bio_requests=0, multi_bio_requests=0,
     subblock_zero_writes=lambda d: d >= 1)
expect += data
os.close(fd)
if os.stat(path).st_size != len(expect):
    print(f"{bs}: size {os.stat(path).st_size}, expected {len(expect)}")
    bad += 1
with open(expect_path, "wb") as f:
    f.write(expect)
sys.exit(1 if bad else 0)
PY
	umount "$m" || { fail "$bs: umount"; continue; }
	out=$(e2fsck -fn "$img" 2>&1) || { echo "$out"; fail "$bs: e2fsck -fn not clean"; }
	if mnt ext2 "$dev" "$T_MNT/e$bs"; then
		cmp "$T_MNT/e$bs/grow" "$tmp/expect-$bs" || fail "$bs: ext2 reads other bytes than rext2 wrote"
		umount "$T_MNT/e$bs"
	else
		fail "$bs: ext2 mount"
	fi
done
pins_after=$(pins)
[ "$pins_after" -eq "$pins_before" ] || fail "page pins: $pins_before before, $pins_after after"
finish
