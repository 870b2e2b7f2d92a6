// SPDX-License-Identifier: GPL-2.0

//! One direct-I/O request: its page batch, its bios in flight, and its
//! completion (fs/direct-io.c's `struct dio`).
//!
//! Pages. The user buffer is taken in batches of up to 256 pinned pages.
//! The bio that carries the last piece of a page's segment takes the
//! batch's pin on it; one that carries an earlier piece takes a pin of its
//! own (as fs/direct-io.c's `dio_pin_page` does for every page). Bio
//! completions release the bios' pins, so a batch is released as soon as its bios are built and the next one
//! is filled while they are still in flight: a request streams, whatever
//! its size.
//!
//! Completion protocol (DIO-SPEC 7.1): a reference count and the first bio
//! error under one spinlock taken with interrupts off, because bio
//! completions run in interrupt context. The submitter holds one
//! reference, each submitted bio one more. The submitter either
//!
//! - waits ([`Request::wait`], or dropping the [`Request`]) until only its
//!   own reference is left, sleeping as an I/O wait (`io_schedule_timeout`,
//!   so iowait is accounted and a slow device raises no hung-task report),
//!   and then owns the whole request again; or
//! - queues ([`Request::queue`]): it hands over a [`Pending`] completion
//!   and drops its reference in the same critical section that sets
//!   `queued`. If that was the last reference, every bio had already
//!   finished and the submitter gets the completion back to report
//!   synchronously. Otherwise the bio that takes the count to zero runs
//!   it.
//!
//! The count reaches zero at most once: only the submitter's queueing can
//! take away the last non-bio reference, and afterwards nothing adds one.
//! So the final completion runs exactly once, by exactly one party.
//!
//! Where the final completion runs (fs/direct-io.c's `dio_bio_end_aio`):
//! in the last bio's completion, unless it needs task context, in which
//! case it goes to the superblock's direct-I/O workqueue (`s_dio_done_wq`,
//! which unmount drains). It needs task context when
//!
//! - a bio of a read found some of its pages cleaned after the submitter
//!   dirtied them, so they must be dirtied again, which may sleep
//!   (`bio_check_pages_dirty`'s case);
//! - a write must sync (O_DSYNC) or was asked to defer (`BH_Defer_Completion`);
//! - a write's file has pages in the page cache, which the completion
//!   invalidates (that may sleep).

use super::bio::Dir;
use super::block_device::BlockDevice;
use super::kiocb::{AsyncIocb, IovIter, Kiocb};
use super::pages::{PageBatch, PageRef};
use super::sys;
use super::vfs_inode::VfsInode;
use core::cell::{Cell, UnsafeCell};
use core::ptr::{null_mut, NonNull};
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::page::PAGE_SIZE;
use kernel::prelude::*;
use kernel::sync::{new_spinlock_irq, SpinLockIrq};
use kernel::types::Opaque;

/// The slab cache of requests (`rext2_dio`), for the module's lifetime.
static CACHE: AtomicPtr<sys::kmem_cache> = AtomicPtr::new(null_mut());

/// The request cache, from module init to module exit.
///
/// # Invariants
///
/// While a `RequestCache` exists, `CACHE` points at a live cache of
/// `Inner` objects.
pub(crate) struct RequestCache {
    _private: (),
}

impl RequestCache {
    /// Creates the cache; the engine cannot allocate a request before.
    pub(crate) fn new() -> Result<Self> {
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
        Ok(Self { _private: () })
    }
}

impl Drop for RequestCache {
    fn drop(&mut self) {
        let cache = CACHE.swap(null_mut(), Ordering::AcqRel);
        // SAFETY: module exit: no request is left (every one is freed
        // before its kiocb completes or its direct I/O returns), and
        // nothing can start one: the filesystem is unregistered and no
        // module using the exported entry point is loaded (they hold a
        // reference on this one).
        unsafe { sys::kmem_cache_destroy(cache) };
    }
}

/// Whether the final completion runs in task context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Context {
    /// On the superblock's workqueue, or in the submitter: may sleep.
    Task,
    /// In the last bio's completion (possibly interrupt context): may not
    /// sleep, and the request needed nothing that does.
    Atomic,
}

/// The completion of a queued request.
pub(crate) struct Pending {
    /// The kiocb to complete.
    pub(crate) iocb: AsyncIocb,
    /// Bytes the request submitted (what `ki_pos` advances by).
    pub(crate) bytes: usize,
    /// Runs once after the pages were released, with the first bio error
    /// if any, in the context given.
    pub(crate) finish: fn(AsyncIocb, usize, Result, Context),
}

