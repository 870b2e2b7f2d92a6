#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Block maps that are graphs, not trees: truncate and unlink over them.

usage: maploops.py WORKDIR MOUNTDIR BLOCKSIZE

Builds a 16 MiB ext2 image with two untouched files and five 16-block
victims, then plants, in blocks marked in use with debugfs (setb) and
hooked in with debugfs sif:
  tind-self     i_block[TIND] = X, every entry of X is X (the map of a
                fuzzed image that once made truncate run for 2^24 frees)
  tind-same     i_block[TIND] = X, every entry of X is Y, of Y is Z, of Z
                is data block W (2^24 pointers at 1 KiB blocks, 2^30 at 4)
  dind-same     i_block[DIND] = X, every entry of X is Y, of Y is W
  ind-self      entry 10 of the victim's own IND block is that IND block
  partial-self  i_block[DIND] = X, entries 0 and 1 of X are X; the victim
                is first truncated to end inside X's first child (a
                partial walk), then to 0
On two fresh copies of the image, each victim is truncated to 0
(ftruncate) or unlinked (its eviction frees the blocks), each operation
in a child process given 120 s.

Checks: every operation ends (a hang fails the run and stops it), returns
0 or EUCLEAN/EIO, and the kernel log names the victim's inode with "not a
tree" and the reason (a pointer back into the walk's own path for the
*-self victims, more blocks than the filesystem has for the *-same); the log is not flooded (at most 150 rext2 messages per copy; the
maps above name one block tens of thousands of times); the untouched
files read back unchanged from the unmounted image; e2fsck -fy names no
inode but the victims, after which e2fsck -fn is clean; no page pin is
left, and no kernel report (BUG, WARNING, KASAN, lockdep, ...).
"""
import errno
import os
import re
import shutil
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ksft import Kmsg, pins, run, tagged_text  # noqa: E402
import fuzzimg  # noqa: E402

work, mnt, bs = sys.argv[1], sys.argv[2], int(sys.argv[3])
ppb = bs // 4
LIMIT = 120
out = lambda *a: print(*a, flush=True)
fails = []


def failure(what):
    fails.append(what)
    out("FAIL: " + what)


klog = Kmsg().read


# ------------------------------------------------------------ the image
tree = os.path.join(work, "tree")
shutil.rmtree(work, ignore_errors=True)
os.makedirs(tree)
keep = {"keep-a": 5000, "keep-b": 300 * 1024}
VICTIMS = ("tind-self", "tind-same", "dind-same", "ind-self", "partial-self")
# What the "not a tree" report must say: a pointer back into the walk's own
# path, or a walk stopped after as many blocks as the filesystem has.
EXPECT = {"tind-self": "own path", "tind-same": "more blocks than",
          "dind-same": "more blocks than", "ind-self": "own path", "partial-self": "own path"}
for name, n in keep.items():
    with open(os.path.join(tree, name), "wb") as f:
        f.write(tagged_text(name, n))
for v in VICTIMS:
    with open(os.path.join(tree, v), "wb") as f:
        f.write(tagged_text(v, 16 * bs))
base = os.path.join(work, "base.img")
with open(base, "wb") as f:
    f.truncate(16 << 20)
run("mke2fs", "-q", "-F", "-E", "nodiscard", "-t", "ext2", "-b", str(bs), "-d", tree, base)
with open(base, "rb") as f:
    fs = fuzzimg.Fs(f.read())
by_path = {p: n for n in fs.inodes.values() for p in n.paths}
vino = {v: by_path["/" + v].ino for v in VICTIMS}

# Free blocks for the planted indirect blocks, well past the files.
ffb = run("debugfs", "-R", "ffb 12 %d" % (fs.blocks // 2), base, stderr=subprocess.DEVNULL)
free = [int(x) for x in re.findall(r"\d+", ffb.stdout.split(":", 1)[-1])]
if len(free) < 12:
    raise SystemExit("debugfs ffb found %d free blocks: %r" % (len(free), ffb.stdout))
fill = {}   # block -> its 32-bit entries (a list of ppb values)
cmds = ["setb %d" % b for b in free]
X1, X2, Y2, Z2, W2, X3, Y3, W3, X5 = free[:9]
cmds.append("sif /tind-self block[TIND] %d" % X1)
fill[X1] = [X1] * ppb
cmds.append("sif /tind-same block[TIND] %d" % X2)
fill[X2], fill[Y2], fill[Z2] = [Y2] * ppb, [Z2] * ppb, [W2] * ppb
cmds.append("sif /dind-same block[DIND] %d" % X3)
fill[X3], fill[Y3] = [Y3] * ppb, [W3] * ppb
cmds.append("sif /partial-self block[DIND] %d" % X5)
fill[X5] = [X5, X5] + [0] * (ppb - 2)
with open(os.path.join(work, "cmds"), "w") as f:
    f.write("\n".join(cmds) + "\n")
run("debugfs", "-w", "-f", os.path.join(work, "cmds"), base)
ind = [m.block for m in by_path["/ind-self"].meta if m.level == 1]
assert len(ind) == 1
with open(base, "r+b") as f:
    for b, entries in fill.items():
        f.seek(b * bs)
        f.write(struct.pack("<%dI" % ppb, *entries))
    f.seek(ind[0] * bs + 4 * 10)
    f.write(struct.pack("<I", ind[0]))
with open(base, "rb") as f:
    planted = f.read()
for v, slot, want in (("tind-self", 14, X1), ("tind-same", 14, X2), ("dind-same", 13, X3),
                      ("partial-self", 13, X5)):
    off = fs.inode_off(vino[v]) + 40 + 4 * slot
    if struct.unpack_from("<I", planted, off)[0] != want:
        raise SystemExit("debugfs sif did not set %s's i_block[%d]" % (v, slot))
out("# %d-byte blocks: victims %s; planted blocks %s" % (
    bs, ", ".join("%s=inode %d" % (v, vino[v]) for v in VICTIMS), free[:9]))


# ------------------------------------------------------------ operations
def in_child(fn):
    """Runs fn() in a child; returns "ok", an errno name, or None (hang)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        res = "ok"
        try:
            fn()
        except OSError as e:
            res = errno.errorcode.get(e.errno, str(e.errno))
        os.write(w, res.encode())
        os._exit(0)
    os.close(w)
    end = time.monotonic() + LIMIT
    while time.monotonic() < end:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            res = os.read(r, 100).decode()
            os.close(r)
            return res
        time.sleep(0.1)
    return None


