// SPDX-License-Identifier: GPL-2.0

//! File handles: the `export_operations` behind NFS export and
//! `name_to_handle_at`/`open_by_handle_at`. A handle is the generic one of
//! a 32-bit inode number and its generation (`FILEID_INO32_GEN`, with the
//! parent's for a connectable handle); the filesystem says which inode a
//! number and generation name, and a directory's parent is its `..`.

use super::fs_type::{FileSystem, Tables};
use super::inode::Inode;
use super::super_block::SuperBlock;
use super::sys;
use core::mem::MaybeUninit;
use kernel::ffi::c_int;
use kernel::prelude::*;
use kernel::sync::aref::ARef;

impl<T: FileSystem> Tables<T> {
    const EXPORT_OPS_T: sys::export_operations = sys::export_operations {
        encode_fh: Some(sys::generic_encode_ino32_fh),
        fh_to_dentry: Some(Self::fh_to_dentry),
        fh_to_parent: Some(Self::fh_to_parent),
        get_parent: Some(Self::get_parent),
        // SAFETY: an all-zero `export_operations` is a valid table with
        // every other operation absent and no flags.
        ..unsafe { MaybeUninit::zeroed().assume_init() }
    };

    /// The table `s_export_op` points at: the kernel crate has the type
    /// only as opaque, so it is handed over as that.
    pub(super) fn export_ops() -> *const kernel::bindings::export_operations {
        let ops: &'static sys::export_operations = &Self::EXPORT_OPS_T;
        core::ptr::from_ref(ops).cast()
    }

    /// The `get_inode` callback of `generic_fh_to_dentry`/`_parent`: a
    /// referenced inode or an `ERR_PTR`.
    ///
    /// # Safety
    ///
    /// `sb` is a mounted superblock of `T` (exportfs holds the mount).
    unsafe extern "C" fn handle_inode(
        sb: *mut sys::super_block,
        ino: u64,
        generation: u32,
    ) -> *mut sys::inode {
        // SAFETY: per the function's contract.
        let sb = unsafe { SuperBlock::<T>::from_raw(sb) };
        match T::handle_inode(sb, ino, generation) {
            // The reference goes to the caller, who makes a dentry of it
            // (`d_obtain_alias`) or drops it.
            Ok(inode) => ARef::into_raw(inode).as_ptr().cast(),
            Err(e) => e.to_ptr(),
        }
    }

    /// # Safety
    ///
    /// Only called by exportfs through the operation table, with a mounted
    /// superblock of `T` and a handle of `fh_len` 32-bit words.
    unsafe extern "C" fn fh_to_dentry(
        sb: *mut sys::super_block,
        fid: *mut sys::fid,
        fh_len: c_int,
        fh_type: c_int,
    ) -> *mut sys::dentry {
        // SAFETY: per the function's contract; the helper checks `fh_type`
        // and `fh_len` before reading the handle.
        unsafe { sys::generic_fh_to_dentry(sb, fid, fh_len, fh_type, Some(Self::handle_inode)) }
    }

    /// # Safety
    ///
    /// As [`Self::fh_to_dentry`].
    unsafe extern "C" fn fh_to_parent(
        sb: *mut sys::super_block,
        fid: *mut sys::fid,
        fh_len: c_int,
        fh_type: c_int,
    ) -> *mut sys::dentry {
        // SAFETY: as in `fh_to_dentry`.
        unsafe { sys::generic_fh_to_parent(sb, fid, fh_len, fh_type, Some(Self::handle_inode)) }
    }

    /// The parent of a directory, from its `..` entry.
    ///
    /// # Safety
    ///
    /// Only called by exportfs through the operation table, with a
    /// referenced positive dentry of a `T` directory.
    unsafe extern "C" fn get_parent(child: *mut sys::dentry) -> *mut sys::dentry {
        // SAFETY: per the function's contract.
        let dir = unsafe { Inode::<T>::from_raw(sys::rext2_d_inode(child)) };
        let parent = {
            // As for a lookup, which the VFS makes with the directory locked.
            let _lock = dir.lock_shared();
            Self::lookup_inode(dir, b"..")
        };
        let inode = match parent {
            Ok(Some(inode)) => inode,
            Ok(None) => return ENOENT.to_ptr(),
            Err(e) => return e.to_ptr(),
        };
        // SAFETY: `d_obtain_alias` takes over the inode reference, on
        // failure too.
        unsafe { sys::d_obtain_alias(ARef::into_raw(inode).as_ptr().cast()) }
    }
}
