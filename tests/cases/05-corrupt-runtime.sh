#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Corrupt metadata met at run time (directory entries, block pointers,
# inode fields) fails that access with EUCLEAN, EIO or ESTALE and an error
# naming the inode, never an oops; the rest of the filesystem stays usable.
. "$REXT2_ROOT/tests/lib/common.sh"

dir=$REXT2_WORK/runtime
while IFS=$'\t' read -r file case path expect; do
	[ "$file" = file ] && continue
	mark "$case"
	m=$T_MNT/$case
	mnt rext2 "$(attach "$dir/$file")" "$m" ro || { fail "$case: mount failed"; continue; }
	got=$(access "$m$path")
	if ! [[ $got =~ ^($expect)$ ]]; then
		fail "$case: $path gave $got, expected $expect"
	fi
	if [ "$expect" != ESTALE ] && ! klog "$case" |
		grep -q 'rext2: corrupted filesystem: inode'; then
		fail "$case: no error message naming the inode"
	fi
	[ "$(access "$m/ok")" = OK ] || fail "$case: an intact file became unreadable"
	note "$case: $path -> $got"
	cleanup
done <"$dir/cases.tsv"
finish
