// SPDX-License-Identifier: GPL-2.0

//! Block validity: every block a file's map yields (data or indirect) is
//! checked against the metadata zones (`disk::zones`) before anything reads
//! or writes it, so a corrupt pointer into the superblock, a descriptor, a
//! bitmap or an inode table is refused with `-EUCLEAN` and a rate-limited
//! message naming the inode and the block, on every path that maps blocks.

use super::disk::zones::{file_run, Hit, Zone};
use super::{corrupted, Ext2};
use crate::kernel_ext::inode::Inode;
use kernel::prelude::*;

/// What kind of pointer is checked (for the message).
#[derive(Clone, Copy)]
pub(super) enum Kind {
    Data,
    Indirect,
    Allocated,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Data => "data block pointer",
            Kind::Indirect => "indirect block pointer",
            Kind::Allocated => "newly allocated block",
        }
    }
}

fn report(inode: &Inode<Ext2>, what: core::fmt::Arguments<'_>, h: Hit) -> Error {
    if h.zone == Zone::Outside {
        corrupted(
            inode.ino(),
            format_args!("{} {} outside the filesystem", what, h.block),
        )
    } else {
        corrupted(
            inode.ino(),
            format_args!(
                "{} {} in the {} of group {}",
                what,
                h.block,
                h.zone.name(),
                h.group
            ),
        )
    }
}

/// Reports, in one message, the `count` pointers a truncate dropped
/// without freeing their blocks because those may not belong to the file
/// (`first` among them). One message per truncate, not one per pointer:
/// an indirect pointer into metadata makes the walk read a bitmap or an
/// inode table as pointers, hundreds of them bad, which would use up the
/// rate limit and hide the reports that follow.
pub(super) fn report_dropped(inode: &Inode<Ext2>, first: u32, count: u32) {
    let info = inode.sb().info();
    if let Err(h) = file_run(&info.geo, &info.groups, first.into(), 1) {
        report(
            inode,
            format_args!("truncate dropped {count} pointer(s) to blocks not the file's, the first"),
            h,
        );
    }
}

/// How many of the `len` blocks from `start` may belong to the file (at
/// least 1), or `-EUCLEAN` (reported) if `start` may not.
pub(super) fn check_run(inode: &Inode<Ext2>, kind: Kind, start: u64, len: u64) -> Result<u64> {
    let info = inode.sb().info();
    file_run(&info.geo, &info.groups, start, len)
        .map_err(|h| report(inode, format_args!("{}", kind.name()), h))
}

/// `-EUCLEAN` (reported) unless block `b` may belong to the file.
pub(super) fn check_block(inode: &Inode<Ext2>, kind: Kind, b: u32) -> Result {
    check_run(inode, kind, b.into(), 1).map(|_| ())
}

/// `-EUCLEAN` (reported) unless every block of `start..start + len` may
/// belong to the file.
pub(super) fn check_whole(inode: &Inode<Ext2>, kind: Kind, start: u64, len: u64) -> Result {
    let info = inode.sb().info();
    match super::disk::zones::first_metadata(&info.geo, &info.groups, start, len) {
        None => Ok(()),
        Some(h) => Err(report(inode, format_args!("{}", kind.name()), h)),
    }
}
