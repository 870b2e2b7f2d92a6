// SPDX-License-Identifier: GPL-2.0

//! A bio built straight over the user's pages (`bio_iov_iter_get_pages`),
//! as block/fops.c's simple and async paths and iomap build theirs: no
//! request object, no page batch, no second pin per page. The bio is
//! placed on up to [`MAX_RUNS`] runs of blocks ([`OneBio::place`]) and
//! split at their ends when it is submitted; it completes once, after all
//! its pieces.
//!
//! Synchronous: [`OneBio::submit`], then [`InFlightBio::wait`]. The
//! submitter sleeps (an I/O wait) until the bio's completion clears its
//! `bi_private`, then releases the pages, dirtying them for a read, in
//! task context.
//!
//! Asynchronous: [`OneBio::queue`]. A small completion record, counted
//! twice (the submitter and the bio), goes in the bio's front pad;
//! whichever of the two lets go last completes the request: the bio, in
//! its completion (or on the superblock's direct-I/O workqueue if the
//! request needs task context), or the submitter, which then reports the
//! result itself, as with [`super::request::Request::queue`]. A read's
//! pages are dirtied before the bio is submitted and checked at
//! completion, as fs/direct-io.c does; pages cleaned in between are
//! dirtied again on the workqueue.

use super::bio::Dir;
use super::block_device::BlockDevice;
use super::kiocb::{IovIter, Kiocb};
use super::request::{Context, Pending};
use super::sys;
use super::vfs_inode::VfsInode;
use core::cell::UnsafeCell;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, Ordering};
use kernel::prelude::*;
use kernel::types::Opaque;

/// The bio set of the direct path (`rext2_one_bio_set_init`): each bio
/// has room in front of it for the completion [`Record`] of an
/// asynchronous request. One per module, made before any filesystem can
/// use the engine, dropped after the last one has.
pub(crate) struct OneBioSet {
    _private: (),
}

impl OneBioSet {
    /// Sets the bio set up.
    pub(crate) fn new() -> Result<Self> {
        // The front pad ends where the bio starts, at a multiple of 8
        // bytes from the slab object, whose alignment is at least 8.
        const { assert!(core::mem::align_of::<Record>() <= 8) };
        let pad = core::mem::size_of::<Record>().next_multiple_of(8) as u32;
        // SAFETY: module initialisation, once, before any bio of the set
        // can be asked for (`rext2_bio_alloc_for_iter` refuses until then).
        kernel::error::to_result(unsafe { sys::rext2_one_bio_set_init(pad) })?;
        Ok(Self { _private: () })
    }
}

impl Drop for OneBioSet {
    fn drop(&mut self) {
        // SAFETY: module exit: every filesystem using the engine is gone,
        // and with it every bio of the set (each is put before the request
        // that owns it ends).
        unsafe { sys::rext2_one_bio_set_exit() };
    }
}

/// The most runs of blocks one [`OneBio`] is placed on.
pub(crate) const MAX_RUNS: usize = 8;

/// An unsubmitted bio holding pins on all the pages of a request.
///
/// # Invariants
///
/// `bio` is a bio of ours from `rext2_bio_alloc_for_iter` (so of the
/// [`OneBioSet`], with its front pad), not submitted,
/// whose pages (if any) were added by `bio_iov_iter_get_pages` from a
/// user-backed iterator, each with one pin that the bio owns. `inode` and
/// `sb` are the file's, live for the `direct_IO` call that made this.
pub(crate) struct OneBio {
    bio: NonNull<sys::bio>,
    /// The bytes added from the iterator.
    bytes: usize,
    /// Where the bio goes on disk: `sectors[i]`, `run_bytes[i]` for each of
    /// the first `runs` runs ([`OneBio::place`]).
    sectors: [u64; MAX_RUNS],
    run_bytes: [u32; MAX_RUNS],
    runs: usize,
    /// The bytes placed so far.
    placed: usize,
    /// A read into user memory: the pages are dirtied.
    dirty: bool,
    write: bool,
    inode: *mut sys::inode,
    sb: *mut sys::super_block,
}

