// SPDX-License-Identifier: GPL-2.0

//! Buffer-cache blocks: a held, up-to-date `buffer_head`.

use super::sys;
use core::ptr::NonNull;
use kernel::prelude::*;

/// A block read through the buffer cache; released (`brelse`) on drop.
///
/// # Invariants
///
/// `bh` is a valid, up-to-date buffer head on which this value holds one
/// reference; `b_data` points at `b_size` readable bytes for as long as that
/// reference is held.
pub(crate) struct Buffer {
    bh: NonNull<sys::buffer_head>,
}

impl Buffer {
    /// Reads block `block` of `sb`'s device in the superblock's block size.
    ///
    /// # Safety
    ///
    /// `sb` must be a live superblock whose block size has been set.
    pub(super) unsafe fn read(sb: *mut sys::super_block, block: u64) -> Result<Self> {
        // SAFETY: `sb` is live per the function's contract; `sb_bread`
        // returns a referenced, up-to-date buffer or NULL on I/O error.
        let bh = unsafe { sys::rext2_sb_bread(sb, block) };
        NonNull::new(bh).map(|bh| Self { bh }).ok_or(EIO)
    }

    /// The block's bytes.
    pub(crate) fn data(&self) -> &[u8] {
        // SAFETY: per the type invariant `bh` is valid and referenced, so
        // `b_data` holds `b_size` initialised bytes that stay mapped while
        // the reference is held, i.e. for the lifetime of `&self`.
        unsafe {
            let bh = self.bh.as_ptr();
            let len = sys::rext2_bh_size(bh);
            core::slice::from_raw_parts(sys::rext2_bh_data(bh).cast::<u8>(), len)
        }
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        // SAFETY: this value owns one reference to `bh` (type invariant),
        // given back exactly once here.
        unsafe { sys::rext2_brelse(self.bh.as_ptr()) };
    }
}
