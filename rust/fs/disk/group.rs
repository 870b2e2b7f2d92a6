// SPDX-License-Identifier: GPL-2.0

//! Block group descriptors (32 bytes each in ext2).

use super::le::{u16_at, u32_at};

/// Size of one ext2 group descriptor on disk.
pub(crate) const DESC_SIZE: usize = 32;

/// A decoded group descriptor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct GroupDesc {
    pub(crate) block_bitmap: u32,
    pub(crate) inode_bitmap: u32,
    pub(crate) inode_table: u32,
    pub(crate) free_blocks: u16,
    pub(crate) free_inodes: u16,
    pub(crate) used_dirs: u16,
}

impl GroupDesc {
    /// Decodes descriptor number `idx` of a descriptor block.
    pub(crate) fn decode(block: &[u8], idx: usize) -> Option<Self> {
        let o = idx.checked_mul(DESC_SIZE)?;
        Some(Self {
            block_bitmap: u32_at(block, o)?,
            inode_bitmap: u32_at(block, o + 4)?,
            inode_table: u32_at(block, o + 8)?,
            free_blocks: u16_at(block, o + 12)?,
            free_inodes: u16_at(block, o + 14)?,
            used_dirs: u16_at(block, o + 16)?,
        })
    }
}
