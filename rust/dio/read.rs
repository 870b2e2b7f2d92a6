// SPDX-License-Identifier: GPL-2.0

//! Direct reads: the READ half of fs/direct-io.c, over the planner.
//!
//! Per DIO-SPEC 1.5: with `DIO_LOCKING`, `i_rwsem` is held while blocks
//! are mapped and bios built (shared: a deliberate difference from 7.3,
//! which takes it exclusive) and released before the wait, and the range
//! is flushed from the page cache first; `i_dio_count` covers the I/O. A
//! read for an asynchronous kiocb (AIO, io_uring) returns `-EIOCBQUEUED`
//! and completes from its last bio (see `super::complete`).
//!
//! An `IOCB_NOWAIT` read (io_uring's inline issue, `RWF_NOWAIT`; beyond
//! 7.3, whose callers do not set `FMODE_NOWAIT`) takes `i_rwsem` only if
//! it is free, fails if its range needs writeback, maps with
//! `BlockMapper::map_nowait` and goes only by the direct path with one bio,
//! marked `REQ_NOWAIT`; anything else is `-EAGAIN`.

use super::complete::{conclude, Started, Submitted};
use super::rounds;
use super::simple;
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
        Ok(Started::Queued(s)) => conclude(iocb, s, Dir::Read),
        Ok(Started::OneBio(s)) => conclude(iocb, s, Dir::Read),
        Ok(Started::Done(r)) => DioReturn::Done(iocb, r),
        Err(e) if e == EAGAIN && iocb.is_nowait() => {
            DioStats::add(&STATS.nowait_again, 1);
            DioReturn::Done(iocb, Err(e))
        }
        Err(e) => {
            DioStats::add(&STATS.errors, 1);
            DioReturn::Done(iocb, Err(e))
        }
    }
}

/// Checks, flushes and submits; a read on the one-bio path is also
/// waited for here, after the lock is dropped.
fn submit<'a, M: BlockMapper>(
    c: &Call<'a, '_, M>,
    iocb: &Kiocb<'a>,
    iter: &mut IovIter<'_>,
) -> Result<Started<'a>> {
    let count = iter.count();
    if count == 0 {
        return Ok(Started::Done(Ok(0)));
    }
    let nowait = iocb.is_nowait();
    let lock = match (c.flags.locking, nowait) {
        (false, _) => None,
        (true, false) => Some(c.inode.lock_shared()),
        (true, true) => Some(c.inode.try_lock_shared().ok_or(EAGAIN)?),
    };
    let pos = iocb.pos();
    let i_size = c.inode.size();
    if pos < 0 || pos >= i_size {
        return Ok(Started::Done(Ok(0)));
    }
    let blk = rounds::block_for(c, iter, pos)?;
    if c.flags.locking {
        iocb.write_and_wait(count)?;
    }
    let mut begun = None;
    if pos.saturating_add(count as i64) <= i_size {
        // Begun before the mapping, as on the general path; the lock goes
        // before the wait, as there.
        let in_flight = c.inode.dio_begin();
        if let Some(bios) = simple::prepare(c, iocb, iter, pos, count, blk, Dir::Read)? {
            if nowait {
                DioStats::add(&STATS.nowait, 1);
            }
            return Ok(simple::run(
                c,
                iocb,
                bios,
                in_flight,
                count,
                Dir::Read,
                true,
                || drop(lock),
            ));
        }
        // Turned down: the general path goes on under the same count.
        begun = Some(in_flight);
    }
    if nowait {
        // More than one bio, a hole or the end of the file: the general
        // path may sleep (page batches, zeroing), so the caller retries
        // blocking, as block/fops.c asks for a request of several bios.
        return Err(EAGAIN);
    }
    let s = rounds::start(c, iocb, iter, pos, count, blk, Dir::Read, begun)?;
    drop(lock);
    Ok(Started::Queued(Submitted {
        bytes: s.bytes.min((i_size - pos) as usize),
        may_queue: true,
        ..s
    }))
}
