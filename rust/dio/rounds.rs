// SPDX-License-Identifier: GPL-2.0

//! The submission loop shared by reads and writes: the user buffer is
//! taken in rounds of up to one page batch (256 pages); each round is
//! walked inside a block plug; every round but the last ends on a
//! filesystem block. A round's bios own pins on its pages (the batch's
//! or their own), so the next round starts at once, while they are in flight:
//! the last bios may still be in flight when this returns, and the caller
//! waits for them or queues the request.

use super::complete::Submitted;
use super::plan::{dio_block, walk_read, walk_write, DioBlock, PlanError, ReadRequest};
use super::stats::{DioStats, STATS};
use super::target::Target;
use super::{BlockMapper, Call};
use crate::kernel_ext::bio::{account_write, with_plug, Dir};
use crate::kernel_ext::kiocb::{IovIter, Kiocb};
use crate::kernel_ext::request::Request;
use crate::kernel_ext::vfs_inode::DioInFlight;
use kernel::prelude::*;

/// The request's dio block (DIO-SPEC 1.8): `EINVAL` if `pos` or the
/// buffer is aligned to neither the fs block nor the device's logical
/// block.
pub(super) fn block_for<M: BlockMapper>(
    c: &Call<'_, '_, M>,
    iter: &IovIter<'_>,
    pos: i64,
) -> Result<DioBlock> {
    dio_block(
        pos as u64,
        iter.alignment(),
        c.inode.block_bits(),
        c.bdev.logical_block_bits(),
    )
    .ok_or(EINVAL)
}

/// Begins the dio count (unless the caller has: `in_flight`, from a
/// request the one-bio path turned down), allocates the request and
/// submits `count` bytes at `pos` (see [`submit`]). The result may not be
/// queued until the caller says so.
#[allow(clippy::too_many_arguments)]
pub(super) fn start<'a, M: BlockMapper>(
    c: &Call<'a, '_, M>,
    iocb: &Kiocb<'a>,
    iter: &mut IovIter<'_>,
    pos: i64,
    count: usize,
    blk: DioBlock,
    dir: Dir,
    in_flight: Option<DioInFlight<'a>>,
) -> Result<Submitted<'a>> {
    // Before the request, so that an early return drops (waits for) the
    // request before it ends the count (a parameter is dropped after the
    // locals, too).
    let in_flight = in_flight.unwrap_or_else(|| c.inode.dio_begin());
    let mut io = Request::new(iocb, c.inode, c.bdev, iter, dir, blk.bits)?;
    let bytes = submit(c, iter, &mut io, pos as u64, count, blk, dir)?;
    if c.mapper.defer_completion() {
        io.defer_completion();
    }
    Ok(Submitted {
        io,
        in_flight,
        bytes,
        may_queue: false,
    })
}

/// Submits `count` bytes at `pos` in dio blocks `blk`. Returns the bytes
/// submitted (short if the walk stopped: EOF, a hole a write may not fill,
/// or a fault after progress), or the mapper's error (a bio error is the
/// caller's to collect when it waits).
fn submit<M: BlockMapper>(
    c: &Call<'_, '_, M>,
    iter: &mut IovIter<'_>,
    io: &mut Request,
    pos: u64,
    count: usize,
    blk: DioBlock,
    dir: Dir,
) -> Result<usize> {
    let end = pos + count as u64;
    let fs_block = 1u64 << c.inode.block_bits();
    let mut done = 0usize;
    while done < count {
        let batch = io.next_batch();
        batch.clear();
        let bytes = match batch.fill(iter, count - done) {
            Ok(b) => b,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        if bytes == 0 {
            break;
        }
        // A round that is not the last ends on a filesystem block: the
        // next round then never maps (or zeroes) a block this one did, as
        // fs/direct-io.c, which keeps its mapping across page batches,
        // never asks for a block twice. (A buffer that is not page-aligned
        // makes a 256-page round end inside a block.)
        let bytes = if done + bytes < count {
            let cut = ((pos + (done + bytes) as u64) & (fs_block - 1)) as usize;
            if cut > 0 && cut < bytes {
                batch.give_back(iter, cut);
                bytes - cut
            } else {
                bytes
            }
        } else {
            bytes
        };
        let req = ReadRequest {
            pos: pos + done as u64,
            count: bytes as u64,
            blk,
        };
        let io: &Request = io;
        let walked = with_plug(|| {
            let mut target = Target::new(c, io, end);
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
        if dir == Dir::Write {
            account_write(n);
        }
        DioStats::add(&STATS.rounds, 1);
        done += n;
        if n < bytes {
            break;
        }
    }
    Ok(done)
}
