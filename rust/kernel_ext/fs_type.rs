// SPDX-License-Identifier: GPL-2.0

//! Filesystem registration: `file_system_type` and `fs_context_operations`.
//!
//! A filesystem implements [`FileSystem`]; [`Registration`] registers it
//! with the VFS (fs_context API, `get_tree_bdev`) and owns its inode cache.
//! The `extern "C"` trampolines below (mount, remount, `fill_super`,
//! `kill_sb`) and those of the other C operation tables turn each VFS
//! callback into a call of a safe trait method. [`Tables`] holds the
//! tables, one file per C object they serve:
//!
//! - `super_ops.rs`: `super_operations`;
//! - `inode_ops.rs`: `inode_operations` (directories, regular files,
//!   symlinks, special files);
//! - `file_ops.rs`: `file_operations`;
//! - `aops.rs`: `address_space_operations`, with `direct_IO`;
//! - `export.rs`: `export_operations`.
//!
//! C headers: [`include/linux/fs.h`](srctree/include/linux/fs.h) and
//! [`include/linux/fs_context.h`](srctree/include/linux/fs_context.h)

use super::block_map::Mapping;
use super::dentry::{Dentry, Idmap};
use super::dir::DirEmitter;
use super::fiemap::Fiemap;
use super::inode::{Inode, InodeSlot, NewInode, StatxAttrs};
use super::kiocb::{DioReturn, IovIter, Kiocb};
use super::super_block::{NewSuperBlock, SuperBlock};
use super::sys;
use core::marker::PhantomData;
use core::mem::MaybeUninit;
use core::ptr::null_mut;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::error::from_result;
use kernel::ffi::c_int;
use kernel::prelude::*;
use kernel::sync::aref::ARef;
use kernel::types::Opaque;
use pin_init::PinInit;

/// What `statfs` reports.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Statfs {
    pub(crate) magic: u32,
    pub(crate) block_size: u32,
    pub(crate) blocks: u64,
    pub(crate) bfree: u64,
    pub(crate) bavail: u64,
    pub(crate) files: u64,
    pub(crate) ffree: u64,
    pub(crate) namelen: u32,
    pub(crate) fsid: u64,
}

