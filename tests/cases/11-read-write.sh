#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Read-write at 1, 2 and 4 KiB blocks: a tree copied onto an empty rext2
# (the whole small tree at 1 KiB, its data-heavy parts at 2 and 4 KiB),
# then a fixed series of namespace and data changes applied to rext2 and
# to a reference copy on tmpfs. Then: rext2 matches the reference,
# e2fsck -fn finds nothing, and the in-kernel ext2 driver sees the same
# tree. Deleting everything gives back every block and inode. At 2 KiB,
# the reverse direction too: a tree written by the in-kernel ext2, changed
# by rext2, checked the same way. (Loops avoid forks: under emulation a
# fork costs more than the file system call it wraps.)
. "$REXT2_ROOT/tests/lib/common.sh"

src=$REXT2_WORK/tree-small
ref=/tmp/rext2-rw-ref

# both CMD...: run CMD (a shell snippet using $R as the root) on rext2
# and on the reference; both must succeed.
both() {
	local r
	for r in "$m/t" "$ref"; do
		R=$r bash -c "$1" || { fail "on $r: $1"; return 1; }
	done
}

# check LABEL: unmount, e2fsck, compare through the in-kernel ext2. The
# same change lands on the two sides a moment apart, so mtimes are first
# set to one value on both (20-model-random-ops checks mtime semantics).
check() {
	both 'find $R -exec touch -h -m -d @1500000000 {} +'
	treecmp "$ref" "$m/t" --hardlinks --a-is-reference --label-a ref --label-b "rext2-$bs" ||
		fail "$1: rext2 differs from the reference ($bs)"
	umount "$m" || fail "$1: umount"
	local out
	out=$(e2fsck -fn "$img" 2>&1) || {
		fail "$1: e2fsck -fn found problems ($bs)"
		printf '%s\n' "$out" | head -n 40 | sed 's/^/# /'
	}
	mnt ext2 "$dev" "$m" ro || { fail "$1: ext2 mount"; return; }
	treecmp "$ref" "$m/t" --hardlinks --a-is-reference --label-a ref --label-b "ext2-$bs" ||
		fail "$1: in-kernel ext2 sees a different tree ($bs)"
	umount "$m"
}

# The same random data for both sides.
head -c 6291456 /dev/urandom >/tmp/rext2-rw-data
# The quick tier runs at 4 KiB only: the data-heavy parts of the tree, no
# reverse half (the whole tree at 1 KiB takes three times as long).
for bs in $(quick_or 4096 "1024 2048 4096"); do
	mark "rw-$bs"
	img=/tmp/rext2-rw-$bs.img
	m=$T_MNT/$bs
	cp "$REXT2_WORK/empty-$bs.img" "$img"
	dev=$(attach_rw "$img")
	rm -rf "$ref" && mkdir -p "$ref"
	mnt rext2 "$dev" "$m" rw || { fail "rw mount ($bs)"; continue; }
	mkdir "$m/t"
	parts=("$src/.")
	[ "$bs" = 1024 ] || parts=("$src/sizes" "$src/sparse" "$src/indirect" "$src/links" "$src/special")
	cp -a "${parts[@]}" "$m/t/" || fail "copying the tree onto rext2 ($bs)"
	cp -a "${parts[@]}" "$ref/"
	both 'mkdir -p $R/new/a/b/c && echo hello >$R/new/a/b/c/f && ln -s ../../x $R/new/a/l'
	both 'ln -s $(printf "%0200d" 7) $R/new/slow-link && mkfifo $R/new/fifo'
	both 'mknod $R/new/chr c 10 200 && mknod $R/new/blk b 259 70000'
	both 'for i in {1..120}; do echo "entry $i" >$R/new/file-with-a-longer-name-$i; done'
	both 'for i in {1..120..2}; do echo >$R/new/file-with-a-longer-name-$i; done; rm $R/new/file-with-a-longer-name-1*'
	both 'for i in {2..120..10}; do [ -e $R/new/file-with-a-longer-name-$i ] && mv $R/new/file-with-a-longer-name-$i $R/new/a/moved-$i; done; true'
	both 'mv $R/new/a/b $R/b-moved && mv -T $R/new/a/moved-2 $R/new/a/moved-12'
	both 'mkdir $R/was-empty && rmdir $R/was-empty && mkdir $R/d1 $R/d2 && mv -T $R/d1 $R/d2'
	both 'ln $R/new/a/moved-22 $R/new/hard && ln $R/new/hard $R/hard2 && rm $R/new/a/moved-22'
	both 'cp /tmp/rext2-rw-data $R/big'
	both 'truncate -s 70000 $R/big && truncate -s 5000000 $R/big && truncate -s 3333 $R/big'
	both 'cp /tmp/rext2-rw-data $R/holey-src && truncate -s 200M $R/holey && dd if=/tmp/rext2-rw-data of=$R/holey bs=4k seek=20000 count=100 conv=notrunc 2>/dev/null'
	both 'printf abc >>$R/new/a/b-append; printf def >>$R/new/a/b-append; chmod 4751 $R/new/a/b-append; chown 1234:5678 $R/new/a/b-append'
	both '/usr/bin/python3 -c "
import mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
os.ftruncate(fd, 3 * 4096 + 100)
m = mmap.mmap(fd, 3 * 4096 + 100)
m[4000:4200] = bytes(range(200))
m[-50:] = b\"x\" * 50
m.flush()
m.close()
os.close(fd)
" $R/mmapped'
	both 'touch -m -d @1000000000 $R/new/a/b-append && touch -m -d @1 $R/new'
	both 'for f in $R/*; do [ -f "$f" ] && [ ! -L "$f" ] && truncate -s %3 "$f"; done; true'
	check "changes"

	# Delete everything: every block and inode must come back.
	mnt rext2 "$dev" "$m" rw || { fail "rw remount ($bs)"; continue; }
	free_before=$(stat -f -c '%f %d' "$m")
	both 'rm -rf $R/new $R/big $R/holey $R/holey-src'
	umount "$m"
	out=$(e2fsck -fn "$img" 2>&1) || { fail "e2fsck after deletes ($bs)"; printf '%s\n' "$out" | head -n 30 | sed 's/^/# /'; }
	mnt rext2 "$dev" "$m" rw
	rm -rf "$m/t" "$ref"/*
	free_after=$(stat -f -c '%f %d' "$m")
	note "free blocks/inodes: before deletes $free_before, empty again $free_after"
	umount "$m"
	out=$(e2fsck -fn "$img" 2>&1) || { fail "e2fsck after emptying ($bs)"; printf '%s\n' "$out" | head -n 30 | sed 's/^/# /'; }
	[ "$(dumpe2fs -h "$img" 2>/dev/null | awk -F: '/^Free blocks/ {gsub(/ /,"",$2); print $2}')" = \
	  "$(dumpe2fs -h "$REXT2_WORK/empty-$bs.img" 2>/dev/null | awk -F: '/^Free blocks/ {gsub(/ /,"",$2); print $2}')" ] ||
		fail "free blocks after deleting everything differ from the empty image ($bs)"
	losetup -d "$dev" 2>/dev/null
	[ "$bs" = 2048 ] || { rm -f "$img"; continue; }

	# Reverse: the in-kernel ext2 writes, rext2 changes.
	mark "reverse-$bs"
	cp "$REXT2_WORK/empty-$bs.img" "$img"
	dev=$(attach_rw "$img")
	rm -rf "$ref" && mkdir -p "$ref"
	mnt ext2 "$dev" "$m" rw || { fail "ext2 rw mount ($bs)"; continue; }
	mkdir "$m/t" && cp -a "$src/sizes" "$src/links" "$src/deep" "$m/t/" && cp -a "$src/sizes" "$src/links" "$src/deep" "$ref/"
	umount "$m"
	mnt rext2 "$dev" "$m" rw || { fail "rext2 rw mount after ext2 ($bs)"; continue; }
	both 'find $R -maxdepth 2 -type f -name "*1*" -delete; mkdir $R/by-rext2; cp -a $R/deep $R/by-rext2/'
	both 'dd if=/tmp/rext2-rw-data of=$R/by-rext2/data bs=64k 2>/dev/null'
	check "reverse"
	rm -f "$img"
done
rm -rf "$ref" /tmp/rext2-rw-data
finish
