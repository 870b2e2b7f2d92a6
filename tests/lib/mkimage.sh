#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# mkimage.sh IMAGE BLOCKSIZE TREE_DIR [SIZE_MIB]
#
# Build an ext2 image of TREE_DIR with mke2fs -d (default ext2 features),
# then check it with e2fsck -fn and fail unless it is clean.
#
# The image file is first filled with 0xAA bytes so that any block mke2fs
# does not write (free blocks, the unused tail of a file's last block, ...)
# holds a visible pattern instead of zeroes.  mke2fs runs with
# -E nodiscard: by default it "discards" a regular-file target by punching
# holes into it, which would replace the pattern with zeroes again.
#
# SIZE_MIB defaults to an estimate from the tree (allocated data blocks,
# indirect blocks, directories, enough inodes for mke2fs's default
# bytes-per-inode ratio) with headroom.
set -euo pipefail

die() { echo "mkimage: error: $*" >&2; exit 1; }

[ $# -ge 3 ] && [ $# -le 4 ] ||
	die "usage: mkimage.sh IMAGE BLOCKSIZE TREE_DIR [SIZE_MIB]"
image=$1 bs=$2 tree=$3 size=${4:-}

case $bs in 1024 | 2048 | 4096) ;; *) die "BLOCKSIZE must be 1024, 2048 or 4096" ;; esac
[ -d "$tree" ] || die "$tree is not a directory"

if [ -z "$size" ]; then
	size=$(python3 - "$tree" "$bs" <<'EOF'
import math, os, stat, sys

tree, bs = os.fsencode(sys.argv[1]), int(sys.argv[2])
ppb = bs // 4
blocks = 0
entries = 0


def data_runs(path, size):
    """Runs [first, last] of logical blocks holding data (holes skipped)."""
    runs = []
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return [(0, (size - 1) // bs)] if size else []
    try:
        pos = 0
        while pos < size:
            try:
                start = os.lseek(fd, pos, os.SEEK_DATA)
            except OSError:
                break               # ENXIO: only a hole is left
            end = min(os.lseek(fd, start, os.SEEK_HOLE), size)
            runs.append((start // bs, (end - 1) // bs))
            pos = end
    finally:
        os.close(fd)
    return runs


def map_blocks(runs):
    """Indirect blocks needed to map the runs (ext2 block map)."""
    keys = set()
    d0, d1 = 12, 12 + ppb
    d2 = d1 + ppb * ppb
    for a, b in runs:
        if b >= d0 and a < d1:
            keys.add("ind")
        if b >= d1 and a < d2:
            keys.add("dind")
            lo, hi = max(a, d1) - d1, min(b, d2 - 1) - d1
            keys.update(("dind", i) for i in range(lo // ppb, hi // ppb + 1))
        if b >= d2:
            keys.add("tind")
            lo, hi = max(a, d2) - d2, b - d2
            keys.update(("t2", i) for i in
                        range(lo // ppb ** 2, hi // ppb ** 2 + 1))
            keys.update(("t1", i) for i in range(lo // ppb, hi // ppb + 1))
    return len(keys)


for dirpath, dirnames, filenames in os.walk(tree):
    names = dirnames + filenames
    # linear directory: 8-byte header + name, 4-byte aligned, plus . and ..
    dirbytes = 24 + sum(8 + (len(n) + 3) // 4 * 4 for n in names)
    blocks += math.ceil(dirbytes * 1.5 / bs) + 1
    entries += 1
    for n in names:
        st = os.lstat(os.path.join(dirpath, n))
        if stat.S_ISDIR(st.st_mode):
            continue
        entries += 1
        if stat.S_ISREG(st.st_mode):
            runs = data_runs(os.path.join(dirpath, n), st.st_size)
            blocks += sum(b - a + 1 for a, b in runs) + map_blocks(runs)
        elif stat.S_ISLNK(st.st_mode) and st.st_size >= 60:
            blocks += 1

need = blocks * bs * 1.3 + 2 * 2**20
# mke2fs gives one inode per 4 KiB (8 KiB under 3 MiB, 16 KiB from 512 MiB)
need = max(need, (entries + 64) * 4096 * 1.3, 4 * 2**20)
if need >= 512 * 2**20:
    need = max(need, (entries + 64) * 16384 * 1.3)
print(math.ceil(need / 2**20))
EOF
	)
fi
case $size in '' | *[!0-9]*) die "bad size '$size'" ;; esac

rm -f "$image"
head -c $((size * 1048576)) /dev/zero | tr '\000' '\252' >"$image"
mke2fs -q -F -E nodiscard -t ext2 -b "$bs" -d "$tree" "$image" "${size}M" ||
	die "mke2fs failed for $image"

if ! out=$(e2fsck -fn "$image" 2>&1); then
	printf '%s\n' "$out" >&2
	die "e2fsck -fn reports $image is not clean"
fi
echo "mkimage: $image: ext2 ${bs}-byte blocks, ${size} MiB, clean: $(printf '%s\n' "$out" | tail -n 1 | sed 's/^[^:]*: //')"
