// SPDX-License-Identifier: GPL-2.0

//! One direct-I/O request: its page batch, its bios in flight, and its
//! completion (fs/direct-io.c's `struct dio`).
//!
//! Completion protocol (DIO-SPEC 7.1): a reference count and the first bio
//! error under one spinlock taken with interrupts off, because bio
//! completions run in interrupt context. The submitter holds one
//! reference, each submitted bio one more. The submitter either
//!
//! - waits ([`Request::wait`], or dropping the [`Request`]) until only its
//!   own reference is left, and then owns the whole request again; or
//! - queues ([`Request::queue`]): it hands over a [`Pending`] completion
//!   and drops its reference in the same critical section that sets
//!   `queued`. If that was the last reference, every bio had already
//!   finished and the submitter gets the completion back to report
//!   synchronously. Otherwise the bio that takes the count to zero runs
//!   it.
//!
//! The count reaches zero at most once: only the submitter's queueing can
//! take away the last non-bio reference, and afterwards nothing adds one.
//! So the final completion runs exactly once, by exactly one party. It
//! releases the pages (dirtying pages read into, which may sleep) and
//! calls the [`Pending`] function (page-cache invalidation, fsync,
//! `ki_complete`), so it needs task context and must not run inside
//! whatever context completed the bio (an interrupt, or a driver's worker
//! that a flush may need): the last bio's end_io queues it on the
//! superblock's direct-I/O workqueue (`s_dio_done_wq`, as fs/direct-io.c
//! does for its deferred completions), which unmount drains.

use super::bio::Dir;
use super::fs_type::FileSystem;
use super::kiocb::{AsyncIocb, IovIter};
use super::pages::{PageBatch, PageRef};
use super::super_block::SuperBlock;
use super::sys;
use core::cell::{Cell, UnsafeCell};
use core::ptr::{null_mut, NonNull};
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::prelude::*;
use kernel::sync::{new_condvar, new_spinlock_irq, CondVar, SpinLockIrq};
use kernel::types::Opaque;

/// The slab cache of requests (`rext2_dio`), for the module's lifetime.
static CACHE: AtomicPtr<sys::kmem_cache> = AtomicPtr::new(null_mut());

/// Creates the request cache (module init).
pub(crate) fn create_cache() -> Result {
    // SAFETY: a valid NUL-terminated name; the size and alignment are
    // those of the objects the cache will hold.
    let cache = unsafe {
        sys::rext2_object_cache_create(
            c"rext2_dio".as_char_ptr(),
            core::mem::size_of::<Inner>() as u32,
            core::mem::align_of::<Inner>() as u32,
        )
    };
    if cache.is_null() {
        return Err(ENOMEM);
    }
    CACHE.store(cache, Ordering::Release);
    Ok(())
}

/// Destroys the request cache (module exit, or a failed init).
pub(crate) fn destroy_cache() {
    let cache = CACHE.swap(null_mut(), Ordering::AcqRel);
    if !cache.is_null() {
        // SAFETY: no request is left: every one is freed before its kiocb
        // completes or its `direct_IO` returns, and no filesystem is
        // registered any more (or ever was).
        unsafe { sys::kmem_cache_destroy(cache) };
    }
}

/// The completion of a queued request.
pub(crate) struct Pending {
    /// The kiocb to complete.
    pub(crate) iocb: AsyncIocb,
    /// Bytes the request submitted (what `ki_pos` advances by).
    pub(crate) bytes: usize,
    /// Runs once in task context after the pages were released, with the
    /// first bio error if any.
    pub(crate) finish: fn(AsyncIocb, usize, Result),
}

struct State {
    /// The submitter's reference (until it queues) plus one per bio in
    /// flight.
    refs: u32,
    /// The first bio error (an errno), 0 if none.
    error: i32,
    /// The submitter has let go: the last bio completes the request.
    queued: bool,
}

