#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# DIO-SPEC section 9 cases that apply to reads: T1-T8, T22-T24, T28, T36
# (see tests/lib/diospec.py and Documentation/rext2.rst).
. "$REXT2_ROOT/tests/lib/common.sh"

img=$REXT2_WORK/full-4096.img
mnt rext2 "$(attach "$img")" "$T_MNT/r" || fail "mount"
mnt rext2 "$(attach "$img" 4096)" "$T_MNT/r4kn" || fail "mount on a 4Kn device"
py "$REXT2_ROOT/tests/lib/diospec.py" "$T_MNT/r" "$T_MNT/r4kn" || fail "DIO-SPEC cases"
finish
