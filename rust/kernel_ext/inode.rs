// SPDX-License-Identifier: GPL-2.0

//! Inodes: a live inode of filesystem `T`, a new one being read in, and the
//! slab object that carries the filesystem's per-inode data.

use super::fs_type::{FileSystem, Tables};
use super::super_block::SuperBlock;
use super::sys;
use core::marker::PhantomData;
use core::mem::MaybeUninit;
use core::ptr::NonNull;
use kernel::ffi::c_void;
use kernel::prelude::*;
use kernel::sync::aref::{ARef, AlwaysRefCounted};
use kernel::types::Opaque;

/// The slab object behind every inode of `T`: the filesystem's data next
/// to the VFS inode (allocated and freed by the super_operations
/// trampolines in `fs_type`).
#[repr(C)]
pub(super) struct InodeSlot<T: FileSystem> {
    pub(super) info: MaybeUninit<T::InodeInfo>,
    pub(super) vfs: sys::inode,
}

/// A live inode of filesystem `T`.
///
/// # Invariants
///
/// The wrapped inode is embedded in an `InodeSlot<T>` whose `info` is
/// initialised, and belongs to a superblock of `T` (so `i_sb` satisfies the
/// invariants of [`SuperBlock<T>`]).
#[repr(transparent)]
pub(crate) struct Inode<T: FileSystem>(Opaque<sys::inode>, PhantomData<T>);

// SAFETY: inodes are reference counted by the VFS (ihold/iput), and every
// `Inode<T>` is such a VFS inode.
unsafe impl<T: FileSystem> AlwaysRefCounted for Inode<T> {
    fn inc_ref(&self) {
        // SAFETY: the inode is live, so taking another reference is valid.
        unsafe { sys::ihold(self.as_ptr()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: the caller owns a reference, which it gives back here.
        unsafe { sys::iput(obj.as_ptr().cast()) };
    }
}

// SAFETY: the VFS synchronises inode state; shared access from several
// threads is the normal case, and `T::InodeInfo` is `Sync`.
unsafe impl<T: FileSystem> Sync for Inode<T> {}
// SAFETY: references may be dropped on any thread (iput is thread-safe).
unsafe impl<T: FileSystem> Send for Inode<T> {}

impl<T: FileSystem> Inode<T> {
    /// # Safety
    ///
    /// `inode` must satisfy the type invariants and stay live for `'a`.
    pub(super) unsafe fn from_raw<'a>(inode: *mut sys::inode) -> &'a Self {
        // SAFETY: transparent wrapper; liveness is the caller's promise.
        unsafe { &*inode.cast::<Self>() }
    }

    pub(super) fn as_ptr(&self) -> *mut sys::inode {
        self.0.get()
    }

    pub(super) fn sb_ptr(&self) -> *mut sys::super_block {
        // SAFETY: a live inode has a live `i_sb`.
        unsafe { (*self.as_ptr()).i_sb }
    }

    /// The inode number.
    pub(crate) fn ino(&self) -> u64 {
        // SAFETY: `i_ino` is fixed for a live inode.
        unsafe { (*self.as_ptr()).i_ino }
    }

    /// The superblock this inode belongs to.
    pub(crate) fn sb(&self) -> &SuperBlock<T> {
        // SAFETY: type invariant: `i_sb` is a superblock of `T`, live as
        // long as this inode is.
        unsafe { SuperBlock::from_raw(self.sb_ptr()) }
    }

    /// The filesystem's per-inode data.
    pub(crate) fn info(&self) -> &T::InodeInfo {
        // SAFETY: type invariant: the inode sits in an `InodeSlot<T>` whose
        // `info` is initialised; it lives as long as the inode.
        unsafe {
            let slot = kernel::container_of!(self.as_ptr(), InodeSlot<T>, vfs);
            (*slot).info.assume_init_ref()
        }
    }

    /// `i_size`.
    pub(crate) fn size(&self) -> i64 {
        // SAFETY: `i_size_read` is the synchronised way to read `i_size`.
        unsafe { sys::rext2_i_size_read(self.as_ptr()) }
    }

    /// log2 of the filesystem block size.
    pub(crate) fn block_bits(&self) -> u32 {
        // SAFETY: `i_blkbits` is set at inode creation and not changed.
        u32::from(unsafe { (*self.as_ptr()).i_blkbits })
    }

    /// Takes `i_rwsem` exclusively until the guard is dropped.
    pub(crate) fn lock(&self) -> InodeLock<'_, T> {
        // SAFETY: a live inode; the guard unlocks exactly once.
        unsafe { sys::rext2_inode_lock(self.as_ptr()) };
        InodeLock { inode: self }
    }

    /// Counts a direct I/O in flight (`inode_dio_begin`) until the guard
    /// is dropped (`inode_dio_end`), so truncate can wait for it.
    pub(crate) fn dio_begin(&self) -> DioInFlight<'_, T> {
        // SAFETY: a live inode; the guard ends it exactly once.
        unsafe { sys::rext2_inode_dio_begin(self.as_ptr()) };
        DioInFlight { inode: self }
    }