impl OneBio {
    /// A bio for `bdev` carrying the first `max` bytes of `iter` (fewer if
    /// the bio fills up first: see [`OneBio::bytes`]), pinned, for a direct
    /// I/O on `inode`, or `None` with `iter` as it was: kernel memory (the
    /// general path handles it), a fault before anything was pinned, or a
    /// total not a multiple of `len_mask + 1` bytes. It is placed on disk
    /// with [`OneBio::place`] before it is submitted.
    pub(crate) fn with_pages(
        iocb: &Kiocb<'_>,
        inode: &VfsInode,
        bdev: &BlockDevice,
        iter: &mut IovIter<'_>,
        max: usize,
        dir: Dir,
        len_mask: u32,
    ) -> Option<Self> {
        if !iter.will_pin() || max == 0 {
            return None;
        }
        let count = iter.count();
        // SAFETY: `bdev` is open and `iocb` live for the call (their
        // invariants); `iter` is live and ours. bio_alloc with GFP_KERNEL
        // from the fs bio set does not fail, but NULL is handled.
        let bio = NonNull::new(unsafe {
            sys::rext2_bio_alloc_for_iter(
                bdev.as_ptr(),
                iocb.as_ptr(),
                iter.as_ptr(),
                max,
                dir == Dir::Write,
            )
        })?;
        let mut this = Self {
            bio,
            bytes: 0,
            sectors: [0; MAX_RUNS],
            run_bytes: [0; MAX_RUNS],
            runs: 0,
            placed: 0,
            dirty: dir == Dir::Read,
            write: dir == Dir::Write,
            inode: inode.as_ptr(),
            sb: inode.sb_ptr(),
        };
        // SAFETY: an unsubmitted bio of ours and a live user-backed
        // iterator; the pins taken belong to the bio (type invariant), and
        // Drop releases them if it is not submitted.
        let got = unsafe { sys::rext2_bio_add_iter(bio.as_ptr(), iter.as_ptr(), max, len_mask) };
        if let Ok(got @ 1..) = usize::try_from(got) {
            this.bytes = got;
            return Some(this);
        }
        // Give back whatever was taken (the bio's pins go with `this`).
        iter.revert(count - iter.count());
        None
    }

    /// The bytes the bio carries.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// Places the next `bytes` bytes of the bio (after those placed
    /// already) at `sector`: a run of blocks. `false`, and nothing placed,
    /// if that is no whole number of sectors, goes past the bio's end, or
    /// the bio has [`MAX_RUNS`] runs already. A bio submitted before all of
    /// it is placed fails with an I/O error without reaching the device.
    pub(crate) fn place(&mut self, sector: u64, bytes: usize) -> bool {
        let (Some(s), Some(b), Ok(len)) = (
            self.sectors.get_mut(self.runs),
            self.run_bytes.get_mut(self.runs),
            u32::try_from(bytes),
        ) else {
            return false;
        };
        if len == 0 || len % 512 != 0 || bytes > self.bytes - self.placed {
            return false;
        }
        *s = sector;
        *b = len;
        self.runs += 1;
        self.placed += bytes;
        true
    }

    /// How many runs the bio is placed on.
    pub(crate) fn runs(&self) -> usize {
        self.runs
    }

    /// Makes the write durable when it completes (`REQ_FUA`).
    pub(crate) fn set_fua(&mut self) {
        // SAFETY: our unsubmitted bio (type invariant): its flags are ours
        // to set.
        unsafe { sys::rext2_bio_set_fua(self.bio.as_ptr()) };
    }

    /// Submits the bio for a synchronous request; the I/O ends with
    /// [`InFlightBio::wait`].
    pub(crate) fn submit(self) -> InFlightBio {
        let this = core::mem::ManuallyDrop::new(self);
        // SAFETY: our unsubmitted bio (type invariant), with its runs (the
        // first `runs` entries of the arrays, which the call only reads;
        // runs that do not add up to the bio fail it with an I/O error);
        // its completion only clears `bi_private` and wakes this task, and
        // the bio stays allocated until `InFlightBio` puts it.
        unsafe {
            sys::rext2_bio_submit_waited(
                this.bio.as_ptr(),
                this.sectors.as_ptr(),
                this.run_bytes.as_ptr(),
                this.runs as u32,
            )
        };
        InFlightBio {
            bio: this.bio,
            dirty: this.dirty,
        }
    }

