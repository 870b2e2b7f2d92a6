// SPDX-License-Identifier: GPL-2.0

//! Where a logical block's pointer sits in the indirect-block tree.

use super::inode::{DIND_BLOCK, IND_BLOCK, NDIR_BLOCKS, TIND_BLOCK};

/// The chain of array indices leading to a logical block's pointer:
/// `offsets[0]` indexes `i_block`, the rest index successive indirect blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BlockPath {
    pub(crate) depth: usize,
    pub(crate) offsets: [u32; 4],
}

impl BlockPath {
    /// Computes the path of logical block `lblk` with `1 << ptr_bits`
    /// pointers per indirect block, or `None` beyond the triple-indirect range.
    pub(crate) fn new(lblk: u64, ptr_bits: u32) -> Option<Self> {
        let ppb = 1u64 << ptr_bits;
        let mask = ppb - 1;
        let ndir = NDIR_BLOCKS as u64;
        let mut offsets = [0u32; 4];
        let depth;
        if lblk < ndir {
            offsets[0] = lblk as u32;
            depth = 1;
        } else if lblk - ndir < ppb {
            let b = lblk - ndir;
            offsets[0] = IND_BLOCK as u32;
            offsets[1] = b as u32;
            depth = 2;
        } else if lblk - ndir - ppb < ppb << ptr_bits {
            let b = lblk - ndir - ppb;
            offsets[0] = DIND_BLOCK as u32;
            offsets[1] = (b >> ptr_bits) as u32;
            offsets[2] = (b & mask) as u32;
            depth = 3;
        } else {
            let b = lblk - ndir - ppb - (ppb << ptr_bits);
            if b >> (2 * ptr_bits) >= ppb {
                return None;
            }
            offsets[0] = TIND_BLOCK as u32;
            offsets[1] = (b >> (2 * ptr_bits)) as u32;
            offsets[2] = ((b >> ptr_bits) & mask) as u32;
            offsets[3] = (b & mask) as u32;
            depth = 4;
        }
        Some(Self { depth, offsets })
    }

    /// How many logical blocks, starting with this one, live under the
    /// pointer at `level` of the path (the whole subtree a zero pointer at
    /// that level would make a hole of).
    pub(crate) fn blocks_left_under(&self, level: usize, ptr_bits: u32) -> u64 {
        if level + 1 >= self.depth {
            // A leaf array entry covers exactly one block.
            return 1;
        }
        let below = self.depth - 1 - level;
        let span = 1u64 << (ptr_bits * below as u32);
        let mut used = 0u64;
        for (i, off) in self.offsets[level + 1..self.depth].iter().enumerate() {
            let weight = below - 1 - i;
            used += u64::from(*off) << (ptr_bits * weight as u32);
        }
        span - used
    }

    /// Entries left in the leaf array after this block's pointer, plus one.
    pub(crate) fn leaf_entries_left(&self, ptr_bits: u32) -> u64 {
        let last = self.offsets[self.depth - 1];
        if self.depth == 1 {
            NDIR_BLOCKS as u64 - u64::from(last)
        } else {
            (1u64 << ptr_bits) - u64::from(last)
        }
    }
}
