#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Systematic corruption, read-write: up to 150 copies of a small image at
# 1, 2 and 4 KiB blocks (image N from base N % 3; tests/lib/fuzzimg.py:
# one targeted corruption each, cycling over superblock, group descriptor,
# inode, i_block, directory entry, indirect block, bitmap, and "multi":
# two to four corruptions, block maps that point at metadata, past the
# device or at the same block twice among them), each attached read-write
# and mounted rw. A refused mount must say why ("rext2:" in the kernel
# log); a mounted image gets a fixed workload (ls -laR, stat, read every
# file, O_DIRECT reads of every file, write 64 KiB, O_DIRECT writes (sync
# and AIO through io_submit) into and past files, AIO reads, mmap reads and
# mmap writes + msync in a child (a failed fault is SIGBUS), append, mkdir,
# 20 creates, rename, unlink, truncate, rmdir, symlink, syncfs) whose
# errors are expected, and must then unmount. Fails on a hang (20 s per
# mount, workload and unmount), a failed unmount, a kernel report (BUG,
# WARN, KASAN, lockdep, hung task, ...) while an image is in use, a write
# outside the files the workload may change (below), a page pin left
# behind (/proc/vmstat nr_foll_pin_acquired != nr_foll_pin_released after
# the loop), or fewer than REXT2_FUZZ_MIN (default 20, at most COUNT)
# images processed; the failure names the image and its corruption.
#
# Writes outside the files' own blocks: the workload never writes, frees
# or renames over /direct, /ind (= /hardlink-ind), /sub/deeper/f,
# /slowlink and the entries of /big but 08. Their data and indirect blocks
# (as the fuzzed image maps them, parsed before the mount) that no other
# inode maps, that the fuzzed bitmap marks in use and that are no
# metadata by the fuzzed descriptors, must be byte-identical after the
# unmount, unless the inode's record itself changed (then the inode may
# have been freed and its blocks reused: counted as "released"). Images
# whose maps cannot be parsed (loops) are counted "unchecked".
#
# The loop over the images is one Python process (below) that attaches,
# mounts and runs the workload with system calls: under the emulated debug
# VM every fork+exec of a tool costs about a second, which would allow only
# a few dozen images in the time budget.
#
# REXT2_FUZZ_BUDGET (default 180): seconds after which no new image is
# started, unless fewer than REXT2_FUZZ_MIN (default 25; at most COUNT)
# are done: the case fails if it processed fewer than that floor, or if no
# image mounted (the workload never ran). REXT2_FUZZ_COUNT (default 150):
# at most this many images, always the first ones of the seeded sequence. Measured: 3.5 s per image (0.7 s
# refused, about 4 s mounted) in the emulated debug VM on a host shared
# with three other VMs, i.e. about 50 images in the budget there; an idle
# host gets further. REXT2_FUZZ_LIMIT (default 20): the per-step time
# limit. The seed is $REXT2_WORK/seed. Image N is reproduced on the host
# from a base built the same way (make_base at block size 1024, 2048,
# 4096 for N % 3 = 0, 1, 2; same layout, so the same corruption) with
#   tests/lib/fuzzimg.py BASE OUT --seed SEED --count COUNT --first N --limit 1
# The long variant (3000 images, about an hour of VM time): make fuzz-long.
. "$REXT2_ROOT/tests/lib/common.sh"

count=${REXT2_FUZZ_COUNT:-$(quick_or 40 150)}
budget=${REXT2_FUZZ_BUDGET:-$(quick_or 60 180)}
floor=${REXT2_FUZZ_MIN:-25}
work=/tmp/rext2-fuzz

need mke2fs e2fsck truncate dd yes
py -c 'import sys, ctypes, os; sys.exit(sys.version_info < (3, 11) or not hasattr(os, "pidfd_open"))' 2>/dev/null ||
	{ echo "SKIP: needs Python >= 3.11 with ctypes and os.pidfd_open"; exit "$KSFT_SKIP"; }
