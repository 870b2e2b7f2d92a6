#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# fs/direct-io.c as the oracle of rext2's engine. For jfs and for vfat: on
# a fresh copy of one image, the stock module (the kernel build's jfs.ko,
# fat.ko + vfat.ko: fs/direct-io.c) runs a workload (tests/lib/
# rdio_oracle.py: the DIO-SPEC cases, a seeded random mix of sync and AIO
# reads and writes checked against a model, then the fio verify jobs for
# libaio and io_uring), its outcomes are recorded, fsck -n must be clean;
# then the -rdio module (scripts/build-rdio: the same source calling
# rext2_blockdev_direct_IO) does the same on another fresh copy. Every
# outcome must be the same (return values, errno, contents, st_size,
# st_blocks, fio's per-job errors and file sizes), except the documented
# deviation of a write fault, asserted as such. The engine's counters must
# grow during the -rdio runs and not during the stock ones.
. "$REXT2_ROOT/tests/lib/common.sh"
. "$REXT2_ROOT/scripts/lib.sh"

flavour=${REXT2_FLAVOUR:-debug}
kb=$(kbuild_dir "$flavour")
rdio=$REXT2_ROOT/build/rdio-$flavour
oracle=$REXT2_ROOT/tests/lib/rdio_oracle.py
jobs=$REXT2_ROOT/tests/fio
tmp=/tmp/rext2-rdio
stats=$REXT2_DIO_STATS
rm -rf "$tmp" && mkdir -p "$tmp"

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
[ -r "$stats" ] || { echo "FAIL: no engine counters at $stats (rext2.ko loaded with dio_stats=1?)"; exit 1; }
for ko in jfs-rdio vfat-rdio; do
	if [ ! -f "$rdio/$ko.ko" ]; then
		echo "SKIP: $rdio/$ko.ko is not built (scripts/build-rdio $flavour)"
		exit "$KSFT_SKIP"
	fi
done
for ko in fs/jfs/jfs.ko fs/fat/fat.ko fs/fat/vfat.ko fs/nls/nls_ucs2_utils.ko; do
	if [ ! -f "$kb/$ko" ]; then
		echo "SKIP: the kernel build has no $ko (CONFIG_JFS_FS=m, CONFIG_VFAT_FS=m in .config.fragment)"
		exit "$KSFT_SKIP"
	fi
done
for t in mkfs.jfs fsck.jfs mkfs.vfat fsck.vfat fio; do
	command -v "$t" >/dev/null || { echo "SKIP: $t is not installed (scripts/setup installs jfsutils, dosfstools, fio)"; exit "$KSFT_SKIP"; }
done
for fs in jfs vfat fat; do
	if grep -qw "$fs" /proc/filesystems || [ -d "/sys/module/$fs" ]; then
		echo "FAIL: $fs is already loaded; this case loads the stock and the -rdio modules itself"
		exit 1
	fi
done

counter() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }
# grew BEFORE NOW: the engine's reads + writes since the copy BEFORE.
grew() { echo $(($(counter "$2" reads) + $(counter "$2" writes) - $(counter "$1" reads) - $(counter "$1" writes))); }

# Modules this case loaded and still holds, last first.
loaded=()
load() { # load MODULE.ko: insmod, remembered for unloading
	insmod "$1" || return 1
	loaded=("$(basename "$1" .ko | tr - _)" "${loaded[@]}")
}
unload() { # unload NAME...: rmmod the given ones
	local m
	for m in "$@"; do
		rmmod "$m" || fail "rmmod $m"
		local keep=() k
		for k in "${loaded[@]}"; do
			[ "$k" = "$m" ] || keep+=("$k")
		done
		loaded=("${keep[@]}")
	done
}
unload_all() {
	local m
	for m in "${loaded[@]}"; do
		rmmod "$m" 2>/dev/null
	done
	loaded=()
}
trap 'cleanup; unload_all' EXIT

# fio_outcomes DIR OUT: fio's verify jobs in DIR; OUT gets one line per job
# (name, error) and per file (size, blocks), for comparing the two runs.
fio_outcomes() {
	local dir=$1 out=$2 job name
	: >"$out"
	for job in ${REXT2_RDIO_FIO-verify-libaio verify-uring}; do
		mkdir -p "$dir/$job"
		fio --output-format=terse --terse-version=3 --output="$tmp/$job.terse" \
			--directory="$dir/$job" "$jobs/$job.fio" >"$tmp/$job.out" 2>&1
		echo "fio $job: exit $?" >>"$out"
		note "  fio $job: done at $((SECONDS - start))s"
		awk -F';' '$1 == 3 { printf "fio %s: error %s, did i/o %s\n", $3, $5, ($6 + $47 > 0) ? "yes" : "no" }' \
			"$tmp/$job.terse" >>"$out"
		(cd "$dir/$job" && find . -type f -printf 'file %p: size %s, blocks %b\n' | sort) >>"$out"
	done
}

