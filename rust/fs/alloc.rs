// SPDX-License-Identifier: GPL-2.0

//! Block and inode allocation: the bitmaps, the group descriptors' free
//! counts and the totals the superblock reports.
//!
//! One mutex per mount ([`AllocState`]) serialises every bitmap change and
//! keeps the counters exact. Lock order: an inode's block-map mutex, then
//! this one, then (briefly, one at a time) buffer locks.

use super::disk::bitmap;
use super::disk::group::GroupDesc;
use super::disk::superblock::Geometry;
use super::ratelimit::Limit;
use super::{corrupted_block, Ext2};
use crate::kernel_ext::inode::Inode;
use crate::kernel_ext::super_block::SuperBlock;
use crate::kernel_ext::task::may_use_reserved;
use kernel::prelude::*;

/// Mutable per-group counters.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct GroupCounts {
    pub(crate) free_blocks: u32,
    pub(crate) free_inodes: u32,
    pub(crate) used_dirs: u32,
}

/// The allocator's state, under the mount's allocation mutex.
pub(crate) struct AllocState {
    pub(crate) counts: KVec<GroupCounts>,
    pub(crate) free_blocks: u64,
    pub(crate) free_inodes: u64,
    pub(crate) dirs: u64,
}

impl AllocState {
    /// Builds the state from the descriptors read at mount.
    pub(crate) fn new(groups: &[GroupDesc]) -> Result<Self> {
        let mut counts = KVec::with_capacity(groups.len(), GFP_KERNEL)?;
        let (mut fb, mut fi, mut d) = (0u64, 0u64, 0u64);
        for g in groups {
            fb += u64::from(g.free_blocks);
            fi += u64::from(g.free_inodes);
            d += u64::from(g.used_dirs);
            counts.push(
                GroupCounts {
                    free_blocks: g.free_blocks.into(),
                    free_inodes: g.free_inodes.into(),
                    used_dirs: g.used_dirs.into(),
                },
                GFP_KERNEL,
            )?;
        }
        Ok(Self {
            counts,
            free_blocks: fb,
            free_inodes: fi,
            dirs: d,
        })
    }
}

/// Blocks in group `g`.
fn group_len(geo: &Geometry, g: u32) -> usize {
    (geo.group_end_block(g) - geo.group_first_block(g)) as usize
}

/// Writes group `g`'s descriptor (layout from mount, counts from `st`).
fn write_desc(sb: &SuperBlock<Ext2>, st: &AllocState, g: u32) -> Result {
    let info = sb.info();
    let geo = &info.geo;
    let layout = info.groups.get(g as usize).ok_or(EINVAL)?;
    let c = st.counts.get(g as usize).ok_or(EINVAL)?;
    let gd = GroupDesc {
        free_blocks: c.free_blocks as u16,
        free_inodes: c.free_inodes as u16,
        used_dirs: c.used_dirs as u16,
        ..*layout
    };
    // desc_per_block is validated non-zero at mount; checked all the same,
    // so that no division can panic.
    let per = geo.desc_per_block;
    let (block, slot) = (
        g.checked_div(per).ok_or(EIO)?,
        g.checked_rem(per).ok_or(EIO)?,
    );
    let mut bh = sb.bread(geo.descriptor_block(block))?;
    {
        let mut l = bh.lock();
        gd.encode(l.data_mut(), slot as usize).ok_or(EIO)?;
    }
    bh.mark_dirty();
    Ok(())
}

/// Whether blocks `start..start + n` of group `g` overlap the group's own
/// metadata (bitmaps, inode table, superblock and descriptor copies).
fn overlaps_metadata(sb: &SuperBlock<Ext2>, g: u32, start: u64, n: u64) -> bool {
    let info = sb.info();
    let geo = &info.geo;
    let Some(gd) = info.groups.get(g as usize) else {
        return true;
    };
    let hit = |b: u64, len: u64| start < b + len && b < start + n;
    let first = geo.group_first_block(g);
    let sb_len = u64::from(geo.group_has_super(g)) + u64::from(geo.group_gdt_blocks(g));
    hit(first, sb_len)
        || hit(gd.block_bitmap.into(), 1)
        || hit(gd.inode_bitmap.into(), 1)
        || hit(gd.inode_table.into(), geo.itb_per_group.into())
}

