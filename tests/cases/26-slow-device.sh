#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A slow device: with the hung-task timeout lowered to
# REXT2_HUNG_TIMEOUT (default 5 s) and a dm-delay device that holds
# every bio for REXT2_SLOW_DELAY_MS (default 12000 ms, longer than that
# timeout), a sync O_DIRECT read, a sync O_DIRECT overwrite, an AIO batch
# of reads and overwrites, and an O_DIRECT read back (tests/lib/slowdev.py)
# must complete with the right data and no hung-task report ("blocked for
# more than"). The delay is switched on only after the file and its block
# map are written and synced and stays off for the mount and unmount, so
# only direct I/O waits on the slow device. An engine that waits for its
# bios in one uninterruptible sleep fails this case.
. "$REXT2_ROOT/tests/lib/common.sh"
. "$REXT2_ROOT/tests/lib/dm.sh"

hung=/proc/sys/kernel/hung_task_timeout_secs
[ -w "$hung" ] || { echo "SKIP: $hung missing (kernel without CONFIG_DETECT_HUNG_TASK)"; exit "$KSFT_SKIP"; }
timeout_s=${REXT2_HUNG_TIMEOUT:-5}
delay=${REXT2_SLOW_DELAY_MS:-12000}
[ "$((delay / 1000))" -gt "$timeout_s" ] || { fail "REXT2_SLOW_DELAY_MS must exceed the hung-task timeout"; finish; }
old_hung=$(cat "$hung")
img=/tmp/rext2-slow.img
cp "$REXT2_WORK/empty-1024.img" "$img"
dev=$(attach_rw "$img")
sz=$(sectors "$dev")
slow=$(dm_create rext2-slow "0 $sz delay $dev 0 0") || { fail "dmsetup create delay"; finish; }
mnt rext2 "$slow" "$T_MNT/s" rw || { fail "rw mount"; dm_cleanup; finish; }
pattern_file "$T_MNT/s/file" $((1 << 20)) || fail "writing the test file"
sync
mark slow
echo "$timeout_s" >"$hung"
dm_load rext2-slow "0 $sz delay $dev 0 $delay" || fail "dm-delay: switching the delay on"
note "dm-delay: $delay ms per bio, hung-task timeout $timeout_s s"
py "$REXT2_ROOT/tests/lib/slowdev.py" "$T_MNT/s/file" || fail "direct I/O on the slow device"
dm_load rext2-slow "0 $sz delay $dev 0 0" || fail "dm-delay: switching the delay off"
# One more detector period, so a task still blocked is reported.
sleep "$((timeout_s + 1))"
echo "$old_hung" >"$hung"
if klog slow | grep -E 'blocked for more than' >/dev/null; then
	klog slow | grep -E -A4 'blocked for more than' | head -n 20 | sed 's/^/# /'
	fail "hung-task report while direct I/O waited on the slow device"
fi
umount "$T_MNT/s" || fail "umount"
dm_cleanup
out=$(e2fsck -fn "$img" 2>&1) || { fail "e2fsck -fn"; printf '%s\n' "$out" | head -n 20 | sed 's/^/# /'; }
cleanup
rm -f "$img"
finish
