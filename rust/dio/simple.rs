// SPDX-License-Identifier: GPL-2.0

//! The one-bio path: a request whose whole range lies inside `i_size` in
//! one run of blocks already on disk is one bio, built over the user's
//! pages directly (block/fops.c's simple and async paths, with one block
//! mapping). What fs/direct-io.c would do with such a request is the same
//! I/O: one bio (its pages all fit one), no hole to zero, no new block to
//! zero around, no boundary inside the run. Everything else takes the
//! general path (`super::rounds`), and so does a request this path turns
//! down after looking: nothing was done then, the iterator is as it was.
//!
//! A synchronous kiocb's bio is waited for here, and a read's pages are
//! dirtied after the I/O, in the submitter, instead of before it with a
//! check at completion (fs/direct-io.c dirties early only because its
//! completion may run in interrupt context, where dirtying cannot sleep).
//! An asynchronous kiocb's bio is queued by `super::complete::conclude`.

use super::complete::{Flight, Started, Submitted};
use super::plan::{DioBlock, Found};
use super::stats::{DioStats, STATS};
use super::target::{checked_map, checked_map_nowait, dev_blocks};
use super::{BlockMapper, Call};
use crate::kernel_ext::bio::{account_write, Dir};
use crate::kernel_ext::block_device::WriteThrough;
use crate::kernel_ext::kiocb::{IovIter, Kiocb};
use crate::kernel_ext::one_bio::OneBio;
use crate::kernel_ext::request::Pending;
use crate::kernel_ext::vfs_inode::DioInFlight;
use kernel::prelude::*;

/// Builds the one bio for `count` bytes at `pos` (the whole of `iter`,
/// inside `i_size`), its pages pinned, or `None` if the request is not
/// for this path (nothing done). A mapping error is returned as the
/// general path would return it: the mapping asked for is the one it
/// would ask for first.
pub(super) fn prepare<M: BlockMapper>(
    c: &Call<'_, '_, M>,
    iocb: &Kiocb<'_>,
    iter: &mut IovIter<'_>,
    pos: i64,
    count: usize,
    blk: DioBlock,
    dir: Dir,
) -> Result<Option<OneBio>> {
    // A write maps with `create` unless holes are skipped (the range is
    // inside `i_size`); looking without it would be a different question.
    if count == 0 || (dir == Dir::Write && !c.flags.skip_holes) {
        return Ok(None);
    }
    let bits = c.inode.block_bits();
    let pos = pos as u64;
    let first = pos >> bits;
    let blocks = ((pos + count as u64 - 1) >> bits) - first + 1;
    let found = if iocb.is_nowait() {
        checked_map_nowait(c, first, blocks, dev_blocks(c))?
    } else {
        checked_map(c, first, blocks, false, dev_blocks(c))?
    };
    let (pblk, boundary) = match found {
        Found::Mapped {
            pblk,
            len,
            new: false,
            boundary,
        } if len == blocks => (pblk, boundary),
        _ => return Ok(None),
    };
    let sector = (pblk << (bits - 9)) + ((pos & ((1 << bits) - 1)) >> 9);
    let len_mask = (1u32 << blk.bits) - 1;
    let Some(mut bio) = OneBio::with_pages(iocb, c.inode, c.bdev, iter, sector, dir, len_mask)
    else {
        return Ok(None);
    };
    if dir == Dir::Write {
        account_write(count);
        write_through(c, iocb, &mut bio);
    }
    DioStats::add(&STATS.rounds, 1);
    DioStats::add(&STATS.bios, 1);
    DioStats::add(&STATS.one_bio, 1);
    if boundary {
        // The run ends at the end of its pointer array: the general path
        // would submit at that boundary too, which is where this bio ends.
        DioStats::add(&STATS.boundary_flushes, 1);
    }
    Ok(Some(bio))
}

/// Writes a data-sync write through, as iomap does a pure overwrite: the
/// request overwrites blocks already mapped inside `i_size` (this path's
/// condition), so if the inode has no metadata for fsync to write, the
/// data is all there is to make durable. On a device with a volatile
/// cache the bio gets `REQ_FUA` (a device that only emulates it with a
/// flush is left to the caller's sync); on one without, a completed
/// write is durable already. The kiocb then no longer asks for data sync,
/// so neither the caller nor the completion syncs or flushes. O_SYNC
/// (the inode's times too) is always synced.
fn write_through<M: BlockMapper>(c: &Call<'_, '_, M>, iocb: &Kiocb<'_>, bio: &mut OneBio) {
    if !iocb.is_dsync_only() || !c.mapper.clean_for_data_sync() {
        return;
    }
    let Some(how) = c.bdev.write_through() else {
        return;
    };
    if how == WriteThrough::Fua {
        bio.set_fua();
    }
    iocb.set_written_through();
    DioStats::add(&STATS.write_through, 1);
}

/// Runs a prepared bio of `count` bytes. A synchronous kiocb's is
/// submitted, `unlock` is called (a read drops `i_rwsem` there, as the
/// general path does before it waits), and it is waited for. An
/// asynchronous kiocb's is handed back, after `unlock`, to be queued: it is
/// submitted then, the dio count keeping truncate off its blocks meanwhile.
pub(super) fn run<'a, M: BlockMapper>(
    c: &Call<'a, '_, M>,
    iocb: &Kiocb<'a>,
    bio: OneBio,
    in_flight: DioInFlight<'a>,
    count: usize,
    dir: Dir,
    unlock: impl FnOnce(),
) -> Started<'a> {
    if !iocb.is_sync() {
        unlock();
        return Started::OneBio(Submitted {
            io: Queueable {
                bio,
                defer: (dir == Dir::Write && iocb.is_dsync()) || c.mapper.defer_completion(),
            },
            in_flight,
            bytes: count,
            may_queue: true,
        });
    }
    let bio = bio.submit();
    unlock();
    let result = bio.wait().map(|()| count);
    drop(in_flight);
    STATS.finished(dir, &result);
    Started::Done(result)
}

/// A one-bio request of an asynchronous kiocb, to be queued (or waited for)
/// by `super::complete::conclude`.
pub(super) struct Queueable {
    pub(super) bio: OneBio,
    /// The completion must run in task context: a data-sync write, or a
    /// mapping that asked for it.
    pub(super) defer: bool,
}

impl Flight for Queueable {
    fn wait(self) -> Result {
        self.bio.submit().wait()
    }

    fn queue(self, pending: Pending) -> core::result::Result<(), (Pending, Result)> {
        if self.bio.queue(pending, self.defer)? {
            DioStats::add(&STATS.polled, 1);
        }
        Ok(())
    }
}