/// Allocates up to `want` (>= 1) contiguous blocks, the first as close to
/// `goal` as possible. Returns the first block and how many were taken.
pub(super) fn alloc_blocks(sb: &SuperBlock<Ext2>, goal: u32, want: u32) -> Result<(u32, u32)> {
    let info = sb.info();
    let geo = &info.geo;
    let mut st = info.shared.alloc.lock();
    let reserved = if may_use_reserved() {
        0
    } else {
        u64::from(info.reserved_blocks)
    };
    let usable = st.free_blocks.saturating_sub(reserved);
    if usable == 0 {
        return Err(ENOSPC);
    }
    let want = u64::from(want).min(usable) as usize;
    let goal = if geo.block_valid(goal) {
        goal
    } else {
        geo.first_data_block
    };
    let g0 = (goal - geo.first_data_block) / geo.blocks_per_group;
    for i in 0..geo.groups_count {
        let g = (g0 + i) % geo.groups_count;
        if st.counts.get(g as usize).map_or(0, |c| c.free_blocks) == 0 {
            continue;
        }
        let first = geo.group_first_block(g);
        let len = group_len(geo, g);
        let local_goal = if i == 0 {
            (u64::from(goal) - first) as usize
        } else {
            0
        };
        let layout = info.groups.get(g as usize).ok_or(EINVAL)?;
        let mut bh = sb.bread(layout.block_bitmap.into())?;
        let found = {
            let mut l = bh.lock();
            let bm = l.data_mut();
            match bitmap::find_near(bm, local_goal, len) {
                None => None,
                Some(bit) => {
                    let run = 1 + bitmap::zero_run(bm, bit + 1, want - 1, len);
                    if overlaps_metadata(sb, g, first + bit as u64, run as u64) {
                        return Err(corrupted_block(
                            layout.block_bitmap.into(),
                            format_args!("block bitmap of group {} frees group metadata", g),
                        ));
                    }
                    for b in bit..bit + run {
                        bitmap::set(bm, b);
                    }
                    Some((bit, run))
                }
            }
        };
        let Some((bit, run)) = found else {
            return Err(corrupted_block(
                layout.block_bitmap.into(),
                format_args!("group {} counts free blocks its bitmap lacks", g),
            ));
        };
        bh.mark_dirty();
        let c = st.counts.get_mut(g as usize).ok_or(EINVAL)?;
        c.free_blocks = c.free_blocks.saturating_sub(run as u32);
        st.free_blocks = st.free_blocks.saturating_sub(run as u64);
        write_desc(sb, &st, g)?;
        return Ok(((first + bit as u64) as u32, run as u32));
    }
    Err(ENOSPC)
}

/// The limit of the "already free" reports: a block map that names one
/// block many times would otherwise print once per pointer. Its own limit,
/// so such a map does not silence the reports that name inodes.
static ALREADY_FREE: Limit = Limit::new();

/// Frees blocks `start..start + n` (which may span groups).
pub(super) fn free_blocks(sb: &SuperBlock<Ext2>, start: u32, n: u32) -> Result {
    let info = sb.info();
    let geo = &info.geo;
    if n == 0 {
        return Ok(());
    }
    let end = start.checked_add(n).ok_or(EINVAL)?;
    if !geo.block_valid(start) || end > geo.blocks_count {
        return Err(corrupted_block(
            start.into(),
            format_args!("freeing {} blocks outside the filesystem", n),
        ));
    }
    let mut st = info.shared.alloc.lock();
    let mut b = start;
    while b < end {
        let g = (b - geo.first_data_block) / geo.blocks_per_group;
        let first = geo.group_first_block(g);
        let group_end = geo.group_end_block(g) as u32;
        let stop = end.min(group_end);
        if overlaps_metadata(sb, g, b.into(), (stop - b).into()) {
            return Err(corrupted_block(
                b.into(),
                format_args!("freeing group {} metadata", g),
            ));
        }
        let layout = info.groups.get(g as usize).ok_or(EINVAL)?;
        let mut bh = sb.bread(layout.block_bitmap.into())?;
        let mut freed = 0u32;
        let mut already = 0u32;
        {
            let mut l = bh.lock();
            let bm = l.data_mut();
            for x in b..stop {
                match bitmap::clear(bm, (u64::from(x) - first) as usize) {
                    Some(true) => freed += 1,
                    _ => already += 1,
                }
            }
        }
        bh.mark_dirty();
        if already != 0 && ALREADY_FREE.allow() {
            pr_err!(
                "corrupted filesystem: freeing {} already free blocks near block {}\n",
                already,
                b
            );
        }
        let c = st.counts.get_mut(g as usize).ok_or(EINVAL)?;
        c.free_blocks += freed;
        st.free_blocks += u64::from(freed);
        write_desc(sb, &st, g)?;
        b = stop;
    }
    Ok(())
}

