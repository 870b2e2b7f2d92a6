#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build small images whose superblock is fine but whose metadata met at
# run time is corrupt: directory entries, block pointers, inode fields.
# Writes OUTDIR/<case>.img and OUTDIR/cases.tsv (file, case, path, expect),
# where expect is the errno the access of path must fail with.
#
# usage: corrupt-runtime.sh UNUSED_TREE OUTDIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${2:?usage: corrupt-runtime.sh TREE OUTDIR}
rm -rf "$out"
mkdir -p "$out/tree/d"
tree=$out/tree
for i in 1 2 3 4 5; do echo "entry $i" >"$tree/d/file$i"; done
head -c 20480 /dev/zero | tr '\0' 'f' >"$tree/f"
head -c 2048 /dev/zero | tr '\0' 'g' >"$tree/g"
echo h >"$tree/h"
echo k >"$tree/k"
echo ok >"$tree/ok"
base=$out/base.img
"$here/mkimage.sh" "$base" 1024 "$tree" 2 >/dev/null

# dirent_patch IMG DIR FIELD VALUE: rewrite FIELD (rec_len, name_len or
# inode) of the entry for file1 in DIR's first block.
dirent_patch() {
	local blk
	blk=$(debugfs -R "bmap $2 0" "$1" 2>/dev/null)
	python3 - "$1" "$blk" "$3" "$4" <<'PY'
import struct, sys
img, blk, field, value = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4], 0)
bs = 1024
with open(img, 'r+b') as f:
    f.seek(blk * bs)
    b = bytearray(f.read(bs))
    off = 0
    while off < bs:
        ino, rec, nlen = struct.unpack_from('<IHB', b, off)
        if b[off + 8:off + 8 + nlen] == b'file1':
            break
        off += rec
    else:
        sys.exit('file1 not found')
    fmt, at = {'inode': ('<I', 0), 'rec_len': ('<H', 4), 'name_len': ('<B', 6)}[field]
    struct.pack_into(fmt, b, off + at, value)
    f.seek(blk * bs)
    f.write(b)
PY
}

new_case() { cp "$base" "$out/$1.img"; printf '%s.img\t%s\t%s\t%s\n' "$1" "$1" "$2" "$3" >>"$out/cases.tsv"; }
sif() { debugfs -w -R "sif $2 $3 $4" "$1" >/dev/null 2>&1; }

printf 'file\tcase\tpath\texpect\n' >"$out/cases.tsv"
new_case dirent-rec-len-small /d EUCLEAN
dirent_patch "$out/dirent-rec-len-small.img" /d rec_len 6
new_case dirent-rec-len-past-block /d EUCLEAN
dirent_patch "$out/dirent-rec-len-past-block.img" /d rec_len 4000
new_case dirent-name-len /d EUCLEAN
dirent_patch "$out/dirent-name-len.img" /d name_len 250
new_case dirent-inode-range /d/file1 EUCLEAN
dirent_patch "$out/dirent-inode-range.img" /d inode 0xfffffff0
new_case ind-pointer-range /f "EUCLEAN|EIO"
sif "$out/ind-pointer-range.img" /f 'block[IND]' 4000000000
new_case direct-pointer-range /g "EUCLEAN|EIO"
sif "$out/direct-pointer-range.img" /g 'block[0]' 99999999
new_case inode-mode /h EUCLEAN
sif "$out/inode-mode.img" /h mode 0170644
new_case inode-deleted /k ESTALE
sif "$out/inode-deleted.img" /k links_count 0
sif "$out/inode-deleted.img" /k dtime 1
rm -rf "$tree"
echo "corrupt-runtime: $(($(wc -l <"$out/cases.tsv") - 1)) images in $out"
