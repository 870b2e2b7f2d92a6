#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Lookup and readdir edge cases: missing names, over-long names, "." and
# "..", and resuming readdir from every telldir() position of a
# directory spanning many blocks.
. "$REXT2_ROOT/tests/lib/common.sh"

for bs in 1024 4096; do
	m=$T_MNT/n$bs
	mnt rext2 "$(attach "$REXT2_WORK/full-$bs.img")" "$m" ro || { fail "mount ($bs)"; continue; }
	py - "$m" <<'PY' || fail "namespace checks at $bs"
import errno, os, sys
m = sys.argv[1]
bad = 0
def expect_errno(path, want):
    global bad
    try:
        os.lstat(path)
        print(f"{path}: exists, expected {errno.errorcode[want]}")
        bad += 1
    except OSError as e:
        if e.errno != want:
            print(f"{path}: {errno.errorcode.get(e.errno)}, expected {errno.errorcode[want]}")
            bad += 1
expect_errno(os.path.join(m, "no-such-name"), errno.ENOENT)
expect_errno(os.path.join(m, "x" * 256), errno.ENAMETOOLONG)
if os.stat(os.path.join(m, "bigdir", "..")).st_ino != os.stat(m).st_ino:
    print("bigdir/.. is not the root"); bad += 1
big = os.path.join(m, "bigdir")
names = sorted(os.listdir(big))
# Read the directory again with tiny getdents buffers and seeks.
# Resume from every telldir() position: the rest must match.
import ctypes, ctypes.util
libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
class Dirent(ctypes.Structure):
    _fields_ = [("d_ino", ctypes.c_uint64), ("d_off", ctypes.c_int64),
                ("d_reclen", ctypes.c_ushort), ("d_type", ctypes.c_ubyte),
                ("d_name", ctypes.c_char * 256)]
libc.opendir.restype = ctypes.c_void_p
libc.readdir.restype = ctypes.POINTER(Dirent)
libc.readdir.argtypes = [ctypes.c_void_p]
libc.telldir.argtypes = [ctypes.c_void_p]
libc.telldir.restype = ctypes.c_long
libc.seekdir.argtypes = [ctypes.c_void_p, ctypes.c_long]
libc.closedir.argtypes = [ctypes.c_void_p]
def walk(d):
    out = []
    while True:
        p = libc.readdir(d)
        if not p:
            return out
        out.append((libc.telldir(d), p.contents.d_name))
d = libc.opendir(big.encode())
full = walk(d)
got = sorted(n.decode("utf-8", "surrogateescape") for _, n in full if n not in (b".", b".."))
if got != names:
    print("readdir via libc differs from os.listdir"); bad += 1
for i in range(0, len(full), 37):
    libc.seekdir(d, full[i][0])
    rest = walk(d)
    if [n for _, n in rest] != [n for _, n in full[i + 1:]]:
        print(f"resume after entry {i} differs"); bad += 1
        break
libc.closedir(d)
print(f"{len(names)} entries in bigdir, {bad} problems")
sys.exit(1 if bad else 0)
PY
	cleanup
done
finish
