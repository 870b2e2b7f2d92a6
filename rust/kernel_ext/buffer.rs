// SPDX-License-Identifier: GPL-2.0

//! Buffer-cache blocks: a held, up-to-date `buffer_head`.
//!
//! Metadata blocks are shared between threads (two inodes in one inode
//! table block, a bitmap used by every allocator call), so their bytes are
//! only reachable through [`BufferGuard`], which holds the buffer lock
//! (`lock_buffer`). That makes every access exclusive, for readers too.
//!
//! Lock order: a buffer lock is a leaf. Never read or get another block
//! while holding one (`sb_bread` can wait for a folio whose writeback waits
//! for this buffer), and never hold two guards at once.

use super::sys;
use core::ptr::NonNull;
use kernel::prelude::*;

/// A block of the buffer cache; released (`brelse`) on drop.
///
/// # Invariants
///
/// `bh` is a valid, up-to-date buffer head on which this value holds one
/// reference; `b_data` points at `b_size` bytes for as long as that
/// reference is held.
pub(crate) struct Buffer {
    bh: NonNull<sys::buffer_head>,
}

// SAFETY: a referenced buffer head may be used and released from any
// thread; its bytes are only accessed under the buffer lock.
unsafe impl Send for Buffer {}

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

    /// Block `block` if it is in the buffer cache and up to date; never
    /// reads or sleeps.
    ///
    /// # Safety
    ///
    /// `sb` must be a live superblock whose block size has been set.
    pub(super) unsafe fn cached(sb: *mut sys::super_block, block: u64) -> Option<Self> {
        // SAFETY: `sb` is live per the function's contract; the shim returns
        // a referenced, up-to-date buffer or NULL.
        let bh = unsafe { sys::rext2_sb_find_block(sb, block) };
        NonNull::new(bh).map(|bh| Self { bh })
    }

    /// Gets block `block` without reading it, filled with zeros and marked
    /// up to date (a freshly allocated metadata block).
    ///
    /// # Safety
    ///
    /// `sb` must be a live superblock whose block size has been set.
    pub(super) unsafe fn zeroed(sb: *mut sys::super_block, block: u64) -> Result<Self> {
        // SAFETY: as for `read`; the shim zeroes the block under its lock.
        let bh = unsafe { sys::rext2_sb_getblk_zeroed(sb, block) };
        NonNull::new(bh).map(|bh| Self { bh }).ok_or(ENOMEM)
    }

    pub(super) fn as_ptr(&self) -> *mut sys::buffer_head {
        self.bh.as_ptr()
    }

    /// Locks the buffer for access to its bytes.
    pub(crate) fn lock(&mut self) -> BufferGuard<'_> {
        // SAFETY: a referenced buffer; the guard unlocks it exactly once.
        unsafe { sys::rext2_lock_buffer(self.bh.as_ptr()) };
        BufferGuard { buf: self }
    }

    /// The little-endian 32-bit word `i` of the block (the four bytes at
    /// offset `4 * i`), read with one aligned load (`READ_ONCE`) and
    /// without the buffer lock; `None` past the end. For words whose
    /// writers the caller keeps out by a lock of its own (a file's block
    /// pointers, which change only under its block-map lock held for
    /// writing), so that readers do not queue on the buffer lock.
    pub(crate) fn word(&self, i: usize) -> Option<u32> {
        let bh = self.bh.as_ptr();
        // SAFETY: a referenced, up-to-date buffer (type invariant).
        let (data, len) = unsafe { (sys::rext2_bh_data(bh).cast::<u32>(), sys::rext2_bh_size(bh)) };
        if i >= len / 4 || !data.is_aligned() {
            return None;
        }
        // SAFETY: `b_data` holds `b_size` initialised bytes while the
        // reference is held (type invariant); word `i` is inside them and
        // aligned. A volatile load is READ_ONCE: a racing writer (which
        // the caller's lock should exclude anyway) makes it return the old
        // or the new word, never anything else.
        Some(u32::from_le(unsafe {
            core::ptr::read_volatile(data.add(i))
        }))
    }

    /// Copies the block's bytes `range` out (under the lock).
    pub(crate) fn read_at(&mut self, off: usize, out: &mut [u8]) -> Result {
        let g = self.lock();
        let src = g.data().get(off..off + out.len()).ok_or(EIO)?;
        for (d, s) in out.iter_mut().zip(src) {
            *d = *s;
        }
        Ok(())
    }

    /// Marks the buffer dirty so writeback writes it.
    pub(crate) fn mark_dirty(&self) {
        // SAFETY: a referenced, up-to-date buffer.
        unsafe { sys::mark_buffer_dirty(self.bh.as_ptr()) };
    }

    /// Writes the buffer now if it is dirty, and waits.
    pub(crate) fn sync(&self) -> Result {
        // SAFETY: a referenced buffer; `sync_dirty_buffer` locks it itself.
        unsafe { sys::sync_dirty_buffer(self.bh.as_ptr()) };
        // SAFETY: as above.
        if unsafe { sys::rext2_buffer_write_io_error(self.bh.as_ptr()) } {
            return Err(EIO);
        }
        Ok(())
    }

    /// Releases the buffer and drops its dirty state (`bforget`): the
    /// block was freed, its contents must never reach the disk.
    pub(crate) fn forget(self) {
        let bh = self.bh.as_ptr();
        core::mem::forget(self);
        // SAFETY: we own one reference (type invariant), handed to
        // `bforget`, which releases it.
        unsafe { sys::rext2_bforget(bh) };
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        // SAFETY: this value owns one reference to `bh` (type invariant),
        // given back exactly once here.
        unsafe { sys::rext2_brelse(self.bh.as_ptr()) };
    }
}

/// The buffer lock, held: the block's bytes may be read and written.
pub(crate) struct BufferGuard<'a> {
    buf: &'a mut Buffer,
}

impl BufferGuard<'_> {
    /// The block's bytes.
    pub(crate) fn data(&self) -> &[u8] {
        // SAFETY: the buffer is referenced and up to date (type invariant of
        // `Buffer`), so `b_data` holds `b_size` initialised bytes, and every
        // access to them goes through a guard holding the buffer lock.
        unsafe {
            let bh = self.buf.bh.as_ptr();
            let len = sys::rext2_bh_size(bh);
            core::slice::from_raw_parts(sys::rext2_bh_data(bh).cast::<u8>(), len)
        }
    }

    /// The block's bytes, for changing (then mark the buffer dirty).
    pub(crate) fn data_mut(&mut self) -> &mut [u8] {
        // SAFETY: as for `data`; the buffer lock and `&mut self` make this
        // the only reference to the bytes.
        unsafe {
            let bh = self.buf.bh.as_ptr();
            let len = sys::rext2_bh_size(bh);
            core::slice::from_raw_parts_mut(sys::rext2_bh_data(bh).cast::<u8>(), len)
        }
    }
}

impl Drop for BufferGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: locked in `Buffer::lock`, unlocked once here.
        unsafe { sys::rext2_unlock_buffer(self.buf.bh.as_ptr()) };
    }
}