#[pin_data]
struct Inner {
    #[pin]
    state: SpinLockIrq<State>,
    /// Signalled when `refs` drops back to 1 (only the submitter's).
    #[pin]
    idle: CondVar,
    /// Submitter-only until the final completion, which owns everything.
    batch: UnsafeCell<PageBatch>,
    /// The bio under assembly (submitter-only).
    open: Cell<Option<NonNull<sys::bio>>>,
    /// Written by the submitter before it queues; taken by the final
    /// completion.
    pending: UnsafeCell<Option<Pending>>,
    /// The final completion's work item, once queued.
    #[pin]
    work: Opaque<sys::work_struct>,
    sb: *mut sys::super_block,
    bdev: *mut sys::block_device,
    write: bool,
    /// Sectors per dio block, as a shift.
    sector_shift: u32,
}

/// The submitter's handle on a request.
///
/// # Invariants
///
/// `inner` points at a live, pinned `Inner` allocated from the request
/// cache by [`Request::new`], whose `state.refs` counts one reference for this handle. The bios in
/// flight use only `state` and `idle`; `batch`, `open` and `pending` are
/// this handle's alone. Every page a bio in flight points at belongs to
/// the batch (or is the zero page), and the batch is only changed after
/// the bios in flight are done ([`Request::next_batch`]).
pub(crate) struct Request {
    inner: NonNull<Inner>,
}

impl Request {
    /// A request on `sb`'s device, for the pages of `iter`, in dio blocks
    /// of `1 << dio_bits` bytes: the only allocation of a direct I/O, from
    /// the module's request cache.
    pub(crate) fn new<T: FileSystem>(
        sb: &SuperBlock<T>,
        iter: &IovIter<'_>,
        dir: Dir,
        dio_bits: u32,
    ) -> Result<Self> {
        let cache = CACHE.load(Ordering::Acquire);
        if cache.is_null() {
            return Err(ENOMEM);
        }
        // SAFETY: a live cache of objects of `Inner`'s size and alignment.
        let Some(slot) =
            NonNull::new(unsafe { sys::rext2_object_cache_alloc(cache) }.cast::<Inner>())
        else {
            return Err(ENOMEM);
        };
        let sb_ptr = sb.as_ptr();
        // SAFETY: a mounted block-device superblock has a live bdev.
        let bdev = unsafe { sys::rext2_sb_bdev(sb_ptr) };
        let init = pin_init!(Inner {
            state <- new_spinlock_irq!(State { refs: 1, error: 0, queued: false }),
            idle <- new_condvar!(),
            batch <- pin_init::zeroed::<UnsafeCell<PageBatch>>(),
            open: Cell::new(None),
            pending: UnsafeCell::new(None),
            work <- Opaque::uninit(),
            sb: sb_ptr,
            bdev,
            write: dir == Dir::Write,
            sector_shift: dio_bits - 9,
        });
        // SAFETY: `slot` is fresh, suitably sized and aligned memory that
        // stays where it is until `free`; the initializer cannot fail.
        let Ok(()) = unsafe { init.__init(slot.as_ptr()) };
        // SAFETY: just initialized; no bio exists yet.
        unsafe { (*(*slot.as_ptr()).batch.get()).setup(iter, dir == Dir::Read) };
        Ok(Self { inner: slot })
    }

    fn inner(&self) -> &Inner {
        // SAFETY: live while this handle exists (type invariant).
        unsafe { self.inner.as_ref() }
    }

    /// The batch, for building bios over its pages.
    pub(crate) fn batch(&self) -> &PageBatch {
        // SAFETY: the batch is this handle's (type invariant); it is only
        // changed through `&mut self`.
        unsafe { &*self.inner().batch.get() }
    }

    /// The batch, to be refilled: first waits for the bios in flight
    /// (they point into it) and returns the first bio error, if any.
    pub(crate) fn next_batch(&mut self) -> Result<&mut PageBatch> {
        self.drain()?;
        // SAFETY: no bio is in flight and `&mut self` excludes every
        // other borrow of the batch.
        Ok(unsafe { &mut *self.inner().batch.get() })
    }

