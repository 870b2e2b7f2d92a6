// SPDX-License-Identifier: GPL-2.0

//! The engine's view of one round of a direct I/O: the file's block mapper
//! and the round's bios, as the planner's traits want them.

use super::plan::{AsmEvent, BioSink, Found, ReadTarget, WriteTarget};
use super::stats::DioStats;
use crate::kernel_ext::block_map::Mapping;
use crate::kernel_ext::fs_type::FileSystem;
use crate::kernel_ext::inode::Inode;
use crate::kernel_ext::pages::{PageRef, BATCH_PAGES};
use crate::kernel_ext::request::Request;
use kernel::prelude::*;

/// The engine's view of one round: the file's mapper and the bios.
pub(super) struct Target<'a, T: FileSystem> {
    pub(super) inode: &'a Inode<T>,
    pub(super) io: &'a Request,
    pub(super) stats: &'a DioStats,
}

impl<'a, T: FileSystem> BioSink for Target<'a, T> {
    type Page = PageRef<'a>;

    fn new_bio(&mut self, block: u64) {
        DioStats::add(&self.stats.bios, 1);
        self.io.new_bio(block, BATCH_PAGES as u32);
    }

    fn add(&mut self, page: PageRef<'a>, offset: u32, len: u32) -> bool {
        self.io.add(page, offset, len)
    }

    fn submit(&mut self) {
        self.io.submit();
    }

    fn note(&mut self, event: AsmEvent) {
        let s = self.stats;
        let c = match event {
            AsmEvent::Merged => &s.merged,
            AsmEvent::CutDisk => &s.cut_disk,
            AsmEvent::CutFile => &s.cut_file,
            AsmEvent::CutFull => &s.cut_full,
            AsmEvent::BoundaryFlush => &s.boundary_flushes,
            AsmEvent::ZeroFill => &s.zero_writes,
        };
        DioStats::add(c, 1);
    }
}

impl<'a, T: FileSystem> ReadTarget for Target<'a, T> {
    type Error = Error;

    fn map(&mut self, fs_block: u64, max: u64) -> Result<Found> {
        self.lookup(fs_block, max, false)
    }

    fn zero(&mut self, page: PageRef<'a>, offset: u32, len: u32) -> Result {
        DioStats::add(&self.stats.hole_blocks, 1);
        page.zero(offset, len)
    }

    fn i_size(&self) -> u64 {
        self.inode.size().max(0) as u64
    }
}

impl<'a, T: FileSystem> WriteTarget for Target<'a, T> {
    type Error = Error;

    fn map(&mut self, fs_block: u64, max: u64, create: bool) -> Result<Found> {
        self.lookup(fs_block, max, create)
    }

    fn new_blocks(&mut self, pblk: u64, len: u64) {
        self.inode.sb().forget_aliases(pblk, len);
    }

    fn zero_page(&self) -> PageRef<'a> {
        PageRef::zero_page()
    }

    fn i_size(&self) -> u64 {
        self.inode.size().max(0) as u64
    }
}

impl<T: FileSystem> Target<'_, T> {
    fn lookup(&mut self, fs_block: u64, max: u64, create: bool) -> Result<Found> {
        Ok(match T::map_blocks(self.inode, fs_block, max, create)? {
            Mapping::Hole { .. } => Found::Hole,
            Mapping::Mapped {
                pblk,
                len,
                new,
                boundary,
            } => Found::Mapped {
                pblk,
                len,
                new,
                boundary,
            },
        })
    }
}
