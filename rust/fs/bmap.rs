// SPDX-License-Identifier: GPL-2.0

//! The indirect-block mapper: logical file blocks to disk blocks, in runs.

use super::disk::block_path::BlockPath;
use super::disk::le::u32_at;
use super::{corrupted, Ext2};
use crate::kernel_ext::block_map::Mapping;
use crate::kernel_ext::inode::Inode;
use kernel::prelude::*;

/// Maps up to `max` blocks from `lblk` on. A run ends where the pointers
/// stop being consecutive or at the end of the pointer array that holds
/// them (the next block needs another indirect block: `boundary`).
pub(super) fn map_blocks(inode: &Inode<Ext2>, lblk: u64, max: u64) -> Result<Mapping> {
    let geo = &inode.sb().info().geo;
    let bits = geo.ptr_bits();
    let Some(path) = BlockPath::new(lblk, bits) else {
        return Ok(Mapping::Hole { len: 1 });
    };
    let root = inode.info().block;
    let mut ptr = root[path.offsets[0] as usize];
    let mut leaf = None;
    for level in 1..path.depth {
        if ptr == 0 {
            let len = path.blocks_left_under(level - 1, bits).min(max);
            return Ok(Mapping::Hole { len });
        }
        check_block(inode, ptr)?;
        let bh = inode.sb().bread(ptr.into())?;
        let at = path.offsets[level] as usize * 4;
        ptr = u32_at(bh.data(), at).ok_or(EIO)?;
        if level + 1 == path.depth {
            leaf = Some(bh);
        }
    }
    let avail = path.leaf_entries_left(bits).min(max);
    // The pointers after `ptr` in its array, for extending the run.
    let next = |i: u64| -> Option<u32> {
        let idx = u64::from(path.offsets[path.depth - 1]) + i;
        match &leaf {
            None => root.get(idx as usize).copied(),
            Some(bh) => u32_at(bh.data(), (idx * 4) as usize),
        }
    };
    if ptr == 0 {
        let mut len = 1;
        while len < avail && next(len) == Some(0) {
            len += 1;
        }
        return Ok(Mapping::Hole { len });
    }
    check_block(inode, ptr)?;
    let mut len = 1;
    while len < avail && next(len) == ptr.checked_add(len as u32) {
        len += 1;
    }
    // The run reaches the last pointer of its array (the 12 direct slots
    // or an indirect block): the next block needs another indirect block.
    let boundary = len == path.leaf_entries_left(bits);
    Ok(Mapping::Mapped {
        pblk: ptr.into(),
        len,
        new: false,
        boundary,
    })
}

fn check_block(inode: &Inode<Ext2>, b: u32) -> Result {
    if inode.sb().info().geo.block_valid(b) {
        Ok(())
    } else {
        Err(corrupted(
            inode.ino(),
            format_args!("block pointer {} outside the filesystem", b),
        ))
    }
}