    /// Writes back and waits on the page cache of bytes `start..=end`.
    pub(crate) fn write_and_wait(&self, start: i64, end: i64) -> Result {
        // SAFETY: a live inode has a live `i_mapping`.
        let r =
            unsafe { sys::filemap_write_and_wait_range((*self.as_ptr()).i_mapping, start, end) };
        kernel::error::to_result(r)
    }

    /// Looks up inode `ino`, reading it with `T::read_inode` if it is not
    /// in the inode cache yet.
    pub(crate) fn iget(sb: &SuperBlock<T>, ino: u64) -> Result<ARef<Self>> {
        // SAFETY: `sb` is live; `iget_locked` returns a referenced inode or NULL.
        let raw = unsafe { sys::iget_locked(sb.as_ptr(), ino) };
        let raw = NonNull::new(raw).ok_or(ENOMEM)?;
        // SAFETY: `raw` is a live inode we hold a reference to.
        if !unsafe { sys::rext2_inode_is_new(raw.as_ptr()) } {
            // SAFETY: an inode past I_NEW of a `T` superblock was set up by
            // `read_inode` below, so it satisfies the invariants; the
            // reference `iget_locked` took is handed to the `ARef`.
            return Ok(unsafe { ARef::from_raw(raw.cast()) });
        }
        let mut new = NewInode::<T> {
            inode: raw,
            _p: PhantomData,
        };
        T::read_inode(&mut new)?;
        Ok(new.finish())
    }
}

/// A `'static` operation table as the untyped pointer the shims take.
fn table<U>(t: &'static U) -> *const c_void {
    core::ptr::from_ref(t).cast()
}

/// What kind of object an inode is, which picks its operation tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum InodeKind {
    Regular,
    Directory,
    Symlink,
    /// A device (with its `dev_t`), FIFO or socket.
    Special {
        rdev: u32,
    },
}

/// Attributes of an inode read from disk.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Attrs {
    pub(crate) mode: u16,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    pub(crate) nlink: u32,
    pub(crate) size: i64,
    pub(crate) atime: i64,
    pub(crate) mtime: i64,
    pub(crate) ctime: i64,
    /// 512-byte sectors.
    pub(crate) blocks: u64,
    pub(crate) generation: u32,
}

/// An inode returned by `iget_locked` in state `I_NEW`: only we can see
/// it until [`NewInode::finish`]. Dropping it unfinished marks it bad and
/// releases it (`iget_failed`), so an error path cannot leak it.
pub(crate) struct NewInode<T: FileSystem> {
    inode: NonNull<sys::inode>,
    _p: PhantomData<T>,
}

impl<T: FileSystem> NewInode<T> {
    /// The inode number being read.
    pub(crate) fn ino(&self) -> u64 {
        // SAFETY: `i_ino` is set by `iget_locked`.
        unsafe { (*self.inode.as_ptr()).i_ino }
    }

    /// The superblock.
    pub(crate) fn sb(&self) -> &SuperBlock<T> {
        // SAFETY: the inode was created on a `T` superblock that has its
        // `s_fs_info` installed (inodes are only read after that).
        unsafe { SuperBlock::from_raw((*self.inode.as_ptr()).i_sb) }
    }

