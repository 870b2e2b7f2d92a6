// SPDX-License-Identifier: GPL-2.0

//! `address_space_operations` of regular files: the page cache's reads
//! (`read_folio`, `readahead`) and writes (`writepages`, `write_begin`,
//! `write_end`, which undo a failed write's allocation past EOF), `bmap`,
//! all over the buffer-head helpers with [`get_block`], and `direct_IO`,
//! where O_DIRECT reads and writes enter [`FileSystem::direct_io`].
//!
//! C header: [`include/linux/fs.h`](srctree/include/linux/fs.h)

use super::block_map::get_block;
use super::fs_type::{FileSystem, Tables};
use super::inode::Inode;
use super::kiocb::{IovIter, Kiocb};
use super::sys;
use kernel::ffi::{c_int, c_uint, c_void};
use kernel::prelude::*;

impl<T: FileSystem> Tables<T> {
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
    pub(super) const AOPS: &'static sys::address_space_operations = &Self::AOPS_T;

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
    unsafe extern "C" fn readahead(rac: *mut sys::readahead_control) {
        // SAFETY: as for `read_folio`.
        unsafe { sys::mpage_readahead(rac, Some(get_block::<T>)) }
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
}