struct State {
    /// The submitter's reference (until it queues) plus one per bio in
    /// flight.
    refs: u32,
    /// The first bio error (an errno), 0 if none.
    error: i32,
    /// The submitter has let go: the last bio completes the request.
    queued: bool,
    /// The submitter, while it sleeps in [`Request::drain`]; null otherwise.
    waiter: *mut sys::task_struct,
    /// Completed bios whose pages must be dirtied in task context (a list
    /// through `bi_next`).
    dirty_later: *mut sys::bio,
}

#[pin_data]
struct Inner {
    #[pin]
    state: SpinLockIrq<State>,
    /// Submitter-only.
    batch: UnsafeCell<PageBatch>,
    /// The bio under assembly (submitter-only).
    open: Cell<Option<NonNull<sys::bio>>>,
    /// Written by the submitter before it queues; taken by the final
    /// completion.
    pending: UnsafeCell<Option<Pending>>,
    /// The final completion's work item, once queued.
    #[pin]
    work: Opaque<sys::work_struct>,
    inode: *mut sys::inode,
    sb: *mut sys::super_block,
    bdev: *mut sys::block_device,
    iocb: *mut sys::kiocb,
    write: bool,
    /// Pages read into user memory: dirtied before the bio is submitted,
    /// checked when it completes.
    dirty: bool,
    /// The completion must run in task context.
    defer: Cell<bool>,
    /// Sectors per dio block, as a shift.
    sector_shift: u32,
}

// SAFETY: the bios in flight use only `state` (a spinlock) and the fixed
// fields; the rest is the submitter's, then the final completion's.
unsafe impl Send for Inner {}

/// The submitter's handle on a request.
///
/// # Invariants
///
/// `inner` points at a live, pinned `Inner` allocated from the request
/// cache by [`Request::new`], whose `state.refs` counts one reference for
/// this handle. The bios in flight use only `state` and the fixed fields;
/// `batch`, `open`, `pending` and `defer` are this handle's alone. Every
/// page of a bio in flight carries a pin of that bio (pinned batches), or
/// belongs to a kernel iterator kept alive until completion, or is the zero
/// page.
pub(crate) struct Request {
    inner: NonNull<Inner>,
}

