// SPDX-License-Identifier: GPL-2.0

//! Direct writes: the WRITE half of fs/direct-io.c, over the planner.
//!
//! The caller (`generic_file_write_iter`) holds `i_rwsem`, has flushed and
//! invalidated the page cache of the range, and after a synchronous return
//! grows `i_size` and invalidates again (DIO-SPEC 1.3). Here, as with
//! `DIO_LOCKING | DIO_SKIP_HOLES`: holes inside `i_size` are not filled
//! (the walk stops and the caller writes the rest buffered), blocks past
//! it are allocated and sub-block zeroed. A write for an asynchronous
//! kiocb that neither extends the file nor stops at a hole returns
//! `-EIOCBQUEUED` and completes from its last bio, which also invalidates
//! the page cache and syncs for O_DSYNC (see `super::complete`). A failed
//! write that reached past `i_size` frees what it allocated there (jfs's
//! `jfs_write_failed`).

use super::complete::{conclude, Submitted};
use super::rounds;
use super::stats::DioStats;
use super::DioFs;
use crate::kernel_ext::bio::Dir;
use crate::kernel_ext::kiocb::{DioReturn, IovIter, Kiocb};
use kernel::prelude::*;

/// `direct_IO` for a write: the bytes written (short if a hole inside
/// `i_size` stopped it: the caller falls back to buffered I/O for the
/// rest), queued, or the error; an error wins over partial progress.
pub(crate) fn direct_write<'a, T: DioFs>(iocb: Kiocb<'a>, iter: &mut IovIter<'_>) -> DioReturn<'a> {
    let inode = iocb.inode::<T>();
    let stats = T::dio_stats(inode.sb());
    let count = iter.count();
    let end = iocb.pos().saturating_add(count as i64);
    let ret = match submit::<T>(&iocb, iter) {
        Ok(Some(s)) => {
            if s.bytes < count {
                DioStats::add(&stats.fallbacks, 1);
            }
            conclude(iocb, s, Dir::Write)
        }
        Ok(None) => DioReturn::Done(iocb, Ok(0)),
        Err(e) => {
            DioStats::add(&stats.errors, 1);
            DioReturn::Done(iocb, Err(e))
        }
    };
    if let DioReturn::Done(_, Err(_)) = ret {
        if end > inode.size() {
            inode.truncate_pagecache(inode.size());
            T::truncate_blocks(inode, inode.size());
        }
    }
    ret
}

/// Checks and submits; `None` if there is nothing to write.
fn submit<'a, T: DioFs>(
    iocb: &Kiocb<'a>,
    iter: &mut IovIter<'_>,
) -> Result<Option<Submitted<'a, T>>> {
    let inode = iocb.inode::<T>();
    let count = iter.count();
    if count == 0 {
        return Ok(None);
    }
    let pos = iocb.pos();
    if pos < 0 {
        return Err(EINVAL);
    }
    let blk = rounds::block_for(inode, iter, pos)?;
    let extending = pos.saturating_add(count as i64) > inode.size();
    let s = rounds::start(inode, iter, pos, count, blk, Dir::Write)?;
    Ok(Some(Submitted {
        may_queue: !extending && s.bytes == count,
        ..s
    }))
}
