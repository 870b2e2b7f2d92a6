#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A failing device, two ways (tests/lib/failio.py). dm-flakey with
# error_writes: every O_DIRECT write (sync, O_DSYNC, AIO, io_uring,
# extending) and a buffered write + fsync fail with EIO, while O_DIRECT
# reads still return the data written before the fault. fail_make_request
# at 100% on the loop device: the same writes and every O_DIRECT read
# (sync, AIO, io_uring) fail with EIO. Each time the filesystem must
# unmount, and with the fault removed e2fsck -fn must find the image
# clean and a fresh mount must read back, intact, the files written and
# synced before the fault (one buffered, one O_DIRECT).
. "$REXT2_ROOT/tests/lib/common.sh"
. "$REXT2_ROOT/tests/lib/dm.sh"

fi=/sys/kernel/debug
mountpoint -q $fi || mount -t debugfs none $fi
tool=$REXT2_ROOT/tests/lib/failio.py

# populate DIR: "keep" (buffered, 1 MiB) and "keepd" (O_DIRECT, 256 KiB),
# synced; prints their checksums.
populate() {
	py - "$1" <<'PY'
import os, sys
sys.path.insert(0, os.environ["REXT2_ROOT"] + "/tests/lib")
from faultio import Buf, dio_pwrite, pattern
with open(sys.argv[1] + "/keep", "wb") as f:
    f.write(pattern(1, 0, 1 << 20))
fd = os.open(sys.argv[1] + "/keepd", os.O_RDWR | os.O_CREAT | os.O_DIRECT, 0o644)
assert dio_pwrite(fd, Buf(256 << 10), pattern(5, 0, 256 << 10), 0) == 256 << 10
os.close(fd)
PY
	sync
	md5sum "$1/keep" "$1/keepd" | awk '{ print $1 }'
}

# intact IMG DEV SUMS WHAT: e2fsck -fn clean, and a read-only rext2 mount
# reads the files with the checksums SUMS.
intact() {
	local out
	out=$(e2fsck -fn "$1" 2>&1) || { fail "$4: e2fsck -fn after the fault"; printf '%s\n' "$out" | head -n 20 | sed 's/^/# /'; }
	mnt rext2 "$2" "$T_MNT/after" ro || { fail "$4: read-only mount after the fault"; return; }
	[ "$(md5sum "$T_MNT/after/keep" "$T_MNT/after/keepd" | awk '{ print $1 }')" = "$3" ] ||
		fail "$4: data written before the fault changed or was lost"
	umount "$T_MNT/after"
}

mark flakey
img=/tmp/rext2-fail.img
cp "$REXT2_WORK/empty-1024.img" "$img"
dev=$(attach_rw "$img")
sz=$(sectors "$dev")
fl=$(dm_create rext2-flakey "0 $sz linear $dev 0") || { fail "dmsetup create"; finish; }
if mnt rext2 "$fl" "$T_MNT/f" rw; then
	sums=$(populate "$T_MNT/f")
	dm_load rext2-flakey "0 $sz flakey $dev 0 0 3600 1 error_writes" || fail "dm-flakey: error_writes on"
	py "$tool" "$T_MNT/f" writes || fail "dm-flakey error_writes"
	timeout 120 umount "$T_MNT/f" || fail "umount with every write failing"
	dm_load rext2-flakey "0 $sz linear $dev 0" || fail "dm-flakey: off"
	intact "$img" "$fl" "$sums" "dm-flakey"
else
	fail "rw mount over dm"
fi
dm_cleanup
cleanup

mark fail_make_request
if [ -d $fi/fail_make_request ]; then
	cp "$REXT2_WORK/empty-1024.img" "$img"
	dev=$(attach_rw "$img")
	mif=/sys/block/$(basename "$dev")/make-it-fail
	mnt rext2 "$dev" "$T_MNT/f" rw || { fail "rw mount"; finish; }
	sums=$(populate "$T_MNT/f")
	echo 100 >$fi/fail_make_request/probability
	echo -1 >$fi/fail_make_request/times
	echo 0 >$fi/fail_make_request/verbose
	echo 1 >"$mif"
	py "$tool" "$T_MNT/f" all || fail "fail_make_request at 100%"
	timeout 120 umount "$T_MNT/f" || fail "umount with every bio failing"
	echo 0 >"$mif"
	echo 0 >$fi/fail_make_request/probability
	echo 1 >$fi/fail_make_request/times
	echo 2 >$fi/fail_make_request/verbose
	intact "$img" "$dev" "$sums" "fail_make_request"
else
	note "fail_make_request part skipped: $fi/fail_make_request missing (CONFIG_FAIL_MAKE_REQUEST)"
fi
cleanup
rm -f "$img"
finish
