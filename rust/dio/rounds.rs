// SPDX-License-Identifier: GPL-2.0

//! The request loop shared by reads and writes: the user buffer is taken
//! in rounds of up to one page batch (256 pages); each round is walked
//! inside a block plug and its bios are waited for before its pins are
//! released.

use super::plan::{walk_read, walk_write, DioBlock, PlanError, ReadRequest};
use super::stats::DioStats;
use super::target::Target;
use crate::kernel_ext::bio::{with_plug, Dir, RoundIo};
use crate::kernel_ext::fs_type::FileSystem;
use crate::kernel_ext::inode::Inode;
use crate::kernel_ext::kiocb::IovIter;
use crate::kernel_ext::pages::PageBatch;
use kernel::prelude::*;

/// Runs `count` bytes at `pos` in dio blocks `blk`. Returns the bytes done
/// (short if the walk stopped: EOF, a hole a write may not fill, or a
/// fault after progress), or the first error (a mapper or bio error wins
/// over progress).
pub(super) fn run<T: FileSystem>(
    inode: &Inode<T>,
    iter: &mut IovIter<'_>,
    pos: u64,
    count: usize,
    blk: DioBlock,
    dir: Dir,
    stats: &DioStats,
) -> Result<usize> {
    let mut done = 0usize;
    // The request's one allocation: the page batch, reused every round.
    // Pages read into are dirtied when released.
    let mut batch = PageBatch::new(iter, dir == Dir::Read)?;
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
            pos: pos + done as u64,
            count: bytes as u64,
            blk,
        };
        let mut io = RoundIo::new(inode.sb(), &batch, blk.bits, dir)?;
        let walked = with_plug(|| {
            let mut target = Target {
                inode,
                io: &mut io,
                stats,
            };
            match dir {
                Dir::Read => walk_read(&req, batch.segments(), &mut target),
                Dir::Write => walk_write(&req, batch.segments(), &mut target),
            }
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
