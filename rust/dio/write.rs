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

use super::plan::{dio_block, walk_write, PlanError, ReadRequest};
use super::stats::DioStats;
use super::target::Target;
use super::DioFs;
use crate::kernel_ext::bio::{with_plug, Dir, RoundIo};
use crate::kernel_ext::fs_type::FileSystem;
use crate::kernel_ext::inode::Inode;
use crate::kernel_ext::kiocb::{IovIter, Kiocb};
use crate::kernel_ext::pages::PageBatch;
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
    let mut done = 0usize;
    // The request's one allocation: the page batch, reused every round.
    let mut batch = PageBatch::new(iter, false)?;
    while done < count {
        batch.clear();
        let bytes = match batch.fill(iter, count - done) {
            Ok(b) => b,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        if bytes == 0 {
            break;
        }
        let req = ReadRequest {
            pos: pos as u64 + done as u64,
            count: bytes as u64,
            blk,
        };
        let mut io = RoundIo::new(inode.sb(), &batch, blk.bits, Dir::Write)?;
        let walked = with_plug(|| {
            let mut target = Target {
                inode,
                io: &mut io,
                stats,
            };
            walk_write(&req, batch.segments(), &mut target)
        });
        let waited = io.wait();
        let n = match walked {
            Ok(n) => n as usize,
            Err(PlanError::Map(e)) => return Err(e),
            Err(PlanError::Invariant) => return Err(EIO),
        };
        waited?;
        done += n;
        if n < bytes {
            break;
        }
    }
    Ok(done)
}
