// SPDX-License-Identifier: GPL-2.0

//! Direct reads: the READ half of fs/direct-io.c, over the planner.
//!
//! Per DIO-SPEC 1.5, with DIO_LOCKING: `i_rwsem` is held while blocks are
//! mapped and bios built; the range is flushed from the page cache first;
//! `i_dio_count` covers the I/O. The user buffer is taken in rounds of up
//! to 256 pinned pages; each round's bios are waited for before its pins
//! are released (pages dirtied, in task context). AIO and io_uring
//! requests are completed synchronously for now (see
//! Documentation/rext2.rst).

use super::plan::dio_block;
use super::rounds;
use super::stats::DioStats;
use super::DioFs;
use crate::kernel_ext::bio::Dir;
use crate::kernel_ext::fs_type::FileSystem;
use crate::kernel_ext::inode::Inode;
use crate::kernel_ext::kiocb::{IovIter, Kiocb};
use kernel::prelude::*;

/// `direct_IO` for a read. Returns the bytes read (short at EOF), or the
/// error that stopped it; a bio error wins over partial progress.
pub(crate) fn direct_read<T: DioFs>(iocb: &Kiocb<'_>, iter: &mut IovIter<'_>) -> Result<usize> {
    let inode = iocb.inode::<T>();
    let stats = T::dio_stats(inode.sb());
    let r = read(iocb, iter, inode, stats);
    match r {
        Ok(n) => {
            DioStats::add(&stats.reads, 1);
            DioStats::add(&stats.read_bytes, n as u64);
            if !iocb.is_sync() {
                DioStats::add(&stats.aio_sync, 1);
            }
        }
        Err(_) => DioStats::add(&stats.errors, 1),
    }
    r
}

fn read<T: FileSystem>(
    iocb: &Kiocb<'_>,
    iter: &mut IovIter<'_>,
    inode: &Inode<T>,
    stats: &DioStats,
) -> Result<usize> {
    let count = iter.count();
    if count == 0 {
        return Ok(0);
    }
    let _lock = inode.lock();
    let pos = iocb.pos();
    let i_size = inode.size();
    if pos < 0 || pos >= i_size {
        return Ok(0);
    }
    let blk = dio_block(
        pos as u64,
        iter.alignment(),
        inode.block_bits(),
        inode.sb().logical_block_bits(),
    )
    .ok_or(EINVAL)?;
    inode.write_and_wait(pos, pos.saturating_add(count as i64 - 1))?;
    let _in_flight = inode.dio_begin();
    let done = rounds::run(inode, iter, pos as u64, count, blk, Dir::Read, stats)?;
    Ok(done.min((i_size - pos) as usize))
}