[ -c /dev/loop-control ] || { echo "SKIP: no /dev/loop-control"; exit "$KSFT_SKIP"; }
case $count in '' | *[!0-9]* | 0) echo "SKIP: bad REXT2_FUZZ_COUNT '$count'"; exit "$KSFT_SKIP" ;; esac
case $budget in '' | *[!0-9]* | 0) echo "SKIP: bad REXT2_FUZZ_BUDGET '$budget'"; exit "$KSFT_SKIP" ;; esac
case $floor in '' | *[!0-9]*) echo "SKIP: bad REXT2_FUZZ_MIN '$floor'"; exit "$KSFT_SKIP" ;; esac
[ "$floor" -le "$count" ] || floor=$count
seed=$(cat "$REXT2_WORK/seed" 2>/dev/null) || seed=
case $seed in '' | *[!0-9]*) seed=1 ;; esac

rm -rf "$work"
mkdir -p "$work/tree"

# The base tree: files in the direct, IND and DIND ranges, a sparse file
# reaching triple indirect, a directory of 50 long names (3 blocks) and two
# subdirectories, nested and empty directories, a fast and a slow symlink
# and a hard link. Contents are text, never all-zero blocks. 9 MiB at 1 KiB
# blocks is two block groups (8192 blocks each).
make_base() {
	local t=$work/tree i s
	mkdir -p "$t/big/sub-1" "$t/big/sub-2" "$t/sub/deeper" "$t/emptydir"
	echo hello >"$t/small"
	s="direct block data of the rext2 fuzz base image"$'\n'
	for i in {1..8}; do s+=$s; done
	printf '%s' "$s" >"$t/direct"
	yes 'rext2 fuzz: a file in the single indirect range' | head -c 100000 >"$t/ind"
	yes 'rext2 fuzz: a file in the double indirect range' | head -c 400000 >"$t/dind"
	echo 'triple indirect: head' >"$t/tind"
	echo 'triple indirect: tail' |
		dd of="$t/tind" bs=4096 seek=$((70 * 256 - 2)) conv=notrunc status=none
	truncate -s 70M "$t/tind"
	for i in {01..50}; do
		echo "entry $i" >"$t/big/entry-with-a-fairly-long-name-number-$i"
	done
	echo deep >"$t/sub/deeper/f"
	ln -s small "$t/fastlink"
	ln -s "sub/deeper/../deeper/../deeper/../deeper/../deeper/../deeper/../../sub/deeper/f" "$t/slowlink"
	ln "$t/ind" "$t/hardlink-ind"
	for bs in 1024 2048 4096; do
		[ -f "$REXT2_WORK/fuzz-base-$bs.img" ] && continue
		"$REXT2_ROOT/tests/lib/mkimage.sh" "$work/base-$bs.img" "$bs" "$t" 9 >/dev/null || return
	done
}

make_base || { fail "building the base images"; finish; }
bases=
for bs in 1024 2048 4096; do
	b=$work/base-$bs.img
	[ -f "$REXT2_WORK/fuzz-base-$bs.img" ] && b=$REXT2_WORK/fuzz-base-$bs.img
	bases+=${bases:+,}$b
done
base=$bases
m=$T_MNT/m
mkdir -p "$m"
note "seed $seed, $count images (budget ${budget}s, at least $floor), bases $bases"

# Exit status: 0 pass, 1 fail, 3 a process is stuck in the kernel (then
# the mount is left alone: unmounting would block too).
py - "$REXT2_ROOT/tests/lib" "$base" "$work" "$m" "$seed" "$count" "$budget" \
	"$T_NAME" "$T_LOOPS" "$floor" <<'EOF'
import ctypes, errno, fcntl, mmap, os, re, select, signal, stat, sys, time

