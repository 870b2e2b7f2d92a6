// SPDX-License-Identifier: GPL-2.0

//! Inodes: a live inode of filesystem `T`, a new one being read in, and the
//! slab object that carries the filesystem's per-inode data.

use super::buffer::Buffer;
use super::dentry::{Dentry, Idmap};
use super::fs_type::{FileSystem, Tables};
use super::super_block::SuperBlock;
use super::sys;
use super::vfs_inode::VfsInode;
use core::marker::PhantomData;
use core::mem::MaybeUninit;
use core::ops::Deref;
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
    /// Dirty metadata buffers (indirect blocks, directory blocks) that an
    /// fsync of this inode must write (`mmb_*`).
    pub(super) mmb: sys::mapping_metadata_bhs,
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

impl<T: FileSystem> Deref for Inode<T> {
    type Target = VfsInode;

    /// The inode as the direct-I/O engine and the VFS helpers see it.
    fn deref(&self) -> &VfsInode {
        // SAFETY: a live inode (type invariant), for the borrow.
        unsafe { VfsInode::from_raw(self.as_ptr()) }
    }
}

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

    fn slot(&self) -> *mut InodeSlot<T> {
        // SAFETY: type invariant: the inode is the `vfs` field of an
        // `InodeSlot<T>`, so stepping back to the slot stays in the object.
        unsafe { kernel::container_of!(self.as_ptr(), InodeSlot<T>, vfs) }
    }

    /// `i_mode`.
    pub(crate) fn mode(&self) -> u16 {
        // SAFETY: reading a field of a live inode; the VFS changes the mode
        // only under the inode lock, and a torn read is impossible for u16.
        unsafe { (*self.as_ptr()).i_mode }
    }

    /// Owner and group, in the initial user namespace.
    pub(crate) fn owner(&self) -> (u32, u32) {
        // SAFETY: a live inode; the shims read the kuid/kgid fields.
        unsafe {
            (
                sys::rext2_i_uid_read(self.as_ptr()),
                sys::rext2_i_gid_read(self.as_ptr()),
            )
        }
    }

    /// Access, modification and change times (seconds).
    pub(crate) fn times(&self) -> (i64, i64, i64) {
        let (mut a, mut m, mut c) = (0, 0, 0);
        // SAFETY: a live inode; the shim reads the three times.
        unsafe { sys::rext2_inode_get_times(self.as_ptr(), &mut a, &mut m, &mut c) };
        (a, m, c)
    }

    /// The link count.
    pub(crate) fn nlink(&self) -> u32 {
        // SAFETY: a live inode.
        unsafe { sys::rext2_inode_nlink(self.as_ptr()) }
    }

    /// Adds a link (`inc_nlink`) and marks the inode dirty.
    pub(crate) fn inc_nlink(&self) {
        // SAFETY: a live inode; callers hold the locks the VFS requires for
        // link-count changes (the parent directory's `i_rwsem`).
        unsafe { sys::inc_nlink(self.as_ptr()) };
        self.mark_dirty();
    }

    /// Drops a link (`drop_nlink`) and marks the inode dirty.
    pub(crate) fn drop_nlink(&self) {
        if self.nlink() == 0 {
            return;
        }
        // SAFETY: as for `inc_nlink`; the count is above zero.
        unsafe { sys::drop_nlink(self.as_ptr()) };
        self.mark_dirty();
    }

    /// Sets the link count to zero (a removed directory).
    pub(crate) fn clear_nlink(&self) {
        // SAFETY: as for `inc_nlink`.
        unsafe { sys::clear_nlink(self.as_ptr()) };
        self.mark_dirty();
    }

    /// `i_blocks`: 512-byte sectors in use, metadata included.
    pub(crate) fn sectors(&self) -> u64 {
        // SAFETY: a live inode; `i_blocks` changes under `i_lock` and is
        // read as one word.
        unsafe { (*self.as_ptr()).i_blocks }
    }

    /// Accounts `bytes` more (`add`) or fewer bytes of disk blocks.
    pub(crate) fn account_bytes(&self, bytes: u64, add: bool) {
        // SAFETY: a live inode; the helpers take `i_lock`.
        unsafe {
            if add {
                sys::inode_add_bytes(self.as_ptr(), bytes as i64);
            } else {
                sys::inode_sub_bytes(self.as_ptr(), bytes as i64);
            }
        }
    }

    /// `i_generation`.
    pub(crate) fn generation(&self) -> u32 {
        // SAFETY: a live inode; the generation is fixed after creation.
        unsafe { (*self.as_ptr()).i_generation }
    }

    /// The device number of a device inode.
    pub(crate) fn rdev(&self) -> u32 {
        // SAFETY: a live inode; `i_rdev` is fixed after creation.
        unsafe { (*self.as_ptr()).i_rdev }
    }

    /// Marks the inode dirty, so `write_inode` will write it.
    pub(crate) fn mark_dirty(&self) {
        // SAFETY: a live inode.
        unsafe { sys::rext2_mark_inode_dirty(self.as_ptr()) };
    }

    /// Sets the modification and change times to now.
    pub(crate) fn touch_mtime_ctime(&self) {
        // SAFETY: a live inode.
        unsafe { sys::rext2_inode_touch_mc(self.as_ptr()) };
    }

    /// Sets the flags the VFS enforces (`S_IMMUTABLE`, `S_APPEND`, ...).
    pub(crate) fn set_vfs_flags(&self, f: VfsFlags) {
        let flag = |on: bool, bit: u32| if on { bit } else { 0 };
        let flags = flag(f.sync, sys::S_SYNC)
            | flag(f.append, sys::S_APPEND)
            | flag(f.immutable, sys::S_IMMUTABLE)
            | flag(f.noatime, sys::S_NOATIME)
            | flag(f.dirsync, sys::S_DIRSYNC);
        let mask = sys::S_SYNC | sys::S_APPEND | sys::S_IMMUTABLE | sys::S_NOATIME | sys::S_DIRSYNC;
        // SAFETY: a live inode; `inode_set_flags` updates `i_flags` with an
        // atomic read-modify-write, so it needs no lock.
        unsafe { sys::inode_set_flags(self.as_ptr(), flags, mask) };
    }

    /// Sets the change time to now.
    pub(crate) fn touch_ctime(&self) {
        // SAFETY: a live inode.
        unsafe { sys::rext2_inode_touch_c(self.as_ptr()) };
    }

    /// Sets `i_size` (callers hold `i_rwsem` or own a new inode).
    pub(crate) fn set_size(&self, size: i64) {
        // SAFETY: a live inode; `i_size_write` is the synchronised setter.
        unsafe { sys::rext2_i_size_write(self.as_ptr(), size) };
    }

    /// Whether the inode was marked bad (read or creation failed).
    pub(crate) fn is_bad(&self) -> bool {
        // SAFETY: a live inode.
        unsafe { sys::is_bad_inode(self.as_ptr()) }
    }

    /// Whether directory operations on this inode must be synchronous
    /// (`dirsync` mount option or `+D` attribute).
    pub(crate) fn dir_sync(&self) -> bool {
        // SAFETY: a live inode.
        unsafe { sys::rext2_dir_sync(self.as_ptr()) }
    }

    /// Ties dirty metadata buffer `buf` (an indirect or directory block of
    /// this inode) to the inode, so fsync writes it, and marks it dirty.
    pub(crate) fn mark_buffer_dirty(&self, buf: &Buffer) {
        // SAFETY: the slot's `mmb` was set up in `alloc_inode`; `buf` is a
        // referenced buffer of this inode's device.
        unsafe { sys::mmb_mark_buffer_dirty(buf.as_ptr(), &raw mut (*self.slot()).mmb) };
    }

    /// Whether metadata buffers tied to the inode may still be unwritten
    /// (the list `sync_buffers` walks is not empty).
    pub(crate) fn has_tied_buffers(&self) -> bool {
        // SAFETY: as for `mark_buffer_dirty`.
        unsafe { sys::mmb_has_buffers(&raw mut (*self.slot()).mmb) }
    }

    /// Writes the metadata buffers tied to the inode and waits.
    pub(crate) fn sync_buffers(&self) -> Result {
        // SAFETY: as for `mark_buffer_dirty`.
        kernel::error::to_result(unsafe { sys::mmb_sync(&raw mut (*self.slot()).mmb) })
    }

    /// Writes the inode (and its metadata buffers) now and waits.
    pub(crate) fn sync_metadata(&self) -> Result {
        // SAFETY: a live inode we hold a reference to.
        kernel::error::to_result(unsafe { sys::sync_inode_metadata(self.as_ptr(), 1) })
    }

    /// Waits for direct I/O in flight (`inode_dio_wait`).
    pub(crate) fn dio_wait(&self) {
        // SAFETY: a live inode.
        unsafe { sys::inode_dio_wait(self.as_ptr()) };
    }

    /// Zeroes the part of the block that holds byte `from` that lies past
    /// `from` (`block_truncate_page`), before a truncate to `from`.
    pub(crate) fn zero_tail_block(&self, from: i64) -> Result {
        // SAFETY: a live regular inode; `get_block::<T>` is a valid
        // `get_block_t` for it.
        let r = unsafe {
            sys::block_truncate_page(
                sys::rext2_inode_mapping(self.as_ptr()),
                from,
                Some(super::block_map::get_block::<T>),
            )
        };
        kernel::error::to_result(r)
    }

    /// Drops the page cache past `size` (`truncate_pagecache`).
    pub(crate) fn truncate_pagecache(&self, size: i64) {
        // SAFETY: a live inode; callers hold `i_rwsem`.
        unsafe { sys::truncate_pagecache(self.as_ptr(), size) };
    }

    /// Sets `i_size` to `size` and drops the page cache past it
    /// (`truncate_setsize`).
    pub(crate) fn truncate_setsize(&self, size: i64) {
        // SAFETY: a live inode; callers hold `i_rwsem`.
        unsafe { sys::truncate_setsize(self.as_ptr(), size) };
    }

    /// `i_size`.
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
            created: false,
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
    /// Made by [`NewInode::create`] rather than read by `iget`.
    created: bool,
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

    /// The inode, for the operations that work on any live inode.
    pub(crate) fn inode(&self) -> &Inode<T> {
        // SAFETY: the inode sits in an `InodeSlot<T>` with `info`
        // initialised (by `alloc_inode`) on a `T` superblock.
        unsafe { Inode::from_raw(self.inode.as_ptr()) }
    }

    /// Allocates a new in-core inode numbered `ino` (already reserved on
    /// disk by the caller) in directory `dir` with `mode`, owned as
    /// `inode_init_owner` decides, and hashes it (`I_NEW`). Dropped
    /// unfinished, it is discarded with no links, so evicting it frees
    /// whatever the filesystem gave it, `ino` included.
    pub(crate) fn create(dir: &Inode<T>, idmap: Idmap, mode: u16, ino: u64) -> Result<Self> {
        // SAFETY: `dir` is live, so its superblock is.
        let raw = unsafe { sys::new_inode(dir.sb_ptr()) };
        let raw = NonNull::new(raw).ok_or(ENOMEM)?;
        // SAFETY: `raw` is a new inode only we know; set its number and
        // owner, then hash it (which makes it `I_NEW`).
        let r = unsafe {
            (*raw.as_ptr()).i_ino = ino;
            sys::inode_init_owner(idmap.0, raw.as_ptr(), dir.as_ptr(), mode);
            sys::rext2_inode_touch_all(raw.as_ptr());
            sys::insert_inode_locked(raw.as_ptr())
        };
        if r < 0 {
            // SAFETY: not hashed, not `I_NEW`: a plain reference to drop.
            // Marked bad so eviction leaves the on-disk inode alone.
            unsafe {
                sys::make_bad_inode(raw.as_ptr());
                sys::iput(raw.as_ptr());
            }
            return Err(EIO);
        }
        Ok(Self {
            inode: raw,
            created: true,
            _p: PhantomData,
        })
    }

    /// Sets `i_generation` (at creation).
    pub(crate) fn set_generation(&mut self, generation: u32) {
        // SAFETY: the inode is `I_NEW` and exclusively ours.
        unsafe { (*self.inode.as_ptr()).i_generation = generation };
    }

    /// Sets `i_rdev` (devices, at creation).
    pub(crate) fn set_rdev(&mut self, rdev: u32) {
        // SAFETY: the inode is `I_NEW` and exclusively ours.
        unsafe { (*self.inode.as_ptr()).i_rdev = rdev };
    }

    /// Sets the link count (at creation: 2 for a directory).
    pub(crate) fn set_nlink(&mut self, n: u32) {
        // SAFETY: the inode is `I_NEW` and exclusively ours.
        unsafe { sys::set_nlink(self.inode.as_ptr(), n) };
    }

    /// Publishes the new inode under `dentry` (`d_instantiate_new`).
    pub(crate) fn instantiate(self, dentry: &Dentry) {
        let raw = self.inode;
        core::mem::forget(self);
        // SAFETY: a fully set up `I_NEW` inode; `d_instantiate_new` takes
        // over our reference and unlocks it.
        unsafe { sys::d_instantiate_new(dentry.as_ptr(), raw.as_ptr()) };
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
                    sys::rext2_inode_set_iop(i, table(Tables::<T>::SPECIAL_IOPS));
                    sys::init_special_inode(i, (*i).i_mode, rdev);
                }
            }
        }
    }

    /// Opens the new inode as the unnamed file of an `O_TMPFILE` open:
    /// `d_tmpfile` drops its link count to zero and gives it the file's
    /// dentry, then the inode is published and the file opened.
    ///
    /// # Safety
    ///
    /// `file` is the file that the VFS passed to `inode_operations.tmpfile`,
    /// not opened yet, and the inode has one link.
    pub(crate) unsafe fn open_tmpfile(self, file: *mut sys::file) -> Result {
        let raw = self.inode;
        core::mem::forget(self);
        // SAFETY: per the contract, `file` is the tmpfile being opened with
        // its unhashed dentry; the inode is fully set up and `I_NEW`, and
        // the dentry takes over our reference.
        kernel::error::to_result(unsafe { sys::rext2_open_tmpfile(file, raw.as_ptr()) })
    }

    pub(crate) fn finish(self) -> ARef<Inode<T>> {
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
        let i = self.inode.as_ptr();
        if self.created {
            // SAFETY: an unfinished created inode we hold a reference to:
            // with no links, `discard_new_inode` unlocks it and drops the
            // reference, and eviction frees it on disk.
            unsafe {
                sys::clear_nlink(i);
                sys::discard_new_inode(i);
            }
        } else {
            // SAFETY: an unfinished `I_NEW` inode we hold a reference to:
            // `iget_failed` marks it bad, unlocks it and drops that reference.
            unsafe { sys::iget_failed(i) };
        }
    }
}