/// A block filesystem, as the VFS sees it.
pub(crate) trait FileSystem: Sized + 'static {
    /// Name under which the type is registered.
    const NAME: &'static CStr;
    /// `s_magic`.
    const MAGIC: u32;
    /// Inode number of the root directory.
    const ROOT_INO: u64;
    /// Per-mount state.
    type SbInfo: Send + Sync;
    /// Per-inode state, kept next to the VFS inode.
    type InodeInfo: Send + Sync;

    /// Initialises the per-inode state of a freshly allocated inode.
    fn inode_info() -> impl PinInit<Self::InodeInfo>;

    /// Reads and validates the on-disk superblock; returns the mount state.
    fn fill_super(sb: &NewSuperBlock<'_, Self>) -> Result<Self::SbInfo>;
    /// The superblock is set up and has its root: a read-write mount
    /// records itself on disk here.
    fn mounted(sb: &SuperBlock<Self>) -> Result;
    /// Fills in an inode that is not in the inode cache yet.
    fn read_inode(inode: &mut NewInode<Self>) -> Result;
    /// Finds `name` in directory `dir`; returns its inode number.
    fn lookup(dir: &Inode<Self>, name: &[u8]) -> Result<Option<u64>>;
    /// Emits the entries of `dir` from the emitter's position on.
    fn readdir(dir: &Inode<Self>, out: &mut DirEmitter<'_>) -> Result;
    /// Filesystem statistics.
    fn statfs(sb: &SuperBlock<Self>) -> Result<Statfs>;
    /// The target of symlink `inode`.
    fn get_link(inode: &Inode<Self>) -> Result<KVec<u8>>;
    /// Direct I/O (`address_space_operations.direct_IO`): bytes done, or
    /// queued for an asynchronous kiocb.
    fn direct_io<'a>(
        inode: &'a Inode<Self>,
        iocb: Kiocb<'a>,
        iter: &mut IovIter<'_>,
    ) -> DioReturn<'a>;
    /// Maps logical blocks `lblk..lblk + max` (see [`Mapping`]).
    fn map_blocks(inode: &Inode<Self>, lblk: u64, max: u64, create: bool) -> Result<Mapping>;
    /// Reports the extents of bytes `start..start + len` of regular file
    /// `inode` (FIEMAP); called with `i_rwsem` held.
    fn fiemap(inode: &Inode<Self>, extents: &mut Fiemap<'_>, start: u64, len: u64) -> Result;

    /// Writes the in-core inode to its on-disk copy (`write_inode`); with
    /// `sync`, to the disk, with its metadata buffers.
    fn write_inode(inode: &Inode<Self>, sync: bool) -> Result;
    /// Writes what an earlier non-integrity `write_inode` left in the
    /// buffer cache (the inode's table block, its metadata buffers) and
    /// waits (`sync_inode_metadata`); called by fsync's writeback of an
    /// inode marked with [`VfsInode::set_metadata_writeback`].
    ///
    /// [`VfsInode::set_metadata_writeback`]: super::vfs_inode::VfsInode::set_metadata_writeback
    fn sync_inode_metadata(inode: &Inode<Self>) -> Result;
    /// The last reference to `inode` is gone and its page cache is empty;
    /// frees it on disk if it has no links left.
    fn evict_inode(inode: &Inode<Self>);
    /// The inode file handle `ino`/`generation` names (`generation` 0:
    /// any): `ESTALE` if none is in use there (NFS export, handles).
    fn handle_inode(sb: &SuperBlock<Self>, ino: u64, generation: u32) -> Result<ARef<Inode<Self>>>;
    /// `freeze_fs`: the VFS has stopped writers and synced everything;
    /// the disk must now be what a snapshot should contain.
    fn freeze(sb: &SuperBlock<Self>) -> Result;
    /// `unfreeze_fs`: writers resume.
    fn unfreeze(sb: &SuperBlock<Self>) -> Result;
    /// Writes the filesystem's own metadata (`sync_fs`).
    fn sync_fs(sb: &SuperBlock<Self>, wait: bool) -> Result;
    /// Unmount: the last writes (`put_super`).
    fn put_super(sb: &SuperBlock<Self>);
    /// Remount read-only (`rdonly`) or read-write.
    fn remount(sb: &SuperBlock<Self>, rdonly: bool) -> Result;
    /// Creates a regular file, FIFO, socket or device node in `dir`.
    fn create(dir: &Inode<Self>, dentry: &Dentry, idmap: Idmap, mode: u16, rdev: u32) -> Result;
    /// Creates a directory.
    fn mkdir(dir: &Inode<Self>, dentry: &Dentry, idmap: Idmap, mode: u16) -> Result;
    /// Creates a symbolic link to `target`.
    fn symlink(dir: &Inode<Self>, dentry: &Dentry, idmap: Idmap, target: &[u8]) -> Result;
    /// Makes an unnamed regular file of `mode` in `dir` (`O_TMPFILE`), with
    /// one link: opening it drops that to zero, and `linkat` may name it.
    fn tmpfile(dir: &Inode<Self>, idmap: Idmap, mode: u16) -> Result<NewInode<Self>>;
    /// The attribute flags `FS_IOC_GETFLAGS` reports.
    fn get_flags(inode: &Inode<Self>) -> u32;
    /// The `statx` attributes of `inode`.
    fn statx_attributes(inode: &Inode<Self>) -> StatxAttrs;
    /// `FS_IOC_SETFLAGS`: the VFS has checked the caller's rights and
    /// holds `i_rwsem`.
    fn set_flags(inode: &Inode<Self>, flags: u32) -> Result;
    /// Adds a name `dentry` in `dir` for the inode of `old`.
    fn link(old: &Dentry, dir: &Inode<Self>, dentry: &Dentry) -> Result;
    /// Removes a non-directory name.
    fn unlink(dir: &Inode<Self>, dentry: &Dentry) -> Result;
    /// Removes an empty directory.
    fn rmdir(dir: &Inode<Self>, dentry: &Dentry) -> Result;
    /// Renames (`RENAME_NOREPLACE` is the only flag accepted).
    fn rename(
        old_dir: &Inode<Self>,
        old: &Dentry,
        new_dir: &Inode<Self>,
        new: &Dentry,
        flags: u32,
    ) -> Result;
    /// Changes the size of a regular file (truncate up or down); the
    /// caller holds `i_rwsem`.
    fn set_size(inode: &Inode<Self>, size: i64) -> Result;
    /// Frees the blocks past `size` (a failed buffered write).
    fn truncate_blocks(inode: &Inode<Self>, size: i64);
}

/// The inode slab cache of the registered filesystem (one per module).
pub(super) static INODE_CACHE: AtomicPtr<sys::kmem_cache> = AtomicPtr::new(null_mut());

/// The registered `file_system_type`. It must be static: it embeds the
/// lockdep class keys of its superblocks and inodes, and lockdep only
/// accepts keys in static storage.
struct StaticFsType(Opaque<sys::file_system_type>);

// SAFETY: the contents are written once, in `Registration::new`, before the
// type is published by `register_filesystem`; afterwards the VFS owns the
// synchronisation of its fields.
unsafe impl Sync for StaticFsType {}

static FS_TYPE: StaticFsType = StaticFsType(Opaque::zeroed());

/// The C operation tables of filesystem `T`, and their trampolines. The
/// `fs_context` ones are here; each other table has an `impl` block in the
/// file named after the C object it serves (see the module documentation).
pub(super) struct Tables<T>(PhantomData<T>);

impl<T: FileSystem> Tables<T> {
    const FC_OPS_T: sys::fs_context_operations = sys::fs_context_operations {
        get_tree: Some(Self::get_tree),
        reconfigure: Some(Self::reconfigure),
        // SAFETY: an all-zero `fs_context_operations` is a valid table with
        // every other operation absent.
        ..unsafe { MaybeUninit::zeroed().assume_init() }
    };
    const FC_OPS: &'static sys::fs_context_operations = &Self::FC_OPS_T;

    /// `file_system_type.init_fs_context`.
    /// Takes the kernel crate's opaque `fs_context`, which is what
    /// `file_system_type` names; ours is the same C type, fully bound.
    ///
    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn init_fs_context(fc: *mut kernel::bindings::fs_context) -> c_int {
        let fc = fc.cast::<sys::fs_context>();
        // SAFETY: the VFS hands us a live fs_context to set up.
        unsafe { (*fc).ops = Self::FC_OPS };
        0
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn get_tree(fc: *mut sys::fs_context) -> c_int {
        // SAFETY: `fc` is live; `fill_super` has the signature get_tree_bdev wants.
        unsafe { sys::get_tree_bdev(fc, Some(Self::fill_super)) }
    }

    /// Remount: read-only to read-write or back.
    ///
    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn reconfigure(fc: *mut sys::fs_context) -> c_int {
        from_result(|| {
            // SAFETY: `fc` is live during the call; a reconfiguration has
            // the mounted root, hence a live `T` superblock.
            let (flags, sb) = unsafe {
                (
                    (*fc).sb_flags,
                    SuperBlock::<T>::from_raw((*(*fc).root).d_sb),
                )
            };
            let rdonly = flags & sys::REXT2_SB_RDONLY != 0;
            if rdonly != sb.is_rdonly() {
                T::remount(sb, rdonly)?;
            }
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn fill_super(sb: *mut sys::super_block, fc: *mut sys::fs_context) -> c_int {
        from_result(|| {
            // SAFETY: `fc` is live during the call.
            let silent = unsafe { (*fc).sb_flags } & sys::REXT2_SB_SILENT != 0;
            // SAFETY: `sb` is the superblock get_tree_bdev is setting up,
            // exclusively ours during this call.
            let new = unsafe { NewSuperBlock::<T>::new(sb, silent) };
            let info = T::fill_super(&new)?;
            let info = KBox::new(info, GFP_KERNEL)?;
            // SAFETY: `sb` is exclusively ours; ownership of `info` moves
            // to the superblock and is taken back in `kill_sb`.
            unsafe {
                (*sb).s_fs_info = KBox::into_raw(info).cast();
                (*sb).s_op = Self::SOPS;
                (*sb).s_export_op = Self::export_ops();
                (*sb).s_magic = T::MAGIC as usize;
            }
            // SAFETY: block size and `s_fs_info` are now set up, so the
            // superblock satisfies `SuperBlock<T>`'s invariants.
            let ready = unsafe { SuperBlock::<T>::from_raw(sb) };
            let root = Inode::iget(ready, T::ROOT_INO)?;
            // A root that is not a directory mounts only onto a file: the
            // VFS then refuses the mount with ENOTDIR and no word of why.
            if u32::from(root.mode()) & sys::S_IFMT != sys::S_IFDIR {
                pr_err!(
                    "mount refused: root inode {} is not a directory (mode {:o}): run e2fsck\n",
                    T::ROOT_INO,
                    root.mode()
                );
                return Err(EUCLEAN);
            }
            // SAFETY: `d_make_root` consumes the inode reference (it iputs
            // it on failure), so the `ARef` is released into it.
            let dentry = unsafe { sys::d_make_root(ARef::into_raw(root).as_ptr().cast()) };
            if dentry.is_null() {
                return Err(ENOMEM);
            }
            // SAFETY: `sb` is exclusively ours.
            unsafe { (*sb).s_root = dentry };
            // With `s_root` set, a failure from here on unmounts through
            // `put_super`, which undoes what `mounted` did.
            T::mounted(ready)?;
            Ok(0)
        })
    }

    /// `file_system_type.kill_sb`: generic teardown, then our state.
    ///
    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn kill_sb(sb: *mut sys::super_block) {
        // SAFETY: the VFS is done with `sb`; this tears it down.
        unsafe { sys::kill_block_super(sb) };
        // SAFETY: every inode is gone now; `s_fs_info` is either NULL
        // (fill_super failed early) or the box installed by `fill_super`.
        unsafe {
            let info = (*sb).s_fs_info.cast::<T::SbInfo>();
            if !info.is_null() {
                (*sb).s_fs_info = null_mut();
                drop(KBox::from_raw(info));
            }
        }
    }
}

/// A registered filesystem type; unregistered on drop.
pub(crate) struct Registration<T: FileSystem> {
    _p: PhantomData<T>,
}

// SAFETY: the registration is only touched at module init and exit.
unsafe impl<T: FileSystem> Send for Registration<T> {}
// SAFETY: no method gives access to the contents.
unsafe impl<T: FileSystem> Sync for Registration<T> {}

impl<T: FileSystem> Registration<T> {
    /// Creates the inode cache and registers the filesystem type.
    pub(crate) fn new(module: &'static ThisModule) -> Result<Self> {
        let size = core::mem::size_of::<InodeSlot<T>>() as u32;
        let align = core::mem::align_of::<InodeSlot<T>>() as u32;
        // SAFETY: a valid NUL-terminated name and a constructor matching
        // the object size.
        let cache = unsafe {
            sys::rext2_kmem_cache_create(
                c"rext2_inode_cache".as_char_ptr(),
                size,
                align,
                Some(Tables::<T>::init_once),
            )
        };
        if cache.is_null() {
            return Err(ENOMEM);
        }
        INODE_CACHE.store(cache, Ordering::Release);
        let raw = FS_TYPE.0.get();
        // SAFETY: `raw` is the static, still unregistered file_system_type
        // (module init runs once); it is filled before being published.
        let ret = unsafe {
            (*raw).name = T::NAME.as_char_ptr();
            (*raw).owner = module.as_ptr();
            (*raw).fs_flags = sys::FS_REQUIRES_DEV as c_int;
            (*raw).init_fs_context = Some(Tables::<T>::init_fs_context);
            (*raw).kill_sb = Some(Tables::<T>::kill_sb);
            sys::register_filesystem(raw)
        };
        if ret != 0 {
            destroy_cache();
            return Err(Error::from_errno(ret));
        }
        Ok(Self { _p: PhantomData })
    }
}

fn destroy_cache() {
    let cache = INODE_CACHE.swap(null_mut(), Ordering::AcqRel);
    // Freed inodes go back through RCU callbacks: wait for them first.
    kernel::sync::rcu::rcu_barrier();
    // SAFETY: no inode of ours is left (the type is unregistered or never
    // was), so nothing can use the cache any more.
    unsafe { sys::kmem_cache_destroy(cache) };
}

impl<T: FileSystem> Drop for Registration<T> {
    fn drop(&mut self) {
        // SAFETY: registered in `new`; module exit means no mount is left.
        unsafe { sys::unregister_filesystem(FS_TYPE.0.get()) };
        destroy_cache();
    }
}