    /// Submits the bio for an asynchronous request: the bio's completion
    /// runs `pending` (in task context if `defer`, if a read's pages must
    /// be dirtied again, or if a write's file has pages in the page cache).
    /// If the bio is done before this lets go, or no workqueue can be had
    /// (then this waits), `pending` comes back with the result, for the
    /// caller to report synchronously. The completion record lives in the
    /// bio's front pad: no allocation. A kiocb that
    /// asks for polled completion (`IOCB_HIPRI`) has its bio polled (see
    /// `rext2_bio_set_polled`); `Ok` says whether it was.
    pub(crate) fn queue(
        self,
        pending: Pending,
        defer: bool,
    ) -> core::result::Result<bool, (Pending, Result)> {
        // SAFETY: the superblock is live during the call (type invariant);
        // process context.
        if unsafe { sys::rext2_sb_dio_wq(self.sb) } != 0 {
            return Err((pending, self.submit().wait()));
        }
        let iocb = pending.iocb.as_ptr();
        let this = core::mem::ManuallyDrop::new(self);
        let bio = this.bio.as_ptr();
        // SAFETY: our unsubmitted bio, the only one of the request (it is
        // polled only if it goes to the device whole, as one run), and the
        // request's live kiocb, which the bio's completion unnames
        // (`Record::polled`) before anything can complete the kiocb.
        let polled = this.runs == 1 && unsafe { sys::rext2_bio_set_polled(bio, iocb) };
        // SAFETY: the bio is of the direct path's bio set (type
        // invariant), whose front pad has room for a `Record`, aligned
        // (`OneBioSet::new`); nothing else uses that room, and the record
        // lives there until `finish_record` puts the bio.
        let rec: *mut Record = unsafe { sys::rext2_one_bio_front(bio) }.cast();
        // SAFETY: as above: the room is ours, uninitialised.
        unsafe {
            rec.write(Record {
                polled: if polled { iocb } else { core::ptr::null_mut() },
                refs: AtomicU32::new(2),
                error: AtomicI32::new(0),
                kept: AtomicBool::new(false),
                pending: UnsafeCell::new(Some(pending)),
                work: Opaque::uninit(),
                bio,
                inode: this.inode,
                sb: this.sb,
                write: this.write,
                dirty: this.dirty,
                defer,
            })
        };
        // SAFETY: our unsubmitted bio; dirtying its pages may sleep, and
        // this is the submitting task. Its completion gets the record,
        // which stays in place while the bio's count is held (`Record`).
        unsafe {
            if this.dirty {
                sys::rext2_bio_set_pages_dirty(bio);
            }
            sys::rext2_bio_set_end_io(bio, Some(record_end_io), rec.cast());
            sys::rext2_bio_submit_runs(
                bio,
                this.sectors.as_ptr(),
                this.run_bytes.as_ptr(),
                this.runs as u32,
            );
        }
        // SAFETY: the submitter's count keeps the record (and its bio) in
        // place until this decrement; `AcqRel` orders the bio's writes
        // (error, kept) before whoever completes.
        if unsafe { &*rec }.refs.fetch_sub(1, Ordering::AcqRel) != 1 {
            return Ok(polled);
        }
        // SAFETY: both counts are gone: the record is ours alone; task
        // context.
        let (pending, result) = unsafe { finish_record(rec, true) };
        match pending {
            Some(pending) => Err((pending, result)),
            None => Ok(polled),
        }
    }
}

impl Drop for OneBio {
    fn drop(&mut self) {
        // SAFETY: an unsubmitted bio of ours: its pins are released
        // (clean: nothing was read into the pages) and the bio put.
        unsafe { sys::rext2_bio_release(self.bio.as_ptr(), false) };
    }
}

/// A submitted synchronous [`OneBio`]. Dropping it waits too.
///
/// # Invariants
///
/// `bio` was submitted by [`OneBio::submit`] and is not yet put.
pub(crate) struct InFlightBio {
    bio: NonNull<sys::bio>,
    dirty: bool,
}

impl InFlightBio {
    fn finish(&mut self) -> Result {
        // SAFETY: our submitted bio (type invariant), waited for, released
        // and put exactly once: `wait` forgets `self` after this, Drop is
        // the other caller. Task context (the submitter).
        let err = unsafe { sys::rext2_bio_wait(self.bio.as_ptr(), self.dirty) };
        match err {
            0 => Ok(()),
            e => Err(Error::from_errno(e)),
        }
    }

    /// Waits for the bio, releases its pages and frees it; its error, if
    /// any.
    pub(crate) fn wait(self) -> Result {
        let mut this = core::mem::ManuallyDrop::new(self);
        this.finish()
    }
}

