// SPDX-License-Identifier: GPL-2.0

//! The block device a direct I/O goes to: its geometry and its buffer
//! cache, as the engine needs them.

use super::sys;
use kernel::types::Opaque;

/// How a write is made durable by itself (see
/// [`BlockDevice::write_through`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WriteThrough {
    /// No volatile write cache: a completed write is on stable storage.
    Plain,
    /// A write cache, and `REQ_FUA` writes bypass it.
    Fua,
}

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

    /// How a write on this device can be durable when it completes,
    /// without a cache flush after it: `None` if it cannot (a volatile
    /// write cache, and `REQ_FUA` only emulated by a flush).
    pub(crate) fn write_through(&self) -> Option<WriteThrough> {
        // SAFETY: an open device (type invariant).
        if !unsafe { sys::rext2_bdev_write_cache(self.as_ptr()) } {
            return Some(WriteThrough::Plain);
        }
        // SAFETY: as above.
        unsafe { sys::rext2_bdev_fua(self.as_ptr()) }.then_some(WriteThrough::Fua)
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
