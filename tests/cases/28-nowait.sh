#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Non-blocking reads (IOCB_NOWAIT: RWF_NOWAIT here, io_uring's inline issue
# in 13-fio-verify), a deliberate difference from 7.3 (Documentation/
# rext2.rst). rext2 opens files with FMODE_NOWAIT, so RWF_NOWAIT is taken
# (a buffered read of cached data succeeds); an O_DIRECT read inside
# i_size on one run of allocated blocks whose indirect blocks are cached
# is done without blocking, on the one-bio path (nowait_requests); a read
# over a hole, across EOF, through an indirect block that is not in the
# buffer cache, or over dirty page cache fails with EAGAIN and nothing
# read, and succeeds without the flag; an RWF_NOWAIT write fails with
# EOPNOTSUPP and writes nothing. EAGAIN is not counted as an engine error.
. "$REXT2_ROOT/tests/lib/common.sh"

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
[ -r "$REXT2_DIO_STATS" ] || { fail "no counters file $REXT2_DIO_STATS"; finish; }
tmp=$(mktemp -d)
for bs in 1024 4096; do
	dev=$(attach "$REXT2_WORK/full-$bs.img")
	mnt rext2 "$dev" "$T_MNT/r$bs" || fail "mount full-$bs.img"
done
dev1k=$(awk -v d="$T_MNT/r1024" '$2 == d { print $1 }' /proc/mounts)
cp "$REXT2_WORK/empty-4096.img" "$tmp/rw.img"
rwdev=$(attach_rw "$tmp/rw.img")
mnt rext2 "$rwdev" "$T_MNT/rw" rw || fail "rw mount"

py - "$T_MNT" "$REXT2_DIO_STATS" "$dev1k" <<'PY' || fail "non-blocking read checks"
import errno, mmap, os, subprocess, sys
mnt, stats, dev1k = sys.argv[1:4]
buf = mmap.mmap(-1, 1 << 16)
bad = 0

def counters():
    with open(stats) as f:
        return {k: int(v) for k, v in (l.split() for l in f if l.strip())}

def expect(what, ok, detail):
    global bad
    print(f"{'ok  ' if ok else 'FAIL'} {what}: {detail}")
    if not ok:
        bad += 1

def nowait_read(path, off, length, direct=True, want=None, **want_delta):
    """preadv2(RWF_NOWAIT): want is the byte count or an errno."""
    flags = os.O_RDONLY | (os.O_DIRECT if direct else 0)
    fd = os.open(path, flags)
    before = counters()
    try:
        got = os.preadv(fd, [memoryview(buf)[:length]], off, os.RWF_NOWAIT)
    except OSError as e:
        got = errno.errorcode.get(e.errno, e.errno)
    after = counters()
    os.close(fd)
    delta = {k: after[k] - before[k] for k in want_delta}
    name = f"{os.path.relpath(path, mnt)} @{off}+{length}{' buffered' if not direct else ''}"
    expect(name, got == want and delta == want_delta,
           f"{got} {delta} (expected {want} {want_delta})")

def blocking_read(path, off, length):
    fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
    n = os.preadv(fd, [memoryview(buf)[:length]], off)
    os.close(fd)
    return n

# In one run, inside i_size, indirect blocks cached by a first read.
f4 = os.path.join(mnt, "r4096/indirect/1k-dind-1m")
blocking_read(f4, 48 << 10, 16 << 10)
want = bytes(buf[:16 << 10])
buf[:16 << 10] = bytes(16 << 10)
nowait_read(f4, 48 << 10, 16 << 10, want=16 << 10, nowait_requests=1,
            one_bio_requests=1, nowait_again=0, errors=0)
expect("RWF_NOWAIT data", bytes(buf[:16 << 10]) == want, "same bytes as a blocking read")

# A hole, and a read across EOF: not the one-bio path.
hole = os.path.join(mnt, "r4096/sparse/all-hole")
nowait_read(hole, 0, 16 << 10, want="EAGAIN", nowait_requests=0, nowait_again=1, errors=0)
expect("hole, blocking", blocking_read(hole, 0, 16 << 10) == 16 << 10, "16384 bytes")
f1 = os.path.join(mnt, "r1024/indirect/1k-ind")
size = os.stat(f1).st_size
nowait_read(f1, 0, 16 << 10, want="EAGAIN", nowait_again=1, errors=0)
expect("across EOF, blocking", blocking_read(f1, 0, 16 << 10) == size, f"{size} bytes")

# Block 12 of a 1 KiB-block file is mapped through its indirect block:
# once that is dropped from the buffer cache, and the inode with its
# cached block-map runs is evicted (drop_caches, no file open), a
# non-blocking read would have to read it, so it is refused; a blocking
# read brings it back.
def drop_all():
    subprocess.run(["blockdev", "--flushbufs", dev1k], check=True)
    with open("/proc/sys/vm/drop_caches", "w") as d:
        d.write("3\n")

drop_all()
nowait_read(f1, 12 << 10, 1024, want="EAGAIN", nowait_requests=0, nowait_again=1, errors=0)
expect("uncached indirect, blocking", blocking_read(f1, 12 << 10, 1024) == 1024, "1024 bytes")
nowait_read(f1, 12 << 10, 1024, want=1024, nowait_requests=1, nowait_again=0, errors=0)
# The blocking read left the run in the inode's run cache: with the
# indirect block dropped from the buffer cache but the inode kept (open),
# the mapping needs no read, so a non-blocking read is taken.
keep = os.open(f1, os.O_RDONLY)
subprocess.run(["blockdev", "--flushbufs", dev1k], check=True)
nowait_read(f1, 12 << 10, 1024, want=1024, nowait_requests=1, nowait_again=0, errors=0)
os.close(keep)

# FMODE_NOWAIT: a buffered RWF_NOWAIT read of cached data is taken.
with open(f4, "rb") as f:
    f.read(4096)
nowait_read(f4, 0, 4096, direct=False, want=4096)

# Writes: RWF_NOWAIT is refused and writes nothing; dirty page cache over
# a direct read's range makes it EAGAIN.
rw = os.path.join(mnt, "rw/file")
with open(rw, "wb") as f:
    f.write(b"a" * (64 << 10))
    os.fsync(f.fileno())
fd = os.open(rw, os.O_RDWR | os.O_DIRECT)
buf[:4096] = b"b" * 4096
try:
    n = os.pwritev(fd, [memoryview(buf)[:4096]], 0, os.RWF_NOWAIT)
    expect("RWF_NOWAIT write", False, f"wrote {n} bytes, expected EOPNOTSUPP")
except OSError as e:
    expect("RWF_NOWAIT write", e.errno == errno.EOPNOTSUPP, errno.errorcode.get(e.errno))
os.close(fd)
with open(rw, "rb") as f:
    expect("file after the refused write", f.read() == b"a" * (64 << 10), "unchanged")
with open(rw, "r+b") as f:
    f.seek(8192)
    f.write(b"c" * 4096)
    f.flush()
    nowait_read(rw, 8192, 4096, want="EAGAIN", errors=0)
    os.fsync(f.fileno())
nowait_read(rw, 8192, 4096, want=4096, nowait_requests=1, errors=0)
expect("data after writeback", bytes(buf[:4096]) == b"c" * 4096, "the buffered write's bytes")
sys.exit(1 if bad else 0)
PY

umount "$T_MNT/rw" || fail "umount rw"
e2fsck -fn "$tmp/rw.img" >"$tmp/fsck.log" 2>&1 || { cat "$tmp/fsck.log"; fail "e2fsck -fn after the writes"; }
rm -rf "$tmp"
finish
