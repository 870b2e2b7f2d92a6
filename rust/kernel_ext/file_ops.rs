// SPDX-License-Identifier: GPL-2.0

//! `file_operations`: the tables of open directories and regular files.
//! All but one entry are the kernel's generic helpers (the page-cache read
//! and write paths, splice, mmap, `simple_fsync`, leases); the directory's
//! `iterate_shared` turns readdir into a call of [`FileSystem::readdir`].
//! O_DIRECT enters through `generic_file_{read,write}_iter`, which call the
//! address-space `direct_IO` (see `aops.rs`).
//!
//! C header: [`include/linux/fs.h`](srctree/include/linux/fs.h)

use super::dir::DirEmitter;
use super::fs_type::{FileSystem, Tables};
use super::inode::Inode;
use super::sys;
use kernel::error::from_result;
use kernel::ffi::c_int;

impl<T: FileSystem> Tables<T> {
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
    pub(super) const DIR_FOPS: &'static sys::file_operations = &Self::DIR_FOPS_T;
    pub(super) const REG_FOPS: &'static sys::file_operations = &Self::REG_FOPS_T;

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
}