def truncate(path, v):
    fd = os.open(path, os.O_RDWR)
    try:
        if v == "partial-self":
            # Ends inside X's first child: a partial walk of X.
            os.ftruncate(fd, (12 + ppb + 1) * bs - 100)
        os.ftruncate(fd, 0)
    finally:
        os.close(fd)


OPS = {"truncate": truncate, "unlink": lambda path, v: os.unlink(path)}
REPORT = re.compile(r"BUG:|WARNING:|Oops|KASAN|lockdep|rust_panic|general protection|"
                    r"circular locking|hung_task|blocked for more than")
img = os.path.join(work, "cur.img")
pins0 = pins()
klog()
for opname, op in OPS.items():
    shutil.copyfile(base, img)
    dev = run("losetup", "-f", "--show", img).stdout.strip()
    results, msgs = {}, []
    try:
        os.makedirs(mnt, exist_ok=True)
        run("mount", "-t", "rext2", dev, mnt)
        for v in VICTIMS:
            t0 = time.monotonic()
            res = in_child(lambda: op(os.path.join(mnt, v), v))
            if res is None:
                failure("%d-%s %s: still running after %d s (a walk that does not end)" % (
                    bs, opname, v, LIMIT))
                for x in klog()[-5:]:
                    out("# " + x)
                sys.exit(1)     # the mount cannot be released: stop here
            results[v] = (res, time.monotonic() - t0)
            msgs += klog()
        run("umount", mnt)
    finally:
        run("losetup", "-d", dev, check=False)
    msgs += klog()
    bad = [x for x in msgs if REPORT.search(x)]
    if bad:
        failure("%d-%s: kernel report: %s" % (bs, opname, " | ".join(bad[:5])))
    ours = [x for x in msgs if x.startswith("rext2")]
    if len(ours) > 150:
        failure("%d-%s: %d rext2 messages: the log is flooded" % (bs, opname, len(ours)))
    for v in VICTIMS:
        res, secs = results[v]
        named = [x for x in ours if "inode %d:" % vino[v] in x and "not a tree" in x
                 and EXPECT[v] in x]
        good = res in ("ok", "EUCLEAN", "EIO") and named
        out("%s %d-%s %s: %s in %.1f s, %s" % (
            "ok" if good else "not ok", bs, opname, v, res, secs,
            named[0] if named else "no \"not a tree ... %s\" message naming inode %d" % (
                EXPECT[v], vino[v])))
        if not good:
            failure("%d-%s %s: %s, %d message(s) naming it" % (bs, opname, v, res, len(named)))
    with open(img, "rb") as f:
        after = fuzzimg.Fs(f.read())
    for name, n in keep.items():
        node = next((x for x in after.inodes.values() if "/" + name in x.paths), None)
        got = b"".join(after.block(p) for _, p in sorted(node.data)) if node else b""
        if got[:n] != tagged_text(name, n):
            failure("%d-%s: untouched file %s changed" % (bs, opname, name))
    fix = run("e2fsck", "-fy", img, check=False, stderr=subprocess.DEVNULL)
    named = {int(x) for x in re.findall(r"[Ii]node #?(\d+)", fix.stdout)}
    other = named - set(vino.values())
    if other or fix.returncode > 1:
        failure("%d-%s: e2fsck -fy exit %d, names inodes %s:\n# %s" % (
            bs, opname, fix.returncode, sorted(other), fix.stdout[-1500:].replace("\n", "\n# ")))
    clean = run("e2fsck", "-fn", img, check=False, stderr=subprocess.DEVNULL)
    if clean.returncode != 0:
        failure("%d-%s: e2fsck -fn after -fy: exit %d" % (bs, opname, clean.returncode))
    out("# %d-%s: %d rext2 messages, e2fsck -fy exit %d (fixed: %s), then -fn exit %d" % (
        bs, opname, len(ours), fix.returncode,
        ", ".join("inode %d" % i for i in sorted(named)) or "nothing", clean.returncode))
    os.unlink(img)
left = pins() - pins0
if left:
    failure("page pins: %d acquired but not released" % left)
shutil.rmtree(work, ignore_errors=True)
sys.exit(1 if fails else 0)
