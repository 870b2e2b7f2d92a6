# SPDX-License-Identifier: GPL-2.0
"""File handles, leases and freezing on a mounted filesystem: the VFS
features an ext2 driver opts into (export_operations, setlease,
freeze_fs/unfreeze_fs).

vfsfeatures.py setup MNT
    On a fresh filesystem: the files and directories the checks use.
vfsfeatures.py check MNT DEV --out FILE [--not-compared NAME[,NAME...]]
    Runs every operation of the checks on MNT (mounted from block device
    DEV), writes each outcome ("ok", an errno name, or a value) to FILE as
    JSON, one "NAME: ok|FAIL" line per check of what the kernel must do, and
    exits 1 if one failed. The caller compares rext2's JSON with ext2's.
    The outcomes named by --not-compared are printed but neither written
    nor checked (for a reference driver that is not ext2's).
vfsfeatures.py drop FILE NAME...
    Removes the named outcomes from a JSON file that check wrote.
"""
import ctypes
import fcntl
import json
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ksft  # noqa: E402

LIBC = ctypes.CDLL(None, use_errno=True)
AT_FDCWD = -100
MAX_HANDLE_SZ = 128
FIFREEZE = 0xC0045877
FITHAW = 0xC0045878
F_SETLEASE = 1024
F_GETLEASE = 1025
# s_state in the on-disk superblock (byte 1024 of the device, field at 58).
STATE_OFFSET = 1024 + 58


def oserror(path=None):
    e = ctypes.get_errno()
    return OSError(e, os.strerror(e), path)


def handle_of(path):
    """name_to_handle_at(2): (type, bytes) of path's handle."""
    buf = ctypes.create_string_buffer(8 + MAX_HANDLE_SZ)
    struct.pack_into("Ii", buf, 0, MAX_HANDLE_SZ, 0)
    mount_id = ctypes.c_int()
    if LIBC.name_to_handle_at(AT_FDCWD, os.fsencode(path), buf, ctypes.byref(mount_id), 0) != 0:
        raise oserror(path)
    size, htype = struct.unpack_from("Ii", buf, 0)
    return htype, buf.raw[8:8 + size]


def open_handle(mount_fd, handle, flags=os.O_RDONLY):
    """open_by_handle_at(2) of a (type, bytes) handle: a file descriptor."""
    htype, data = handle
    buf = ctypes.create_string_buffer(struct.pack("Ii", len(data), htype) + data)
    fd = LIBC.open_by_handle_at(mount_fd, buf, flags)
    if fd < 0:
        raise oserror()
    return fd


def drop_caches():
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("2")


def write_file(path, data):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def setup(m):
    os.makedirs(f"{m}/d/sub/deeper")
    write_file(f"{m}/d/sub/deeper/f", b"handle me\n" * 100)
    write_file(f"{m}/gone", b"unlinked later\n")
    write_file(f"{m}/lease", b"leased\n")
    os.sync()


def handles(m, r):
    mfd = os.open(m, os.O_RDONLY | os.O_DIRECTORY)
    try:
        h = {}
        for name in ("d/sub/deeper/f", "d/sub/deeper", "d", ".", "gone"):
            h[name] = handle_of(f"{m}/{name}")
            r[f"handle type {name}"] = h[name][0]
            r[f"handle size {name}"] = len(h[name][1])
        ino = {name: os.stat(f"{m}/{name}").st_ino for name in h}
        os.unlink(f"{m}/gone")
        # With the dentries and inodes dropped, the handle alone must find
        # the file again, and a directory must be reconnected to the root
        # through its ".." entries.
        drop_caches()

        def read_back():
            fd = open_handle(mfd, h["d/sub/deeper/f"])
            try:
                return os.read(fd, 4096) == b"handle me\n" * 100
            finally:
                os.close(fd)

        def dir_ino(name):
            fd = open_handle(mfd, h[name], os.O_RDONLY | os.O_DIRECTORY)
            try:
                return os.fstat(fd).st_ino == ino[name]
            finally:
                os.close(fd)

        r["open file by handle"] = ksft.outcome(read_back)
        r["open dir by handle"] = ksft.outcome(lambda: dir_ino("d/sub/deeper"))
        r["open root by handle"] = ksft.outcome(lambda: dir_ino("."))
        r["open unlinked by handle"] = ksft.outcome(lambda: os.close(open_handle(mfd, h["gone"])))
        # A reused slot has another generation; a number out of range or
        # reserved names nothing.
        htype, data = h["d/sub/deeper/f"]
        i, gen = struct.unpack_from("II", data)
        forged = {
            "wrong generation": struct.pack("II", i, gen ^ 0x5A5A5A5A) + data[8:],
            "inode out of range": struct.pack("II", 0x7FFFFFFF, gen) + data[8:],
            "reserved inode": struct.pack("II", 7, 0) + data[8:],
        }
        for what, fake in forged.items():
            r[f"open by handle: {what}"] = ksft.outcome(lambda: os.close(open_handle(mfd, (htype, fake))))
        # The handle still works once the file is renamed elsewhere.
        os.rename(f"{m}/d/sub/deeper/f", f"{m}/d/f-moved")
        drop_caches()
        r["open renamed by handle"] = ksft.outcome(read_back)
    finally:
        os.close(mfd)


