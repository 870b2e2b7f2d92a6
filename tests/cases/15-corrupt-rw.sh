#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Systematic corruption, read-write: up to 150 copies of a small image
# (tests/lib/fuzzimg.py: one targeted corruption each, cycling over
# superblock, group descriptor, inode, i_block, directory entry, indirect
# block and bitmap), each attached read-write and mounted rw. A refused
# mount must say why ("rext2:" in the kernel log); a mounted image gets a
# fixed workload (ls -laR, stat, read every file, write 64 KiB, append,
# mkdir, 20 creates, rename, unlink, truncate, rmdir, symlink, syncfs)
# whose errors are expected, and must then unmount. Fails on a hang (20 s
# per mount, workload and unmount), a failed unmount, or a kernel report
# (BUG, WARN, KASAN, lockdep, hung task, ...) while an image is in use; the
# failure names the image and its corruption.
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
# from a base built the same way (make_base; same layout, so the same
# corruption) with
#   tests/lib/fuzzimg.py BASE OUT --seed SEED --count COUNT --first N --limit 1
. "$REXT2_ROOT/tests/lib/common.sh"

count=${REXT2_FUZZ_COUNT:-$(quick_or 40 150)}
budget=${REXT2_FUZZ_BUDGET:-$(quick_or 60 180)}
work=/tmp/rext2-fuzz

for t in mke2fs e2fsck truncate dd yes; do
	command -v "$t" >/dev/null || { echo "SKIP: $t not found"; exit "$KSFT_SKIP"; }
done
py -c 'import sys, ctypes, os; sys.exit(sys.version_info < (3, 11) or not hasattr(os, "pidfd_open"))' 2>/dev/null ||
	{ echo "SKIP: needs Python >= 3.11 with ctypes and os.pidfd_open"; exit "$KSFT_SKIP"; }
[ -c /dev/loop-control ] || { echo "SKIP: no /dev/loop-control"; exit "$KSFT_SKIP"; }
case $count in '' | *[!0-9]* | 0) echo "SKIP: bad REXT2_FUZZ_COUNT '$count'"; exit "$KSFT_SKIP" ;; esac
case $budget in '' | *[!0-9]* | 0) echo "SKIP: bad REXT2_FUZZ_BUDGET '$budget'"; exit "$KSFT_SKIP" ;; esac
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
	"$REXT2_ROOT/tests/lib/mkimage.sh" "$work/base.img" 1024 "$t" 9 >/dev/null
}

if [ -f "$REXT2_WORK/fuzz-base-1024.img" ]; then
	base=$REXT2_WORK/fuzz-base-1024.img
else
	base=$work/base.img
	make_base || { fail "building the base image"; finish; }
fi
m=$T_MNT/m
mkdir -p "$m"
note "seed $seed, $count images (budget ${budget}s), base $base"

# Exit status: 0 pass, 1 fail, 3 a process is stuck in the kernel (then
# the mount is left alone: unmounting would block too).
py - "$REXT2_ROOT/tests/lib" "$base" "$work" "$m" "$seed" "$count" "$budget" \
	"$T_NAME" "$T_LOOPS" <<'EOF'
import ctypes, errno, fcntl, os, re, select, signal, stat, sys, time

lib, base, work, mnt, seed, count, budget, tname, loops_file = sys.argv[1:]
seed, count, budget = int(seed), int(count), int(budget)
sys.path.insert(0, lib)
import fuzzimg  # noqa: E402

FLOOR = min(count, int(os.environ.get("REXT2_FUZZ_MIN", "25")))  # images at least
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
kr = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
os.lseek(kr, 0, os.SEEK_END)
kw = os.open("/dev/kmsg", os.O_WRONLY)


def mark(step):
    os.write(kw, ("rext2-test: begin %s/%s" % (tname, step)).encode())


def klog():
    """Kernel log messages since the last call."""
    msgs = []
    while True:
        try:
            rec = os.read(kr, 8192)
        except BlockingIOError:
            return msgs
        except BrokenPipeError:     # overwritten records: go on
            continue
        if not rec:
            return msgs
        text = rec.decode("utf-8", "replace")
        msgs.append(text.split(";", 1)[-1].split("\n", 1)[0])


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
        say("@op " + name)
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
    op("write", write)
    op("append", append)
    op("mkdir", os.mkdir, m + b"/newdir")
    op("create", create)
    op("rename", os.rename, big + b"07", m + b"/big/renamed")
    op("unlink", os.unlink, big + b"08")
    op("truncate", trunc)
    op("rmdir", os.rmdir, m + b"/emptydir")
    op("symlink", os.symlink, b"small", m + b"/newlink")
    op("sync", sync)
    return 0


# ------------------------------------------------------------ the loop
with open(base, "rb") as f:
    data = f.read()
fs = fuzzimg.Fs(data)
recipes = {c: fuzzimg.applicable(fs, c, seed) for c in fuzzimg.CLASSES}
cases = [fuzzimg.make_case(fs, recipes, seed, i) for i in range(count)]
with open(os.path.join(work, "cases.tsv"), "w") as f:
    f.write("file\tclass\tdescription\n")
    for i, (cls, kind, desc, _) in enumerate(cases):
        f.write("%04d-%s-%s.img\t%s\t%s\n" % (i, cls, kind, cls, desc))
img = os.path.join(work, "cur.img")
fails = []
stats = {k: 0 for k in ("refused", "mounted", "hangs", "umount", "silent", "retried", "reports")}
by_class = {c: [0, 0, 0] for c in fuzzimg.CLASSES}     # images, refused, mounted
mount_errs, op_fails, op_errs = {}, {}, {}
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


def write_image(path, patches):
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


done = 0
start = time.monotonic()
ctl = os.open("/dev/loop-control", os.O_RDWR)
for i, (cls, kind, desc, patches) in enumerate(cases):
    if time.monotonic() - start > budget and done >= FLOOR:
        out("time budget of %d s used up: stopping after %d images" % (budget, done))
        break
    tag = "img-%04d" % i
    desc = "%s %s: %s" % (cls, kind, desc)
    by_class[cls][0] += 1
    if i:   # late messages of the previous image
        reports(prev, prev_desc)
    msgs.clear()
    checked[0] = 0
    mark(tag)
    prev, prev_desc = tag, desc
    if os.path.exists(img):
        os.unlink(img)
    write_image(img, patches)
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
        if st != 0 or slow:
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
    done += 1

if done:
    time.sleep(1)
    reports(prev, prev_desc)
el = time.monotonic() - start
out("%d images in %.0f s (%.2f s each): refused at mount %d (message rate-limited, seen at"
    " a retry: %d; no message: %d), mounted %d; hangs %d, umount failures %d,"
    " images with kernel reports %d"
    % (done, el, el / max(done, 1), stats["refused"], stats["retried"], stats["silent"],
       stats["mounted"], stats["hangs"], stats["umount"], stats["reports"]))
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
if done < FLOOR:
    failure("images", "only %d processed, fewer than the floor of %d (REXT2_FUZZ_MIN)" % (done, FLOOR))
if not stats["mounted"]:
    failure("images", "none of %d mounted: the workload never ran" % done)
sys.exit(1 if fails else 0)
EOF
rc=$?
if [ "$rc" = 3 ]; then
	trap - EXIT
	exit 1
fi
[ "$rc" = 0 ] || fail "exit status $rc of the image loop (FAIL lines above)"
finish
