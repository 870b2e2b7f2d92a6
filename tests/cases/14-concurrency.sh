#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Concurrency (tests/lib/concurrency.py): three processes create, rename,
# link and unlink in one directory while two others write, truncate and
# O_DIRECT-read one shared file and O_DIRECT-append to and truncate files
# of their own. Every operation's result is checked and its error printed:
# one on a worker's own names must succeed; one on the directory names all
# workers share may only lose a race (EEXIST, ENOENT, ENOTEMPTY). Then the
# data is verified through rext2 and again through the in-kernel ext2: each
# worker's names and contents are what its own operations leave, each
# append file holds exactly its appends, the shared file holds only blocks
# its writers wrote (or zeros) and O_DIRECT reads of it equal buffered
# ones. No deadlock (the runner's hung-task and timeout checks), no lockdep
# report (the runner's kernel-log check), and e2fsck -fn finds it clean.
. "$REXT2_ROOT/tests/lib/common.sh"

img=/tmp/rext2-conc.img
data=/tmp/rext2-conc.data
cp "$REXT2_WORK/empty-1024.img" "$img"
dev=$(attach_rw "$img")
m=$T_MNT/c
mnt rext2 "$dev" "$m" rw || { fail "rw mount"; finish; }
head -c 262144 /dev/urandom >"$data"
conc() { py "$REXT2_ROOT/tests/lib/concurrency.py" "$@"; }
conc run "$m" "$data" || fail "operations failed (lines above)"
conc verify "$m" "$data" | sed 's/^/rext2: /'
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "rext2: the data is not what the operations left"
sync
umount "$m" || fail "umount"
out=$(e2fsck -fn "$img" 2>&1) || { fail "e2fsck -fn after the concurrent run"; printf '%s\n' "$out" | head -n 40 | sed 's/^/# /'; }
if mnt ext2 "$dev" "$m" ro; then
	conc verify "$m" "$data" | sed 's/^/ext2: /'
	[ "${PIPESTATUS[0]}" -eq 0 ] || fail "in-kernel ext2: the data is not what the operations left"
	note "entries left: $(ls "$m/d" | wc -l), shared file: $(stat -c %s "$m/shared") bytes"
else
	fail "in-kernel ext2 mount"
fi
cleanup
rm -f "$img" "$data"
finish
