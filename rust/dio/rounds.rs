// SPDX-License-Identifier: GPL-2.0

//! The submission loop shared by reads and writes: the user buffer is
//! taken in rounds of up to one page batch (256 pages); each round is
//! walked inside a block plug. A round's bios are waited for only when the
//! batch is needed again for the next round, so the last round's bios are
//! still in flight when this returns: the caller waits for them or queues
//! the request.

use super::complete::Submitted;
use super::plan::{dio_block, walk_read, walk_write, DioBlock, PlanError, ReadRequest};
use super::stats::DioStats;
use super::target::Target;
use super::DioFs;
use crate::kernel_ext::bio::{with_plug, Dir};
use crate::kernel_ext::fs_type::FileSystem;
use crate::kernel_ext::inode::Inode;
use crate::kernel_ext::kiocb::IovIter;
use crate::kernel_ext::request::Request;
use kernel::prelude::*;

/// The request's dio block (DIO-SPEC 1.8): `EINVAL` if `pos` or the
/// buffer is aligned to neither the fs block nor the device's logical
/// block.
pub(super) fn block_for<T: FileSystem>(
    inode: &Inode<T>,
    iter: &IovIter<'_>,
    pos: i64,
) -> Result<DioBlock> {
    dio_block(
        pos as u64,
        iter.alignment(),
        inode.block_bits(),
        inode.sb().logical_block_bits(),
    )
    .ok_or(EINVAL)
}

/// Begins the dio count, allocates the request and submits `count` bytes
/// at `pos` (see [`submit`]). The result may not be queued until the
/// caller says so.
pub(super) fn start<'a, T: DioFs>(
    inode: &'a Inode<T>,
    iter: &mut IovIter<'_>,
    pos: i64,
    count: usize,
    blk: DioBlock,
    dir: Dir,
) -> Result<Submitted<'a, T>> {
    // In this order, so that an early return drops (waits for) the
    // request before it ends the count.
    let in_flight = inode.dio_begin();
    let mut io = Request::new(inode.sb(), iter, dir, blk.bits)?;
    let stats = T::dio_stats(inode.sb());
    let bytes = submit(inode, iter, &mut io, pos as u64, count, blk, dir, stats)?;
    Ok(Submitted {
        io,
        in_flight,
        bytes,
        may_queue: false,
    })
}

/// Submits `count` bytes at `pos` in dio blocks `blk`. Returns the bytes
/// submitted (short if the walk stopped: EOF, a hole a write may not fill,
/// or a fault after progress), or the first error (a mapper error, or a
/// bio error of an earlier round, wins over progress).
#[expect(clippy::too_many_arguments)]
fn submit<T: FileSystem>(
    inode: &Inode<T>,
    iter: &mut IovIter<'_>,
    io: &mut Request,
    pos: u64,
    count: usize,
    blk: DioBlock,
    dir: Dir,
    stats: &DioStats,
) -> Result<usize> {
    let mut done = 0usize;
    while done < count {
        let batch = io.next_batch()?;
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
            pos: pos + done as u64,
            count: bytes as u64,
            blk,
        };
        let io: &Request = io;
        let walked = with_plug(|| {
            let mut target = Target { inode, io, stats };
            let segments = io.batch().segments();
            let walked = match dir {
                Dir::Read => walk_read(&req, segments, &mut target),
                Dir::Write => walk_write(&req, segments, &mut target),
            };
            io.submit();
            walked
        });
        let n = match walked {
            Ok(n) => n as usize,
            Err(PlanError::Map(e)) => return Err(e),
            Err(PlanError::Invariant) => return Err(EIO),
        };
        done += n;
        if n < bytes {
            break;
        }
    }
    Ok(done)
}