/// Picks a group for a new inode: a directory goes to a group with at
/// least the average number of free inodes and the most free blocks
/// (spreading the tree); anything else stays in its parent's group if
/// that has room, else the next group with free inodes and blocks.
fn pick_group(st: &AllocState, geo: &Geometry, parent: u32, is_dir: bool) -> Option<u32> {
    let n = geo.groups_count;
    let counts = &st.counts;
    if is_dir {
        let avg = st.free_inodes / u64::from(n.max(1));
        let mut best: Option<(u32, u32)> = None;
        for g in 0..n {
            let c = counts.get(g as usize)?;
            if c.free_inodes == 0 || u64::from(c.free_inodes) < avg {
                continue;
            }
            if best.is_none_or(|(_, fb)| c.free_blocks > fb) {
                best = Some((g, c.free_blocks));
            }
        }
        if let Some((g, _)) = best {
            return Some(g);
        }
    }
    for pass in 0..2 {
        for i in 0..n {
            let g = (parent + i) % n;
            let c = counts.get(g as usize)?;
            if c.free_inodes > 0 && (pass == 1 || c.free_blocks > 0) {
                return Some(g);
            }
        }
    }
    None
}

/// Allocates an inode number for a new inode in directory `dir`.
pub(super) fn alloc_inode(dir: &Inode<Ext2>, is_dir: bool) -> Result<u32> {
    let sb = dir.sb();
    let info = sb.info();
    let geo = &info.geo;
    let mut st = info.shared.alloc.lock();
    let parent = geo.inode_group(dir.ino() as u32);
    let g = pick_group(&st, geo, parent, is_dir).ok_or(ENOSPC)?;
    let layout = info.groups.get(g as usize).ok_or(EINVAL)?;
    let ipg = geo.inodes_per_group as usize;
    // Inodes below `first_ino` are reserved (they all live in group 0).
    let start = if g == 0 {
        geo.first_ino as usize - 1
    } else {
        0
    };
    let mut bh = sb.bread(layout.inode_bitmap.into())?;
    let bit = {
        let mut l = bh.lock();
        let bm = l.data_mut();
        let bit = bitmap::find_zero(bm, start, ipg);
        if let Some(b) = bit {
            bitmap::set(bm, b);
        }
        bit
    };
    let Some(bit) = bit else {
        return Err(corrupted_block(
            layout.inode_bitmap.into(),
            format_args!("group {} counts free inodes its bitmap lacks", g),
        ));
    };
    bh.mark_dirty();
    let c = st.counts.get_mut(g as usize).ok_or(EINVAL)?;
    c.free_inodes = c.free_inodes.saturating_sub(1);
    if is_dir {
        c.used_dirs += 1;
        st.dirs += 1;
    }
    st.free_inodes = st.free_inodes.saturating_sub(1);
    write_desc(sb, &st, g)?;
    Ok(g * geo.inodes_per_group + bit as u32 + 1)
}

/// Frees inode number `ino` in the bitmap.
pub(super) fn free_inode(sb: &SuperBlock<Ext2>, ino: u32, is_dir: bool) -> Result {
    let info = sb.info();
    let geo = &info.geo;
    if !geo.ino_valid(ino) || ino < geo.first_ino {
        return Err(corrupted_block(
            0,
            format_args!("freeing reserved inode {}", ino),
        ));
    }
    let g = geo.inode_group(ino);
    let bit = ((ino - 1) % geo.inodes_per_group) as usize;
    let layout = info.groups.get(g as usize).ok_or(EINVAL)?;
    let mut st = info.shared.alloc.lock();
    let mut bh = sb.bread(layout.inode_bitmap.into())?;
    let was = {
        let mut l = bh.lock();
        bitmap::clear(l.data_mut(), bit)
    };
    bh.mark_dirty();
    if was != Some(true) {
        pr_err!("corrupted filesystem: freeing free inode {}\n", ino);
        return Ok(());
    }
    let c = st.counts.get_mut(g as usize).ok_or(EINVAL)?;
    c.free_inodes += 1;
    if is_dir {
        c.used_dirs = c.used_dirs.saturating_sub(1);
        st.dirs = st.dirs.saturating_sub(1);
    }
    st.free_inodes += 1;
    write_desc(sb, &st, g)
}
