// SPDX-License-Identifier: GPL-2.0

//! Direct writes: the WRITE half of fs/direct-io.c, over the planner.
//!
//! The caller (`generic_file_write_iter`) holds `i_rwsem`, has flushed and
//! invalidated the page cache of the range, and after a successful return
//! grows `i_size` and invalidates again (DIO-SPEC 1.3). Here, as with
//! `DIO_LOCKING | DIO_SKIP_HOLES`: holes inside `i_size` are not filled
//! (the walk stops and the caller writes the rest buffered), blocks past
//! it are allocated and sub-block zeroed, and every bio is waited for
//! before the pins are released. A failed write that reached past
//! `i_size` frees what it allocated there (jfs's `jfs_write_failed`).
//! AIO and io_uring writes complete synchronously for now (see
//! Documentation/rext2.rst).

use super::plan::dio_block;
use super::rounds;
use super::stats::DioStats;
use super::DioFs;
use crate::kernel_ext::bio::Dir;
use crate::kernel_ext::fs_type::FileSystem;
use crate::kernel_ext::inode::Inode;
use crate::kernel_ext::kiocb::{IovIter, Kiocb};
use kernel::prelude::*;

/// `direct_IO` for a write. Returns the bytes written (short if a hole
/// inside `i_size` stopped it: the caller falls back to buffered I/O for
/// the rest), or the error; an error wins over partial progress.
pub(crate) fn direct_write<T: DioFs>(iocb: &Kiocb<'_>, iter: &mut IovIter<'_>) -> Result<usize> {
    let inode = iocb.inode::<T>();
    let stats = T::dio_stats(inode.sb());
    let count = iter.count();
    let end = iocb.pos().saturating_add(count as i64);
    let r = write(iocb, iter, inode, stats);
    match r {
        Ok(n) => {
            DioStats::add(&stats.writes, 1);
            DioStats::add(&stats.write_bytes, n as u64);
            if n < count {
                DioStats::add(&stats.fallbacks, 1);
            }
            if !iocb.is_sync() {
                DioStats::add(&stats.aio_sync, 1);
            }
        }
        Err(_) => {
            DioStats::add(&stats.errors, 1);
            if end > inode.size() {
                inode.truncate_pagecache(inode.size());
                T::truncate_blocks(inode, inode.size());
            }
        }
    }
    r
}

fn write<T: FileSystem>(
    iocb: &Kiocb<'_>,
    iter: &mut IovIter<'_>,
    inode: &Inode<T>,
    stats: &DioStats,
) -> Result<usize> {
    let count = iter.count();
    if count == 0 {
        return Ok(0);
    }
    let pos = iocb.pos();
    if pos < 0 {
        return Err(EINVAL);
    }
    let blk = dio_block(
        pos as u64,
        iter.alignment(),
        inode.block_bits(),
        inode.sb().logical_block_bits(),
    )
    .ok_or(EINVAL)?;
    let _in_flight = inode.dio_begin();
    rounds::run(inode, iter, pos as u64, count, blk, Dir::Write, stats)
}
