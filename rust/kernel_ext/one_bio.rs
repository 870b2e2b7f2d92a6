// SPDX-License-Identifier: GPL-2.0

//! One bio for a whole direct I/O, with the user's pages pinned straight
//! into it (`bio_iov_iter_get_pages`), as block/fops.c's simple and async
//! paths do: no request object, no page batch, no second pin per page.
//!
//! Synchronous: [`OneBio::submit`], then [`InFlightBio::wait`]. The
//! submitter sleeps (an I/O wait) until the bio's completion clears its
//! `bi_private`, then releases the pages, dirtying them for a read, in
//! task context.
//!
//! Asynchronous: [`OneBio::queue`]. A small completion record, counted
//! twice (the submitter and the bio), goes with the bio; whichever of the
//! two lets go last completes the request: the bio, in its completion (or
//! on the superblock's direct-I/O workqueue if the request needs task
//! context), or the submitter, which then reports the result itself, as
//! with [`super::request::Request::queue`]. A read's pages are dirtied
//! before the bio is submitted and checked at completion, as
//! fs/direct-io.c does; pages cleaned in between are dirtied again on the
//! workqueue.

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

/// An unsubmitted bio holding pins on all the pages of a request.
///
/// # Invariants
///
/// `bio` is a bio of ours from `rext2_bio_alloc_for_iter`, not submitted,
/// whose pages (if any) were added by `bio_iov_iter_get_pages` from a
/// user-backed iterator, each with one pin that the bio owns. `inode` and
/// `sb` are the file's, live for the `direct_IO` call that made this.
pub(crate) struct OneBio {
    bio: NonNull<sys::bio>,
    /// A read into user memory: the pages are dirtied.
    dirty: bool,
    write: bool,
    inode: *mut sys::inode,
    sb: *mut sys::super_block,
}

impl OneBio {
    /// A bio at sector `sector` of `bdev` carrying all of `iter`, pinned,
    /// for a direct I/O on `inode`, or `None` with `iter` as it was:
    /// kernel memory (the general path handles it), more than one bio
    /// holds, a fault, or a piece not a multiple of `len_mask + 1` bytes.
    pub(crate) fn with_pages(
        iocb: &Kiocb<'_>,
        inode: &VfsInode,
        bdev: &BlockDevice,
        iter: &mut IovIter<'_>,
        sector: u64,
        dir: Dir,
        len_mask: u32,
    ) -> Option<Self> {
        if !iter.will_pin() {
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
                sector,
                dir == Dir::Write,
            )
        })?;
        let this = Self {
            bio,
            dirty: dir == Dir::Read,
            write: dir == Dir::Write,
            inode: inode.as_ptr(),
            sb: inode.sb_ptr(),
        };
        // SAFETY: an unsubmitted bio of ours and a live user-backed
        // iterator; the pins taken belong to the bio (type invariant), and
        // Drop releases them if it is not submitted.
        let got = unsafe { sys::rext2_bio_add_iter(bio.as_ptr(), iter.as_ptr(), len_mask) };
        if got == count as isize {
            return Some(this);
        }
        // Give back whatever was taken (the bio's pins go with `this`).
        let taken = count - iter.count();
        if taken > 0 {
            // SAFETY: `taken` bytes were just taken from `iter`.
            unsafe { sys::rext2_iov_iter_revert(iter.as_ptr(), taken) };
        }
        None
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
        // SAFETY: our unsubmitted bio (type invariant); its completion
        // only clears `bi_private` and wakes this task, and the bio stays
        // allocated until `InFlightBio` puts it.
        unsafe { sys::rext2_bio_submit_waited(this.bio.as_ptr()) };
        InFlightBio {
            bio: this.bio,
            dirty: this.dirty,
        }
    }

    /// Submits the bio for an asynchronous request: the bio's completion
    /// runs `pending` (in task context if `defer`, if a read's pages must
    /// be dirtied again, or if a write's file has pages in the page cache).
    /// If the bio is done before this lets go, or no completion record
    /// or workqueue can be had (then this waits), `pending` comes back with
    /// the result, for the caller to report synchronously. A kiocb that
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
        // The completion goes in only once the record exists: a failed
        // allocation must not drop it (that would complete the kiocb).
        let iocb = pending.iocb.as_ptr();
        let rec = KBox::new(
            Record {
                polled: core::ptr::null_mut(),
                refs: AtomicU32::new(2),
                error: AtomicI32::new(0),
                kept: AtomicBool::new(false),
                pending: UnsafeCell::new(None),
                work: Opaque::uninit(),
                bio: self.bio.as_ptr(),
                inode: self.inode,
                sb: self.sb,
                write: self.write,
                dirty: self.dirty,
                defer,
            },
            GFP_KERNEL,
        );
        let mut rec = match rec {
            Ok(rec) => rec,
            Err(_) => return Err((pending, self.submit().wait())),
        };
        *rec.pending.get_mut() = Some(pending);
        let this = core::mem::ManuallyDrop::new(self);
        let bio = this.bio.as_ptr();
        // SAFETY: our unsubmitted bio, the only one of the request, and
        // the request's live kiocb, which the bio's completion unnames
        // (`Record::polled`) before anything can complete the kiocb.
        let polled = unsafe { sys::rext2_bio_set_polled(bio, iocb) };
        if polled {
            rec.polled = iocb;
        }
        let rec = KBox::into_raw(rec);
        // SAFETY: our unsubmitted bio; dirtying its pages may sleep, and
        // this is the submitting task. Its completion gets the record,
        // which stays allocated while the bio's count is held (`Record`).
        unsafe {
            if this.dirty {
                sys::rext2_bio_set_pages_dirty(bio);
            }
            sys::rext2_bio_set_end_io(bio, Some(record_end_io), rec.cast());
            sys::submit_bio(bio);
        }
        // SAFETY: the submitter's count keeps the record allocated until
        // this decrement; `AcqRel` orders the bio's writes (error, kept)
        // before whoever completes.
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

