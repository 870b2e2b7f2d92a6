# SPDX-License-Identifier: GPL-2.0
# null_blk devices made through configfs, for cases that need a device
# with a given write cache (sourced after common.sh). null_blk is built
# into the test kernel; vm-run creates no device unless asked
# (null_blk.nr_devices=0), so these are the only ones.
T_NULLBS=/tmp/rext2-mnt/$T_NAME.nullbs
: >"$T_NULLBS"

# nullb_create NAME MIB CACHE_MIB FUA [POLL_QUEUES]: a memory-backed
# null_blk device of MIB MiB with 512-byte sectors and a volatile write
# cache of CACHE_MIB MiB (0: none) that honours REQ_FUA if FUA is 1, and
# POLL_QUEUES queues for polled I/O (default none); prints its node
# (/dev/NAME).
nullb_create() {
	local d=/sys/kernel/config/nullb/$1
	mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config || return 1
	mkdir "$d" || return 1
	echo "$1" >>"$T_NULLBS"
	echo "$2" >"$d/size" && echo 1 >"$d/memory_backed" && echo 512 >"$d/blocksize" &&
		echo "$3" >"$d/cache_size" && echo "$4" >"$d/fua" || return 1
	if [ -n "${5:-}" ]; then
		echo "$5" >"$d/poll_queues" || return 1
	fi
	echo 1 >"$d/power" || return 1
	# The disk is named after the configfs item (older kernels: nullbN).
	if [ -b "/dev/$1" ]; then
		echo "/dev/$1"
	else
		echo "/dev/nullb$(cat "$d/index")"
	fi
}

# Unmounts this case's mounts (cleanup) and removes its null_blk devices.
nullb_cleanup() {
	local n
	cleanup
	while read -r n; do
		[ -n "$n" ] && rmdir "/sys/kernel/config/nullb/$n" 2>/dev/null || true
	done <"$T_NULLBS"
	: >"$T_NULLBS"
}
