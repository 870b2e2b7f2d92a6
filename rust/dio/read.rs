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
use super::rounds;
use super::stats::DioStats;
use super::DioFs;
use crate::kernel_ext::bio::Dir;
use crate::kernel_ext::kiocb::{DioReturn, IovIter, Kiocb};
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
    let blk = rounds::block_for(inode, iter, pos)?;
    inode.write_and_wait(pos, pos.saturating_add(count as i64 - 1))?;
    let s = rounds::start(inode, iter, pos, count, blk, Dir::Read)?;
    Ok(Some(Submitted {
        bytes: s.bytes.min((i_size - pos) as usize),
        may_queue: true,
        ..s
    }))
}
