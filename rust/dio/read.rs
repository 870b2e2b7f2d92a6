// SPDX-License-Identifier: GPL-2.0

//! Direct reads: the READ half of fs/direct-io.c, over the planner.
//!
//! Per DIO-SPEC 1.5: with `DIO_LOCKING`, `i_rwsem` is held while blocks
//! are mapped and bios built (shared: a deliberate difference from 7.3,
//! which takes it exclusive) and released before the wait, and the range
//! is flushed from the page cache first; `i_dio_count` covers the I/O. A
//! read for an asynchronous kiocb (AIO, io_uring) returns `-EIOCBQUEUED`
//! and completes from its last bio (see `super::complete`).

use super::complete::{conclude, Submitted};
use super::rounds;
use super::stats::{DioStats, STATS};
use super::{BlockMapper, Call};
use crate::kernel_ext::bio::Dir;
use crate::kernel_ext::kiocb::{DioReturn, IovIter, Kiocb};
use kernel::prelude::*;

/// A read: the bytes read (short at EOF), queued, or the error that
/// stopped it; a bio error wins over partial progress.
pub(super) fn direct_read<'a, M: BlockMapper>(
    c: &Call<'a, '_, M>,
    iocb: Kiocb<'a>,
    iter: &mut IovIter<'_>,
) -> DioReturn<'a> {
    match submit(c, &iocb, iter) {
        Ok(Some(s)) => conclude(iocb, s, Dir::Read),
        Ok(None) => DioReturn::Done(iocb, Ok(0)),
        Err(e) => {
            DioStats::add(&STATS.errors, 1);
            DioReturn::Done(iocb, Err(e))
        }
    }
}

/// Checks, flushes and submits; `None` if there is nothing to read.
fn submit<'a, M: BlockMapper>(
    c: &Call<'a, '_, M>,
    iocb: &Kiocb<'a>,
    iter: &mut IovIter<'_>,
) -> Result<Option<Submitted<'a>>> {
    let count = iter.count();
    if count == 0 {
        return Ok(None);
    }
    let _lock = c.flags.locking.then(|| c.inode.lock_shared());
    let pos = iocb.pos();
    let i_size = c.inode.size();
    if pos < 0 || pos >= i_size {
        return Ok(None);
    }
    let blk = rounds::block_for(c, iter, pos)?;
    if c.flags.locking {
        c.inode
            .write_and_wait(pos, pos.saturating_add(count as i64 - 1))?;
    }
    let s = rounds::start(c, iocb, iter, pos, count, blk, Dir::Read)?;
    Ok(Some(Submitted {
        bytes: s.bytes.min((i_size - pos) as usize),
        may_queue: true,
        ..s
    }))
}
