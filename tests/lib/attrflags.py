# SPDX-License-Identifier: GPL-2.0
"""Attribute flags (chattr/lsattr) and O_TMPFILE on a mounted filesystem.

attrflags.py setup MNT
    On a fresh filesystem: makes the files and directories the checks use
    and sets their flags (immutable, append-only, sync, noatime, nodump).
attrflags.py check MNT --out FILE
    Runs every operation of the checks on MNT (made by "setup", possibly
    under another driver), writes each outcome ("ok", an errno name, or a
    value) to FILE as JSON, one "NAME: ok|FAIL" line per check of what the
    kernel must do, and exits 1 if one failed. The JSON of rext2 and of the
    in-kernel ext2 on the same image are then compared by the caller.
attrflags.py verify MNT
    After "check" and a remount (any driver): the flags and the tmpfile that
    "check" linked in are there.
"""
import ctypes
import fcntl
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ksft  # noqa: E402

FS_IOC_GETFLAGS = 0x80086601
FS_IOC_SETFLAGS = 0x40086602
FS_IOC_FSGETXATTR = 0x801C581F
FS_IOC_FSSETXATTR = 0x401C5820
FL = {"s": 0x1, "u": 0x2, "c": 0x4, "S": 0x8, "i": 0x10, "a": 0x20, "d": 0x40, "A": 0x80, "D": 0x10000, "T": 0x20000}
NOBODY = 65534


def getflags(path):
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        return struct.unpack("l", fcntl.ioctl(fd, FS_IOC_GETFLAGS, b"\0" * 8))[0]
    finally:
        os.close(fd)


def setflags(path, flags):
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        fcntl.ioctl(fd, FS_IOC_SETFLAGS, struct.pack("l", flags))
    finally:
        os.close(fd)


LIBC = ctypes.CDLL(None, use_errno=True)
AT_FDCWD = -100
AT_EMPTY_PATH = 0x1000


def link_fd(fd, path):
    """linkat(fd, "", AT_FDCWD, path, AT_EMPTY_PATH): names an open file."""
    if LIBC.linkat(fd, b"", AT_FDCWD, os.fsencode(path), AT_EMPTY_PATH) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e), path)


AT_SYMLINK_NOFOLLOW = 0x100
STATX_BASIC_STATS = 0x7FF
# STATX_ATTR_* bits ext2 reports, by chattr letter ("E": encrypted).
STATX_ATTR = {"c": 0x4, "i": 0x10, "a": 0x20, "d": 0x40, "E": 0x800}


def statx_attrs(path):
    """statx(2) of path (not followed): (attributes, attributes_mask), each
    as letters of STATX_ATTR."""
    buf = ctypes.create_string_buffer(256)
    if LIBC.statx(AT_FDCWD, os.fsencode(path), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, buf) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e), path)
    attrs, = struct.unpack_from("Q", buf, 8)
    mask, = struct.unpack_from("Q", buf, 56)

    def pick(bits):
        return "".join(k for k, v in sorted(STATX_ATTR.items()) if bits & v)

    return f"{pick(attrs)}/{pick(mask)}"


def letters(flags):
    return "".join(k for k, v in sorted(FL.items()) if flags & v)