lib, bases, work, mnt, seed, count, budget, tname, loops_file, floor = sys.argv[1:]
seed, count, budget, floor = int(seed), int(count), int(budget), int(floor)
bases = bases.split(",")
sys.path.insert(0, lib)
import aio  # noqa: E402
import fuzzimg  # noqa: E402
from ksft import Kmsg, pins  # noqa: E402

FLOOR = min(count, floor)  # images at least (REXT2_FUZZ_MIN)
LIMIT = int(os.environ.get("REXT2_FUZZ_LIMIT", "20"))  # s per mount, workload, unmount
GRACE = 15          # seconds after SIGKILL before "stuck in the kernel"
# the runner's list of kernel reports
BAD_RE = re.compile(
    r"(BUG:|WARNING:|Oops|general protection fault|KASAN|UBSAN|possible circular locking|"
    r"possible recursive locking|inconsistent lock state|suspicious RCU usage|lockdep|"
    r"INFO: task .* blocked for more than|Kernel panic|kernel BUG|rust_panic|panicked at)")
LOOP_SET_FD, LOOP_CLR_FD, LOOP_CTL_GET_FREE = 0x4C00, 0x4C01, 0x4C82

libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_void_p]
libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
ename = lambda e: errno.errorcode.get(e, str(e))
out = lambda *a: print(*a, flush=True)

# ----------------------------------------------------------- kernel log
klog = Kmsg().read
kw = os.open("/dev/kmsg", os.O_WRONLY)


def mark(step):
    os.write(kw, ("rext2-test: begin %s/%s" % (tname, step)).encode())


