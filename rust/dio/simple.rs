// SPDX-License-Identifier: GPL-2.0

//! The direct path: a request built as one bio straight over the user's
//! pages, split where the blocks under it stop being contiguous (block/
//! fops.c's simple and async paths, iomap's loop over extents), instead of
//! a page batch walked page by page. A write that may allocate has its
//! pages pinned before its blocks are mapped, as fs/direct-io.c does (so
//! it allocates only under pages it holds); any other request is mapped
//! first (so one turned down has pinned nothing). Mapping goes run by run,
//! and each run becomes one piece of the bio
//! (`bio_split`, chained): the same I/O fs/direct-io.c does with such a
//! request, one bio per run (a run ends where the disk stops being
//! contiguous or at a boundary, where it submits), with no hole to zero and
//! no new block to zero around. Taken when:
//!
//! - the request fits one bio (256 pages);
//! - every block of the range is mapped (a read, or a write inside
//!   `i_size` with `DIO_SKIP_HOLES`), or the write is aligned to the
//!   filesystem block at both ends, so that blocks allocated for it need
//!   no sub-block zeroing;
//! - a read lies inside `i_size`;
//! - an `IOCB_NOWAIT` read is one run (as block/fops.c, which asks for a
//!   blocking retry of a request that needs several bios).
//!
//! Everything else takes the general path (`super::rounds`), and so does a
//! request this path turns down after looking: its pins are dropped and
//! the iterator is as it was. Blocks it allocated before that (a write of
//! more runs than [`MAX_RUNS`]) stay mapped; the write is block-aligned,
//! so the general path has nothing to zero around them, and their aliases
//! are already forgotten.
//!
//! A synchronous kiocb's bio is waited for here, and a read's pages are
//! dirtied after the I/O, in the submitter, instead of before it with a
//! check at completion (fs/direct-io.c dirties early only because its
//! completion may run in interrupt context, where dirtying cannot sleep).
//! An asynchronous kiocb's bio is queued by `super::complete::conclude`:
//! it completes once, after all its pieces.

use super::complete::{Flight, Started, Submitted};
use super::plan::{DioBlock, Found};
use super::stats::{DioStats, STATS};
use super::target::{checked_map, checked_map_nowait, dev_blocks};
use super::{BlockMapper, Call};
use crate::kernel_ext::bio::{account_write, Dir};
use crate::kernel_ext::block_device::WriteThrough;
use crate::kernel_ext::kiocb::{IovIter, Kiocb};
use crate::kernel_ext::one_bio::{OneBio, MAX_RUNS};
use crate::kernel_ext::request::Pending;
use crate::kernel_ext::vfs_inode::DioInFlight;
use kernel::prelude::*;

/// Turns a request down: drops the bio (its pins go) and puts its bytes
/// back into `iter`.
fn give_back<T>(bio: OneBio, iter: &mut IovIter<'_>) -> Option<T> {
    let taken = bio.bytes();
    drop(bio);
    iter.revert(taken);
    None
}

/// Turns a request down, giving back its bio if it has one yet.
fn turn_down<T>(bio: Option<OneBio>, iter: &mut IovIter<'_>) -> Option<T> {
    if let Some(bio) = bio {
        give_back::<()>(bio, iter);
    }
    None
}

