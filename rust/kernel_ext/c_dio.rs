// SPDX-License-Identifier: GPL-2.0

//! The engine as `__blockdev_direct_IO` for C filesystems: the Rust half
//! of `rext2_blockdev_direct_IO` (dio_entry.c), and the adapter that makes
//! a C `get_block_t` a [`BlockMapper`].
//!
//! Supported: what `blockdev_direct_IO()` passes (no `end_io`,
//! `DIO_LOCKING | DIO_SKIP_HOLES`) and flags 0. An `end_io` callback or an
//! unknown flag is refused with `-EINVAL` and a message, once.

use super::block_device::BlockDevice;
use super::kiocb::{IovIter, Kiocb};
use super::sys;
use super::vfs_inode::VfsInode;
use crate::dio::{self, BlockMapper, DioFlags, Mapping};
use core::cell::Cell;
use kernel::ffi::{c_int, c_void};
use kernel::prelude::*;

/// A C `get_block_t`.
type GetBlock =
    unsafe extern "C" fn(*mut sys::inode, sys::sector_t, *mut sys::buffer_head, c_int) -> c_int;

/// A C `get_block_t`, called through an on-stack `buffer_head` as
/// fs/direct-io.c's `get_more_blocks` does.
///
/// # Invariants
///
/// `get_block` is the caller's `get_block_t` for `inode`, which is live for
/// the whole direct I/O.
struct CGetBlock {
    get_block: GetBlock,
    inode: *mut sys::inode,
    blkbits: u32,
    defer: Cell<bool>,
}

impl BlockMapper for CGetBlock {
    fn map(&self, lblk: u64, max: u64, create: bool) -> Result<Mapping> {
        let mut size = usize::try_from(max << self.blkbits).map_err(|_| EINVAL)?;
        let mut pblk = 0u64;
        let mut state = 0u32;
        // SAFETY: the caller's get_block for its live inode (type
        // invariant); the buffer_head lives on the shim's stack for the
        // call; the out-pointers are ours.
        let r = unsafe {
            sys::rext2_call_get_block(
                Some(self.get_block),
                self.inode,
                lblk,
                &mut size,
                c_int::from(create),
                &mut pblk,
                &mut state,
            )
        };
        if r != 0 {
            return Err(Error::from_errno(r));
        }
        if state & sys::REXT2_GB_MAPPED == 0 {
            // fs/direct-io.c steps over a hole one block at a time.
            return Ok(Mapping::Hole { len: 1 });
        }
        if state & sys::REXT2_GB_DEFER != 0 {
            self.defer.set(true);
        }
        Ok(Mapping::Mapped {
            pblk,
            len: (size >> self.blkbits) as u64,
            new: state & sys::REXT2_GB_NEW != 0,
            boundary: state & sys::REXT2_GB_BOUNDARY != 0,
        })
    }

    fn defer_completion(&self) -> bool {
        self.defer.get()
    }
}

/// The flags `blockdev_direct_IO()` callers may pass.
fn flags(raw: c_int) -> Option<DioFlags> {
    let known = sys::REXT2_DIO_LOCKING | sys::REXT2_DIO_SKIP_HOLES;
    if raw & !known != 0 {
        return None;
    }
    Some(DioFlags {
        locking: raw & sys::REXT2_DIO_LOCKING != 0,
        skip_holes: raw & sys::REXT2_DIO_SKIP_HOLES != 0,
    })
}

/// `rext2_blockdev_direct_IO`, after the C entry point.
///
/// # Safety
///
/// Called as `__blockdev_direct_IO` is, from a filesystem's `direct_IO`:
/// a live kiocb on an open file of `inode`, its iterator (ours for the
/// call), the open block device the file's blocks are on, and the
/// filesystem's `get_block` for `inode`.
#[no_mangle]
unsafe extern "C" fn rext2_dio_from_c(
    iocb: *mut sys::kiocb,
    inode: *mut sys::inode,
    bdev: *mut sys::block_device,
    iter: *mut sys::iov_iter,
    get_block: Option<GetBlock>,
    end_io: *const c_void,
    flags_raw: c_int,
) -> isize {
    if !end_io.is_null() {
        kernel::pr_warn_once!("rext2_blockdev_direct_IO: an end_io callback is not supported yet; refusing direct I/O with EINVAL\n");
        return EINVAL.to_errno() as isize;
    }
    let Some(flags) = flags(flags_raw) else {
        kernel::pr_warn_once!(
            "rext2_blockdev_direct_IO: unsupported flags {:#x}; refusing direct I/O with EINVAL\n",
            flags_raw
        );
        return EINVAL.to_errno() as isize;
    };
    let (Some(get_block), false, false) = (get_block, inode.is_null(), bdev.is_null()) else {
        return EINVAL.to_errno() as isize;
    };
    // SAFETY: the caller's contract: a live kiocb, ours to complete unless
    // we return -EIOCBQUEUED, for the call.
    let Some(iocb) = (unsafe { Kiocb::from_raw(iocb) }) else {
        return EINVAL.to_errno() as isize;
    };
    // SAFETY: the caller's contract: all live for the call (the inode and
    // device for as long as the I/O, as fs/direct-io.c assumes too).
    let (inode, bdev, mut iter) = unsafe {
        (
            VfsInode::from_raw(inode),
            BlockDevice::from_raw(bdev),
            IovIter::from_raw(iter),
        )
    };
    let mapper = CGetBlock {
        get_block,
        inode: inode.as_ptr(),
        blkbits: inode.block_bits(),
        defer: Cell::new(false),
    };
    dio::direct_io(iocb, inode, bdev, &mut iter, &mapper, flags).to_isize()
}