def leases(m, r):
    path = f"{m}/lease"
    fd = os.open(path, os.O_RDONLY)
    try:
        r["lease read set"] = ksft.outcome(lambda: fcntl.fcntl(fd, F_SETLEASE, fcntl.F_RDLCK))
        r["lease read get"] = ksft.outcome(lambda: fcntl.fcntl(fd, F_GETLEASE))
        r["lease unlock"] = ksft.outcome(lambda: fcntl.fcntl(fd, F_SETLEASE, fcntl.F_UNLCK))
        r["lease write on O_RDONLY"] = ksft.outcome(lambda: fcntl.fcntl(fd, F_SETLEASE, fcntl.F_WRLCK))
        fcntl.fcntl(fd, F_SETLEASE, fcntl.F_UNLCK)
    finally:
        os.close(fd)
    fd = os.open(path, os.O_RDWR)
    try:
        r["lease write set"] = ksft.outcome(lambda: fcntl.fcntl(fd, F_SETLEASE, fcntl.F_WRLCK))
        r["lease write get"] = ksft.outcome(lambda: fcntl.fcntl(fd, F_GETLEASE))
        fcntl.fcntl(fd, F_SETLEASE, fcntl.F_UNLCK)
    finally:
        os.close(fd)
    dfd = os.open(f"{m}/d", os.O_RDONLY | os.O_DIRECTORY)
    try:
        r["lease on directory"] = ksft.outcome(lambda: fcntl.fcntl(dfd, F_SETLEASE, fcntl.F_RDLCK))
    finally:
        os.close(dfd)


def disk_state(dev):
    """s_state as the disk has it now (through the device's page cache,
    which is where the filesystem's superblock buffer lives)."""
    fd = os.open(dev, os.O_RDONLY)
    try:
        return struct.unpack("<H", os.pread(fd, 2, STATE_OFFSET))[0]
    finally:
        os.close(fd)


def freeze(m, dev, r):
    mfd = os.open(m, os.O_RDONLY | os.O_DIRECTORY)
    try:
        r["state mounted"] = disk_state(dev)
        r["freeze"] = ksft.outcome(lambda: fcntl.ioctl(mfd, FIFREEZE, 0))
        r["freeze again"] = ksft.outcome(lambda: fcntl.ioctl(mfd, FIFREEZE, 0))
        r["state frozen"] = disk_state(dev)
        # A writer blocks until the thaw, then completes.
        pid = os.fork()
        if pid == 0:
            try:
                write_file(f"{m}/while-frozen", b"waited\n")
                os._exit(0)
            except BaseException:
                os._exit(1)
        time.sleep(1)
        r["writer blocked while frozen"] = os.waitpid(pid, os.WNOHANG) == (0, 0)
        r["thaw"] = ksft.outcome(lambda: fcntl.ioctl(mfd, FITHAW, 0))
        _, status = os.waitpid(pid, 0)
        r["writer done after thaw"] = os.waitstatus_to_exitcode(status)
        r["thaw again"] = ksft.outcome(lambda: fcntl.ioctl(mfd, FITHAW, 0))
        r["state thawed"] = disk_state(dev)
        r["written while frozen"] = open(f"{m}/while-frozen", "rb").read() == b"waited\n"
        # An unlinked file still open is freed only on close: a frozen
        # image must not claim to be clean.
        fd = os.open(f"{m}/open-unlinked", os.O_RDWR | os.O_CREAT, 0o644)
        os.write(fd, b"x" * 10000)
        os.unlink(f"{m}/open-unlinked")
        r["freeze with open unlinked"] = ksft.outcome(lambda: fcntl.ioctl(mfd, FIFREEZE, 0))
        r["state frozen with open unlinked"] = disk_state(dev)
        fcntl.ioctl(mfd, FITHAW, 0)
        os.close(fd)
    finally:
        os.close(mfd)


def check(m, dev, out, not_compared=()):
    r = {}
    handles(m, r)
    leases(m, r)
    freeze(m, dev, r)
    for k in not_compared:
        print(f"{k}: {r.pop(k, None)!r} (not compared)")

    # What the kernel must do, whatever the other driver does. Handles are
    # FILEID_INO32_GEN (1): inode number and generation, 8 bytes.
    must = {
        "handle type d/sub/deeper/f": 1, "handle size d/sub/deeper/f": 8,
        "open file by handle": True, "open dir by handle": True, "open root by handle": True,
        "open unlinked by handle": "ESTALE", "open by handle: wrong generation": "ESTALE",
        "open by handle: inode out of range": "ESTALE", "open by handle: reserved inode": "ESTALE",
        "open renamed by handle": True,
        "lease read set": 0, "lease read get": fcntl.F_RDLCK, "lease unlock": 0,
        "lease write set": 0, "lease write get": fcntl.F_WRLCK,
        "state mounted": 0, "freeze": 0, "freeze again": "EBUSY", "state frozen": 1,
        "writer blocked while frozen": True, "thaw": 0, "writer done after thaw": 0,
        "thaw again": "EINVAL", "state thawed": 0, "written while frozen": True,
        "freeze with open unlinked": 0, "state frozen with open unlinked": 0,
    }
    for k in not_compared:
        must.pop(k, None)
    return ksft.save_and_require(r, out, must)


def drop(path, names):
    with open(path) as f:
        r = json.load(f)
    for k in names:
        r.pop(k, None)
    with open(path, "w") as f:
        json.dump(r, f, indent=1, sort_keys=True)


def main():
    cmd, m = sys.argv[1], sys.argv[2]
    if cmd == "setup":
        setup(m)
        return 0
    if cmd == "check":
        a = sys.argv
        nc = a[a.index("--not-compared") + 1].split(",") if "--not-compared" in a else ()
        return check(m, a[3], a[a.index("--out") + 1], nc)
    if cmd == "drop":
        drop(m, sys.argv[3:])
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