impl Drop for InFlightBio {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

/// The completion record of a queued request of the direct path.
///
/// # Invariants
///
/// Written by [`OneBio::queue`] into the front pad of its bio, `bio`, and
/// ended by [`finish_record`], which puts the bio (and so frees the
/// record's room), once `refs` has gone from 2 (the submitter, the bio)
/// to 0; each party decrements once. `pending` is the submitter's until
/// its decrement, then the last party's. The bio is in flight until its
/// completion, which releases its pages or, if a read's pages must be
/// dirtied again, sets `kept` and leaves them to the last party.
struct Record {
    /// The kiocb whose `private` names the bio for polling (null if it
    /// is not polled): live until the bio's completion, which clears it
    /// first.
    polled: *mut sys::kiocb,
    refs: AtomicU32,
    /// The bio's errno, 0 if none.
    error: AtomicI32,
    /// The completed bio waits to be released in task context.
    kept: AtomicBool,
    pending: UnsafeCell<Option<Pending>>,
    work: Opaque<sys::work_struct>,
    bio: *mut sys::bio,
    inode: *mut sys::inode,
    sb: *mut sys::super_block,
    write: bool,
    dirty: bool,
    defer: bool,
}

/// Ends the record: releases the pages of a kept bio, takes the pending
/// completion and the bio's result out, and puts the bio, which frees the
/// record's room.
///
/// # Safety
///
/// Both counts of the record are gone (it is the caller's alone), and its
/// bio has completed. In task context if `task`; otherwise no bio is kept.
unsafe fn finish_record(rec: *mut Record, task: bool) -> (Option<Pending>, Result) {
    // SAFETY: the record is the caller's alone (the contract), initialised
    // by `OneBio::queue`; it is read out once, and its room not used again.
    let mut r = unsafe { rec.read() };
    if task && r.kept.load(Ordering::Relaxed) {
        // SAFETY: a completed bio whose pages were left to us; task
        // context, so they can be dirtied.
        unsafe { sys::rext2_bio_release_pages(r.bio, true) };
    }
    let result = match r.error.load(Ordering::Relaxed) {
        0 => Ok(()),
        e => Err(Error::from_errno(e)),
    };
    let pending = r.pending.get_mut().take();
    // SAFETY: the bio has completed and its pages are released; this is
    // the last use of it and of the record's room in its front pad.
    unsafe { sys::rext2_bio_put(r.bio) };
    (pending, result)
}

/// The bio's completion (any context), with `bi_private` set by
/// [`OneBio::queue`].
///
/// # Safety
///
/// `bio` is the record's bio, complete, and this is its one completion.
unsafe extern "C" fn record_end_io(bio: *mut sys::bio) {
    // SAFETY: `bi_private` is the record, kept in place by the bio's
    // count until the decrement below.
    let rec = unsafe { sys::rext2_bio_private(bio) }.cast::<Record>();
    // SAFETY: as above.
    let r = unsafe { &*rec };
    if !r.polled.is_null() {
        // SAFETY: the kiocb is live: its completion comes after this, by
        // this function or by the submitter once the count below is gone.
        unsafe { sys::rext2_kiocb_clear_polled(r.polled) };
    }
    // SAFETY: the bio is complete and ours. Pages read into that are still
    // dirty, and pages written from, are released here; pages cleaned
    // meanwhile must be dirtied again, which may sleep: kept for task
    // context.
    unsafe {
        r.error.store(sys::rext2_bio_errno(bio), Ordering::Relaxed);
        if r.dirty && !sys::rext2_bio_pages_dirty(bio) {
            r.kept.store(true, Ordering::Relaxed);
        } else {
            sys::rext2_bio_release_pages(bio, false);
        }
    }
    if r.refs.fetch_sub(1, Ordering::AcqRel) != 1 {
        // The submitter finishes; `r` is not used again.
        return;
    }
    // The last party: the record is ours. Its inode and superblock are
    // live (the pending kiocb's file is open).
    let needs_task = r.kept.load(Ordering::Relaxed)
        || r.defer
        // SAFETY: as above.
        || (r.write && unsafe { sys::rext2_inode_has_pages(r.inode) });
    if needs_task {
        // SAFETY: the superblock has a workqueue (`queue` made sure); the
        // work item is queued once and runs `record_work`.
        unsafe { sys::rext2_queue_dio_work(r.sb, r.work.get(), Some(record_work)) };
        return;
    }
    // SAFETY: the record is ours alone and no bio is kept.
    let (pending, result) = unsafe { finish_record(rec, false) };
    if let Some(p) = pending {
        (p.finish)(p.iocb, p.bytes, result, Context::Atomic);
    }
}

/// The final completion of a queued direct-path request on the superblock's
/// direct-I/O workqueue (task context).
///
/// # Safety
///
/// `work` is the `work` field of a record whose counts are gone, queued
/// once by [`record_end_io`].
unsafe extern "C" fn record_work(work: *mut sys::work_struct) {
    let off = core::mem::offset_of!(Record, work);
    // SAFETY: `work` is the `work` field of a `Record`, `off` bytes in.
    let rec = unsafe { work.cast::<u8>().sub(off).cast::<Record>() };
    // SAFETY: the record is ours alone (the workqueue is done with `work`
    // once this runs); task context.
    let (pending, result) = unsafe { finish_record(rec, true) };
    if let Some(p) = pending {
        (p.finish)(p.iocb, p.bytes, result, Context::Task);
    }
}
