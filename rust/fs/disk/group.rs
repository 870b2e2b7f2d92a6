// SPDX-License-Identifier: GPL-2.0

//! Block group descriptors (32 bytes each in ext2).

use super::le::{put_u16, put_u32, u16_at, u32_at};

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

    /// Writes the six modelled fields into descriptor number `idx` of a
    /// descriptor block, leaving its other bytes (flags, padding, reserved)
    /// alone. Returns `None`, writing nothing, if the 32-byte descriptor
    /// does not fit in `block`.
    pub(crate) fn encode(&self, block: &mut [u8], idx: usize) -> Option<()> {
        let o = idx.checked_mul(DESC_SIZE)?;
        let d = block.get_mut(o..o.checked_add(DESC_SIZE)?)?;
        put_u32(d, 0, self.block_bitmap)?;
        put_u32(d, 4, self.inode_bitmap)?;
        put_u32(d, 8, self.inode_table)?;
        put_u16(d, 12, self.free_blocks)?;
        put_u16(d, 14, self.free_inodes)?;
        put_u16(d, 16, self.used_dirs)
    }
}
