#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Concurrency: several processes create, rename, link and unlink in one
# directory while others write, truncate and O_DIRECT-read one file and
# grow and shrink another. No deadlock (the runner's hung-task and timeout
# checks), no lockdep report (the runner's kernel-log check), and the
# result is a filesystem e2fsck -fn finds clean and the in-kernel ext2
# mounts.
. "$REXT2_ROOT/tests/lib/common.sh"

img=/tmp/rext2-conc.img
cp "$REXT2_WORK/empty-1024.img" "$img"
dev=$(attach_rw "$img")
m=$T_MNT/c
mnt rext2 "$dev" "$m" rw || { fail "rw mount"; finish; }
mkdir "$m/d"
head -c 262144 /dev/urandom >/tmp/rext2-conc.data

namespace() { # namespace ID: churn names in the shared directory
	local id=$1 i
	for i in {1..60}; do
		: >"$m/d/f$id-$i"
		mv "$m/d/f$id-$i" "$m/d/g$id-$((i % 7))" 2>/dev/null
		ln "$m/d/g$id-$((i % 7))" "$m/d/h$id-$((i % 5))" 2>/dev/null
		mkdir "$m/d/dir$((i % 4))" 2>/dev/null
		mv -T "$m/d/dir$((i % 4))" "$m/d/dir$(((i + id) % 4))" 2>/dev/null
		rmdir "$m/d/dir$(((i + 1) % 4))" 2>/dev/null
		rm -f "$m/d/h$id-$(((i + 2) % 5))"
	done
}
data() { # data ID: write, truncate and read one shared file
	local id=$1 i
	for i in {1..40}; do
		dd if=/tmp/rext2-conc.data of="$m/shared" bs=4k seek=$((i * id % 97)) count=8 conv=notrunc status=none
		truncate -s $(((i * 7919 + id) % 400000)) "$m/shared"
		dd if="$m/shared" of=/dev/null bs=4k iflag=direct status=none 2>/dev/null
		dd if=/tmp/rext2-conc.data of="$m/grow$id" bs=64k oflag=direct,append conv=notrunc status=none 2>/dev/null
		[ $((i % 10)) -eq 0 ] && truncate -s 0 "$m/grow$id"
	done
}
pids=()
for id in 1 2 3; do namespace "$id" & pids+=($!); done
for id in 1 2; do data "$id" & pids+=($!); done
for p in "${pids[@]}"; do wait "$p"; done
sync
umount "$m" || fail "umount"
out=$(e2fsck -fn "$img" 2>&1) || { fail "e2fsck -fn after the concurrent run"; printf '%s\n' "$out" | head -n 40 | sed 's/^/# /'; }
mnt ext2 "$dev" "$m" ro || fail "in-kernel ext2 mount"
ls -la "$m/d" >/dev/null || fail "listing through ext2"
note "entries left: $(ls "$m/d" | wc -l), shared file: $(stat -c %s "$m/shared") bytes"
cleanup
rm -f "$img" /tmp/rext2-conc.data
finish
