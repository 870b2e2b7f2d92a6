// SPDX-License-Identifier: GPL-2.0

//! The engine's view of one round of a direct I/O: the caller's block
//! mapper, checked, and the round's bios, as the planner's traits want
//! them.

use super::plan::{check_mapping, AsmEvent, BadMapping, BioSink, Found, ReadTarget, WriteTarget};
use super::report;
use super::stats::{DioStats, STATS};
use super::{BlockMapper, Call, Mapping};
use crate::kernel_ext::pages::PageRef;
use crate::kernel_ext::request::Request;
use kernel::page::PAGE_SIZE;
use kernel::prelude::*;

/// The engine's view of one round: the mapper and the bios.
pub(super) struct Target<'a, 'c, 'm, M: BlockMapper> {
    c: &'c Call<'a, 'm, M>,
    io: &'c Request,
    /// File offset just past the request, for sizing bios.
    end: u64,
    /// The device's size in fs blocks.
    dev_blocks: u64,
}

impl<'a, 'c, 'm, M: BlockMapper> Target<'a, 'c, 'm, M> {
    pub(super) fn new(c: &'c Call<'a, 'm, M>, io: &'c Request, end: u64) -> Self {
        Self {
            c,
            io,
            end,
            dev_blocks: dev_blocks(c),
        }
    }

    fn lookup(&mut self, lblk: u64, max: u64, create: bool) -> Result<Found> {
        checked_map(self.c, lblk, max, create, self.dev_blocks)
    }
}

/// The device's size in fs blocks of the call's inode.
pub(super) fn dev_blocks<M: BlockMapper>(c: &Call<'_, '_, M>) -> u64 {
    c.bdev.bytes() >> c.inode.block_bits()
}

/// Maps, and refuses a mapping that cannot be right: none of it may
/// reach the device (`dev_blocks` fs blocks), a length of zero or longer
/// than asked, or a new block where nothing was to be allocated.
/// fs/direct-io.c trusts `get_block` here; a wrong answer would be a write
/// to the wrong place on disk, so the engine checks.
pub(super) fn checked_map<M: BlockMapper>(
    c: &Call<'_, '_, M>,
    lblk: u64,
    max: u64,
    create: bool,
    dev_blocks: u64,
) -> Result<Found> {
    checked(
        c,
        lblk,
        max,
        create,
        dev_blocks,
        c.mapper.map(lblk, max, create)?,
    )
}

/// [`checked_map`] without `create` and without sleeping
/// ([`BlockMapper::map_nowait`]).
pub(super) fn checked_map_nowait<M: BlockMapper>(
    c: &Call<'_, '_, M>,
    lblk: u64,
    max: u64,
    dev_blocks: u64,
) -> Result<Found> {
    checked(
        c,
        lblk,
        max,
        false,
        dev_blocks,
        c.mapper.map_nowait(lblk, max)?,
    )
}

/// Checks the mapper's answer for `lblk..lblk + max`.
fn checked<M: BlockMapper>(
    c: &Call<'_, '_, M>,
    lblk: u64,
    max: u64,
    create: bool,
    dev_blocks: u64,
    answer: Mapping,
) -> Result<Found> {
    let (pblk, len, new, boundary) = match answer {
        Mapping::Hole { .. } => return Ok(Found::Hole),
        Mapping::Mapped {
            pblk,
            len,
            new,
            boundary,
        } => (pblk, len, new, boundary),
    };
    if let Err(why) = check_mapping(pblk, len, new, max, create, dev_blocks) {
        DioStats::add(&STATS.bad_mappings, 1);
        let ino = c.inode.ino();
        let dev = dev_blocks;
        return Err(match why {
            BadMapping::ZeroLength => report::bad_mapping(ino, lblk, format_args!("zero length")),
            BadMapping::TooLong => report::bad_mapping(
                ino,
                lblk,
                format_args!("{len} blocks where {max} were asked for"),
            ),
            BadMapping::PastDevice => report::bad_mapping(
                ino,
                lblk,
                format_args!("blocks {pblk}+{len} beyond the device ({dev} blocks)"),
            ),
            BadMapping::NewUnasked => report::bad_mapping(
                ino,
                lblk,
                format_args!("a new block where none was to be allocated"),
            ),
        });
    }
    Ok(Found::Mapped {
        pblk,
        len,
        new,
        boundary,
    })
}

impl<'a, 'c, 'm, M: BlockMapper> BioSink for Target<'a, 'c, 'm, M> {
    type Page = PageRef<'c>;

    fn new_bio(&mut self, block: u64, pos: u64) {
        DioStats::add(&STATS.bios, 1);
        // Room for the rest of the request: one more page for a buffer
        // that does not start on a page boundary (bio_max_segs, as 7.3
        // sizes its bios).
        let left = self.end.saturating_sub(pos) as usize;
        self.io.new_bio(block, left.div_ceil(PAGE_SIZE) + 1);
    }

    fn add(&mut self, page: PageRef<'c>, offset: u32, len: u32) -> bool {
        self.io.add(page, offset, len)
    }

    fn submit(&mut self) {
        self.io.submit();
    }

    fn note(&mut self, event: AsmEvent) {
        let s = &STATS;
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

impl<'a, 'c, 'm, M: BlockMapper> ReadTarget for Target<'a, 'c, 'm, M> {
    type Error = Error;

    fn map(&mut self, fs_block: u64, max: u64) -> Result<Found> {
        self.lookup(fs_block, max, false)
    }

    fn zero(&mut self, page: PageRef<'c>, offset: u32, len: u32) -> Result {
        DioStats::add(&STATS.hole_blocks, 1);
        page.zero(offset, len)
    }

    fn i_size(&self) -> u64 {
        self.c.inode.size().max(0) as u64
    }
}

impl<'a, 'c, 'm, M: BlockMapper> WriteTarget for Target<'a, 'c, 'm, M> {
    type Error = Error;

    fn map(&mut self, fs_block: u64, max: u64, create: bool) -> Result<Found> {
        self.lookup(fs_block, max, create)
    }

    fn new_blocks(&mut self, pblk: u64, len: u64) {
        self.c.bdev.forget_aliases(pblk, len);
    }

    fn zero_page(&self) -> PageRef<'c> {
        PageRef::zero_page()
    }

    fn i_size(&self) -> u64 {
        self.c.inode.size().max(0) as u64
    }

    fn skip_holes(&self) -> bool {
        self.c.flags.skip_holes
    }
}