def write_file(path, data, flags=os.O_WRONLY | os.O_CREAT | os.O_TRUNC):
    fd = os.open(path, flags, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def as_nobody(fn):
    """fn() in a child with uid/gid nobody and no capabilities: its outcome."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            res = ksft.outcome(fn)
        except BaseException as e:  # report, never return into the parent's code
            res = f"child: {e}"
        os.write(w, json.dumps(res).encode())
        os._exit(0)
    os.close(w)
    data = b""
    while chunk := os.read(r, 4096):
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    return json.loads(data)


def setup(m):
    os.makedirs(f"{m}/dS")
    os.makedirs(f"{m}/dA")
    os.makedirs(f"{m}/plain")
    for name in ("imm", "app", "nod", "own", "toggle"):
        write_file(f"{m}/{name}", b"0123456789" * 100)
    os.chown(f"{m}/own", NOBODY, NOBODY)
    os.mkfifo(f"{m}/fifo")
    setflags(f"{m}/imm", FL["i"])
    setflags(f"{m}/app", FL["a"])
    setflags(f"{m}/nod", FL["d"])
    setflags(f"{m}/dS", FL["S"] | FL["D"])
    setflags(f"{m}/dA", FL["A"] | FL["d"])
    os.sync()


def statvfs_free(m):
    os.sync()
    s = os.statvfs(m)
    return s.f_bfree, s.f_ffree


def check(m, out):
    r = {}
    # Flags set by "setup" (possibly by the other driver) read back.
    for name in ("imm", "app", "nod", "dS", "dA", "plain", "toggle"):
        r[f"flags {name}"] = letters(getflags(f"{m}/{name}"))
    # Immutable: nothing changes, reading works.
    imm = f"{m}/imm"
    r["imm open-write"] = ksft.outcome(lambda: os.close(os.open(imm, os.O_WRONLY)))
    r["imm open-append"] = ksft.outcome(lambda: os.close(os.open(imm, os.O_WRONLY | os.O_APPEND)))
    r["imm truncate"] = ksft.outcome(lambda: os.truncate(imm, 0))
    r["imm chmod"] = ksft.outcome(lambda: os.chmod(imm, 0o600))
    r["imm chown"] = ksft.outcome(lambda: os.chown(imm, 1, 1))
    r["imm utime"] = ksft.outcome(lambda: os.utime(imm, (1, 1)))
    r["imm unlink"] = ksft.outcome(lambda: os.unlink(imm))
    r["imm rename"] = ksft.outcome(lambda: os.rename(imm, f"{m}/imm2"))
    r["imm link"] = ksft.outcome(lambda: os.link(imm, f"{m}/imm-link"))
    r["imm read"] = ksft.outcome(lambda: len(open(imm, "rb").read()))
    r["imm size"] = os.stat(imm).st_size
    # Append-only: only appending writes.
    app = f"{m}/app"
    r["app open-write"] = ksft.outcome(lambda: os.close(os.open(app, os.O_WRONLY)))
    r["app open-trunc"] = ksft.outcome(lambda: os.close(os.open(app, os.O_WRONLY | os.O_APPEND | os.O_TRUNC)))
    r["app append"] = ksft.outcome(lambda: write_file(app, b"tail", os.O_WRONLY | os.O_APPEND))
    r["app truncate"] = ksft.outcome(lambda: os.truncate(app, 10))
    r["app unlink"] = ksft.outcome(lambda: os.unlink(app))
    r["app chmod"] = ksft.outcome(lambda: os.chmod(app, 0o600))
    r["app size"] = os.stat(app).st_size
    # Setting and clearing: the flag takes effect at once, both ways.
    t = f"{m}/toggle"
    r["toggle set-i"] = ksft.outcome(lambda: setflags(t, FL["i"]))
    r["toggle write-while-i"] = ksft.outcome(lambda: write_file(t, b"x", os.O_WRONLY))
    r["toggle clear-i"] = ksft.outcome(lambda: setflags(t, 0))
    r["toggle write-after-i"] = ksft.outcome(lambda: write_file(t, b"x", os.O_WRONLY))
    r["toggle set-a"] = ksft.outcome(lambda: setflags(t, FL["a"]))
    r["toggle flags-a"] = letters(getflags(t))
    r["toggle clear-a"] = ksft.outcome(lambda: setflags(t, 0))
    # statx attributes follow the flags (and say which ones they report).
    r["toggle set-c"] = ksft.outcome(lambda: setflags(t, FL["c"] | FL["d"]))
    r["statx toggle"] = ksft.outcome(lambda: statx_attrs(t))
    r["toggle clear-c"] = ksft.outcome(lambda: setflags(t, 0))
    r["statx toggle cleared"] = ksft.outcome(lambda: statx_attrs(t))
    # Flags outside FS_FL_USER_MODIFIABLE are ignored, not refused.
    r["toggle set-unmodifiable"] = ksft.outcome(lambda: setflags(t, 0x400000 | FL["d"]))
    r["toggle flags-after-unmodifiable"] = letters(getflags(t))
    # Without CAP_LINUX_IMMUTABLE, the owner may set nodump but not i or a.
    own = f"{m}/own"
    r["nobody set-i"] = as_nobody(lambda: setflags(own, FL["i"]))
    r["nobody set-d"] = as_nobody(lambda: setflags(own, FL["d"]))
    r["nobody set-d-not-owner"] = as_nobody(lambda: setflags(t, FL["d"]))
    # fsxattr: the flag view works, the XFS-only fields are refused.
    def fsx_get(path):
        fd = os.open(path, os.O_RDONLY)
        try:
            return list(struct.unpack("5I", fcntl.ioctl(fd, FS_IOC_FSGETXATTR, b"\0" * 28)[:20]))
        finally:
            os.close(fd)

    def fsx_set(path, xflags, extsize):
        fd = os.open(path, os.O_RDONLY)
        try:
            fcntl.ioctl(fd, FS_IOC_FSSETXATTR, struct.pack("5I8x", xflags, extsize, 0, 0, 0))
        finally:
            os.close(fd)

    r["fsx get nod"] = ksft.outcome(lambda: fsx_get(f"{m}/nod")[0])
    r["fsx set extsize"] = ksft.outcome(lambda: fsx_set(f"{m}/nod", 0, 65536))
    # Special files have no flags.
    r["fifo getflags"] = ksft.outcome(lambda: getflags(f"{m}/fifo"))
    # statx attributes of each kind of inode.
    for name in ("imm", "app", "nod", "dA", "plain", "fifo"):
        r[f"statx {name}"] = ksft.outcome(lambda: statx_attrs(f"{m}/{name}"))
    # Inheritance: new entries in flagged directories.
    for d in ("dS", "dA", "plain"):
        write_file(f"{m}/{d}/file", b"data")
        os.mkdir(f"{m}/{d}/sub")
        os.symlink("file", f"{m}/{d}/link")
        os.mkfifo(f"{m}/{d}/fifo")
        r[f"inherit {d}/file"] = letters(getflags(f"{m}/{d}/file"))
        r[f"inherit {d}/sub"] = letters(getflags(f"{m}/{d}/sub"))
        r[f"statx {d}/link"] = ksft.outcome(lambda: statx_attrs(f"{m}/{d}/link"))
    # O_TMPFILE: unnamed, then named with linkat.
    before = statvfs_free(m)
    fd = os.open(m, os.O_TMPFILE | os.O_RDWR, 0o640)
    os.write(fd, b"t" * (1 << 20))
    st = os.fstat(fd)
    r["tmpfile nlink"] = st.st_nlink
    r["tmpfile mode"] = oct(st.st_mode)
    r["tmpfile in readdir"] = any(n.startswith("#") for n in os.listdir(m))
    os.close(fd)
    r["tmpfile unnamed frees all"] = statvfs_free(m) == before
    fd = os.open(m, os.O_TMPFILE | os.O_RDWR, 0o600)
    os.write(fd, b"named tmpfile\n" * 1000)
    r["tmpfile linkat"] = ksft.outcome(lambda: link_fd(fd, f"{m}/named"))
    r["tmpfile nlink after link"] = os.fstat(fd).st_nlink
    os.close(fd)
    r["tmpfile named content"] = ksft.outcome(lambda: open(f"{m}/named", "rb").read() == b"named tmpfile\n" * 1000)
    fd = os.open(m, os.O_TMPFILE | os.O_RDWR | os.O_EXCL, 0o600)
    r["tmpfile excl linkat"] = ksft.outcome(lambda: link_fd(fd, f"{m}/excl"))
    os.close(fd)
    r["tmpfile on file"] = ksft.outcome(lambda: os.close(os.open(f"{m}/toggle", os.O_TMPFILE | os.O_RDWR, 0o600)))

    # What the kernel must do, whatever the other driver does.
    must = {
        "flags imm": "i", "flags app": "a", "flags nod": "d", "flags dS": "DS", "flags dA": "Ad",
        "imm open-write": "EPERM", "imm open-append": "EPERM", "imm truncate": "EPERM",
        "imm chmod": "EPERM", "imm chown": "EPERM", "imm utime": "EPERM", "imm unlink": "EPERM",
        "imm rename": "EPERM", "imm link": "EPERM", "imm read": 1000, "imm size": 1000,
        "app open-write": "EPERM", "app open-trunc": "EPERM", "app append": "ok",
        "app truncate": "EPERM", "app unlink": "EPERM", "app size": 1004,
        "toggle write-while-i": "EPERM", "toggle write-after-i": "ok", "toggle flags-a": "a",
        "nobody set-i": "EPERM", "nobody set-d": "ok", "nobody set-d-not-owner": "EPERM",
        "fifo getflags": "ENOTTY",
        "statx imm": "i/Eacdi", "statx app": "a/Eacdi", "statx nod": "d/Eacdi",
        "statx dA": "d/Eacdi", "statx plain": "/Eacdi", "statx fifo": "/Eacdi", "statx dA/link": "d/Eacdi",
        "statx toggle": "cd/Eacdi", "statx toggle cleared": "/Eacdi",
        "inherit dS/file": "S", "inherit dS/sub": "DS", "inherit dA/file": "Ad", "inherit plain/file": "",
        "tmpfile nlink": 0, "tmpfile in readdir": False, "tmpfile unnamed frees all": True,
        "tmpfile linkat": "ok", "tmpfile nlink after link": 1, "tmpfile named content": True,
        "tmpfile excl linkat": "ENOENT", "tmpfile on file": "ENOTDIR",
    }
    return ksft.save_and_require(r, out, must)


def verify(m):
    want = {"imm": "i", "app": "a", "nod": "d", "dS": "DS", "dA": "Ad", "own": "d", "dS/file": "S"}
    for name, fl in want.items():
        got = letters(getflags(f"{m}/{name}"))
        ksft.report(f"after remount: flags {name}", got == fl, f"{got!r}, expected {fl!r}")
    ok = ksft.outcome(lambda: open(f"{m}/named", "rb").read() == b"named tmpfile\n" * 1000)
    ksft.report("after remount: linked tmpfile content", ok is True, f"{ok}")
    return ksft.exit_status()


def main():
    cmd, m = sys.argv[1], sys.argv[2]
    if cmd == "setup":
        setup(m)
        return 0
    if cmd == "check":
        return check(m, sys.argv[sys.argv.index("--out") + 1])
    if cmd == "verify":
        return verify(m)
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