/// The completion record of a queued one-bio request.
///
/// # Invariants
///
/// Allocated by [`OneBio::queue`] and freed by [`finish_record`] once
/// `refs` has gone from 2 (the submitter, the bio) to 0; each party
/// decrements once. `pending` is the submitter's until its decrement, then
/// the last party's. `bio` is the request's bio: in flight until its
/// completion, which either releases and puts it or, if a read's pages
/// must be dirtied again, sets `kept` and leaves it to the last party.
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

/// Frees the record and releases a kept bio; the pending completion and
/// the bio's result.
///
/// # Safety
///
/// Both counts of the record are gone (it is the caller's alone). In task
/// context if `task`; otherwise no bio is kept.
unsafe fn finish_record(rec: *mut Record, task: bool) -> (Option<Pending>, Result) {
    // SAFETY: the record is the caller's alone (the contract).
    let rec = unsafe { KBox::from_raw(rec) };
    if task && rec.kept.load(Ordering::Relaxed) {
        // SAFETY: a completed bio left to us; task context, so its pages
        // can be dirtied.
        unsafe { sys::rext2_bio_release(rec.bio, true) };
    }
    let result = match rec.error.load(Ordering::Relaxed) {
        0 => Ok(()),
        e => Err(Error::from_errno(e)),
    };
    let mut rec = rec;
    (rec.pending.get_mut().take(), result)
}

/// The bio's completion (any context), with `bi_private` set by
/// [`OneBio::queue`].
///
/// # Safety
///
/// `bio` is the record's bio, complete, and this is its one completion.
unsafe extern "C" fn record_end_io(bio: *mut sys::bio) {
    // SAFETY: `bi_private` is the record, kept allocated by the bio's
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
            sys::rext2_bio_release(bio, false);
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

/// The final completion of a queued one-bio request on the superblock's
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