    /// Opens a bio at disk dio block `block` with room for `vecs` pages.
    /// Any open bio is submitted first.
    pub(crate) fn new_bio(&self, block: u64, vecs: u32) {
        self.submit();
        let i = self.inner();
        let vecs = vecs.clamp(1, sys::BIO_MAX_VECS) as u16;
        // SAFETY: `bdev` is live while the fs is mounted, which it is while
        // a file of it does I/O; bio_alloc with GFP_KERNEL from the fs bio
        // set cannot fail (mempool), but a NULL is still handled.
        let bio =
            unsafe { sys::rext2_bio_alloc_dio(i.bdev, vecs, block << i.sector_shift, i.write) };
        i.open.set(NonNull::new(bio));
    }

    /// Adds a range of a page of this request's batch (or of the zero
    /// page) to the open bio; `false` if the bio is full, or if the page
    /// is not this request's.
    pub(crate) fn add(&self, page: PageRef<'_>, offset: u32, len: u32) -> bool {
        let Some(bio) = self.inner().open.get() else {
            return false;
        };
        if !page.is_of(self.batch()) {
            return false;
        }
        // SAFETY: `bio` is our unsubmitted bio; the page is the batch's,
        // which keeps it until no bio uses it (type invariant), or the
        // permanent zero page.
        unsafe { sys::bio_add_page(bio.as_ptr(), page.as_ptr(), len, offset) == len as i32 }
    }

    /// Submits the open bio, if any.
    pub(crate) fn submit(&self) {
        let i = self.inner();
        let Some(bio) = i.open.take() else {
            return;
        };
        i.state.lock().refs += 1;
        // SAFETY: `bio` is ours; its end_io gets a pointer to `Inner`, which
        // stays allocated while the bio's reference is counted.
        unsafe {
            sys::rext2_bio_set_end_io(bio.as_ptr(), Some(end_io), self.inner.as_ptr().cast());
            sys::submit_bio(bio.as_ptr());
        }
    }

    /// Submits what is open and waits until every bio is done; the first
    /// bio error, if any.
    fn drain(&self) -> Result {
        self.submit();
        let i = self.inner();
        let mut s = i.state.lock();
        while s.refs > 1 {
            i.idle.wait(&mut s);
        }
        match s.error {
            0 => Ok(()),
            e => Err(Error::from_errno(e)),
        }
    }

    /// Submits what is open, waits for every bio, releases the pages and
    /// frees the request; the first bio error, if any.
    pub(crate) fn wait(self) -> Result {
        self.drain()
        // Drop frees.
    }

    /// Lets the bios in flight complete the request: the last one runs
    /// `pending` (see the module documentation). If they are all done
    /// already, the request is freed here and `pending` comes back with
    /// the bios' result, for the caller to report synchronously.
    pub(crate) fn queue(self, pending: Pending) -> core::result::Result<(), (Pending, Result)> {
        // SAFETY: the superblock is live while its file does I/O; process
        // context.
        if unsafe { sys::rext2_sb_dio_wq(self.inner().sb) } != 0 {
            // No workqueue for the completion (ENOMEM): wait here instead.
            let result = self.wait();
            return Err((pending, result));
        }
        self.submit();
        let p = self.inner;
        core::mem::forget(self);
        // SAFETY: the handle's fields are still ours: no bio touches
        // `pending`, and the final completion cannot start before the
        // reference drop below, which the lock orders after this write.
        unsafe { *(*p.as_ptr()).pending.get() = Some(pending) };
        let last = {
            // SAFETY: our reference keeps `Inner` alive until the drop in
            // this critical section.
            let mut s = unsafe { p.as_ref() }.state.lock();
            s.queued = true;
            s.refs -= 1;
            s.refs == 0
        };
        if !last {
            return Ok(());
        }
        // SAFETY: the count reached zero here, so no bio is in flight and
        // nothing else refers to the request.
        let (pending, result) = unsafe { free(p) };
        match pending {
            Some(pending) => Err((pending, result)),
            None => Ok(()),
        }
    }
}

