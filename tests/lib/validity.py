#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Block maps that point into metadata (block validity), on a read-write
rext2 mount.

usage: validity.py WORKDIR MOUNTDIR BLOCKSIZE

Builds a 16 MiB ext2 image of two block groups (mke2fs -g) with untouched
files (direct, indirect and double-indirect ranges, a directory) and one
16-block victim file per (target, place).  Targets: the superblock (the
primary at 1 KiB blocks, group 1's backup at 4 KiB, where block 0 cannot be
pointed at), the first descriptor block, the first reserved descriptor
block, group 0's block bitmap, inode bitmap and first inode-table block,
and a data block of another file ("shared").  Places: i_block[0] ("d",
set with debugfs sif), entry 0 of the IND block ("i", logical block 12)
and the IND pointer itself ("p", debugfs sif block[IND]).

Then, for each operation, a fresh copy of that corrupted image is mounted
and the operation is applied to every victim at the corrupted logical
block: O_DIRECT write (sync and AIO), buffered write + fsync, mmap write
+ msync (in a child: a fault may be SIGBUS), buffered read, O_DIRECT read
(sync and AIO), truncate into the corrupted block and truncate to 0.

Checks, per image: every victim whose target is metadata gets EUCLEAN or
EIO (mmap: SIGBUS or an errno; truncate to 0 may succeed: it drops the
pointers) and a kernel message "inode N" naming the target block; after
unmount no byte outside the victims' own blocks changed, except the
superblock's times, state and free counts, the descriptors' free counts,
the victims' inode records, block-bitmap bits of the victims' own blocks,
and, for d/i-shared victims, the shared block itself (a shared block is a
valid data block: no check without a reverse map can refuse it, ext4's
block_validity included; it is reported, not failed); e2fsck -fn prints
exactly what it printed before the mount (truncate: it names no inode but
the victims and the shared block's owner); no page pin is left.  Prints
"ok"/"FAIL" lines and a summary of outcomes by errno.
"""
import difflib
import errno
import mmap
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import aio  # noqa: E402
from ksft import Kmsg, pins, run, tagged_text  # noqa: E402
import fuzzimg  # noqa: E402

work, mnt, bs = sys.argv[1], sys.argv[2], int(sys.argv[3])
ename = lambda e: errno.errorcode.get(e, str(e))
out = lambda *a: print(*a, flush=True)
fails = []


def failure(what):
    fails.append(what)
    out("FAIL: " + what)


# ------------------------------------------------------------ kernel log
klog = Kmsg().read


# ------------------------------------------------------------ the image
tree = os.path.join(work, "tree")
shutil.rmtree(work, ignore_errors=True)
os.makedirs(os.path.join(tree, "dir"))


keep = {"keep-a": 5000, "keep-b": 300 * 1024, "dir/keep-c": 40 * 1024, "dir/keep-d": 100}
for name, n in keep.items():
    with open(os.path.join(tree, name), "wb") as f:
        f.write(tagged_text(name, n))
PLACES = ("d", "i", "p")
TARGETS = ("super", "gdt", "resgdt", "bbitmap", "ibitmap", "itable", "shared")
victims = ["v-%s-%s" % (t, p) for t in TARGETS for p in PLACES]
for v in victims:
    with open(os.path.join(tree, v), "wb") as f:
        f.write(tagged_text(v, 16 * bs))
base = os.path.join(work, "base.img")
with open(base, "wb") as f:
    f.truncate(16 << 20)
run("mke2fs", "-q", "-F", "-E", "nodiscard", "-t", "ext2", "-b", str(bs),
    "-g", str(8192 if bs == 1024 else 2048), "-d", tree, base)
with open(base, "rb") as f:
    fs = fuzzimg.Fs(f.read())
if fs.groups < 2:
    raise SystemExit("expected two block groups, got %d" % fs.groups)
by_path = {p: n for n in fs.inodes.values() for p in n.paths}
resgdt = struct.unpack_from("<H", fs.data, 1024 + 206)[0]
if not resgdt:
    raise SystemExit("mke2fs made no reserved GDT blocks (resize_inode off?)")
shared_owner = by_path["/keep-b"]
shared_block = sorted(shared_owner.data)[3][1]
# v-shared-p's IND pointer gets another block of keep-b: the one v-shared-d
# and v-shared-i write into would change the pointers e2fsck reads there.
shared_ind = sorted(shared_owner.data)[5][1]
gd0 = fs.gd[0]
target = {
    "super": fs.first if fs.first else fs.bpg,      # block 0 would be a hole
    "gdt": fs.first + 1,
    "resgdt": fs.first + 1 + fs.gdt_blocks,
    "bbitmap": gd0["bg_block_bitmap"],
    "ibitmap": gd0["bg_inode_bitmap"],
    "itable": gd0["bg_inode_table"],
    "shared": shared_block,
}
assert fs.has_super(1) and target["super"] in fs.meta_blocks
for t in TARGETS[:-1]:
    assert target[t] in fs.meta_blocks, (t, target[t])

# Plant the damage: i_block pointers with debugfs sif, IND entries in place.
own, vino, vlblk, vtarget = {}, {}, {}, {}
cmds = []
patch = []
for v in victims:
    node = by_path["/" + v]
    t, place = v.split("-")[1:]
    T = shared_ind if v == "v-shared-p" else target[t]
    data = dict(node.data)
    ind = [m.block for m in node.meta if m.level == 1]
    assert len(data) == 16 and len(ind) == 1, v
    blocks = set(data.values()) | set(ind)
    if place == "d":
        cmds.append("sif /%s block[0] %d" % (v, T))
        blocks.discard(data[0])
        vlblk[v] = 0
    elif place == "i":
        patch.append((ind[0] * bs, T))
        blocks.discard(data[12])
        vlblk[v] = 12
    else:
        cmds.append("sif /%s block[IND] %d" % (v, T))
        blocks -= {ind[0]} | {data[i] for i in range(12, 16)}
        vlblk[v] = 12
    own[v], vino[v], vtarget[v] = blocks, node.ino, T
with open(os.path.join(work, "cmds"), "w") as f:
    f.write("\n".join(cmds) + "\n")
run("debugfs", "-w", "-f", os.path.join(work, "cmds"), base)
with open(base, "r+b") as f:
    for off, val in patch:
        f.seek(off)
        f.write(struct.pack("<I", val))
with open(base, "rb") as f:
    planted = f.read()
pfs = fuzzimg.Fs(planted)
for v in victims:
    slot = {"d": 0, "p": 12}.get(v.split("-")[2])
    if slot is not None and pfs.inodes[vino[v]].iblock[slot] != vtarget[v]:
        raise SystemExit("debugfs sif did not set %s" % v)
fsck_before = run("e2fsck", "-fn", base, check=False, stderr=subprocess.DEVNULL)
out("# %d-byte blocks: %d victims, targets %s; e2fsck -fn before the mount: exit %d"
    % (bs, len(victims), ", ".join("%s=%d" % kv for kv in target.items()), fsck_before.returncode))


# ------------------------------------------------------------ operations
def aligned(n, fill=b"\0"):
    b = aio.Buf(n)
    b.fill(fill * n)
    return b


def op_dio_write(path, off):
    fd = os.open(path, os.O_RDWR | os.O_DIRECT)
    try:
        b = aligned(bs, b"W")
        os.pwrite(fd, memoryview(b.m)[:bs], off)
    finally:
        os.close(fd)


def op_aio(path, off, write):
    fd = os.open(path, (os.O_RDWR if write else os.O_RDONLY) | os.O_DIRECT)
    ctx = aio.Ctx(4)
    try:
        b = aligned(bs, b"A")
        n = ctx.submit([aio.iocb(aio.CMD_PWRITE if write else aio.CMD_PREAD, fd, b, 0, bs, off, 7)])
        if n != 1:
            raise OSError(errno.EAGAIN, "short io_submit")
        evs = ctx.events(1, 1, 30.0)
        if not evs:
            raise OSError(errno.ETIMEDOUT, "no AIO completion in 30 s")
        if evs[0].res < 0:
            raise OSError(-evs[0].res, os.strerror(-evs[0].res))
    finally:
        ctx.close()
        os.close(fd)


def op_buf_write(path, off):
    fd = os.open(path, os.O_RDWR)
    try:
        os.pwrite(fd, b"B" * bs, off)
        os.fsync(fd)
    finally:
        os.close(fd)


def op_mmap_write(path, off):
    """In a child: a failed fault is SIGBUS. Returns normally or raises."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        res = "ok"
        try:
            fd = os.open(path, os.O_RDWR)
            m = mmap.mmap(fd, 16 * bs, mmap.MAP_SHARED)
            m[off:off + 16] = b"M" * 16
            m.flush()
        except OSError as e:
            res = ename(e.errno)
        os.write(w, res.encode())
        os._exit(0)
    os.close(w)
    _, status = os.waitpid(pid, 0)
    res = os.read(r, 100).decode()
    os.close(r)
    if os.WIFSIGNALED(status):
        raise OSError(-os.WTERMSIG(status), signal.Signals(os.WTERMSIG(status)).name)
    if res != "ok":
        raise OSError(getattr(errno, res, errno.EIO), res)


def op_buf_read(path, off):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.pread(fd, bs, off)
    finally:
        os.close(fd)


def op_dio_read(path, off):
    fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
    try:
        b = aligned(bs)
        os.preadv(fd, [b.m], off)
    finally:
        os.close(fd)


def op_truncate(path, size):
    fd = os.open(path, os.O_RDWR)
    try:
        os.ftruncate(fd, size)
    finally:
        os.close(fd)


# Operations, grouped by mount (those of one group leave the image as the
# first found it, or change only the same blocks).
OPS = [
    [("dio-write", op_dio_write), ("aio-write", lambda p, o: op_aio(p, o, True)),
     ("buffered-write-fsync", op_buf_write), ("mmap-write-msync", op_mmap_write)],
    [("buffered-read", op_buf_read), ("dio-read", op_dio_read),
     ("aio-read", lambda p, o: op_aio(p, o, False))],
    [("truncate-into", lambda p, o: op_truncate(p, o + 100)),
     ("truncate-0", lambda p, o: op_truncate(p, 0))],
]
only = os.environ.get("REXT2_VALIDITY_OPS")     # a comma-separated subset, for debugging
if only:
    OPS = [g for g in ([o for o in g if o[0] in only.split(",")] for g in OPS) if g]
CORRUPT_RE = re.compile(r"rext2: corrupted filesystem: inode (\d+): (.*)")


def allowed_bytes():
    """Byte ranges that may change whatever happened (besides own blocks)."""
    r = []
    for a, b in ((12, 20), (44, 56), (58, 60)):
        r.append((1024 + a, 1024 + b))
    gdt = (fs.first + 1) * bs
    for g in range(fs.groups):
        r.append((gdt + 32 * g + 12, gdt + 32 * g + 16))
    for v in victims:
        o = fs.inode_off(vino[v])
        r.append((o, o + fs.isize))
    return r


ALLOWED = allowed_bytes()


def describe(b):
    if b in fs.meta_blocks:
        return fs.meta_blocks[b]
    for n in fs.inodes.values():
        if any(p == b for _, p in n.data) or any(m.block == b for m in n.meta):
            return "block of " + n.name()
    return "free block"


def compare(before, after, op):
    """Fails on changes outside what the victims own."""
    owned = set().union(*own.values())
    # The shared blocks are the victims' by their maps: d and i write into
    # theirs, truncating v-shared-p frees its "IND" block (keep-b's).
    owned |= {vtarget[v] for v in victims if v.startswith("v-shared-")}
    bbm = {fs.gd[g]["bg_block_bitmap"]: g for g in range(fs.groups)}
    bad = []
    for b in range(fs.blocks):
        lo, hi = b * bs, (b + 1) * bs
        if before[lo:hi] == after[lo:hi] or b in owned:
            continue
        for i in range(lo, hi):
            if before[i] == after[i] or any(a <= i < z for a, z in ALLOWED):
                continue
            if b in bbm:
                x = before[i] ^ after[i]
                blk0 = fs.first + bbm[b] * fs.bpg + (i - lo) * 8
                if all(blk0 + k in owned for k in range(8) if x >> k & 1):
                    continue
            bad.append((b, i))
            break
    for b, i in bad[:10]:
        failure("%s: block %d (%s) changed at byte %d" % (op, b, describe(b), i - b * bs))
    return not bad


def fsck_inodes(text_):
    return {int(x) for x in re.findall(r"[Ii]node #?(\d+)", text_)}


def fsck_text(p):
    """e2fsck's report (stdout) without the times it prints (the victims'
    mtimes change with every write attempt) and the image's name."""
    t = re.sub(r", mod time [^)]*\)", ")", p.stdout)
    return p.returncode, t.replace(img, "IMAGE").replace(base, "IMAGE")


# ------------------------------------------------------------ the loop
counts = {}
img = os.path.join(work, "cur.img")
pins0 = pins()
klog()
# Corruption reports since the last pause. rext2's limit (50 per 5 s) is
# global, so the count runs on across groups: a group that starts right
# after a busy one would otherwise find the window used up and its
# victims' messages suppressed.
nmsg = 0
for group in OPS:
    gname = "+".join(o[0] for o in group)
    shutil.copyfile(base, img)
    dev = run("losetup", "-f", "--show", img).stdout.strip()
    results, said, msgs = {}, {}, []
    try:
        os.makedirs(mnt, exist_ok=True)
        run("mount", "-t", "rext2", dev, mnt)
        for opname, fn in group:
            for v in victims:
                if nmsg > 30:   # keep clear of the 50-per-5-s rate limit
                    time.sleep(5.2)
                    nmsg = 0
                try:
                    fn(os.path.join(mnt, v), vlblk[v] * bs)
                    res = "ok"
                except OSError as e:
                    res = ename(e.errno) if e.errno > 0 else signal.Signals(-e.errno).name
                results[opname, v] = res
                new = klog()
                msgs += new
                said[opname, v] = [mo.group(2) for mo in map(CORRUPT_RE.search, new)
                                   if mo and int(mo.group(1)) == vino[v]]
                nmsg += sum(1 for x in new if CORRUPT_RE.search(x))
        os.sync()
        run("umount", mnt)
    finally:
        run("losetup", "-d", dev, check=False)
    tail = klog()
    msgs += tail
    nmsg += sum(1 for x in tail if CORRUPT_RE.search(x))
    bad = [x for x in msgs if re.search(r"BUG:|WARNING:|Oops|KASAN|lockdep|rust_panic|"
                                        r"general protection|circular locking", x)]
    if bad:
        failure("%s: kernel report: %s" % (gname, " | ".join(bad[:5])))
    okc = 0
    for opname, _ in group:
        for v in victims:
            res = results[opname, v]
            counts[res] = counts.get(res, 0) + 1
            shared = v.startswith("v-shared-")
            texts = said[opname, v]
            if shared and v != "v-shared-p":
                out("# %s %s: %s (a shared block is a valid data block)" % (opname, v, res))
                okc += 1
                continue
            want = {"EUCLEAN", "EIO"} | ({"SIGBUS"} if opname.startswith("mmap") else set())
            if opname == "truncate-0":
                want.add("ok")
            if res not in want:
                failure("%s %s: %s, want one of %s" % (opname, v, res, "/".join(sorted(want))))
                continue
            if not texts:
                failure("%s %s: %s without a kernel message naming inode %d" % (
                    opname, v, res, vino[v]))
                continue
            if not shared and not any(re.search(r"\b%d\b" % vtarget[v], t) for t in texts):
                failure("%s %s: the messages do not name block %d: %s" % (
                    opname, v, vtarget[v], texts[:2]))
                continue
            okc += 1
    with open(img, "rb") as f:
        after = f.read()
    same = compare(planted, after, gname)
    fsck = run("e2fsck", "-fn", img, check=False, stderr=subprocess.DEVNULL)
    if gname.startswith("truncate"):
        # The pointers are gone: e2fsck may now find less, and the blocks
        # they left unowned, but no inode it did not name before.
        extra = (fsck_inodes(fsck.stdout) - fsck_inodes(fsck_before.stdout)
                 - set(vino.values()) - {shared_owner.ino})
        fsck_ok = not extra
        if extra:
            failure("%s: e2fsck -fn names other inodes %s:\n# %s" % (
                gname, sorted(extra), fsck.stdout[-1500:].replace("\n", "\n# ")))
    else:
        fsck_ok = fsck_text(fsck) == fsck_text(fsck_before)
        if not fsck_ok:
            diff = difflib.unified_diff(fsck_text(fsck_before)[1].splitlines(),
                                        fsck_text(fsck)[1].splitlines(), lineterm="")
            failure("%s: e2fsck -fn output changed by the mount (exit %d, was %d):\n# %s" % (
                gname, fsck.returncode, fsck_before.returncode,
                "\n# ".join(list(diff)[:40])))
    n = len(group) * len(victims)
    out("%s %d-%s: %d/%d as expected, %s, %s, %d messages" % (
        "ok" if okc == n and same and fsck_ok else "not ok", bs, gname, okc, n,
        "nothing else changed" if same else "OTHER BYTES CHANGED",
        "e2fsck as expected" if fsck_ok else "e2fsck differs",
        sum(1 for x in msgs if CORRUPT_RE.search(x))))
    os.unlink(img)
left = pins() - pins0
if left:
    failure("page pins: %d acquired but not released" % left)
out("# %d-byte blocks: outcomes by errno over %d operations on %d victims: %s" % (
    bs, sum(map(len, OPS)), len(victims), ", ".join("%s %d" % kv for kv in sorted(counts.items()))))
shutil.rmtree(work, ignore_errors=True)
sys.exit(1 if fails else 0)
