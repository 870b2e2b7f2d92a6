// SPDX-License-Identifier: GPL-2.0

//! Filesystem registration and the C operation tables.
//!
//! A filesystem implements [`FileSystem`]; [`Registration`] registers it
//! with the VFS (fs_context API, `get_tree_bdev`) and owns its inode cache.
//! The `extern "C"` trampolines below turn each VFS callback into a call of
//! a safe trait method.

use super::block_map::{get_block, Mapping};
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
use kernel::ffi::{c_int, c_long, c_uint, c_void};
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
static INODE_CACHE: AtomicPtr<sys::kmem_cache> = AtomicPtr::new(null_mut());

/// The registered `file_system_type`. It must be static: it embeds the
/// lockdep class keys of its superblocks and inodes, and lockdep only
/// accepts keys in static storage.
struct StaticFsType(Opaque<sys::file_system_type>);

// SAFETY: the contents are written once, in `Registration::new`, before the
// type is published by `register_filesystem`; afterwards the VFS owns the
// synchronisation of its fields.
unsafe impl Sync for StaticFsType {}

static FS_TYPE: StaticFsType = StaticFsType(Opaque::zeroed());

/// The C operation tables of filesystem `T`.
pub(super) struct Tables<T>(PhantomData<T>);

impl<T: FileSystem> Tables<T> {
    const SOPS_T: sys::super_operations = sys::super_operations {
        alloc_inode: Some(Self::alloc_inode),
        free_inode: Some(Self::free_inode),
        write_inode: Some(Self::write_inode),
        evict_inode: Some(Self::evict_inode),
        put_super: Some(Self::put_super),
        sync_fs: Some(Self::sync_fs),
        freeze_fs: Some(Self::freeze_fs),
        unfreeze_fs: Some(Self::unfreeze_fs),
        statfs: Some(Self::statfs),
        ..pin_init::zeroed()
    };
    const DIR_IOPS_T: sys::inode_operations = sys::inode_operations {
        lookup: Some(Self::lookup),
        create: Some(Self::create),
        link: Some(Self::link),
        unlink: Some(Self::unlink),
        symlink: Some(Self::symlink),
        mkdir: Some(Self::mkdir),
        rmdir: Some(Self::rmdir),
        mknod: Some(Self::mknod),
        rename: Some(Self::rename),
        tmpfile: Some(Self::tmpfile),
        setattr: Some(Self::setattr),
        getattr: Some(Self::getattr),
        fileattr_get: Some(Self::fileattr_get),
        fileattr_set: Some(Self::fileattr_set),
        ..pin_init::zeroed()
    };
    const REG_IOPS_T: sys::inode_operations = sys::inode_operations {
        setattr: Some(Self::setattr),
        getattr: Some(Self::getattr),
        fiemap: Some(Self::fiemap),
        fileattr_get: Some(Self::fileattr_get),
        fileattr_set: Some(Self::fileattr_set),
        ..pin_init::zeroed()
    };
    /// FIFOs, sockets and device nodes.
    const SPECIAL_IOPS_T: sys::inode_operations = sys::inode_operations {
        setattr: Some(Self::setattr),
        getattr: Some(Self::getattr),
        ..pin_init::zeroed()
    };
    const LINK_IOPS_T: sys::inode_operations = sys::inode_operations {
        get_link: Some(Self::get_link),
        setattr: Some(Self::setattr),
        getattr: Some(Self::getattr),
        ..pin_init::zeroed()
    };
    const DIR_FOPS_T: sys::file_operations = sys::file_operations {
        read: Some(sys::generic_read_dir),
        iterate_shared: Some(Self::iterate_shared),
        llseek: Some(sys::generic_file_llseek),
        fsync: Some(sys::simple_fsync),
        setlease: Some(sys::generic_setlease),
        ..pin_init::zeroed()
    };
    const REG_FOPS_T: sys::file_operations = sys::file_operations {
        read_iter: Some(sys::generic_file_read_iter),
        write_iter: Some(sys::generic_file_write_iter),
        llseek: Some(sys::generic_file_llseek),
        mmap_prepare: Some(sys::generic_file_mmap_prepare),
        open: Some(sys::generic_file_open),
        fsync: Some(sys::simple_fsync),
        splice_read: Some(sys::filemap_splice_read),
        splice_write: Some(sys::iter_file_splice_write),
        setlease: Some(sys::generic_setlease),
        ..pin_init::zeroed()
    };
    const AOPS_T: sys::address_space_operations = sys::address_space_operations {
        read_folio: Some(Self::read_folio),
        readahead: Some(Self::readahead),
        writepages: Some(Self::writepages),
        dirty_folio: Some(sys::block_dirty_folio),
        invalidate_folio: Some(sys::block_invalidate_folio),
        write_begin: Some(Self::write_begin),
        write_end: Some(Self::write_end),
        bmap: Some(Self::bmap),
        direct_IO: Some(Self::direct_io),
        is_partially_uptodate: Some(sys::block_is_partially_uptodate),
        error_remove_folio: Some(sys::generic_error_remove_folio),
        ..pin_init::zeroed()
    };
    const FC_OPS_T: sys::fs_context_operations = sys::fs_context_operations {
        get_tree: Some(Self::get_tree),
        reconfigure: Some(Self::reconfigure),
        // SAFETY: an all-zero `fs_context_operations` is a valid table with
        // every other operation absent.
        ..unsafe { MaybeUninit::zeroed().assume_init() }
    };

