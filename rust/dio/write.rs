// SPDX-License-Identifier: GPL-2.0

//! Direct writes: the WRITE half of fs/direct-io.c, over the planner.
//!
//! The caller (`generic_file_write_iter`) holds `i_rwsem`, has flushed and
//! invalidated the page cache of the range, and after a synchronous return
//! grows `i_size` and invalidates again (DIO-SPEC 1.3). With
//! `DIO_SKIP_HOLES`, holes inside `i_size` are not filled (the walk stops
//! and the caller writes the rest buffered); blocks past it are allocated
//! and sub-block zeroed. A write for an asynchronous kiocb that neither
//! extends the file nor stops at a hole returns `-EIOCBQUEUED` and
//! completes from its last bio, which also invalidates the page cache and
//! syncs for O_DSYNC (see `super::complete`). What a failed write leaves
//! allocated past `i_size` is the caller's to trim, as with fs/direct-io.c.

use super::complete::{conclude, Started, Submitted};
use super::rounds;
use super::simple;
use super::stats::{DioStats, STATS};
use super::{BlockMapper, Call};
use crate::kernel_ext::bio::Dir;
use crate::kernel_ext::kiocb::{DioReturn, IovIter, Kiocb};
use kernel::prelude::*;

/// A write: the bytes written (short if a hole inside `i_size` stopped
/// it: the caller falls back to buffered I/O for the rest), queued, or the
/// error; an error wins over partial progress.
pub(super) fn direct_write<'a, M: BlockMapper>(
    c: &Call<'a, '_, M>,
    iocb: Kiocb<'a>,
    iter: &mut IovIter<'_>,
) -> DioReturn<'a> {
    let count = iter.count();
    match submit(c, &iocb, iter) {
        Ok(Started::Queued(s)) => {
            if s.bytes < count {
                DioStats::add(&STATS.fallbacks, 1);
            }
            conclude(iocb, s, Dir::Write)
        }
        Ok(Started::OneBio(s)) => conclude(iocb, s, Dir::Write),
        Ok(Started::Done(r)) => DioReturn::Done(iocb, r),
        Err(e) => {
            DioStats::add(&STATS.errors, 1);
            DioReturn::Done(iocb, Err(e))
        }
    }
}

/// Checks and submits; a synchronous write on the direct path is also
/// waited for here.
fn submit<'a, M: BlockMapper>(
    c: &Call<'a, '_, M>,
    iocb: &Kiocb<'a>,
    iter: &mut IovIter<'_>,
) -> Result<Started<'a>> {
    let count = iter.count();
    if count == 0 {
        return Ok(Started::Done(Ok(0)));
    }
    let pos = iocb.pos();
    if pos < 0 {
        return Err(EINVAL);
    }
    let blk = rounds::block_for(c, iter, pos)?;
    let extending = pos.saturating_add(count as i64) > c.inode.size();
    let in_flight = c.inode.dio_begin();
    if let Some(bios) = simple::prepare(c, iocb, iter, pos, count, blk, Dir::Write)? {
        return Ok(simple::run(
            c,
            iocb,
            bios,
            in_flight,
            count,
            Dir::Write,
            !extending,
            || (),
        ));
    }
    // Turned down: the general path goes on under the same count.
    let begun = Some(in_flight);
    let s = rounds::start(c, iocb, iter, pos, count, blk, Dir::Write, begun)?;
    Ok(Started::Queued(Submitted {
        may_queue: !extending && s.bytes == count,
        ..s
    }))
}
