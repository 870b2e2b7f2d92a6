#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Power loss (tests/lib/powerlog.py): on a 1 KiB-block image under
# dm-log-writes, a seeded workload of O_DIRECT and buffered writes made
# durable by fsync, O_DSYNC and RWF_DSYNC, into holes and past EOF, and
# data-sync overwrites that the engine writes through (REQ_FUA: the
# dm device advertises FUA), with unsynced writes between, marks the log
# after every durable step. The
# log is then replayed (by our own replayer of the kernel's log format)
# onto the image as it was before, up to every flush and FUA entry: at
# each point e2fsck -fy must leave an image that e2fsck -fn finds clean,
# and every byte of every durable write logged before the point must read
# back intact through a read-only rext2 mount; and at every mark, with
# only what a flush had covered before it (and FUA writes), the mark's
# own writes must be there (a durable step acknowledged without a cache
# flush or FUA fails). REXT2_POWERLOG_STEPS (default 8) random durable
# steps, then one overwrite of each kind; REXT2_POWERLOG_EVERY (default 3) checks
# every Nth flush point. Seed from REXT2_SEED.
. "$REXT2_ROOT/tests/lib/common.sh"
. "$REXT2_ROOT/tests/lib/dm.sh"

seed=${REXT2_SEED:-$(cat "$REXT2_WORK/seed" 2>/dev/null || echo 20261123)}
steps=${REXT2_POWERLOG_STEPS:-8}
every=${REXT2_POWERLOG_EVERY:-3}
tool=$REXT2_ROOT/tests/lib/powerlog.py
w=/tmp/rext2-powerlog
rm -rf "$w" && mkdir -p "$w/check"

# The image before the workload: three empty files, written by rext2.
cp "$REXT2_WORK/empty-1024.img" "$w/base.img"
dev=$(attach_rw "$w/base.img")
mnt rext2 "$dev" "$T_MNT/base" rw || { fail "rw mount of the base image"; finish; }
touch "$T_MNT/base/f0" "$T_MNT/base/f1" "$T_MNT/base/f2"
umount "$T_MNT/base"
cleanup
cp "$w/base.img" "$w/data.img"
truncate -s 256M "$w/log.img"
ddev=$(attach_rw "$w/data.img")
ldev=$(attach_rw "$w/log.img")
mark workload
lw=$(dm_create rext2-logw "0 $(sectors "$ddev") log-writes $ddev $ldev") || { fail "dmsetup create log-writes"; finish; }
mnt rext2 "$lw" "$T_MNT/lw" rw || { fail "rw mount over log-writes"; dm_cleanup; finish; }
py "$tool" workload "$T_MNT/lw" rext2-logw "$w/journal" --seed "$seed" --steps "$steps" || fail "workload"
umount "$T_MNT/lw" || fail "umount over log-writes"
dm_cleanup
cleanup
mark replay
out=$(py "$tool" check "$w/log.img" "$w/base.img" "$w/journal" "$w/check" --every "$every")
rc=$?
printf '%s\n' "$out"
[ $rc -eq 0 ] || fail "replay: a point failed fsck or lost acknowledged bytes"
printf '%s\n' "$out" | grep -q '^replay points: [1-9]' || fail "no replay point checked"
# The final image (the whole log) is the device as the workload left it.
out=$(e2fsck -fn "$w/data.img" 2>&1) || { fail "e2fsck -fn of the device after the workload"; printf '%s\n' "$out" | head -n 20 | sed 's/^/# /'; }
rm -rf "$w"
finish
