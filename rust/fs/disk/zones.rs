// SPDX-License-Identifier: GPL-2.0

//! The filesystem's metadata zones, for checking the blocks a file's map
//! yields (what ext4 calls `block_validity`).
//!
//! A block may hold file data or an indirect block only if it lies inside
//! the filesystem (`s_first_data_block..s_blocks_count`) and in none of the
//! zones of its group: the superblock copy, the descriptor table copy (or
//! the meta_bg descriptor block), the reserved descriptor blocks, the block
//! bitmap, the inode bitmap and the inode table. Nothing is built at mount:
//! the group of a block is one division away, the superblock/descriptor
//! prefix is at a fixed offset (the rules of ext4's
//! `ext4_num_base_meta_blocks`), and the other three zones come from the
//! group's descriptor, which mount has checked to lie inside its group.
//! A lookup costs a division and at most six comparisons per group the
//! run touches (one, nearly always).

use super::group::GroupDesc;
use super::superblock::Geometry;

/// The kind of metadata a block belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Zone {
    /// Before `s_first_data_block` or at or past `s_blocks_count`.
    Outside,
    Superblock,
    Descriptors,
    ReservedGdt,
    BlockBitmap,
    InodeBitmap,
    InodeTable,
}

impl Zone {
    /// A short name for messages.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Zone::Outside => "outside the filesystem",
            Zone::Superblock => "superblock",
            Zone::Descriptors => "group descriptors",
            Zone::ReservedGdt => "reserved descriptor blocks",
            Zone::BlockBitmap => "block bitmap",
            Zone::InodeBitmap => "inode bitmap",
            Zone::InodeTable => "inode table",
        }
    }
}

/// The first metadata block met in a run: where, which zone, which group
/// (`u32::MAX` for [`Zone::Outside`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Hit {
    pub(crate) block: u64,
    pub(crate) zone: Zone,
    pub(crate) group: u32,
}

impl Geometry {
    /// Descriptor-table blocks in group `g` (ext4's
    /// `ext4_bg_num_gdb`: with meta_bg, only the first `s_first_meta_bg`
    /// descriptor blocks form a classic table).
    pub(crate) fn zone_gdt_blocks(&self, g: u32) -> u32 {
        let metagroup = g.checked_div(self.desc_per_block).unwrap_or(0);
        if !self.meta_bg || metagroup < self.first_meta_bg {
            if !self.group_has_super(g) {
                return 0;
            }
            return if self.meta_bg {
                self.first_meta_bg.min(self.gdb_count)
            } else {
                self.gdb_count
            };
        }
        let first = metagroup.saturating_mul(self.desc_per_block);
        let last = first.saturating_add(self.desc_per_block.saturating_sub(1));
        u32::from(g == first || g == first.saturating_add(1) || g == last)
    }

    /// The metadata zones at the start of group `g`: superblock copy,
    /// descriptor blocks, reserved descriptor blocks (lengths in blocks).
    pub(crate) fn zone_prefix(&self, g: u32) -> [(Zone, u64); 3] {
        let sb = u64::from(self.group_has_super(g));
        let metagroup = g.checked_div(self.desc_per_block).unwrap_or(0);
        let classic = !self.meta_bg || metagroup < self.first_meta_bg;
        let rsv = if sb != 0 && classic {
            u64::from(self.reserved_gdt)
        } else {
            0
        };
        [
            (Zone::Superblock, sb),
            (Zone::Descriptors, self.zone_gdt_blocks(g).into()),
            (Zone::ReservedGdt, rsv),
        ]
    }

    /// The most blocks any group's prefix can hold (a cheap bound: past it,
    /// the prefix need not be computed).
    fn max_prefix(&self) -> u64 {
        1 + u64::from(self.gdb_count.max(1)) + u64::from(self.reserved_gdt)
    }
}

/// The first block of `start..start + len` that is metadata or outside the
/// filesystem, or `None` if the whole run may belong to a file. `groups`
/// holds the descriptors (layout fields) of every group, in order; a
/// group without one counts as all metadata.
pub(crate) fn first_metadata(
    geo: &Geometry,
    groups: &[GroupDesc],
    start: u64,
    len: u64,
) -> Option<Hit> {
    let end = start.saturating_add(len);
    let outside = |block| Hit {
        block,
        zone: Zone::Outside,
        group: u32::MAX,
    };
    if start < u64::from(geo.first_data_block) {
        return Some(outside(start));
    }
    let mut b = start;
    while b < end {
        if b >= u64::from(geo.blocks_count) {
            return Some(outside(b));
        }
        let g = (b - u64::from(geo.first_data_block))
            .checked_div(geo.blocks_per_group.into())
            .unwrap_or(0) as u32;
        let gfirst = geo.group_first_block(g);
        let stop = end.min(geo.group_end_block(g));
        let Some(gd) = groups.get(g as usize) else {
            return Some(Hit {
                block: b,
                zone: Zone::Outside,
                group: g,
            });
        };
        let mut best: Option<Hit> = None;
        let mut consider = |zs: u64, zlen: u64, zone: Zone| {
            let ze = zs.saturating_add(zlen);
            if zlen != 0 && ze > b && zs < stop {
                let at = zs.max(b);
                if best.is_none_or(|h| at < h.block) {
                    best = Some(Hit {
                        block: at,
                        zone,
                        group: g,
                    });
                }
            }
        };
        if b < gfirst + geo.max_prefix() {
            let mut zs = gfirst;
            for (zone, zlen) in geo.zone_prefix(g) {
                consider(zs, zlen, zone);
                zs += zlen;
            }
        }
        consider(gd.block_bitmap.into(), 1, Zone::BlockBitmap);
        consider(gd.inode_bitmap.into(), 1, Zone::InodeBitmap);
        consider(
            gd.inode_table.into(),
            geo.itb_per_group.into(),
            Zone::InodeTable,
        );
        if best.is_some() {
            return best;
        }
        b = stop;
    }
    None
}

/// How many blocks from `start` (at most `len`) may belong to a file: `Ok`
/// with that count (at least 1) or, if `start` itself may not, `Err` with
/// what it is.
pub(crate) fn file_run(
    geo: &Geometry,
    groups: &[GroupDesc],
    start: u64,
    len: u64,
) -> Result<u64, Hit> {
    match first_metadata(geo, groups, start, len.max(1)) {
        None => Ok(len.max(1)),
        Some(h) if h.block == start => Err(h),
        Some(h) => Ok(h.block - start),
    }
}
