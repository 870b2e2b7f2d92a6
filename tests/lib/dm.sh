# SPDX-License-Identifier: GPL-2.0
# Device-mapper helpers for the fault cases (sourced after common.sh).
# The guest runs no udev: libdevmapper makes the /dev/mapper nodes itself.
export DM_DISABLE_UDEV=1
T_DMS=/tmp/rext2-mnt/$T_NAME.dms
: >"$T_DMS"

dmsetup_() { dmsetup --noudevsync "$@"; }

# dm_create NAME TABLE: a device-mapper device; prints its node.
dm_create() {
	dmsetup_ create "$1" --table "$2" >/dev/null || return 1
	echo "$1" >>"$T_DMS"
	echo "/dev/mapper/$1"
}

# dm_load NAME TABLE: swap NAME's table (suspended without freezing the
# filesystem, so I/O in flight completes first).
dm_load() {
	dmsetup_ suspend --nolockfs "$1" && dmsetup_ reload "$1" --table "$2" && dmsetup_ resume "$1"
}

# sectors DEV: its size in 512-byte sectors.
sectors() { blockdev --getsz "$1"; }

dm_cleanup() {
	local d m
	for m in $(awk -v p="$T_MNT" 'index($2, p) == 1 { print $2 }' /proc/mounts | sort -r); do
		umount "$m" || umount -l "$m"
	done
	while read -r d; do
		[ -n "$d" ] && dmsetup_ remove "$d" 2>/dev/null || true
	done <"$T_DMS"
	: >"$T_DMS"
}
trap 'dm_cleanup; cleanup' EXIT

# pattern_file FILE BYTES: BYTES of faultio's pattern 1 (every sector
# names its offset) written to FILE and synced, block map included, so a
# device switched to fail or stall afterwards holds it all.
pattern_file() {
	py - "$1" "$2" <<'PY'
import os, sys
sys.path.insert(0, os.environ["REXT2_ROOT"] + "/tests/lib")
from faultio import pattern
with open(sys.argv[1], "wb") as f:
    f.write(pattern(1, 0, int(sys.argv[2])))
    f.flush()
    os.fsync(f.fileno())
PY
}
