# SPDX-License-Identifier: GPL-2.0
# Helpers for the guest-side test cases (sourced, never run).
#
# A case exits 0 (pass), 1 (fail) or 4 (skip, kselftest's KSFT_SKIP) and
# prints why on stdout; the runner turns that into KTAP.

: "${REXT2_ROOT:?}" "${REXT2_WORK:?}"
T_NAME=${T_NAME:-$(basename "$0" .sh)}
T_MNT=/tmp/rext2-mnt/$T_NAME
# Loop devices this case attached. A file, not an array: attach runs in
# command substitutions (subshells), whose variables never come back.
T_LOOPS=/tmp/rext2-mnt/$T_NAME.loops
mkdir -p /tmp/rext2-mnt
: >"$T_LOOPS"
T_FAILS=0
KSFT_SKIP=4
# The direct-I/O engine's counters (the runner loads rext2.ko with
# dio_stats=1); engine-wide, so cases compare before and after.
REXT2_DIO_STATS=/sys/kernel/debug/rext2/dio

# The tools are run with the system python3: through the host's PATH the
# guest may find a version-manager shim, which costs seconds per start.
py() { "${REXT2_PY:-python3}" "$@"; }
treecmp() { py "$REXT2_ROOT/tests/lib/treecmp.py" "$@"; }
access() { py "$REXT2_ROOT/tests/lib/access.py" "$@"; }

fail() { echo "FAIL: $*"; T_FAILS=$((T_FAILS + 1)); }

# need TOOL...: skips the case, naming the first tool missing from PATH.
need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null || { echo "SKIP: $t not found"; exit "$KSFT_SKIP"; }
	done
}

# The quick tier (make check-quick sets REXT2_QUICK=1): the slow cases run
# at one block size and with smaller budgets, and say so.
# block_sizes SIZE...: the sizes to run at: all of them, or the first only.
# quick_or QUICK FULL: QUICK under REXT2_QUICK=1, else FULL.
block_sizes() {
	if [ "${REXT2_QUICK:-0}" = 1 ]; then
		echo "$1"
	else
		echo "$@"
	fi
}
quick_or() {
	if [ "${REXT2_QUICK:-0}" = 1 ]; then
		echo "$1"
	else
		echo "$2"
	fi
}
[ "${REXT2_QUICK:-0}" != 1 ] || echo "quick tier (REXT2_QUICK=1): reduced block sizes and budgets"
note() { echo "$*"; }
# pins: page pins outstanding in the system, as tests/lib/ksft.py's
# pins(): the per-CPU vmstat counters folded (vm.stat_refresh), then
# acquired - released, read by the same process. Starting a program
# between the two would let its own pins skew the reading: on a 9p root
# without cache=loose (Debian's kernel under virtme-ng's initramfs)
# every read from the root pins pages, and a reading taken by a second
# process was off by up to 16 either way.
pins() {
	awk 'BEGIN {
		f = "/proc/sys/vm/stat_refresh"
		printf "1\n" >f
		close(f)
		while ((getline l <"/proc/vmstat") > 0) {
			split(l, w, " ")
			if (w[1] == "nr_foll_pin_acquired") a = w[2]
			if (w[1] == "nr_foll_pin_released") r = w[2]
		}
		if (a == "" || r == "") exit 1
		print a - r
	}'
}

# attach FILE [LBS]: read-only loop device for FILE, optionally with a
# logical block size; prints the device.
attach() {
	if [ -n "${2:-}" ]; then
		losetup -f --show -r -b "$2" "$1" | tee -a "$T_LOOPS"
	else
		losetup -f --show -r "$1" | tee -a "$T_LOOPS"
	fi
}

# attach_rw FILE: a writable loop device for FILE; prints the device.
attach_rw() {
	losetup -f --show "$1" | tee -a "$T_LOOPS"
}

# mnt FSTYPE DEV DIR [OPTS]: mount, creating DIR; returns mount's status.
mnt() {
	mkdir -p "$3"
	mount -t "$1" -o "${4:-ro}" "$2" "$3"
}

cleanup() {
	local m
	for m in $(awk -v p="$T_MNT" 'index($2, p) == 1 { print $2 }' /proc/mounts | sort -r); do
		umount "$m" || umount -l "$m"
	done
	while read -r m; do
		losetup -d "$m" 2>/dev/null || true
	done <"$T_LOOPS"
	: >"$T_LOOPS"
}
trap cleanup EXIT

# mark STEP: start a step of this case in the kernel log.
mark() {
	echo "rext2-test: begin $T_NAME/$1" >/dev/kmsg
}

# klog [STEP]: the kernel log since this case (the runner's marker) or
# since one of its steps (mark STEP) started.
klog() {
	local m="rext2-test: begin $T_NAME${1:+/$1}"
	dmesg | sed -n "\|$m\$|,\$p"
}

# same_outcomes TAG DIR: the outcomes rext2 gave (DIR/rext2-TAG.json) must
# be the ones the in-kernel ext2 gave (DIR/ext2-TAG.json). A missing file
# (a driver that did not run to the end) is a failure, not agreement.
same_outcomes() {
	local ext2=$2/ext2-$1.json rext2=$2/rext2-$1.json f
	for f in "$ext2" "$rext2"; do
		if [ ! -f "$f" ]; then
			fail "$1: no result file $(basename "$f"): nothing to compare"
			return 1
		fi
	done
	if diff -u "$ext2" "$rext2"; then
		note "$1: rext2 and ext2 agree on $(grep -c '": ' "$rext2") outcomes"
	else
		fail "$1: rext2's outcomes differ from ext2's (diff above: - ext2, + rext2)"
	fi
}

# Whether the current mount at DIR is read-only.
is_ro_mount() {
	awk -v d="$1" '$2 == d { split($4, o, ","); print o[1] }' /proc/mounts | grep -qx ro
}

finish() {
	cleanup
	if [ "$T_FAILS" -ne 0 ]; then
		echo "$T_FAILS check(s) failed"
		exit 1
	fi
	exit 0
}
