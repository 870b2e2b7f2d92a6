// SPDX-License-Identifier: GPL-2.0

//! Direct reads: the READ half of fs/direct-io.c, over the planner.
//!
//! Per DIO-SPEC 1.5, with DIO_LOCKING: `i_rwsem` is held while blocks are
//! mapped and bios built, and released before the wait; the range is
//! flushed from the page cache first; `i_dio_count` covers the I/O. The
//! user buffer is taken in rounds of up to 256 pinned pages. A read for an
//! asynchronous kiocb (AIO, io_uring) returns `-EIOCBQUEUED` and completes
//! from its last bio (see `super::complete`); pages read into are dirtied
//! in task context when their pins are released.

use super::complete::{conclude, Submitted};
use super::plan::dio_block;
use super::rounds;
use super::stats::DioStats;
use super::DioFs;
use crate::kernel_ext::bio::Dir;
use crate::kernel_ext::kiocb::{DioReturn, IovIter, Kiocb};
use crate::kernel_ext::request::Request;
use kernel::prelude::*;

/// `direct_IO` for a read: the bytes read (short at EOF), queued, or the
/// error that stopped it; a bio error wins over partial progress.
pub(crate) fn direct_read<'a, T: DioFs>(iocb: Kiocb<'a>, iter: &mut IovIter<'_>) -> DioReturn<'a> {
    match submit::<T>(&iocb, iter) {
        Ok(Some(s)) => conclude(iocb, s, Dir::Read),
        Ok(None) => DioReturn::Done(iocb, Ok(0)),
        Err(e) => {
            DioStats::add(&T::dio_stats(iocb.inode::<T>().sb()).errors, 1);
            DioReturn::Done(iocb, Err(e))
        }
    }
}

/// Checks, flushes and submits; `None` if there is nothing to read.
fn submit<'a, T: DioFs>(
    iocb: &Kiocb<'a>,
    iter: &mut IovIter<'_>,
) -> Result<Option<Submitted<'a, T>>> {
    let inode = iocb.inode::<T>();
    let count = iter.count();
    if count == 0 {
        return Ok(None);
    }
    let _lock = inode.lock();
    let pos = iocb.pos();
    let i_size = inode.size();
    if pos < 0 || pos >= i_size {
        return Ok(None);
    }
    let blk = dio_block(
        pos as u64,
        iter.alignment(),
        inode.block_bits(),
        inode.sb().logical_block_bits(),
    )
    .ok_or(EINVAL)?;
    inode.write_and_wait(pos, pos.saturating_add(count as i64 - 1))?;
    // Declared in this order so that an early return drops (waits for)
    // the request before it ends the count.
    let in_flight = inode.dio_begin();
    let mut io = Request::new(inode.sb(), iter, Dir::Read, blk.bits)?;
    let stats = T::dio_stats(inode.sb());
    let n = rounds::submit(
        inode,
        iter,
        &mut io,
        pos as u64,
        count,
        blk,
        Dir::Read,
        stats,
    )?;
    Ok(Some(Submitted {
        io,
        in_flight,
        bytes: n.min((i_size - pos) as usize),
        may_queue: true,
    }))
}