impl Drop for Request {
    fn drop(&mut self) {
        if let Some(bio) = self.inner().open.take() {
            // SAFETY: an unsubmitted bio of ours: release it unused.
            unsafe { sys::bio_put(bio.as_ptr()) };
        }
        let _ = self.drain();
        // SAFETY: only our reference is left: no bio is in flight and no
        // one else refers to the request.
        drop(unsafe { free(self.inner) });
    }
}

/// Releases the pages and frees the request; returns its pending
/// completion and the bios' result.
///
/// # Safety
///
/// No bio of the request is in flight and nothing else refers to it; task
/// context (releasing pages read into dirties them, which may sleep).
unsafe fn free(p: NonNull<Inner>) -> (Option<Pending>, Result) {
    let p = p.as_ptr();
    // SAFETY: live and unreferenced (the caller's contract).
    let (error, pending) = unsafe { ((*p).state.lock().error, (*(*p).pending.get()).take()) };
    // SAFETY: initialized in `Request::new`, dropped once here in place
    // (releasing the pages), then returned to the cache it came from.
    unsafe {
        core::ptr::drop_in_place(p);
        sys::kmem_cache_free(CACHE.load(Ordering::Acquire), p.cast());
    }
    let result = match error {
        0 => Ok(()),
        e => Err(Error::from_errno(e)),
    };
    (pending, result)
}

/// Called by the block layer once per submitted bio, with `bi_private` as
/// set in [`Request::submit`].
///
/// # Safety
///
/// `bio` is one of ours, complete, and this is its one completion.
unsafe extern "C" fn end_io(bio: *mut sys::bio) {
    // SAFETY: `bi_private` points at the request, which this bio's counted
    // reference keeps allocated until the decrement below.
    let p: NonNull<Inner> = unsafe { NonNull::new_unchecked(sys::rext2_bio_private(bio).cast()) };
    // SAFETY: as above.
    let i = unsafe { p.as_ref() };
    // SAFETY: the bio is complete and ours to read and release.
    let err = unsafe {
        let e = sys::rext2_bio_errno(bio);
        sys::bio_put(bio);
        e
    };
    let mut s = i.state.lock();
    if err != 0 && s.error == 0 {
        s.error = err;
    }
    s.refs -= 1;
    let last = s.refs == 0;
    if s.refs == 1 && !s.queued {
        i.idle.notify_all();
    }
    drop(s);
    // Past this point a waiting submitter may free the request: `i` is
    // not used again unless this was the last reference.
    if last {
        // SAFETY: the count reached zero here (the submitter had queued), so
        // this is the only user of the request; its superblock is live (the
        // pending kiocb's file is open) and has a workqueue (`queue` made
        // sure); the work item is queued once, and runs `complete_work`.
        unsafe { sys::rext2_queue_dio_work(i.sb, i.work.get(), Some(complete_work)) };
    }
}

/// The final completion of a queued request, on the superblock's dio
/// workqueue (task context).
///
/// # Safety
///
/// `work` is the `work` field of a request whose count reached zero,
/// queued once by [`end_io`].
unsafe extern "C" fn complete_work(work: *mut sys::work_struct) {
    let off = core::mem::offset_of!(Inner, work);
    // SAFETY: `work` is the `work` field of an `Inner` (the caller's
    // contract), `off` bytes into it.
    let p = unsafe { NonNull::new_unchecked(work.cast::<u8>().sub(off).cast::<Inner>()) };
    // SAFETY: the count reached zero, so nothing else refers to the
    // request (the workqueue is done with `work` once this runs); task
    // context.
    let (pending, result) = unsafe { free(p) };
    if let Some(pending) = pending {
        (pending.finish)(pending.iocb, pending.bytes, result);
    }
}