    pub(super) const SOPS: &'static sys::super_operations = &Self::SOPS_T;
    pub(super) const DIR_IOPS: &'static sys::inode_operations = &Self::DIR_IOPS_T;
    pub(super) const REG_IOPS: &'static sys::inode_operations = &Self::REG_IOPS_T;
    pub(super) const LINK_IOPS: &'static sys::inode_operations = &Self::LINK_IOPS_T;
    pub(super) const SPECIAL_IOPS: &'static sys::inode_operations = &Self::SPECIAL_IOPS_T;
    pub(super) const DIR_FOPS: &'static sys::file_operations = &Self::DIR_FOPS_T;
    pub(super) const REG_FOPS: &'static sys::file_operations = &Self::REG_FOPS_T;
    pub(super) const AOPS: &'static sys::address_space_operations = &Self::AOPS_T;
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

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn alloc_inode(sb: *mut sys::super_block) -> *mut sys::inode {
        let cache = INODE_CACHE.load(Ordering::Acquire);
        // SAFETY: the cache exists while the filesystem is registered, and
        // holds `InodeSlot<T>` objects whose `vfs` part `init_once` set up.
        // `info` is initialised in place (slab objects never move).
        unsafe {
            let slot = sys::rext2_alloc_inode_sb(sb, cache).cast::<InodeSlot<T>>();
            if slot.is_null() {
                return null_mut();
            }
            // Infallible: the initialiser cannot fail.
            let Ok(()) = T::inode_info().__init((*slot).info.as_mut_ptr());
            sys::mmb_init(&raw mut (*slot).mmb, &raw mut (*slot).vfs.i_data);
            &raw mut (*slot).vfs
        }
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn free_inode(inode: *mut sys::inode) {
        // SAFETY: `inode` came from `alloc_inode`, so it sits in an
        // `InodeSlot<T>` with initialised `info`; the VFS frees it once.
        unsafe {
            let slot = kernel::container_of!(inode, InodeSlot<T>, vfs);
            (*slot).info.assume_init_drop();
            sys::kmem_cache_free(INODE_CACHE.load(Ordering::Acquire), slot.cast());
        }
    }

    /// Slab constructor: the VFS half of a slot is initialised once.
    ///
    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn init_once(obj: *mut c_void) {
        let slot = obj.cast::<InodeSlot<T>>();
        // SAFETY: the slab hands us a fresh object of the cache's size.
        unsafe { sys::inode_init_once(&raw mut (*slot).vfs) };
    }

    /// Takes the kernel crate's opaque `kstatfs`; ours is the bound one.
    ///
    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn statfs(
        dentry: *mut sys::dentry,
        buf: *mut kernel::bindings::kstatfs,
    ) -> c_int {
        let buf = buf.cast::<sys::kstatfs>();
        from_result(|| {
            // SAFETY: a dentry of a mounted `T` superblock.
            let sb = unsafe { SuperBlock::<T>::from_raw((*dentry).d_sb) };
            let s = T::statfs(sb)?;
            // SAFETY: `buf` is the caller's kstatfs, ours to fill.
            unsafe {
                (*buf).f_type = s.magic as c_long;
                (*buf).f_bsize = s.block_size as c_long;
                (*buf).f_blocks = s.blocks;
                (*buf).f_bfree = s.bfree;
                (*buf).f_bavail = s.bavail;
                (*buf).f_files = s.files;
                (*buf).f_ffree = s.ffree;
                (*buf).f_namelen = s.namelen as c_long;
                (*buf).f_fsid.val = [s.fsid as u32 as i32, (s.fsid >> 32) as u32 as i32];
            }
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn lookup(
        dir: *mut sys::inode,
        dentry: *mut sys::dentry,
        _flags: c_uint,
    ) -> *mut sys::dentry {
        // SAFETY: `dir` is a live directory inode of `T`.
        let dir = unsafe { Inode::<T>::from_raw(dir) };
        let mut len = 0u32;
        // SAFETY: the dentry's name is stable during lookup (parent locked).
        let name = unsafe {
            let p = sys::rext2_dentry_name(dentry, &mut len);
            core::slice::from_raw_parts(p, len as usize)
        };
        let inode = match Self::lookup_inode(dir, name) {
            Ok(None) => null_mut(),
            Ok(Some(i)) => ARef::into_raw(i).as_ptr().cast(),
            Err(e) => return e.to_ptr(),
        };
        // SAFETY: `d_splice_alias` takes over the inode reference (or NULL
        // for a negative dentry).
        unsafe { sys::d_splice_alias(inode, dentry) }
    }

    /// The inode `name` names in directory `dir`, if any (a lookup and an
    /// `iget`).
    pub(super) fn lookup_inode(dir: &Inode<T>, name: &[u8]) -> Result<Option<ARef<Inode<T>>>> {
        T::lookup(dir, name)?
            .map(|ino| Inode::iget(dir.sb(), ino))
            .transpose()
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn iterate_shared(file: *mut sys::file, ctx: *mut sys::dir_context) -> c_int {
        from_result(|| {
            // SAFETY: an open directory file of `T` has a live inode.
            let dir = unsafe { Inode::<T>::from_raw((*file).f_inode) };
            // SAFETY: `ctx` is live and ours for this call.
            let mut out = unsafe { DirEmitter::new(ctx) };
            T::readdir(dir, &mut out)?;
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn get_link(
        dentry: *mut sys::dentry,
        inode: *mut sys::inode,
        done: *mut sys::delayed_call,
    ) -> *const u8 {
        if dentry.is_null() {
            // RCU walk: reading the target may sleep.
            return ECHILD.to_ptr();
        }
        // SAFETY: a live symlink inode of `T`.
        let inode = unsafe { Inode::<T>::from_raw(inode) };
        let mut target = match T::get_link(inode) {
            Ok(t) => t,
            Err(e) => return e.to_ptr(),
        };
        if let Err(e) = target.push(0, GFP_KERNEL) {
            return Error::from(e).to_ptr();
        }
        let (ptr, _, _) = target.into_raw_parts();
        // SAFETY: `ptr` is a kmalloc'ed, NUL-terminated buffer; `kfree_link`
        // frees it once the VFS is done with the link body.
        unsafe { sys::rext2_set_delayed_call(done, Some(sys::kfree_link), ptr.cast()) };
        ptr
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn read_folio(_file: *mut sys::file, folio: *mut sys::folio) -> c_int {
        // SAFETY: a locked folio of a `T` regular file; `get_block::<T>`
        // is a valid `get_block_t` for its inode.
        unsafe { sys::mpage_read_folio(folio, Some(get_block::<T>)) }
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn direct_io(iocb: *mut sys::kiocb, iter: *mut sys::iov_iter) -> isize {
        // SAFETY: the VFS passes a live kiocb on one of our files and its
        // iterator, both ours for the call; it completes the kiocb itself
        // unless we return -EIOCBQUEUED.
        let Some(iocb) = (unsafe { Kiocb::from_raw(iocb) }) else {
            return EINVAL.to_errno() as isize;
        };
        // SAFETY: as above.
        let mut iter = unsafe { IovIter::from_raw(iter) };
        // SAFETY: only `T`'s regular files have these address-space
        // operations, so the kiocb's file is on an inode of `T`, live for
        // the call.
        let inode = unsafe { Inode::<T>::from_raw(iocb.file_inode().as_ptr()) };
        T::direct_io(inode, iocb, &mut iter).to_isize()
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn write_inode(
        inode: *mut sys::inode,
        wbc: *mut sys::writeback_control,
    ) -> c_int {
        // SAFETY: a live inode of `T` and its writeback control.
        let (inode, sync) = unsafe { (Inode::<T>::from_raw(inode), sys::rext2_wbc_sync_all(wbc)) };
        from_result(|| T::write_inode(inode, sync).map(|()| 0))
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn evict_inode(raw: *mut sys::inode) {
        // SAFETY: the VFS evicts a `T` inode nobody else references; the
        // page cache goes first (the filesystem then frees the blocks
        // under it), the metadata buffer list and the inode state last.
        unsafe {
            sys::truncate_inode_pages_final(&raw mut (*raw).i_data);
            T::evict_inode(Inode::<T>::from_raw(raw));
            let slot = kernel::container_of!(raw, InodeSlot<T>, vfs);
            sys::mmb_invalidate(&raw mut (*slot).mmb);
            sys::clear_inode(raw);
        }
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn put_super(sb: *mut sys::super_block) {
        // SAFETY: a mounted `T` superblock, still set up during put_super.
        T::put_super(unsafe { SuperBlock::<T>::from_raw(sb) });
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn sync_fs(sb: *mut sys::super_block, wait: c_int) -> c_int {
        // SAFETY: a mounted `T` superblock.
        let sb = unsafe { SuperBlock::<T>::from_raw(sb) };
        from_result(|| T::sync_fs(sb, wait != 0).map(|()| 0))
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn freeze_fs(sb: *mut sys::super_block) -> c_int {
        // SAFETY: a mounted `T` superblock, being frozen.
        let sb = unsafe { SuperBlock::<T>::from_raw(sb) };
        from_result(|| T::freeze(sb).map(|()| 0))
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn unfreeze_fs(sb: *mut sys::super_block) -> c_int {
        // SAFETY: a mounted `T` superblock, being thawed.
        let sb = unsafe { SuperBlock::<T>::from_raw(sb) };
        from_result(|| T::unfreeze(sb).map(|()| 0))
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn create(
        idmap: *mut sys::mnt_idmap,
        dir: *mut sys::inode,
        dentry: *mut sys::dentry,
        mode: sys::umode_t,
    ) -> c_int {
        // SAFETY: a locked `T` directory and a negative dentry in it.
        let (dir, d) = unsafe { (Inode::<T>::from_raw(dir), Dentry::from_raw(dentry)) };
        from_result(|| T::create(dir, d, Idmap(idmap), mode, 0).map(|()| 0))
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn mknod(
        idmap: *mut sys::mnt_idmap,
        dir: *mut sys::inode,
        dentry: *mut sys::dentry,
        mode: sys::umode_t,
        rdev: sys::dev_t,
    ) -> c_int {
        // SAFETY: a locked `T` directory and a negative dentry in it.
        let (dir, d) = unsafe { (Inode::<T>::from_raw(dir), Dentry::from_raw(dentry)) };
        from_result(|| T::create(dir, d, Idmap(idmap), mode, rdev).map(|()| 0))
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn mkdir(
        idmap: *mut sys::mnt_idmap,
        dir: *mut sys::inode,
        dentry: *mut sys::dentry,
        mode: sys::umode_t,
    ) -> *mut sys::dentry {
        // SAFETY: a locked `T` directory and a negative dentry in it.
        let (dir, d) = unsafe { (Inode::<T>::from_raw(dir), Dentry::from_raw(dentry)) };
        match T::mkdir(dir, d, Idmap(idmap), mode) {
            Ok(()) => null_mut(),
            Err(e) => e.to_ptr(),
        }
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn symlink(
        idmap: *mut sys::mnt_idmap,
        dir: *mut sys::inode,
        dentry: *mut sys::dentry,
        target: *const kernel::ffi::c_char,
    ) -> c_int {
        // SAFETY: a locked `T` directory, a negative dentry in it, and a
        // NUL-terminated target string.
        let (dir, d, target) = unsafe {
            (
                Inode::<T>::from_raw(dir),
                Dentry::from_raw(dentry),
                CStr::from_char_ptr(target),
            )
        };
        from_result(|| T::symlink(dir, d, Idmap(idmap), target.to_bytes()).map(|()| 0))
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn link(
        old: *mut sys::dentry,
        dir: *mut sys::inode,
        dentry: *mut sys::dentry,
    ) -> c_int {
        // SAFETY: a positive `old` dentry, a locked `T` directory and a
        // negative dentry in it.
        let (old, dir, d) = unsafe {
            (
                Dentry::from_raw(old),
                Inode::<T>::from_raw(dir),
                Dentry::from_raw(dentry),
            )
        };
        from_result(|| T::link(old, dir, d).map(|()| 0))
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn unlink(dir: *mut sys::inode, dentry: *mut sys::dentry) -> c_int {
        // SAFETY: a locked `T` directory and a positive dentry in it.
        let (dir, d) = unsafe { (Inode::<T>::from_raw(dir), Dentry::from_raw(dentry)) };
        from_result(|| T::unlink(dir, d).map(|()| 0))
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn rmdir(dir: *mut sys::inode, dentry: *mut sys::dentry) -> c_int {
        // SAFETY: a locked `T` directory and a positive dentry in it.
        let (dir, d) = unsafe { (Inode::<T>::from_raw(dir), Dentry::from_raw(dentry)) };
        from_result(|| T::rmdir(dir, d).map(|()| 0))
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn rename(
        _idmap: *mut sys::mnt_idmap,
        old_dir: *mut sys::inode,
        old: *mut sys::dentry,
        new_dir: *mut sys::inode,
        new: *mut sys::dentry,
        flags: c_uint,
    ) -> c_int {
        // SAFETY: the VFS holds both directories (and the rename lock) and
        // passes their dentries.
        let (od, o, nd, n) = unsafe {
            (
                Inode::<T>::from_raw(old_dir),
                Dentry::from_raw(old),
                Inode::<T>::from_raw(new_dir),
                Dentry::from_raw(new),
            )
        };
        from_result(|| T::rename(od, o, nd, n, flags).map(|()| 0))
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn tmpfile(
        idmap: *mut sys::mnt_idmap,
        dir: *mut sys::inode,
        file: *mut sys::file,
        mode: sys::umode_t,
    ) -> c_int {
        // SAFETY: a `T` directory, held by the VFS for the call.
        let dir = unsafe { Inode::<T>::from_raw(dir) };
        from_result(|| {
            let new = T::tmpfile(dir, Idmap(idmap), mode)?;
            // SAFETY: `file` is the file this callback is to open, and a
            // new inode has one link.
            unsafe { new.open_tmpfile(file) }?;
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn fileattr_get(dentry: *mut sys::dentry, fa: *mut sys::file_kattr) -> c_int {
        // SAFETY: a positive dentry of `T` and the caller's attributes.
        unsafe {
            let inode = Inode::<T>::from_raw(sys::rext2_d_inode(dentry));
            sys::rext2_fileattr_fill(fa, T::get_flags(inode));
        }
        0
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn fileattr_set(
        _idmap: *mut sys::mnt_idmap,
        dentry: *mut sys::dentry,
        fa: *mut sys::file_kattr,
    ) -> c_int {
        from_result(|| {
            let mut flags = 0;
            // SAFETY: a positive dentry of `T` with its inode locked, and the
            // caller's new attributes, checked by `vfs_fileattr_set`.
            let inode = unsafe {
                kernel::error::to_result(sys::rext2_fileattr_flags(fa, &mut flags))?;
                Inode::<T>::from_raw(sys::rext2_d_inode(dentry))
            };
            T::set_flags(inode, flags).map(|()| 0)
        })
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn fiemap(
        inode: *mut sys::inode,
        info: *mut sys::fiemap_extent_info,
        start: u64,
        len: u64,
    ) -> c_int {
        // SAFETY: a live regular inode of `T` and the call's extent array.
        let (inode, mut extents) = unsafe { (Inode::<T>::from_raw(inode), Fiemap::from_raw(info)) };
        from_result(|| {
            let mut len = len;
            // SAFETY: live inode and extent array; no flags are supported.
            let r =
                unsafe { sys::fiemap_prep(inode.as_ptr(), extents.as_ptr(), start, &mut len, 0) };
            kernel::error::to_result(r)?;
            let _lock = inode.lock();
            T::fiemap(inode, &mut extents, start, len).map(|()| 0)
        })
    }

    /// `getattr` (stat, statx): the generic attributes and the
    /// filesystem's `statx` attribute bits.
    ///
    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn getattr(
        idmap: *mut sys::mnt_idmap,
        path: *const sys::path,
        stat: *mut sys::kstat,
        request_mask: u32,
        _query_flags: c_uint,
    ) -> c_int {
        // SAFETY: `path` names a positive dentry of `T`, pinned by the
        // caller; `stat` is the caller's result, ours to fill.
        unsafe {
            let raw = sys::rext2_d_inode((*path).dentry);
            let attrs = T::statx_attributes(Inode::<T>::from_raw(raw));
            (*stat).attributes |= attrs.bits();
            (*stat).attributes_mask |= StatxAttrs::SUPPORTED;
            sys::generic_fillattr(idmap, request_mask, raw, stat);
        }
        0
    }

    /// `setattr`: the generic checks and copy, with the size change done
    /// by the filesystem in between.
    ///
    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn setattr(
        idmap: *mut sys::mnt_idmap,
        dentry: *mut sys::dentry,
        attr: *mut sys::iattr,
    ) -> c_int {
        from_result(|| {
            // SAFETY: a positive dentry of `T` with its inode locked, and
            // the caller's attribute change.
            unsafe {
                let raw = sys::rext2_d_inode(dentry);
                kernel::error::to_result(sys::setattr_prepare(idmap, dentry, attr))?;
                let inode = Inode::<T>::from_raw(raw);
                if (*attr).ia_valid & sys::ATTR_SIZE != 0 && (*attr).ia_size != inode.size() {
                    T::set_size(inode, (*attr).ia_size)?;
                }
                sys::setattr_copy(idmap, raw, attr);
                inode.mark_dirty();
            }
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn writepages(
        mapping: *mut sys::address_space,
        wbc: *mut sys::writeback_control,
    ) -> c_int {
        // SAFETY: a mapping of a `T` regular file; `get_block::<T>` is a
        // valid `get_block_t` for it.
        unsafe { sys::__mpage_writepages(mapping, wbc, Some(get_block::<T>), None) }
    }

    /// Undoes the block allocation of a failed write past EOF.
    ///
    /// # Safety
    ///
    /// `mapping` must be the live mapping of a `T` regular file whose
    /// `i_rwsem` the caller holds.
    unsafe fn write_failed(mapping: *mut sys::address_space, to: i64) {
        // SAFETY: per the contract the host is a live, locked `T` inode.
        unsafe {
            let inode = Inode::<T>::from_raw((*mapping).host);
            if to > inode.size() {
                sys::truncate_pagecache(inode.as_ptr(), inode.size());
                T::truncate_blocks(inode, inode.size());
            }
        }
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn write_begin(
        _iocb: *const sys::kiocb,
        mapping: *mut sys::address_space,
        pos: sys::loff_t,
        len: c_uint,
        foliop: *mut *mut sys::folio,
        _fsdata: *mut *mut c_void,
    ) -> c_int {
        // SAFETY: the generic write path of a `T` file, `i_rwsem` held.
        unsafe {
            let r = sys::block_write_begin(mapping, pos, len, foliop, Some(get_block::<T>));
            if r < 0 {
                Self::write_failed(mapping, pos + i64::from(len));
            }
            r
        }
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn write_end(
        iocb: *const sys::kiocb,
        mapping: *mut sys::address_space,
        pos: sys::loff_t,
        len: c_uint,
        copied: c_uint,
        folio: *mut sys::folio,
        fsdata: *mut c_void,
    ) -> c_int {
        // SAFETY: the generic write path of a `T` file, `i_rwsem` held,
        // with the folio `write_begin` returned.
        unsafe {
            let r = sys::generic_write_end(iocb, mapping, pos, len, copied, folio, fsdata);
            if r < len as c_int {
                Self::write_failed(mapping, pos + i64::from(len));
            }
            r
        }
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn bmap(
        mapping: *mut sys::address_space,
        block: sys::sector_t,
    ) -> sys::sector_t {
        // SAFETY: a mapping of a `T` regular file.
        unsafe { sys::generic_block_bmap(mapping, block, Some(get_block::<T>)) }
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn readahead(rac: *mut sys::readahead_control) {
        // SAFETY: as for `read_folio`.
        unsafe { sys::mpage_readahead(rac, Some(get_block::<T>)) }
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
