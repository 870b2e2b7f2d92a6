// SPDX-License-Identifier: GPL-2.0

//! Bios over a page batch (reads, or writes with the zero page for
//! sub-block zeroing), and the wait for their completion.
//!
//! Completion protocol: a refcount and the first error, under one
//! interrupt-safe spinlock. The submitter holds one reference; each
//! submitted bio holds one, dropped by its end_io (possibly in interrupt
//! context). Whoever drops the last reference completes the waiter, and
//! that happens exactly once because the count only reaches zero once.

use super::fs_type::FileSystem;
use super::pages::{PageBatch, PageRef};
use super::super_block::SuperBlock;
use super::sys;
use core::marker::PhantomData;
use core::mem::MaybeUninit;
use core::ptr::NonNull;
use kernel::prelude::*;
use kernel::sync::{new_spinlock_irq, Arc, Completion, SpinLockIrq};

struct WaitState {
    refs: u32,
    error: i32,
}

#[pin_data]
struct Waiter {
    #[pin]
    state: SpinLockIrq<WaitState>,
    #[pin]
    done: Completion,
}

impl Waiter {
    /// Drops one reference, recording `err` if it is the first error.
    fn put(&self, err: i32) {
        let last = {
            let mut s = self.state.lock();
            if err != 0 && s.error == 0 {
                s.error = err;
            }
            s.refs -= 1;
            s.refs == 0
        };
        if last {
            self.done.complete_all();
        }
    }
}

/// The direction of a round's bios.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dir {
    /// `REQ_OP_READ`.
    Read,
    /// `REQ_OP_WRITE | REQ_SYNC | REQ_IDLE`, as fs/direct-io.c writes.
    Write,
}

/// The bios of one round of a direct I/O, all over pages of one batch
/// (and the zero page). Dropping it waits for every submitted bio, so no
/// bio can outlive the pages it reads into or writes from.
pub(crate) struct RoundIo<'a> {
    bdev: *mut sys::block_device,
    write: bool,
    waiter: Arc<Waiter>,
    open: Option<NonNull<sys::bio>>,
    /// Sectors per dio block, as a shift.
    sector_shift: u32,
    waited: bool,
    _p: PhantomData<&'a PageBatch>,
}

impl<'a> RoundIo<'a> {
    /// Bios on `sb`'s device for the pages of `batch`, in dio blocks of
    /// `1 << dio_bits` bytes.
    pub(crate) fn new<T: FileSystem>(
        sb: &SuperBlock<T>,
        _batch: &'a PageBatch,
        dio_bits: u32,
        dir: Dir,
    ) -> Result<Self> {
        let waiter = Arc::pin_init(
            pin_init!(Waiter {
                state <- new_spinlock_irq!(WaitState { refs: 1, error: 0 }),
                done <- Completion::new(),
            }),
            GFP_KERNEL,
        )?;
        Ok(Self {
            // SAFETY: a mounted block-device superblock has a live bdev.
            bdev: unsafe { sys::rext2_sb_bdev(sb.as_ptr()) },
            write: dir == Dir::Write,
            waiter,
            open: None,
            sector_shift: dio_bits - 9,
            waited: false,
            _p: PhantomData,
        })
    }

    /// Opens a bio at disk dio block `block` with room for `vecs` pages.
    /// Any open bio must have been submitted.
    pub(crate) fn new_bio(&mut self, block: u64, vecs: u32) {
        self.submit();
        let vecs = vecs.clamp(1, sys::BIO_MAX_VECS) as u16;
        // SAFETY: `bdev` is live; bio_alloc from the fs bio set with
        // GFP_KERNEL cannot fail (mempool), but a NULL is still handled.
        let bio = unsafe {
            sys::rext2_bio_alloc_dio(self.bdev, vecs, block << self.sector_shift, self.write)
        };
        self.open = NonNull::new(bio);
    }

    /// Adds a page range to the open bio; `false` if it is full.
    pub(crate) fn add(&mut self, page: PageRef<'a>, offset: u32, len: u32) -> bool {
        let Some(bio) = self.open else {
            return false;
        };
        // SAFETY: `bio` is our unsubmitted bio; the page stays alive for
        // `'a`, and this value (which waits for the bio) cannot outlive it.
        unsafe { sys::bio_add_page(bio.as_ptr(), page.as_ptr(), len, offset) == len as i32 }
    }

    /// Submits the open bio, if any.
    pub(crate) fn submit(&mut self) {
        let Some(bio) = self.open.take() else {
            return;
        };
        self.waiter.state.lock().refs += 1;
        let private = Arc::into_raw(self.waiter.clone());
        // SAFETY: `bio` is ours; `end_io` takes back the Arc reference we
        // leak into `bi_private`, exactly once, when the bio completes.
        unsafe {
            sys::rext2_bio_set_end_io(bio.as_ptr(), Some(end_io), private.cast_mut().cast());
            sys::submit_bio(bio.as_ptr());
        }
    }

    /// Submits what is open, waits for every bio, returns the first error.
    pub(crate) fn wait(mut self) -> Result {
        self.finish()
    }

    fn finish(&mut self) -> Result {
        if self.waited {
            return Ok(());
        }
        self.waited = true;
        self.submit();
        self.waiter.put(0);
        self.waiter.done.wait_for_completion();
        let err = self.waiter.state.lock().error;
        if err != 0 {
            return Err(Error::from_errno(err));
        }
        Ok(())
    }
}

impl Drop for RoundIo<'_> {
    fn drop(&mut self) {
        if let Some(bio) = self.open.take() {
            // SAFETY: an unsubmitted bio of ours: release it unused.
            unsafe { sys::bio_put(bio.as_ptr()) };
        }
        let _ = self.finish();
    }
}

/// # Safety
///
/// Called by the block layer once per submitted bio, with the
/// `bi_private` set in [`RoundIo::submit`].
unsafe extern "C" fn end_io(bio: *mut sys::bio) {
    // SAFETY: `bi_private` holds the Arc reference leaked at submission;
    // it is taken back exactly once, here.
    let waiter = unsafe { Arc::<Waiter>::from_raw(sys::rext2_bio_private(bio).cast()) };
    // SAFETY: the bio is complete and ours to read and release.
    let err = unsafe {
        let e = sys::rext2_bio_errno(bio);
        sys::bio_put(bio);
        e
    };
    waiter.put(err);
}

/// Runs `f` with the block layer plugged: bios queue up and go out
/// together when `f` returns (or when the task sleeps).
pub(crate) fn with_plug<R>(f: impl FnOnce() -> R) -> R {
    let mut plug = MaybeUninit::<sys::blk_plug>::uninit();
    // SAFETY: `plug` lives on this frame for the whole plugged section and
    // is finished before it goes out of scope.
    unsafe { sys::blk_start_plug(plug.as_mut_ptr()) };
    let r = f();
    // SAFETY: started above.
    unsafe { sys::blk_finish_plug(plug.as_mut_ptr()) };
    r
}
