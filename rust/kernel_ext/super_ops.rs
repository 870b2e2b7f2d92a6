// SPDX-License-Identifier: GPL-2.0

//! `super_operations`: the callbacks of a mounted superblock. Inodes are
//! allocated from and freed to the filesystem's slab cache (an
//! [`InodeSlot`] each, set up once by the slab constructor), written back
//! and evicted; `statfs`, `sync_fs`, freeze and thaw, and `put_super` at
//! unmount. Each trampoline turns the callback into a call of a
//! [`FileSystem`] method.
//!
//! C header: [`include/linux/fs/super_types.h`](srctree/include/linux/fs/super_types.h)

use super::fs_type::{FileSystem, Tables, INODE_CACHE};
use super::inode::{Inode, InodeSlot};
use super::super_block::SuperBlock;
use super::sys;
use core::ptr::null_mut;
use core::sync::atomic::Ordering;
use kernel::error::from_result;
use kernel::ffi::{c_int, c_long, c_void};
use pin_init::PinInit;

impl<T: FileSystem> Tables<T> {
    const SOPS_T: sys::super_operations = sys::super_operations {
        alloc_inode: Some(Self::alloc_inode),
        free_inode: Some(Self::free_inode),
        write_inode: Some(Self::write_inode),
        sync_inode_metadata: Some(Self::sync_inode_metadata),
        evict_inode: Some(Self::evict_inode),
        put_super: Some(Self::put_super),
        sync_fs: Some(Self::sync_fs),
        freeze_fs: Some(Self::freeze_fs),
        unfreeze_fs: Some(Self::unfreeze_fs),
        statfs: Some(Self::statfs),
        ..pin_init::zeroed()
    };
    pub(super) const SOPS: &'static sys::super_operations = &Self::SOPS_T;

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
    pub(super) unsafe extern "C" fn init_once(obj: *mut c_void) {
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
    unsafe extern "C" fn sync_inode_metadata(
        inode: *mut sys::inode,
        _wbc: *mut sys::writeback_control,
    ) -> c_int {
        // SAFETY: a live inode of `T`, under integrity writeback.
        let inode = unsafe { Inode::<T>::from_raw(inode) };
        from_result(|| T::sync_inode_metadata(inode).map(|()| 0))
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
}