/// The inode flags the VFS itself enforces, each set or clear.
#[derive(Clone, Copy, Default)]
pub(crate) struct VfsFlags {
    /// `S_SYNC`: writes are synchronous.
    pub(crate) sync: bool,
    /// `S_APPEND`: append-only.
    pub(crate) append: bool,
    /// `S_IMMUTABLE`: no change at all.
    pub(crate) immutable: bool,
    /// `S_NOATIME`: access times are not updated.
    pub(crate) noatime: bool,
    /// `S_DIRSYNC`: directory changes are synchronous.
    pub(crate) dirsync: bool,
}

/// The `statx` attributes of an inode (`STATX_ATTR_*`), each set or
/// clear. A filesystem that reports them supports all five: statx tells
/// the caller so through `attributes_mask`.
#[derive(Clone, Copy, Default)]
pub(crate) struct StatxAttrs {
    /// `STATX_ATTR_APPEND`: append-only.
    pub(crate) append: bool,
    /// `STATX_ATTR_COMPRESSED`: compressed by the filesystem.
    pub(crate) compressed: bool,
    /// `STATX_ATTR_ENCRYPTED`: encrypted by the filesystem.
    pub(crate) encrypted: bool,
    /// `STATX_ATTR_IMMUTABLE`: no change at all.
    pub(crate) immutable: bool,
    /// `STATX_ATTR_NODUMP`: not to be backed up.
    pub(crate) nodump: bool,
}

impl StatxAttrs {
    /// The attributes whose bits can be trusted (`attributes_mask`).
    pub(crate) const SUPPORTED: u64 = (sys::STATX_ATTR_APPEND
        | sys::STATX_ATTR_COMPRESSED
        | sys::STATX_ATTR_ENCRYPTED
        | sys::STATX_ATTR_IMMUTABLE
        | sys::STATX_ATTR_NODUMP) as u64;

    /// The attributes set (`attributes`).
    pub(crate) fn bits(self) -> u64 {
        let flag = |on: bool, bit: u32| if on { u64::from(bit) } else { 0 };
        flag(self.append, sys::STATX_ATTR_APPEND)
            | flag(self.compressed, sys::STATX_ATTR_COMPRESSED)
            | flag(self.encrypted, sys::STATX_ATTR_ENCRYPTED)
            | flag(self.immutable, sys::STATX_ATTR_IMMUTABLE)
            | flag(self.nodump, sys::STATX_ATTR_NODUMP)
    }
}