    /// The per-inode data, for filling in.
    pub(crate) fn info_mut(&mut self) -> &mut T::InodeInfo {
        // SAFETY: the slot's `info` was initialised by `alloc_inode`; the
        // inode is `I_NEW`, so nobody else accesses it until `finish`, and
        // `&mut self` makes this borrow unique.
        unsafe {
            let slot = kernel::container_of!(self.inode.as_ptr(), InodeSlot<T>, vfs);
            (*slot).info.assume_init_mut()
        }
    }

    /// Sets mode, ownership, link count, size, times and block count.
    pub(crate) fn set_attrs(&mut self, a: &Attrs) {
        let i = self.inode.as_ptr();
        // SAFETY: the inode is `I_NEW` and exclusively ours; these are the
        // standard setters for its fields.
        unsafe {
            (*i).i_mode = a.mode;
            sys::rext2_i_uid_write(i, a.uid);
            sys::rext2_i_gid_write(i, a.gid);
            sys::set_nlink(i, a.nlink);
            sys::rext2_i_size_write(i, a.size);
            sys::rext2_inode_set_times(i, a.atime, a.mtime, a.ctime);
            (*i).i_blocks = a.blocks;
            (*i).i_generation = a.generation;
        }
    }

    /// Installs the operation tables for `kind`.
    pub(crate) fn set_kind(&mut self, kind: InodeKind) {
        let i = self.inode.as_ptr();
        // SAFETY: the inode is exclusively ours; the tables are `'static`.
        unsafe {
            match kind {
                InodeKind::Regular => sys::rext2_inode_set_ops_reg(
                    i,
                    table(Tables::<T>::REG_IOPS),
                    table(Tables::<T>::REG_FOPS),
                    table(Tables::<T>::AOPS),
                ),
                InodeKind::Directory => {
                    sys::rext2_inode_set_iop(i, table(Tables::<T>::DIR_IOPS));
                    sys::rext2_inode_set_fop(i, table(Tables::<T>::DIR_FOPS));
                }
                InodeKind::Symlink => {
                    sys::rext2_inode_set_iop(i, table(Tables::<T>::LINK_IOPS));
                }
                InodeKind::Special { rdev } => {
                    sys::rext2_inode_set_iop(i, table(Tables::<T>::REG_IOPS));
                    sys::init_special_inode(i, (*i).i_mode, rdev);
                }
            }
        }
    }

    fn finish(self) -> ARef<Inode<T>> {
        let raw = self.inode;
        core::mem::forget(self);
        // SAFETY: the inode is fully set up; unlocking publishes it.
        unsafe { sys::unlock_new_inode(raw.as_ptr()) };
        // SAFETY: the inode now satisfies `Inode<T>`'s invariants, and the
        // reference taken by `iget_locked` moves into the `ARef`.
        unsafe { ARef::from_raw(raw.cast()) }
    }
}

impl<T: FileSystem> Drop for NewInode<T> {
    fn drop(&mut self) {
        // SAFETY: an unfinished `I_NEW` inode we hold a reference to:
        // `iget_failed` marks it bad, unlocks it and drops that reference.
        unsafe { sys::iget_failed(self.inode.as_ptr()) };
    }
}

/// `i_rwsem` held exclusively; released on drop.
pub(crate) struct InodeLock<'a, T: FileSystem> {
    inode: &'a Inode<T>,
}

impl<T: FileSystem> Drop for InodeLock<'_, T> {
    fn drop(&mut self) {
        // SAFETY: taken in `Inode::lock`, released once here.
        unsafe { sys::rext2_inode_unlock(self.inode.as_ptr()) };
    }
}

/// A direct I/O counted in `i_dio_count`; ended on drop.
pub(crate) struct DioInFlight<'a, T: FileSystem> {
    inode: &'a Inode<T>,
}

impl<T: FileSystem> Drop for DioInFlight<'_, T> {
    fn drop(&mut self) {
        // SAFETY: begun in `Inode::dio_begin`, ended once here.
        unsafe { sys::rext2_inode_dio_end(self.inode.as_ptr()) };
    }
}
