// SPDX-License-Identifier: GPL-2.0

//! The block device a direct I/O goes to: its geometry and its buffer
//! cache, as the engine needs them.

use super::sys;
use kernel::types::Opaque;

/// A live, opened block device.
///
/// # Invariants
///
/// The wrapped `struct block_device` stays open for as long as the
/// reference to this wrapper is live (a mounted filesystem keeps its
/// device open; a direct I/O runs on a file of a mounted filesystem).
#[repr(transparent)]
pub(crate) struct BlockDevice(Opaque<sys::block_device>);

// SAFETY: a block device is shared by every task doing I/O on it; the
// methods only read its fixed geometry or call thread-safe C functions.
unsafe impl Sync for BlockDevice {}
// SAFETY: as above.
unsafe impl Send for BlockDevice {}

impl BlockDevice {
    /// # Safety
    ///
    /// `bdev` must be open for `'a`.
    pub(super) unsafe fn from_raw<'a>(bdev: *mut sys::block_device) -> &'a Self {
        // SAFETY: transparent wrapper; liveness is the caller's promise.
        unsafe { &*bdev.cast::<Self>() }
    }

    pub(super) fn as_ptr(&self) -> *mut sys::block_device {
        self.0.get()
    }

    /// log2 of the logical block size.
    pub(crate) fn logical_block_bits(&self) -> u32 {
        // SAFETY: an open device (type invariant).
        unsafe { sys::rext2_bdev_logical_block_size(self.as_ptr()) }.trailing_zeros()
    }

    /// The device's size in bytes.
    pub(crate) fn bytes(&self) -> u64 {
        // SAFETY: an open device (type invariant).
        unsafe { sys::rext2_bdev_nr_bytes(self.as_ptr()) }
    }

    /// Whether the device takes `REQ_NOWAIT` bios (`bdev_nowait`): it
    /// fails them with `BLK_STS_AGAIN` rather than sleep for a tag.
    pub(crate) fn takes_nowait(&self) -> bool {
        // SAFETY: an open device (type invariant).
        unsafe { sys::rext2_bdev_nowait(self.as_ptr()) }
    }

    /// Drops any buffer-cache copy of blocks `start..start + len` (in the
    /// device's buffer-cache block size, which the filesystem set to its
    /// own), so a stale dirty copy cannot overwrite data written around
    /// the buffer cache (`clean_bdev_aliases`).
    pub(crate) fn forget_aliases(&self, start: u64, len: u64) {
        // SAFETY: an open device (type invariant).
        unsafe { sys::clean_bdev_aliases(self.as_ptr(), start, len) };
    }
}