# ------------------------------------------------------- child processes
def limited(fn, *args):
    """Run fn(write_fd, *args) in a forked child for LIMIT s. Returns
    (status, text the child wrote, timed_out); status None: the child did
    not end GRACE s after SIGKILL (stuck in the kernel)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        code = 99
        try:
            code = fn(w, *args)
        except BaseException as e:
            os.write(w, ("@crash %r\n" % e).encode())
        os._exit(code)
    os.close(w)
    pfd = os.pidfd_open(pid)
    data, status, timed_out = b"", None, False
    deadline = time.monotonic() + LIMIT
    fds = [r, pfd]
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            if timed_out:
                break
            timed_out = True
            os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + GRACE
            continue
        ready, _, _ = select.select(fds, [], [], left)
        if r in ready:
            chunk = os.read(r, 65536)
            data += chunk
            if not chunk:
                fds.remove(r)
        if pfd in ready:
            status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
            break
    if r in fds:
        while True:
            try:
                os.set_blocking(r, False)
                chunk = os.read(r, 65536)
            except BlockingIOError:
                break
            if not chunk:
                break
            data += chunk
    os.close(r)
    os.close(pfd)
    return status, data.decode("utf-8", "replace"), timed_out


def do_mount(w, dev):
    if libc.mount(dev.encode(), mnt.encode(), b"rext2", 0, None) == 0:
        return 0
    os.write(w, ("%s\n" % ename(ctypes.get_errno())).encode())
    return 1


def do_umount(w):
    if libc.umount2(mnt.encode(), 0) == 0:
        return 0
    os.write(w, ("%s\n" % ename(ctypes.get_errno())).encode())
    return 1


def workload(w, m):
    """The fixed workload; writes "@op NAME" before each operation and
    "@err NAME ERRNO COUNT" for its failures."""
    m = m.encode()
    errs = {}

    def say(text):
        os.write(w, (text + "\n").encode())

    def op(name, fn, *a):
        t = time.monotonic()
        op_done(t)
        say("@op " + name)
        op_start(name, t)
        errs.clear()
        try:
            fn(*a)
        except OSError as e:
            errs[e.errno] = errs.get(e.errno, 0) + 1
        for e, n in errs.items():
            say("@err %s %s %d" % (name, ename(e), n))

    def tolerate(fn, *a):
        try:
            return fn(*a)
        except OSError as e:
            errs[e.errno] = errs.get(e.errno, 0) + 1
            return None

    entries = []
    last = [None, 0.0]

    def op_done(t):  # "@t NAME SECONDS" of the previous operation
        if last[0]:
            say("@t %s %.2f" % (last[0], t - last[1]))
        last[0] = None

    def op_start(name, t):
        last[0], last[1] = name, t

    def ls():   # ls -laR: readdir, lstat, readlink; each directory once
        seen, todo = set(), [m]
        while todo and len(entries) < 5000:
            d = todo.pop()
            st = tolerate(os.lstat, d)
            if st is None or (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            names = tolerate(os.listdir, d) or []
            for n in names[:2000]:
                p = os.path.join(d, n)
                entries.append(p)
                st = tolerate(os.lstat, p)
                if st is None:
                    continue
                if stat.S_ISLNK(st.st_mode):
                    tolerate(os.readlink, p)
                elif stat.S_ISDIR(st.st_mode):
                    todo.append(p)

    def stat_all():
        for p in entries:
            tolerate(os.stat, p)

    def open_regular(p, flags):
        """An fd for p if it is a regular file (no FIFO or device of the
        guest is ever opened for real: O_NONBLOCK, O_NOFOLLOW, fstat)."""
        st = tolerate(os.lstat, p)
        if st is None or not stat.S_ISREG(st.st_mode):
            return None
        fd = tolerate(os.open, p, flags | os.O_NOFOLLOW | os.O_NONBLOCK)
        if fd is not None and not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            return None
        return fd

    def read_all():  # the first MiB and the last 64 KiB of every file
        for p in entries:
            fd = open_regular(p, os.O_RDONLY)
            if fd is None:
                continue
            try:
                for _ in range(16):
                    if not tolerate(os.read, fd, 65536):
                        break
                size = os.fstat(fd).st_size
                if size > 1 << 20:
                    tolerate(os.pread, fd, 65536, max(size - 65536, 0))
            finally:
                os.close(fd)

    def dio_read_all():  # O_DIRECT: 64 KiB at the start and the middle of the top files
        buf = aio.Buf(65536)
        top = [p for p in entries if p.count(b"/") == m.count(b"/") + 1]
        for p in top[:12]:
            fd = open_regular(p, os.O_RDONLY | os.O_DIRECT)
            if fd is None:
                continue
            try:
                size = os.fstat(fd).st_size
                for off in (0, (size // 2) & ~0xFFFF):
                    tolerate(os.preadv, fd, [buf.m], off)
            finally:
                os.close(fd)

    # The files the workload writes (never the protected ones, below).
    written = (b"/dind", b"/tind", b"/new-file")

    def dio_write():  # O_DIRECT 8 KiB at the start, the middle and past the end
        buf = aio.Buf(8192)
        buf.fill(b"D" * 8192)
        for n in written:
            fd = open_regular(m + n, os.O_WRONLY | os.O_DIRECT)
            if fd is None:
                continue
            try:
                size = os.fstat(fd).st_size
                for off in (0, (size // 2) & ~0xFFFF, (size + 0xFFFF) & ~0xFFFF):
                    tolerate(os.pwrite, fd, memoryview(buf.m)[:8192], off)
            finally:
                os.close(fd)

    def aio_rw():  # io_submit: reads of two files, writes into the written ones
        fds = []
        try:
            reqs = []
            buf = aio.Buf(16 * 8192)
            for i, (n, write) in enumerate([(b"/direct", False), (b"/ind", False),
                                            (b"/dind", True), (b"/tind", True)]):
                fd = open_regular(m + n, (os.O_RDWR if write else os.O_RDONLY) | os.O_DIRECT)
                if fd is None:
                    continue
                fds.append(fd)
                for k in range(4):
                    reqs.append(aio.iocb(aio.CMD_PWRITE if write else aio.CMD_PREAD, fd, buf,
                                         (4 * i + k) * 8192, 8192, k * 65536, 4 * i + k))
            if not reqs:
                return
            ctx = aio.Ctx(len(reqs))
            try:
                n = ctx.submit(reqs)
                got = 0
                while got < n:
                    evs = ctx.events(1, n, 10.0)
                    if not evs:
                        raise OSError(errno.ETIMEDOUT, "AIO completions missing")
                    got += len(evs)
                    for e in evs:
                        if e.res < 0:
                            errs[-e.res] = errs.get(-e.res, 0) + 1
            finally:
                ctx.close()
        finally:
            for fd in fds:
                os.close(fd)

    def mmap_rw():  # in a child: a fault that fails is SIGBUS
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                for n, write in ((b"/ind", False), (b"/dind", True)):
                    fd = open_regular(m + n, os.O_RDWR if write else os.O_RDONLY)
                    if fd is None:
                        continue
                    size = min(os.fstat(fd).st_size, 256 << 10)
                    if size:
                        mm = mmap.mmap(fd, size, mmap.MAP_SHARED,
                                       mmap.PROT_READ | (mmap.PROT_WRITE if write else 0))
                        for off in range(0, size, 16384):
                            if write:
                                mm[off] = 0x4d
                            else:
                                mm[off]
                        if write:
                            mm.flush()
                        mm.close()
                    os.close(fd)
            except OSError as e:
                code = 100 + (e.errno & 0x7f)
            os._exit(code)
        st = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        if st < 0:
            say("@err mmap %s 1" % signal.Signals(-st).name)
        elif st >= 100:
            errs[st - 100] = errs.get(st - 100, 0) + 1

    def write():
        fd = os.open(m + b"/new-file", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            for i in range(16):
                os.write(fd, bytes([65 + i]) * 4096)
        finally:
            os.close(fd)

    def append():
        fd = open_regular(m + b"/small", os.O_WRONLY | os.O_APPEND)
        if fd is not None:
            try:
                os.write(fd, b"appended\n")
            finally:
                os.close(fd)

    def create():
        for i in range(1, 21):
            os.close(os.open(m + b"/big/added-%d" % i, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))

    def trunc():
        for n in (b"/dind", b"/tind"):
            fd = open_regular(m + n, os.O_WRONLY)
            if fd is not None:
                try:
                    tolerate(os.ftruncate, fd, 3000)
                finally:
                    os.close(fd)

    def sync():
        fd = os.open(m, os.O_RDONLY | os.O_DIRECTORY)
        try:
            if libc.syncfs(fd) != 0:
                raise OSError(ctypes.get_errno(), "syncfs")
        finally:
            os.close(fd)

    big = m + b"/big/entry-with-a-fairly-long-name-number-"
    op("ls", ls)
    op("stat", stat_all)
    op("read", read_all)
    op("dio-read", dio_read_all)
    op("write", write)
    op("dio-write", dio_write)
    op("aio", aio_rw)
    op("mmap", mmap_rw)
    op("append", append)
    op("mkdir", os.mkdir, m + b"/newdir")
    op("create", create)
    op("rename", os.rename, big + b"07", m + b"/big/renamed")
    op("unlink", os.unlink, big + b"08")
    op("truncate", trunc)
    op("rmdir", os.rmdir, m + b"/emptydir")
    op("symlink", os.symlink, b"small", m + b"/newlink")
    op("sync", sync)
    op_done(time.monotonic())
    return 0


# ------------------------------------------------------------ the loop
# image i comes from base i % len(bases) (1, 2 and 4 KiB blocks)
based = []
for b in bases:
    with open(b, "rb") as f:
        d = f.read()
    fs = fuzzimg.Fs(d)
    based.append((b, d, fs, {c: fuzzimg.applicable(fs, c, seed) for c in fuzzimg.CLASSES}))
cases = [fuzzimg.make_case(based[i % len(based)][2], based[i % len(based)][3], seed, i)
         for i in range(count)]
with open(os.path.join(work, "cases.tsv"), "w") as f:
    f.write("file\tbase\tclass\tdescription\n")
    for i, (cls, kind, desc, _) in enumerate(cases):
        f.write("%04d-%s-%s.img\t%s\t%s\t%s\n" % (
            i, cls, kind, os.path.basename(based[i % len(based)][0]), cls, desc))

# Files the workload never writes, frees or renames over (see the header).
PROTECT = {"/direct", "/ind", "/hardlink-ind", "/sub/deeper/f", "/slowlink"} | {
    "/big/entry-with-a-fairly-long-name-number-%02d" % i for i in range(1, 51) if i != 8}


def apply(d, patches):
    b = bytearray(d)
    for off, x in patches:
        b[off] = x
    return bytes(b)


def protected(cdata):
    """{block: inode} of the protected files' blocks that nothing else may
    write, as the fuzzed image maps them; None if its maps cannot be
    walked."""
    try:
        cfs = fuzzimg.Fs(cdata, max_visits=100000)
    except Exception:   # a corrupt image the parser cannot follow
        return None
    prot = [n for n in cfs.inodes.values() if n.paths and set(n.paths) <= PROTECT]
    other = set()
    for n in cfs.inodes.values():
        if n not in prot:
            other.update(b for _, b in n.data)
            other.update(x.block for x in n.meta)
    try:
        free = set(cfs.free_blocks())
    except IndexError:
        return None
    skip = other | free | set(cfs.meta_blocks)
    out_ = {}
    for n in prot:
        for b in [b for _, b in n.data] + [x.block for x in n.meta]:
            if b not in skip and cfs.first <= b < cfs.blocks:
                out_[b] = n
    return cfs, out_


def record(d, n, isize):
    """An inode record without its atime (reads may set it)."""
    r = d[n.off:n.off + isize]
    return r[:8] + r[12:]


img = os.path.join(work, "cur.img")
fails = []
stats = {k: 0 for k in ("refused", "mounted", "hangs", "umount", "silent", "retried", "reports",
                         "checked", "unchecked", "released", "outside")}
per_base = {os.path.basename(b[0]): 0 for b in based}
by_class = {c: [0, 0, 0] for c in fuzzimg.CLASSES}     # images, refused, mounted
mount_errs, op_fails, op_errs, op_time = {}, {}, {}, {}
phase = {}
t0 = time.monotonic()


def tick(name):
    global t0
    t = time.monotonic()
    phase[name] = phase.get(name, 0) + t - t0
    t0 = t


def failure(tag, what):
    fails.append("%s: %s" % (tag, what))
    out("FAIL: %s: %s" % (tag, what))


msgs = []    # kernel log messages of the current image
checked = [0]   # how many of them reports() has seen


def kmsgs():
    msgs.extend(klog())
    return msgs


def reports(tag, desc):
    new = kmsgs()[checked[0]:]
    checked[0] = len(msgs)
    bad = [x for x in new if BAD_RE.search(x) and "rext2-test:" not in x]
    if bad:
        stats["reports"] += 1
        failure(tag, "kernel report (%s):\n#   %s" % (desc, "\n#   ".join(bad[:15])))


def write_image(path, base, data, patches):
    src = os.open(base, os.O_RDONLY)
    dst = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        left = len(data)
        while left > 0:
            left -= os.copy_file_range(src, dst, left)
        for off, b in fuzzimg.runs(patches):
            os.pwrite(dst, b, off)
    finally:
        os.close(src)
        os.close(dst)


def stuck(tag, what, desc):
    failure(tag, "%s stuck in the kernel (not ended %d s after SIGKILL): %s"
            % (what, GRACE, desc))
    for x in kmsgs()[-30:]:
        out("#   " + x)
    sys.exit(3)


def check_outside(tag, desc, cdata):
    """No write reached a protected block (see protected())."""
    p = protected(cdata)
    if p is None:
        stats["unchecked"] += 1
        return
    cfs, blocks = p
    with open(img, "rb") as f:
        after = f.read()
    bs = cfs.bs
    released = set()
    for b, n in sorted(blocks.items()):
        if cdata[b * bs:(b + 1) * bs] == after[b * bs:(b + 1) * bs]:
            continue
        if record(cdata, n, cfs.isize) != record(after, n, cfs.isize):
            released.add(n.ino)
            continue
        stats["outside"] += 1
        failure(tag, "block %d of %s changed, which nothing may write: %s" % (b, n.name(), desc))
        return
    stats["released" if released else "checked"] += 1


done = 0
pins0 = pins()
start = time.monotonic()
ctl = os.open("/dev/loop-control", os.O_RDWR)
for i, (cls, kind, desc, patches) in enumerate(cases):
    if time.monotonic() - start > budget and done >= FLOOR:
        out("time budget of %d s used up: stopping after %d images" % (budget, done))
        break
    tag = "img-%04d" % i
    desc = "%s %s: %s" % (cls, kind, desc)
    by_class[cls][0] += 1
    bpath, bdata, bfs, _ = based[i % len(based)]
    per_base[os.path.basename(bpath)] += 1
    if i:   # late messages of the previous image
        reports(prev, prev_desc)
    msgs.clear()
    checked[0] = 0
    mark(tag)
    prev, prev_desc = tag, desc
    if os.path.exists(img):
        os.unlink(img)
    write_image(img, bpath, bdata, patches)
    mounted_now = umounted = False
    tick("image")
    n = fcntl.ioctl(ctl, LOOP_CTL_GET_FREE)
    dev = "/dev/loop%d" % n
    with open(loops_file, "a") as f:
        f.write(dev + "\n")
    lfd = os.open(dev, os.O_RDWR)
    ifd = os.open(img, os.O_RDWR)
    fcntl.ioctl(lfd, LOOP_SET_FD, ifd)
    os.close(ifd)
    tick("attach")
    st, text, slow = limited(do_mount, dev)
    tick("mount")
    if st is None:
        stuck(tag, "mount", desc)
    if "@crash" in text:
        failure(tag, "the mount helper failed: " + text.strip())
        sys.exit(1)
    if st is not None and st < 0 and not slow:
        failure(tag, "the mount helper was killed by signal %d: %s" % (-st, desc))
    if slow:
        stats["hangs"] += 1
        failure(tag, "mount took over %d s: %s" % (LIMIT, desc))
        if os.path.ismount(mnt):
            libc.umount2(mnt.encode(), 2)   # MNT_DETACH
    elif st != 0:
        stats["refused"] += 1
        by_class[cls][1] += 1
        e = text.strip() or "?"
        mount_errs[e] = mount_errs.get(e, 0) + 1
        if not any("rext2: " in x for x in kmsgs()):
            # a run-time corruption message (e.g. about the root inode)
            # may have been rate-limited (10 per 5 s): once more
            time.sleep(5.5)
            n_before = len(kmsgs())
            mark(tag + "-again")
            st, text, slow = limited(do_mount, dev)
            if st is None:
                stuck(tag, "mount", desc)
            if st == 0:
                failure(tag, "refused, then mounted at the second try: " + desc)
                limited(do_umount)
            elif any("rext2: " in x for x in kmsgs()[n_before:]):
                stats["retried"] += 1
            else:
                stats["silent"] += 1
                failure(tag, "mount refused (%s) without a rext2: message: %s" % (e, desc))
        tick("refused")
    else:
        stats["mounted"] += 1
        mounted_now = True
        by_class[cls][2] += 1
        st, text, slow = limited(workload, mnt)
        tick("workload")
        last_op = "?"
        for line in text.splitlines():
            w = line.split()
            if w[0] == "@op":
                last_op = w[1]
            elif w[0] == "@err":
                op_fails[w[1]] = op_fails.get(w[1], 0) + 1
                key = (w[1], w[2])
                op_errs[key] = op_errs.get(key, 0) + int(w[3])
            elif w[0] == "@t":
                op_time[w[1]] = op_time.get(w[1], 0.0) + float(w[2])
            elif w[0] == "@crash":
                failure(tag, "workload crashed in %s: %s" % (last_op, line))
        if st is not None and st < 0 and not slow:
            failure(tag, "the workload was killed by signal %d in %s: %s" % (-st, last_op, desc))
        if st is None:
            stuck(tag, "workload (%s)" % last_op, desc)
        if slow:
            stats["hangs"] += 1
            failure(tag, "workload over %d s, in %s: %s" % (LIMIT, last_op, desc))
        st, text, slow = limited(do_umount)
        tick("umount")
        if st is None:
            stuck(tag, "umount", desc)
        umounted = st == 0 and not slow
        if not umounted:
            stats["umount"] += 1
            failure(tag, "umount failed (%s): %s" % ("timeout" if slow else text.strip(), desc))
            libc.umount2(mnt.encode(), 2)   # MNT_DETACH
    try:
        fcntl.ioctl(lfd, LOOP_CLR_FD)
    except OSError as e:
        failure(tag, "detaching %s: %s" % (dev, ename(e.errno)))
    os.close(lfd)
    reports(tag, desc)
    tick("detach")
    if mounted_now and umounted:
        check_outside(tag, desc, apply(bdata, patches))
        tick("check")
    done += 1

if done:
    time.sleep(1)
    reports(prev, prev_desc)
left = pins() - pins0
if left:
    failure("pins", "%d page pins acquired but not released over the images" % left)
if done < floor:
    failure("floor", "only %d images processed, fewer than %d (REXT2_FUZZ_MIN)" % (done, floor))
el = time.monotonic() - start
out("%d images in %.0f s (%.2f s each): refused at mount %d (message rate-limited, seen at"
    " a retry: %d; no message: %d), mounted %d; hangs %d, umount failures %d,"
    " images with kernel reports %d"
    % (done, el, el / max(done, 1), stats["refused"], stats["retried"], stats["silent"],
       stats["mounted"], stats["hangs"], stats["umount"], stats["reports"]))
out("by base: " + ", ".join("%s %d" % kv for kv in per_base.items()))
out("writes outside the files' own blocks: mounted images checked %d, with a protected inode"
    " released %d, unchecked (maps not walkable) %d, failures %d; page pins left %d"
    % (stats["checked"], stats["released"], stats["unchecked"], stats["outside"], left))
out("by class (images/refused/mounted): " + ", ".join(
    "%s %d/%d/%d" % (c, *v) for c, v in by_class.items()))
out("mount errors: " + ", ".join("%s %d" % kv for kv in sorted(mount_errs.items())))
out("operations that failed (images): " + ", ".join(
    "%s %d" % kv for kv in sorted(op_fails.items())))
per_errno = {}
for (o, e), n in op_errs.items():
    per_errno[e] = per_errno.get(e, 0) + n
out("failures by errno (all operations): " + ", ".join(
    "%s %d" % kv for kv in sorted(per_errno.items(), key=lambda kv: -kv[1])))
out("time per phase (s): " + ", ".join("%s %.0f" % kv for kv in phase.items()))
if not stats["mounted"]:
    failure("images", "none of %d mounted: the workload never ran" % done)
out("workload time per operation (s): " + ", ".join("%s %.0f" % kv for kv in op_time.items()))
sys.exit(1 if fails else 0)
EOF
rc=$?
if [ "$rc" = 3 ]; then
	trap - EXIT
	exit 1
fi
[ "$rc" = 0 ] || fail "exit status $rc of the image loop (FAIL lines above)"
finish
