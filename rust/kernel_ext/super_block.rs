// SPDX-License-Identifier: GPL-2.0

//! Superblocks: the one being filled at mount time, and a mounted one.

use super::block_device::BlockDevice;
use super::buffer::Buffer;
use super::fs_type::FileSystem;
use super::sys;
use core::marker::PhantomData;
use kernel::prelude::*;
use kernel::types::Opaque;

/// A mounted superblock of filesystem `T`.
///
/// # Invariants
///
/// The wrapped `super_block` is live, its block size is set, and its
/// `s_fs_info` points at a `T::SbInfo` owned by the superblock (installed
/// by the fill_super trampoline before any `&SuperBlock<T>` is created, and
/// freed only in `kill_sb`, after every inode is gone).
#[repr(transparent)]
pub(crate) struct SuperBlock<T: FileSystem>(Opaque<sys::super_block>, PhantomData<T>);

impl<T: FileSystem> SuperBlock<T> {
    /// # Safety
    ///
    /// `sb` must satisfy the type invariants for `'a`.
    pub(super) unsafe fn from_raw<'a>(sb: *mut sys::super_block) -> &'a Self {
        // SAFETY: `SuperBlock<T>` is a transparent wrapper of the C struct,
        // and the caller guarantees it is live for `'a`.
        unsafe { &*sb.cast::<Self>() }
    }

    pub(super) fn as_ptr(&self) -> *mut sys::super_block {
        self.0.get()
    }

    /// The filesystem's per-mount state.
    pub(crate) fn info(&self) -> &T::SbInfo {
        // SAFETY: per the type invariant `s_fs_info` points at a live
        // `T::SbInfo` that outlives every reference to the superblock.
        unsafe { &*(*self.as_ptr()).s_fs_info.cast::<T::SbInfo>() }
    }

    /// The block device the filesystem is on.
    pub(crate) fn bdev(&self) -> &BlockDevice {
        // SAFETY: a mounted block-device superblock has a live, open bdev,
        // for as long as the superblock.
        unsafe { BlockDevice::from_raw(sys::rext2_sb_bdev(self.as_ptr())) }
    }

    /// Reads block `block` through the buffer cache.
    pub(crate) fn bread(&self, block: u64) -> Result<Buffer> {
        // SAFETY: the superblock is live with its block size set (invariant).
        unsafe { Buffer::read(self.as_ptr(), block) }
    }

    /// Block `block` if the buffer cache holds it up to date, without
    /// reading it or sleeping (a lookup for an `IOCB_NOWAIT` request).
    pub(crate) fn cached_block(&self, block: u64) -> Option<Buffer> {
        // SAFETY: the superblock is live with its block size set (invariant).
        unsafe { Buffer::cached(self.as_ptr(), block) }
    }

    /// Gets block `block` zero-filled, without reading it (new metadata).
    pub(crate) fn zeroed_block(&self, block: u64) -> Result<Buffer> {
        // SAFETY: the superblock is live with its block size set (invariant).
        unsafe { Buffer::zeroed(self.as_ptr(), block) }
    }

    /// Writes every dirty inode, page and buffer of the filesystem and
    /// waits (`sync_filesystem`): the VFS leaves this to the filesystem
    /// before a remount.
    pub(crate) fn sync_all(&self) -> Result {
        // SAFETY: a mounted superblock; the caller holds `s_umount` (the
        // remount path does).
        kernel::error::to_result(unsafe { sys::sync_filesystem(self.as_ptr()) })
    }

    /// Whether the filesystem is mounted read-only now.
    pub(crate) fn is_rdonly(&self) -> bool {
        // SAFETY: live superblock.
        unsafe { sys::rext2_sb_rdonly(self.as_ptr()) }
    }

    /// Whether unlinked inodes are still open (to be freed on their last
    /// close): the disk does not record them anywhere yet.
    pub(crate) fn has_orphans(&self) -> bool {
        // SAFETY: live superblock; the count is read atomically.
        unsafe { sys::rext2_sb_has_orphans(self.as_ptr()) }
    }
}

/// A superblock during `fill_super`, before the filesystem's state exists.
pub(crate) struct NewSuperBlock<'a, T: FileSystem> {
    sb: *mut sys::super_block,
    silent: bool,
    _p: PhantomData<(&'a (), T)>,
}

impl<T: FileSystem> NewSuperBlock<'_, T> {
    /// # Safety
    ///
    /// `sb` must be a superblock being set up by `get_tree_bdev` that stays
    /// live and exclusively ours for `'a`.
    pub(super) unsafe fn new(sb: *mut sys::super_block, silent: bool) -> Self {
        Self {
            sb,
            silent,
            _p: PhantomData,
        }
    }

    /// Whether mount errors should be quiet (`SB_SILENT`, e.g. probing).
    pub(crate) fn silent(&self) -> bool {
        self.silent
    }

    /// Sets the block size, at least the device's logical block size.
    pub(crate) fn set_block_size(&self, size: u32) -> Result {
        // SAFETY: `self.sb` is a live superblock being filled (invariant of `new`).
        let ok = unsafe { sys::sb_set_blocksize(self.sb, size as i32) };
        if ok == 0 {
            return Err(EINVAL);
        }
        Ok(())
    }

    /// Sets the smallest usable block size >= `size`; returns it.
    pub(crate) fn set_min_block_size(&self, size: u32) -> Result<u32> {
        // SAFETY: `self.sb` is a live superblock being filled.
        let bs = unsafe { sys::sb_min_blocksize(self.sb, size as i32) };
        if bs <= 0 {
            return Err(EINVAL);
        }
        Ok(bs as u32)
    }

    /// Reads block `block` in the current block size.
    pub(crate) fn bread(&self, block: u64) -> Result<Buffer> {
        // SAFETY: live superblock; every caller sets the block size first
        // (`set_min_block_size`/`set_block_size` are the only ways in).
        unsafe { Buffer::read(self.sb, block) }
    }

    /// Size of the underlying block device in bytes.
    pub(crate) fn device_bytes(&self) -> u64 {
        // SAFETY: a block-device superblock has a live `s_bdev` while mounting.
        unsafe { sys::rext2_bdev_nr_bytes((*self.sb).s_bdev) }
    }

    /// Whether the mount was asked to be read-only.
    pub(crate) fn is_rdonly(&self) -> bool {
        // SAFETY: live superblock.
        unsafe { sys::rext2_sb_rdonly(self.sb) }
    }

    /// Sets the largest file size the VFS will allow.
    pub(crate) fn set_max_bytes(&self, bytes: u64) {
        // SAFETY: live superblock exclusively ours during fill_super.
        unsafe { (*self.sb).s_maxbytes = bytes.min(i64::MAX as u64) as i64 };
    }

    /// Sets the range of representable timestamps.
    pub(crate) fn set_time_range(&self, min: i64, max: i64) {
        // SAFETY: live superblock exclusively ours during fill_super.
        unsafe {
            (*self.sb).s_time_min = min;
            (*self.sb).s_time_max = max;
        }
    }
}