impl Request {
    /// A request for `iocb` on `inode`, to `bdev`, for the pages of
    /// `iter`, in dio blocks of `1 << dio_bits` bytes: the only allocation
    /// of a direct I/O besides its bios, from the engine's request cache.
    pub(crate) fn new(
        iocb: &Kiocb<'_>,
        inode: &VfsInode,
        bdev: &BlockDevice,
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
        let pinned = iter.will_pin();
        let dirty = dir == Dir::Read && pinned;
        let defer = dir == Dir::Write && iocb.is_dsync();
        let (inode_ptr, sb, bdev_ptr, iocb_ptr) =
            (inode.as_ptr(), inode.sb_ptr(), bdev.as_ptr(), iocb.as_ptr());
        // SAFETY: `UnsafeCell<PageBatch>` has the layout of `PageBatch`,
        // which the closure initialises in place (it cannot fail).
        let batch = unsafe {
            pin_init::init_from_closure(move |slot: *mut UnsafeCell<PageBatch>| {
                PageBatch::init(pinned, dir == Dir::Read).__init(slot.cast())
            })
        };
        let init = pin_init!(Inner {
            state <- new_spinlock_irq!(State {
                refs: 1,
                error: 0,
                queued: false,
                waiter: null_mut(),
                dirty_later: null_mut(),
            }),
            batch <- batch,
            open: Cell::new(None),
            pending: UnsafeCell::new(None),
            work <- Opaque::uninit(),
            inode: inode_ptr,
            sb,
            bdev: bdev_ptr,
            iocb: iocb_ptr,
            write: dir == Dir::Write,
            dirty,
            defer: Cell::new(defer),
            sector_shift: dio_bits - 9,
        });
        // SAFETY: `slot` is fresh, suitably sized and aligned memory that
        // stays where it is until `free`; the initializer cannot fail.
        let Ok(()) = unsafe { init.__init(slot.as_ptr()) };
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

    /// The batch, to be refilled. The bios built over its pages so far hold
    /// pins of their own, so nothing waits for them here.
    pub(crate) fn next_batch(&mut self) -> &mut PageBatch {
        self.submit();
        // SAFETY: no bio is open, and `&mut self` excludes every other
        // borrow of the batch; bios in flight do not point into it.
        unsafe { &mut *self.inner().batch.get() }
    }

    /// Makes the final completion run in task context (a mapping asked
    /// for it, `BH_Defer_Completion`).
    pub(crate) fn defer_completion(&self) {
        self.inner().defer.set(true);
    }

    /// Opens a bio at disk dio block `block` with room for `vecs` pages.
    /// Any open bio is submitted first.
    pub(crate) fn new_bio(&self, block: u64, vecs: usize) {
        self.submit();
        let i = self.inner();
        let vecs = vecs.clamp(1, sys::BIO_MAX_VECS as usize) as u16;
        // SAFETY: `bdev` is open while the fs is mounted, which it is while
        // a file of it does I/O; `iocb` is live for the call. bio_alloc
        // with GFP_KERNEL from the fs bio set cannot fail (mempool), but a
        // NULL is still handled.
        let bio = unsafe {
            sys::rext2_bio_alloc_dio(
                i.bdev,
                i.iocb,
                vecs,
                block << i.sector_shift,
                i.write,
                self.batch().is_pinned(),
            )
        };
        i.open.set(NonNull::new(bio));
    }

    /// Adds a range of a page of this request's batch (or of the zero
    /// page) to the open bio. On a pinned page the bio takes the batch's
    /// pin if the range is the last piece of the page's segment (as
    /// iomap's bios own their pages' pins), else a pin of its own;
    /// `false` if the bio is full, if the page is not this request's, or
    /// if the pin could not be taken.
    pub(crate) fn add(&self, page: PageRef<'_>, offset: u32, len: u32) -> bool {
        let Some(bio) = self.inner().open.get() else {
            return false;
        };
        if !page.is_of(self.batch()) || offset as usize + len as usize > PAGE_SIZE {
            return false;
        }
        let batch = self.batch();
        // The last piece of the page's segment takes the batch's pin.
        let give = batch.may_give(&page, offset, len);
        let pin = batch.is_pinned() && !page.is_zero_page() && !give;
        // SAFETY: `bio` is our unsubmitted bio; the page is the batch's,
        // which holds a pin on it until the bio has its own or takes the
        // batch's (type invariant), or the permanent zero page; the range
        // is inside it.
        let added = unsafe {
            sys::rext2_bio_add_page_pinned(bio.as_ptr(), page.as_ptr(), len, offset, pin)
        };
        if added && give {
            // SAFETY: `may_give` said yes, and the bio, which releases its
            // pages' pins when it completes (`BIO_PAGE_PINNED`: the batch
            // is pinned), has just taken the page without a pin of its
            // own: the batch's pin is now the bio's.
            unsafe { batch.give(&page) };
        }
        added
    }

    /// Submits the open bio, if any.
    pub(crate) fn submit(&self) {
        let i = self.inner();
        let Some(bio) = i.open.take() else {
            return;
        };
        i.state.lock().refs += 1;
        // SAFETY: `bio` is ours, with the pages added above; marking them
        // dirty may sleep, and this is the submitting task; its end_io
        // gets a pointer to `Inner`, which stays allocated while the bio's
        // reference is counted.
        unsafe {
            if i.dirty {
                sys::rext2_bio_set_pages_dirty(bio.as_ptr());
            }
            sys::rext2_bio_set_end_io(bio.as_ptr(), Some(end_io), self.inner.as_ptr().cast());
            sys::submit_bio(bio.as_ptr());
        }
    }

    /// Submits what is open and waits, as an I/O wait, until every bio is
    /// done; then dirties and releases the pages of bios that could not be
    /// released in their completion. The first bio error, if any.
    fn drain(&self) -> Result {
        self.submit();
        let i = self.inner();
        // SAFETY: returns the running task, which outlives this call.
        let me = unsafe { sys::rext2_current_task() };
        let mut s = i.state.lock();
        while s.refs > 1 {
            s.waiter = me;
            // SAFETY: sets this task's state before the lock is dropped,
            // so a wake-up between the unlock and the sleep is not lost.
            unsafe { sys::rext2_set_task_uninterruptible() };
            drop(s);
            // SAFETY: process context, no spinlock held; returns after a
            // wake-up or at the latest half a second later (an I/O wait
            // that the hung-task detector sees as making progress).
            unsafe { sys::rext2_io_wait() };
            s = i.state.lock();
        }
        s.waiter = null_mut();
        // (Not `mem::take`: `Default` for raw pointers needs rustc 1.88,
        // and Debian's kernel is built with 1.85.)
        let later = s.dirty_later;
        s.dirty_later = null_mut();
        let error = s.error;
        drop(s);
        // SAFETY: task context; the bios on the list are complete and
        // ours alone.
        unsafe { release_dirty_later(later) };
        match error {
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
    pub(crate) fn queue(mut self, pending: Pending) -> core::result::Result<(), (Pending, Result)> {
        // SAFETY: the superblock is live while its file does I/O; process
        // context.
        if unsafe { sys::rext2_sb_dio_wq(self.inner().sb) } != 0 {
            // No workqueue for the completion (ENOMEM): wait here instead.
            let result = self.wait();
            return Err((pending, result));
        }
        // The batch's own pins go now, in task context: the final
        // completion may run where releasing them could not sleep.
        self.next_batch().clear();
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
        // nothing else refers to the request; task context.
        let (pending, result) = unsafe { free(p, true) };
        match pending {
            Some(pending) => Err((pending, result)),
            None => Ok(()),
        }
    }
}

impl Drop for Request {
    fn drop(&mut self) {
        if let Some(bio) = self.inner().open.take() {
            // SAFETY: an unsubmitted bio of ours: release its pins and
            // itself, unused.
            unsafe { sys::rext2_bio_release(bio.as_ptr(), false) };
        }
        let _ = self.drain();
        // SAFETY: only our reference is left: no bio is in flight and no
        // one else refers to the request; task context.
        drop(unsafe { free(self.inner, true) });
    }
}

/// Dirties and releases the pages of each bio on the list, and the bios.
///
/// # Safety
///
/// `bio` is null or the head of a `bi_next` list of complete bios that
/// nothing else refers to; task context.
unsafe fn release_dirty_later(mut bio: *mut sys::bio) {
    while !bio.is_null() {
        // SAFETY: a complete bio of the list, ours (the caller's contract).
        unsafe {
            let next = sys::rext2_bio_next(bio);
            sys::rext2_bio_release(bio, true);
            bio = next;
        }
    }
}

/// Releases the pages, frees the request; returns its pending completion
/// and the bios' result.
///
/// # Safety
///
/// No bio of the request is in flight and nothing else refers to it. In
/// task context if `task`; otherwise the batch is empty and no bio waits
/// to be dirtied (nothing left that may sleep).
unsafe fn free(p: NonNull<Inner>, task: bool) -> (Option<Pending>, Result) {
    let p = p.as_ptr();
    // SAFETY: live and unreferenced (the caller's contract).
    let (error, later, pending) = unsafe {
        let mut s = (*p).state.lock();
        let later = s.dirty_later;
        s.dirty_later = null_mut();
        (s.error, later, (*(*p).pending.get()).take())
    };
    if task {
        // SAFETY: task context; the bios are complete and ours.
        unsafe { release_dirty_later(later) };
    }
    // SAFETY: initialized in `Request::new`, dropped once here in place
    // (releasing what the batch still holds: nothing, unless in task
    // context), then returned to the cache it came from.
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
    // SAFETY: the bio is complete and ours to read and release. Pages
    // read into that are still dirty, and pages written from, can be
    // released here; pages that were cleaned meanwhile must be dirtied
    // again, which may sleep: that bio waits on the request's list.
    let (err, keep) = unsafe {
        let e = sys::rext2_bio_errno(bio);
        if i.dirty && !sys::rext2_bio_pages_dirty(bio) {
            (e, true)
        } else {
            sys::rext2_bio_release(bio, false);
            (e, false)
        }
    };
    let mut s = i.state.lock();
    if err != 0 && s.error == 0 {
        s.error = err;
    }
    if keep {
        // SAFETY: the bio is ours; the list is under the lock.
        unsafe { sys::rext2_bio_set_next(bio, s.dirty_later) };
        s.dirty_later = bio;
    }
    s.refs -= 1;
    let last = s.refs == 0;
    if s.refs == 1 && !s.waiter.is_null() {
        // SAFETY: the waiter sleeps in `drain` until it sees `refs == 1`
        // under this lock, so it is alive while we hold it.
        unsafe { sys::wake_up_process(s.waiter) };
    }
    let needs_task = !s.dirty_later.is_null();
    drop(s);
    // Past this point a waiting submitter may free the request: `i` is
    // not used again unless this was the last reference.
    if !last {
        return;
    }
    // The count reached zero here (the submitter had queued): this is the
    // only user of the request. Its inode and superblock are live (the
    // pending kiocb's file is open).
    let needs_task = needs_task
        || i.defer.get()
        // SAFETY: as above.
        || (i.write && unsafe { sys::rext2_inode_has_pages(i.inode) });
    if needs_task {
        // SAFETY: the superblock has a workqueue (`queue` made sure); the
        // work item is queued once, and runs `complete_work`.
        unsafe { sys::rext2_queue_dio_work(i.sb, i.work.get(), Some(complete_work)) };
        return;
    }
    // SAFETY: the only user; the batch was emptied before queueing and no
    // bio waits to be dirtied, so nothing here may sleep.
    let (pending, result) = unsafe { free(p, false) };
    if let Some(pending) = pending {
        (pending.finish)(pending.iocb, pending.bytes, result, Context::Atomic);
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
    let (pending, result) = unsafe { free(p, true) };
    if let Some(pending) = pending {
        (pending.finish)(pending.iocb, pending.bytes, result, Context::Task);
    }
}
