// SPDX-License-Identifier: GPL-2.0

//! `file_operations`: the tables of open directories and regular files.
//! All but one entry are the kernel's generic helpers (the page-cache read
//! and write paths, splice, mmap, `simple_fsync`, leases); the directory's
//! `iterate_shared` turns readdir into a call of [`FileSystem::readdir`].
//! O_DIRECT enters through `generic_file_{read,write}_iter`, which call the
//! address-space `direct_IO` (see `aops.rs`).
//!
//! Regular files are opened with `FMODE_NOWAIT`, as ext4 and xfs open
//! theirs, so that io_uring issues reads inline with `IOCB_NOWAIT` instead
//! of punting every one to a worker thread: buffered reads honour it in
//! `filemap_read`, direct reads in the engine (`crate::dio`). Writes do
//! not: one with `IOCB_NOWAIT` is refused with `-EOPNOTSUPP` before
//! `i_rwsem` is taken (io_uring then retries it from its worker, and
//! `RWF_NOWAIT` writes fail as they did without the flag).
//!
//! `iopoll` is `iocb_bio_iopoll`, as ext4's and the block device's: an
//! io_uring ring set up for polling (`IORING_SETUP_IOPOLL`, `RWF_HIPRI`)
//! polls the bio that a direct request's kiocb names (the one-bio path
//! names it, `super::one_bio`); the engine's other requests name none and
//! complete by interrupt, which the ring's polling loop sees too.
//!
//! C header: [`include/linux/fs.h`](srctree/include/linux/fs.h)

use super::dir::DirEmitter;
use super::fs_type::{FileSystem, Tables};
use super::inode::Inode;
use super::sys;
use kernel::error::from_result;
use kernel::ffi::c_int;
use kernel::prelude::*;

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
        write_iter: Some(Self::write_iter),
        llseek: Some(sys::generic_file_llseek),
        mmap_prepare: Some(sys::generic_file_mmap_prepare),
        open: Some(Self::open),
        fsync: Some(sys::simple_fsync),
        iopoll: Some(sys::iocb_bio_iopoll),
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
    unsafe extern "C" fn open(inode: *mut sys::inode, file: *mut sys::file) -> c_int {
        // SAFETY: the VFS's live inode and file being opened.
        let r = unsafe { sys::generic_file_open(inode, file) };
        if r == 0 {
            // SAFETY: the file is being opened, not yet shared: its
            // `f_mode` is ours to set.
            unsafe { sys::rext2_file_set_nowait(file) };
        }
        r
    }

    /// # Safety
    ///
    /// As for [`Self::open`].
    unsafe extern "C" fn write_iter(iocb: *mut sys::kiocb, from: *mut sys::iov_iter) -> isize {
        // SAFETY: the VFS's live kiocb for this call.
        if unsafe { sys::rext2_kiocb_is_nowait(iocb) } {
            return EOPNOTSUPP.to_errno() as isize;
        }
        // SAFETY: the VFS's live kiocb and iterator, passed on unchanged.
        unsafe { sys::generic_file_write_iter(iocb, from) }
    }

    /// # Safety
    ///
    /// As for [`Self::open`].
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
