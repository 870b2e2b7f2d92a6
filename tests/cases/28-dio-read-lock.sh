#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A deliberate difference from 7.3: with DIO_LOCKING an O_DIRECT read holds
# i_rwsem shared, not exclusive, while it maps blocks and builds bios, so
# concurrent direct readers of one file do not wait for each other.
#
# Reader A reads file F (on a fast device) into a private mapping of a
# file on a slow device (dm-delay): pinning A's buffer faults the mapped
# page in from the slow device while A holds F's i_rwsem. Once A sleeps
# there (state D), reader B reads F into ordinary memory. B must finish
# while A's read of the slow device is still in flight (the device's
# inflight count, /sys/block/dm-N/inflight): with an exclusive lock B
# would wait until A's page had arrived. Both must read F's data.
. "$REXT2_ROOT/tests/lib/common.sh"

command -v dmsetup >/dev/null || { echo "SKIP: no dmsetup (scripts/setup installs it)"; exit "$KSFT_SKIP"; }
tmp=/tmp/rext2-lock
mkdir -p "$tmp"
cp "$REXT2_WORK/empty-4096.img" "$tmp/fast.img"
cp "$REXT2_WORK/empty-4096.img" "$tmp/slow.img"
fast=$(attach_rw "$tmp/fast.img")
slowloop=$(attach_rw "$tmp/slow.img")
sectors=$(blockdev --getsz "$slowloop")
# Reads from the slow device take 8 s; writes are immediate.
dmsetup create --noudevsync rext2-slow --table "0 $sectors delay $slowloop 0 8000 $slowloop 0 0" ||
	{ fail "dmsetup create"; finish; }
trap 'umount "$T_MNT/slow" 2>/dev/null; dmsetup remove --noudevsync rext2-slow 2>/dev/null; cleanup' EXIT
# No udev in the guest: make the /dev/mapper node ourselves.
dmsetup mknodes rext2-slow
mnt rext2 "$fast" "$T_MNT/fast" rw || fail "mount fast"
mnt rext2 /dev/mapper/rext2-slow "$T_MNT/slow" rw || fail "mount slow"
head -c 1048576 /dev/urandom >"$T_MNT/fast/f"
head -c 65536 /dev/urandom >"$T_MNT/slow/g"
sync
echo 3 >/proc/sys/vm/drop_caches

dm=$(dmsetup info -c --noheadings -o blkdevname rext2-slow | tr -d ' ')
py - "$T_MNT/fast/f" "$T_MNT/slow/g" "/sys/block/$dm/inflight" <<'PY' || fail "read-lock ordering"
import mmap, os, sys, time
f, g, inflight = sys.argv[1], sys.argv[2], sys.argv[3]
def slow_reads():
    with open(inflight) as i:
        return int(i.read().split()[0])
want = open(f, "rb").read(65536)
r, w = os.pipe()
a = os.fork()
if a == 0:
    # Reader A: the buffer is a private writable mapping of g, whose pages
    # come from the slow device when the read pins them.
    fd = os.open(g, os.O_RDONLY)
    buf = mmap.mmap(fd, 65536, mmap.MAP_PRIVATE, mmap.PROT_READ | mmap.PROT_WRITE)
    d = os.open(f, os.O_RDONLY | os.O_DIRECT)
    n = os.preadv(d, [buf], 0)
    os._exit(0 if n == 65536 and buf[:] == want else 3)
def state(pid):
    with open(f"/proc/{pid}/stat") as s:
        return s.read().rsplit(")", 1)[1].split()[0]
for _ in range(200):
    if state(a) == "D":
        break
    time.sleep(0.05)
else:
    print("reader A never blocked on the slow device")
    os.kill(a, 9); sys.exit(1)
order = []
slow_when_b_done = None
b = os.fork()
if b == 0:
    buf = mmap.mmap(-1, 65536)
    d = os.open(f, os.O_RDONLY | os.O_DIRECT)
    n = os.preadv(d, [buf], 0)
    os._exit(0 if n == 65536 and buf[:] == want else 3)
for _ in range(2):
    pid, st = os.wait()
    if pid == b:
        slow_when_b_done = slow_reads()
    order.append(("A" if pid == a else "B", os.waitstatus_to_exitcode(st)))
print("finished in order:", order, "; slow-device reads in flight when B finished:", slow_when_b_done)
bad = [who for who, rc in order if rc != 0]
if bad:
    print("wrong result or data from reader(s)", bad); sys.exit(1)
if order[0][0] != "B" or not slow_when_b_done:
    print("reader B waited for reader A's slow page: the read lock is exclusive")
    sys.exit(1)
PY
umount "$T_MNT/slow" || fail "umount slow"
umount "$T_MNT/fast" || fail "umount fast"
dmsetup remove --noudevsync rext2-slow || fail "dmsetup remove"
out=$(e2fsck -fn "$tmp/fast.img" 2>&1) || { fail "e2fsck fast"; printf '%s\n' "$out" | head -n 20; }
out=$(e2fsck -fn "$tmp/slow.img" 2>&1) || { fail "e2fsck slow"; printf '%s\n' "$out" | head -n 20; }
cleanup
rm -rf "$tmp"
finish
