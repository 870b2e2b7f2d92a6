#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Access PATH the way a user would (lstat, then read the whole file,
list the directory or read the link) and print OK or the errno's name.

usage: access.py PATH
"""
import errno
import os
import stat
import sys


def access(path):
    st = os.lstat(path)
    if stat.S_ISDIR(st.st_mode):
        for e in os.scandir(path):
            e.stat(follow_symlinks=False)
    elif stat.S_ISLNK(st.st_mode):
        os.readlink(path)
    elif stat.S_ISREG(st.st_mode):
        with open(path, 'rb') as f:
            while f.read(1 << 20):
                pass


def main():
    try:
        access(sys.argv[1])
    except OSError as e:
        print(errno.errorcode.get(e.errno, str(e.errno)))
        return 0
    print('OK')
    return 0


if __name__ == '__main__':
    sys.exit(main())
