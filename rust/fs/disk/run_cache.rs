// SPDX-License-Identifier: GPL-2.0

//! A small per-inode cache of block-map runs: for each of a few leaf
//! pointer arrays (the 12 direct pointers, or one indirect block's worth
//! of pointers), the last run of consecutive blocks found in it.
//!
//! A run never crosses the end of its leaf array (the next block's pointer
//! lives in another array), so a run is identified by the leaf it lies in.
//! The direct pointers have a slot of their own; an indirect leaf's slot is
//! its ordinal among the indirect leaves modulo [`SLOTS`]. A 64 MiB file
//! laid out contiguously at 4 KiB blocks is the direct pointers and 16
//! indirect leaves, 17 runs: once they are cached, a lookup anywhere in
//! the file reads no indirect block.
//!
//! The cache knows nothing of locking: its owner keeps it coherent (rext2
//! empties it whenever the block map may change, and fills it only from
//! lookups made while the map cannot change).

use super::inode::NDIR_BLOCKS;

/// How many runs of indirect leaves an inode keeps (the direct pointers'
/// run is kept besides).
pub(crate) const SLOTS: usize = 16;

/// One cached run: file blocks `start..start + len` are disk blocks
/// `pblk..pblk + len`. `len == 0` is an empty slot. 16 bytes: a file
/// block past `u32::MAX` (possible only with 64 KiB blocks) is not cached,
/// and ext2's block numbers are 32 bits.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
struct Run {
    start: u32,
    pblk: u32,
    len: u32,
    /// The run ends at the end of its leaf array (the next block needs
    /// another indirect block: a mapping that reaches it is a boundary).
    to_leaf_end: bool,
}

/// A lookup answered from the cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CachedRun {
    /// The disk block of the block looked up.
    pub(crate) pblk: u64,
    /// How many blocks, at most the number asked for, follow contiguously.
    pub(crate) len: u64,
    /// The answer reaches the end of the leaf array.
    pub(crate) boundary: bool,
}

/// The runs of one inode.
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct RunCache {
    slots: [Run; SLOTS + 1],
}

/// The slot of the leaf array that holds logical block `lblk`'s pointer,
/// with `1 << ptr_bits` pointers per indirect block: the last slot for the
/// direct pointers.
fn slot(lblk: u64, ptr_bits: u32) -> usize {
    let ndir = NDIR_BLOCKS as u64;
    if lblk < ndir {
        return SLOTS;
    }
    // Past the direct pointers, every leaf array covers an aligned span of
    // `1 << ptr_bits` blocks counted from block 12, at any depth.
    let leaf = (lblk - ndir) >> ptr_bits;
    (leaf % SLOTS as u64) as usize
}

impl RunCache {
    /// An empty cache.
    pub(crate) const fn new() -> Self {
        Self {
            slots: [Run {
                start: 0,
                pblk: 0,
                len: 0,
                to_leaf_end: false,
            }; SLOTS + 1],
        }
    }

    /// Up to `max` (at least 1) blocks from `lblk`, if a cached run holds
    /// `lblk`.
    pub(crate) fn lookup(&self, lblk: u64, max: u64, ptr_bits: u32) -> Option<CachedRun> {
        let r = self.slots.get(slot(lblk, ptr_bits))?;
        let off = lblk.checked_sub(r.start.into())?;
        let left = u64::from(r.len).checked_sub(off).filter(|&l| l > 0)?;
        let len = left.min(max.max(1));
        Some(CachedRun {
            pblk: u64::from(r.pblk) + off,
            len,
            boundary: r.to_leaf_end && len == left,
        })
    }

    /// Remembers that file blocks `start..start + len` are disk blocks
    /// `pblk..pblk + len`, the run reaching the end of its leaf array if
    /// `to_leaf_end`. The run must lie in one leaf array; it replaces what
    /// the leaf's slot held.
    pub(crate) fn insert(
        &mut self,
        start: u64,
        pblk: u64,
        len: u64,
        to_leaf_end: bool,
        ptr_bits: u32,
    ) {
        let (Some(end), Some(pend)) = (start.checked_add(len), pblk.checked_add(len)) else {
            return;
        };
        if len == 0 || u32::try_from(end).is_err() || u32::try_from(pend).is_err() {
            return;
        }
        if let Some(s) = self.slots.get_mut(slot(start, ptr_bits)) {
            *s = Run {
                start: start as u32,
                pblk: pblk as u32,
                len: len as u32,
                to_leaf_end,
            };
        }
    }

    /// Forgets every run.
    pub(crate) fn clear(&mut self) {
        *self = Self::new();
    }
}
