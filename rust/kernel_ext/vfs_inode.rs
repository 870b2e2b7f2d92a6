// SPDX-License-Identifier: GPL-2.0

//! An inode of any filesystem, seen only through what the direct-I/O engine
//! needs of `struct inode`: its size, block size, locks and direct-I/O
//! count. The engine serves rext2's own inodes ([`super::inode::Inode`]
//! derefs to this) and those of C filesystems that call its exported
//! `__blockdev_direct_IO` (jfs, vfat, ...), so it cannot know the inode's
//! filesystem-private data and never touches it.

use super::sys;
use kernel::sync::atomic::{Acquire, Atomic};
use kernel::types::Opaque;

/// A live VFS inode, of whatever filesystem.
///
/// # Invariants
///
/// The wrapped `struct inode` is live (its superblock too) for as long as
/// the reference to this wrapper is.
#[repr(transparent)]
pub(crate) struct VfsInode(Opaque<sys::inode>);

// SAFETY: the VFS synchronises inode state; the methods here use only the
// synchronised accessors (`i_size_read`, the rwsem, the atomic dio count).
unsafe impl Sync for VfsInode {}
// SAFETY: as above; nothing here is tied to a thread.
unsafe impl Send for VfsInode {}

impl VfsInode {
    /// # Safety
    ///
    /// `inode` must be live for `'a`.
    pub(super) unsafe fn from_raw<'a>(inode: *mut sys::inode) -> &'a Self {
        // SAFETY: transparent wrapper; liveness is the caller's promise.
        unsafe { &*inode.cast::<Self>() }
    }

    pub(super) fn as_ptr(&self) -> *mut sys::inode {
        self.0.get()
    }

    pub(super) fn sb_ptr(&self) -> *mut sys::super_block {
        // SAFETY: a live inode has a live `i_sb` (type invariant).
        unsafe { (*self.as_ptr()).i_sb }
    }

    /// The inode number.
    pub(crate) fn ino(&self) -> u64 {
        // SAFETY: `i_ino` is fixed for a live inode.
        unsafe { (*self.as_ptr()).i_ino }
    }

    /// `i_size`.
    pub(crate) fn size(&self) -> i64 {
        // SAFETY: a live inode's `i_size` is aligned; on 64-bit kernels
        // `i_size_read` is this load, with acquire ordering against
        // `i_size_write`'s release.
        #[cfg(target_pointer_width = "64")]
        return unsafe { Atomic::from_ptr(&raw mut (*self.as_ptr()).i_size) }.load(Acquire);
        // SAFETY: `i_size_read` is the synchronised way to read `i_size`.
        #[cfg(not(target_pointer_width = "64"))]
        return unsafe { sys::rext2_i_size_read(self.as_ptr()) };
    }

    /// log2 of the filesystem block size.
    pub(crate) fn block_bits(&self) -> u32 {
        // SAFETY: `i_blkbits` is set at inode creation and not changed
        // while the inode is open.
        u32::from(unsafe { (*self.as_ptr()).i_blkbits })
    }

    /// Whether fdatasync would have to write the inode (dirty for data
    /// sync, or its metadata under writeback), as `simple_fsync` decides.
    pub(crate) fn datasync_dirty(&self) -> bool {
        // SAFETY: a live inode; its state is read once, without a lock.
        unsafe { sys::rext2_inode_datasync_dirty(self.as_ptr()) }
    }

    /// Records that the inode's metadata was handed to the buffer cache by
    /// a non-integrity `write_inode` and may not be on disk yet
    /// (`set_inode_metadata_writeback`): the next fsync or fdatasync then
    /// calls `sync_inode_metadata` although the inode is no longer dirty.
    pub(crate) fn set_metadata_writeback(&self) {
        // SAFETY: a live inode; the helper takes `i_lock` itself.
        unsafe { sys::rext2_set_inode_metadata_writeback(self.as_ptr()) }
    }

    /// Takes `i_rwsem` exclusively until the guard is dropped.
    pub(crate) fn lock(&self) -> VfsInodeLock<'_> {
        // SAFETY: a live inode; the guard unlocks exactly once.
        unsafe { sys::rext2_inode_lock(self.as_ptr()) };
        VfsInodeLock { inode: self }
    }

    /// Takes `i_rwsem` shared until the guard is dropped.
    pub(crate) fn lock_shared(&self) -> VfsInodeLockShared<'_> {
        // SAFETY: a live inode; the guard unlocks exactly once.
        unsafe { sys::rext2_inode_lock_shared(self.as_ptr()) };
        VfsInodeLockShared { inode: self }
    }

    /// Takes `i_rwsem` shared if it is free for that now, without waiting.
    pub(crate) fn try_lock_shared(&self) -> Option<VfsInodeLockShared<'_>> {
        // SAFETY: a live inode; on success the guard unlocks exactly once.
        let locked = unsafe { sys::rext2_inode_trylock_shared(self.as_ptr()) };
        // Lazily: a guard made for a failed attempt would unlock on drop.
        locked.then(|| VfsInodeLockShared { inode: self })
    }

    /// Counts a direct I/O in flight (`inode_dio_begin`) until the guard
    /// is dropped or handed to an asynchronous kiocb, so that truncate
    /// (`inode_dio_wait`) waits for it.
    pub(crate) fn dio_begin(&self) -> DioInFlight<'_> {
        // SAFETY: a live inode; the guard ends it exactly once.
        unsafe { sys::rext2_inode_dio_begin(self.as_ptr()) };
        DioInFlight { inode: self }
    }
}

/// `i_rwsem` held exclusively; released on drop.
pub(crate) struct VfsInodeLock<'a> {
    inode: &'a VfsInode,
}

impl Drop for VfsInodeLock<'_> {
    fn drop(&mut self) {
        // SAFETY: taken in `VfsInode::lock`, released once here.
        unsafe { sys::rext2_inode_unlock(self.inode.as_ptr()) };
    }
}

/// `i_rwsem` held shared; released on drop.
pub(crate) struct VfsInodeLockShared<'a> {
    inode: &'a VfsInode,
}

impl Drop for VfsInodeLockShared<'_> {
    fn drop(&mut self) {
        // SAFETY: taken in `VfsInode::lock_shared`, released once here.
        unsafe { sys::rext2_inode_unlock_shared(self.inode.as_ptr()) };
    }
}

/// A direct I/O counted in `i_dio_count`.
///
/// # Invariants
///
/// Holds one count of `inode`'s `i_dio_count`, ended exactly once: on
/// drop, or by the asynchronous kiocb it was handed to.
pub(crate) struct DioInFlight<'a> {
    inode: &'a VfsInode,
}

impl<'a> DioInFlight<'a> {
    /// The inode.
    pub(crate) fn inode(&self) -> &'a VfsInode {
        self.inode
    }

    /// Gives up the guard without ending the count: the caller (an
    /// asynchronous kiocb on this inode) ends it.
    pub(super) fn into_raw(self) -> *mut sys::inode {
        let p = self.inode.as_ptr();
        core::mem::forget(self);
        p
    }
}

impl Drop for DioInFlight<'_> {
    fn drop(&mut self) {
        // SAFETY: begun in `VfsInode::dio_begin`, ended once here (type
        // invariant).
        unsafe { sys::rext2_inode_dio_end(self.inode.as_ptr()) };
    }
}