/// Pins `count` bytes at `pos` (the whole of `iter`) into one bio and
/// places it on the blocks they map to, or `None` if the request is not
/// for this path (then nothing is left pinned and `iter` is as it was). A
/// mapping error is returned as the general path would return it: the
/// mappings asked for are the ones it would ask for, in the same order.
/// A request that may allocate is pinned before it is mapped; any other
/// is mapped first.
pub(super) fn prepare<M: BlockMapper>(
    c: &Call<'_, '_, M>,
    iocb: &Kiocb<'_>,
    iter: &mut IovIter<'_>,
    pos: i64,
    count: usize,
    blk: DioBlock,
    dir: Dir,
) -> Result<Option<OneBio>> {
    if count == 0 || pos < 0 {
        return Ok(None);
    }
    let bits = c.inode.block_bits();
    let block_mask = (1u64 << bits) - 1;
    let pos = pos as u64;
    let end = pos + count as u64;
    let i_size = c.inode.size().max(0) as u64;
    let last = (end - 1) >> bits;
    // As fs/direct-io.c's get_more_blocks(): a write allocates unless
    // holes are skipped and the mapping starts inside `i_size`.
    let creates = |lblk: u64| {
        dir == Dir::Write && (!c.flags.skip_holes || i_size == 0 || lblk > (i_size - 1) >> bits)
    };
    let may_create = creates(last);
    if may_create && (pos | end) & block_mask != 0 {
        // New blocks would need zeroing around the data.
        return Ok(None);
    }
    let len_mask = (1u32 << blk.bits) - 1;
    let pin = |iter: &mut IovIter<'_>| {
        let bio = OneBio::with_pages(iocb, c.inode, c.bdev, iter, count, dir, len_mask)?;
        if bio.bytes() < count {
            // More than one bio holds.
            return give_back(bio, iter);
        }
        Some(bio)
    };
    // A write that may allocate pins its pages first, so that it allocates
    // only under pages it holds (fs/direct-io.c's order); anything else
    // maps first, so that a request turned down (a hole, too many runs)
    // has pinned and allocated nothing.
    let mut pinned = None;
    if may_create {
        let Some(bio) = pin(iter) else {
            return Ok(None);
        };
        pinned = Some(bio);
    }
    let nowait = iocb.is_nowait();
    let dev = dev_blocks(c);
    let mut runs = [(0u64, 0usize); MAX_RUNS];
    let mut n = 0;
    let mut fresh = false;
    let mut boundaries = 0;
    let mut lblk = pos >> bits;
    let mut at = pos;
    while at < end {
        if n == MAX_RUNS || (nowait && n == 1) {
            return Ok(turn_down(pinned, iter));
        }
        let blocks = last - lblk + 1;
        let found = if nowait {
            checked_map_nowait(c, lblk, blocks, dev)
        } else {
            checked_map(c, lblk, blocks, creates(lblk), dev)
        };
        let (pblk, len, new, boundary) = match found {
            Ok(Found::Mapped {
                pblk,
                len,
                new,
                boundary,
            }) => (pblk, len, new, boundary),
            Ok(Found::Hole) => return Ok(turn_down(pinned, iter)),
            Err(e) => {
                turn_down::<()>(pinned, iter);
                return Err(e);
            }
        };
        if new {
            // As the general path does with the blocks it allocates.
            c.bdev.forget_aliases(pblk, len);
            fresh = true;
        }
        let run_end = ((lblk + len) << bits).min(end);
        let sector = (pblk << (bits - 9)) + ((at & block_mask) >> 9);
        if let Some(r) = runs.get_mut(n) {
            *r = (sector, (run_end - at) as usize);
            n += 1;
        }
        if boundary {
            // The run ends at the end of its pointer array: the general
            // path would submit at that boundary too, which is where this
            // run's piece of the bio ends.
            boundaries += 1;
        }
        at = run_end;
        lblk += len;
    }
    let mut bio = match pinned {
        Some(bio) => bio,
        None => match pin(iter) {
            Some(bio) => bio,
            None => return Ok(None),
        },
    };
    for &(sector, bytes) in runs.iter().take(n) {
        if !bio.place(sector, bytes) {
            return Ok(give_back(bio, iter));
        }
    }
    if dir == Dir::Write {
        account_write(count);
        if !fresh && end <= i_size {
            write_through(c, iocb, &mut bio);
        }
    }
    let runs = bio.runs() as u64;
    DioStats::add(&STATS.rounds, 1);
    DioStats::add(&STATS.bios, runs);
    DioStats::add(
        if runs == 1 {
            &STATS.one_bio
        } else {
            &STATS.multi_bio
        },
        1,
    );
    DioStats::add(&STATS.boundary_flushes, boundaries);
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
/// asynchronous kiocb's is handed back, after `unlock`, to be queued if
/// `may_queue` (else waited for): it is submitted then, the dio count
/// keeping truncate off its blocks meanwhile.
#[allow(clippy::too_many_arguments)]
pub(super) fn run<'a, M: BlockMapper>(
    c: &Call<'a, '_, M>,
    iocb: &Kiocb<'a>,
    bio: OneBio,
    in_flight: DioInFlight<'a>,
    count: usize,
    dir: Dir,
    may_queue: bool,
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
            may_queue,
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
