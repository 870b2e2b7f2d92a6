#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# fio O_DIRECT write jobs with crc32c verification (tests/fio/*.fio) on
# fresh 4 KiB-block rext2 mounts: psync at 512 B-1 MiB on a loop device
# with a 512-byte logical block, libaio at queue depth 32, io_uring with
# and without registered buffers, and direct and buffered writers and
# readers at once. Every job must finish with error 0 and fio with exit
# status 0; the AIO and io_uring requests must show in the counters as
# queued (-EIOCBQUEUED), each queued one completed exactly once from its
# last bio, some of them on the one-bio path and some io_uring reads
# issued without blocking (nowait_requests); the engine reports no
# errors; then
# e2fsck -fn is clean and every page pin taken was released.
. "$REXT2_ROOT/tests/lib/common.sh"

if ! command -v fio >/dev/null; then
	echo "SKIP: fio is not installed (the fio verify jobs need it)"
	exit "$KSFT_SKIP"
fi

attach_rw_lbs() { losetup -f --show -b "$2" "$1" | tee -a "$T_LOOPS"; }
counter() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }
# counter_delta BEFORE NOW NAME: how much counter NAME grew since the copy BEFORE.
counter_delta() { echo $(($(counter "$2" "$3") - $(counter "$1" "$3"))); }

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
pins_before=$(pins)
jobs=$REXT2_ROOT/tests/fio
tmp=/tmp/rext2-fio
rm -rf "$tmp" && mkdir -p "$tmp"

# fio_run JOBFILE DIR: run one job file in DIR; fails unless fio exits 0
# and every job in its report (terse v3: field 5 is the error, 6 and 47
# the KiB read and written) has error 0 and did I/O.
fio_run() {
	local job=$1 dir=$2 name rc start
	name=$(basename "$job" .fio)
	mkdir -p "$dir"
	start=$(date +%s)
	fio --output-format=terse --terse-version=3 --output="$tmp/$name.terse" \
		--directory="$dir" "$job" >"$tmp/$name.out" 2>&1
	rc=$?
	note "fio $name: exit $rc after $(( $(date +%s) - start ))s"
	awk -F';' '$1 == 3 { n++; ok = $5 == 0 && $6 + $47 > 0; bad += !ok
			printf "  %s: error %s, wrote %s KiB, read %s KiB%s\n", $3, $5, $47, $6, ok ? "" : "  <-- FAILED" }
		END { if (!n) print "  no job in the report"; exit !n || bad }' "$tmp/$name.terse" || rc=1
	if [ "$rc" -ne 0 ]; then
		fail "fio $name"
		cat "$tmp/$name.out" "$tmp/$name.terse" | grep -v '^3;' | head -n 40 | sed 's/^/#   /'
	fi
}

# check_fs LABEL IMG: e2fsck -fn must be clean (after unmounting).
check_fs() {
	local out
	out=$(e2fsck -fn "$2" 2>&1) || {
		fail "$1: e2fsck -fn found problems"
		printf '%s\n' "$out" | head -n 40 | sed 's/^/# /'
	}
}

# One image: first on losetup's default device (libaio, io_uring, mixed),
# then on a device with a 512-byte logical block (psync, 512 B writes).
img=$tmp/fio.img
cp "$REXT2_WORK/empty-4096.img" "$img"
for label in default lbs512; do
	if [ "$label" = lbs512 ]; then dev=$(attach_rw_lbs "$img" 512); else dev=$(attach_rw "$img"); fi
	m=$T_MNT/$label
	mnt rext2 "$dev" "$m" rw || { fail "$label: rw mount"; continue; }
	stats=$REXT2_DIO_STATS
	[ -r "$stats" ] || { fail "$label: no counters file $stats"; umount "$m"; continue; }
	cp "$stats" "$tmp/counters-before"
	mark "$label"
	if [ "$label" = lbs512 ]; then
		fio_run "$jobs/verify-psync.fio" "$m/psync"
	else
		fio_run "$jobs/verify-libaio.fio" "$m/libaio"
		fio_run "$jobs/verify-uring.fio" "$m/uring"
		queued=$(counter_delta "$tmp/counters-before" "$stats" aio_queued)
		completed=$(counter_delta "$tmp/counters-before" "$stats" aio_completed)
		note "AIO and io_uring direct requests: $queued queued, $completed completed from a bio ($(counter_delta "$tmp/counters-before" "$stats" aio_completed_inline) of them in the bio's completion), $(counter_delta "$tmp/counters-before" "$stats" aio_completed_sync) in the submitter"
		[ "$queued" -gt 0 ] || fail "no AIO or io_uring request was queued (aio_queued 0)"
		[ "$queued" = "$completed" ] || fail "aio_queued $queued but aio_completed $completed"
		# The verify passes read back what was written, inside i_size and
		# on allocated blocks: the one-bio path's requests.
		[ "$(counter_delta "$tmp/counters-before" "$stats" one_bio_requests)" -gt 0 ] ||
			fail "no AIO or io_uring request took the one-bio path (one_bio_requests 0)"
		# rext2 files are opened with FMODE_NOWAIT: io_uring issues the
		# verify reads inline with IOCB_NOWAIT instead of from a worker.
		[ "$(counter_delta "$tmp/counters-before" "$stats" nowait_requests)" -gt 0 ] ||
			fail "no io_uring read was issued without blocking (nowait_requests 0)"
		fio_run "$jobs/mixed.fio" "$m/mixed"
	fi
	note "$label counters: $(tr '\n' ' ' <"$stats")"
	[ "$(counter_delta "$tmp/counters-before" "$stats" errors)" = 0 ] || fail "$label: the engine counted failed requests"
	[ "$(counter_delta "$tmp/counters-before" "$stats" writes)" -gt 0 ] || fail "$label: no direct writes counted"
	umount "$m" || { fail "$label: umount"; continue; }
	check_fs "$label" "$img"
	losetup -d "$dev"
done

rm -rf "$tmp"
cleanup
pins_after=$(pins)
note "page pins outstanding: before $pins_before, after $pins_after"
[ "$pins_after" -eq "$pins_before" ] || fail "page pins leaked: $pins_before -> $pins_after"
finish