# one FS MODE: a fresh image copy, mount, the workload, umount, fsck;
# outcomes in $tmp/FS-MODE.json and $tmp/FS-MODE.fio.
one() {
	local fs=$1 mode=$2 img=$tmp/$1-$2.img dev m=$T_MNT/$1-$2 out rc
	cp "$tmp/$fs.template" "$img"
	dev=$(attach_rw "$img")
	mnt "$fs" "$dev" "$m" rw || { fail "$fs $mode: mount"; return; }
	cp "$stats" "$tmp/$fs-$mode.before"
	mark "$fs-$mode"
	local start=$SECONDS
	py "$oracle" run "$m" "$tmp/$fs-$mode.json" --seed 22 --ops "${REXT2_RDIO_OPS:-80}" >"$tmp/$fs-$mode.log" 2>&1
	rc=$?
	sed 's/^/  /' "$tmp/$fs-$mode.log" | grep -v ': ok$'
	[ "$rc" -eq 0 ] || fail "$fs $mode: the workload's own checks failed"
	fio_outcomes "$m" "$tmp/$fs-$mode.fio"
	grep -v ': error 0, did i/o yes$' "$tmp/$fs-$mode.fio" | grep -v '^fio .*: exit 0$' | grep '^fio' &&
		fail "$fs $mode: a fio verify job failed"
	note "$fs $mode: workload and fio in $((SECONDS - start))s; engine reads+writes +$(grew "$tmp/$fs-$mode.before" "$stats")"
	cp "$stats" "$tmp/$fs-$mode.after"
	umount "$m" || { fail "$fs $mode: umount"; return; }
	case $fs in
	jfs) out=$(fsck.jfs -n "$dev" 2>&1) ;;
	vfat) out=$(fsck.vfat -n "$dev" 2>&1) ;;
	esac || {
		fail "$fs $mode: fsck -n found problems"
		printf '%s\n' "$out" | tail -n 20 | sed 's/^/#   /'
	}
	losetup -d "$dev"
	sed -i "\|^$dev\$|d" "$T_LOOPS"
	rm -f "$img"
}

# For debugging: REXT2_RDIO_FS (default "jfs vfat"), REXT2_RDIO_OPS (the
# random mix, default 80), REXT2_RDIO_FIO (the jobs; empty: none).
for fs in ${REXT2_RDIO_FS:-jfs vfat}; do
	truncate -s 64M "$tmp/$fs.template"
	case $fs in
	jfs) mkfs.jfs -q "$tmp/$fs.template" >/dev/null ;;
	vfat) mkfs.vfat "$tmp/$fs.template" >/dev/null ;;
	esac || { fail "mkfs of $fs"; continue; }

	# Stock: fs/direct-io.c.
	case $fs in
	jfs) load "$kb/fs/nls/nls_ucs2_utils.ko" && load "$kb/fs/jfs/jfs.ko" ;;
	vfat) load "$kb/fs/fat/fat.ko" && load "$kb/fs/fat/vfat.ko" ;;
	esac || { fail "$fs: cannot load the stock module"; unload_all; continue; }
	one "$fs" stock
	case $fs in jfs) unload jfs ;; vfat) unload vfat fat ;; esac
	g=$(grew "$tmp/$fs-stock.before" "$tmp/$fs-stock.after")
	[ "$g" = 0 ] || fail "$fs stock: rext2's engine counted $g requests during the stock run"

	# -rdio: the same source on rext2's engine.
	load "$rdio/$fs-rdio.ko" || { fail "$fs: cannot load $fs-rdio.ko"; unload_all; continue; }
	one "$fs" rdio
	unload "${fs}_rdio"
	[ "$fs" = jfs ] && unload nls_ucs2_utils
	g=$(grew "$tmp/$fs-rdio.before" "$tmp/$fs-rdio.after")
	[ "$g" -gt 0 ] || fail "$fs rdio: rext2's engine counted no request: the calls did not go through it"
	d=$(($(counter "$tmp/$fs-rdio.after" errors) - $(counter "$tmp/$fs-rdio.before" errors)))
	note "$fs rdio: engine counters +$g requests, +$(($(counter "$tmp/$fs-rdio.after" aio_queued) - $(counter "$tmp/$fs-rdio.before" aio_queued))) queued, +$(($(counter "$tmp/$fs-rdio.after" buffered_fallbacks) - $(counter "$tmp/$fs-rdio.before" buffered_fallbacks))) buffered fallbacks, +$d errors"

	# Outcome by outcome.
	if [ -f "$tmp/$fs-stock.json" ] && [ -f "$tmp/$fs-rdio.json" ]; then
		py "$oracle" compare "$tmp/$fs-stock.json" "$tmp/$fs-rdio.json" | sed "s/^/$fs: /" | tee "$tmp/$fs.cmp"
		[ "${PIPESTATUS[0]}" -eq 0 ] || fail "$fs: the -rdio outcomes differ from fs/direct-io.c's"
	else
		fail "$fs: a run recorded no outcomes"
	fi
	if [ -f "$tmp/$fs-stock.fio" ] && [ -f "$tmp/$fs-rdio.fio" ]; then
		if diff -u "$tmp/$fs-stock.fio" "$tmp/$fs-rdio.fio" >"$tmp/$fs.fio.diff"; then
			note "$fs: fio verify jobs agree on $(wc -l <"$tmp/$fs-rdio.fio") outcomes"
		else
			sed 's/^/#   /' "$tmp/$fs.fio.diff"
			fail "$fs: fio outcomes differ (- stock, + rdio)"
		fi
	fi
	rm -f "$tmp/$fs.template"
done

unload_all
finish
