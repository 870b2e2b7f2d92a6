// SPDX-License-Identifier: GPL-2.0

//! The I/O request of a `direct_IO` call: the kiocb and its iov_iter, and
//! the handle that completes an asynchronous kiocb later.
//!
//! Exactly-once completion is a matter of types here. `direct_IO` returns
//! a [`DioReturn`]: either [`DioReturn::Done`], which hands the [`Kiocb`]
//! back (the caller completes it with the result), or
//! [`DioReturn::Queued`] (`-EIOCBQUEUED`), which needs the [`Queued`]
//! token. Both come only from consuming the `Kiocb`: [`Kiocb::into_async`]
//! turns it into an [`AsyncIocb`] plus the token, and
//! [`AsyncIocb::cancel`] turns the pair back. So while an `AsyncIocb`
//! exists, `direct_IO` can only say "queued", and an `AsyncIocb` is used
//! up by [`AsyncIocb::complete`], which calls `ki_complete` once. The token
//! carries the call's lifetime, so the kiocb that `cancel` gives back is
//! only valid for the call it came from.

use super::request::Context;
use super::sys;
use super::vfs_inode::{DioInFlight, VfsInode};
use core::marker::PhantomData;
use core::ptr::NonNull;
use kernel::prelude::*;

/// A kiocb for the duration of one `direct_IO` call.
///
/// # Invariants
///
/// `raw` is a live kiocb whose file is open, for the lifetime `'a`; the
/// caller completes it when `direct_IO` returns anything but
/// `-EIOCBQUEUED`.
pub(crate) struct Kiocb<'a> {
    raw: NonNull<sys::kiocb>,
    _p: PhantomData<&'a sys::kiocb>,
}

/// What `direct_IO` returns.
pub(crate) enum DioReturn<'a> {
    /// The request is over; the caller completes the kiocb with this
    /// result. Holding the kiocb proves that no [`AsyncIocb`] is left.
    Done(
        #[expect(dead_code, reason = "held as proof, not read: the caller completes it")] Kiocb<'a>,
        Result<usize>,
    ),
    /// `-EIOCBQUEUED`: an [`AsyncIocb`] completes the kiocb later.
    Queued(
        #[expect(
            dead_code,
            reason = "held as proof, not read: the token is the permission"
        )]
        Queued<'a>,
    ),
}

/// Permission to return `-EIOCBQUEUED`, one per [`AsyncIocb`], for the
/// `direct_IO` call whose kiocb made it.
///
/// # Invariants
///
/// `raw` is the kiocb of [`Kiocb::into_async`] that made the token, live
/// for `'a`.
pub(crate) struct Queued<'a> {
    raw: NonNull<sys::kiocb>,
    _p: PhantomData<&'a sys::kiocb>,
}

impl DioReturn<'_> {
    /// The `ssize_t` the VFS expects.
    pub(crate) fn to_isize(&self) -> isize {
        match self {
            Self::Done(_, Ok(n)) => *n as isize,
            Self::Done(_, Err(e)) => e.to_errno() as isize,
            Self::Queued(_) => -(sys::EIOCBQUEUED as isize),
        }
    }

    /// Whether the request ended with an error.
    pub(crate) fn is_err(&self) -> bool {
        matches!(self, Self::Done(_, Err(_)))
    }
}

impl<'a> Kiocb<'a> {
    /// # Safety
    ///
    /// `raw` must satisfy the type invariants for `'a`.
    pub(super) unsafe fn from_raw(raw: *mut sys::kiocb) -> Option<Self> {
        Some(Self {
            raw: NonNull::new(raw)?,
            _p: PhantomData,
        })
    }

    pub(super) fn as_ptr(&self) -> *mut sys::kiocb {
        self.raw.as_ptr()
    }

    /// The file position of the request.
    pub(crate) fn pos(&self) -> i64 {
        // SAFETY: the kiocb is live (type invariant).
        unsafe { (*self.raw.as_ptr()).ki_pos }
    }

    /// Whether the caller waits for the result (no `ki_complete`: not AIO
    /// or io_uring).
    pub(crate) fn is_sync(&self) -> bool {
        // SAFETY: the kiocb is live (type invariant); `ki_complete` is set
        // when it is made and not changed (`is_sync_kiocb`).
        unsafe { (*self.raw.as_ptr()).ki_complete.is_none() }
    }

    /// Whether a write must be on stable storage before it completes
    /// (O_DSYNC, O_SYNC, RWF_DSYNC).
    pub(crate) fn is_dsync(&self) -> bool {
        // SAFETY: the kiocb is live (type invariant).
        unsafe { sys::rext2_kiocb_is_dsync(self.raw.as_ptr()) }
    }

    /// Whether a write asks for data sync only (O_DSYNC, RWF_DSYNC, a
    /// sync inode), not O_SYNC's full sync of the inode.
    pub(crate) fn is_dsync_only(&self) -> bool {
        // SAFETY: the kiocb is live (type invariant).
        unsafe { sys::rext2_kiocb_is_dsync_only(self.raw.as_ptr()) }
    }

    /// Records that a data-sync write was written through (its bios are
    /// durable when they complete: `REQ_FUA`, or a device without a
    /// volatile cache), so `generic_write_sync`, in the caller after a
    /// synchronous return or at an asynchronous completion, need not sync
    /// it. Called before the kiocb can complete.
    pub(crate) fn set_written_through(&self) {
        // SAFETY: the kiocb is live (type invariant) and, during the
        // `direct_IO` call and before it is queued, the caller's task is
        // the only one to use it; `ki_flags` is a plain field.
        unsafe { sys::rext2_kiocb_clear_dsync(self.raw.as_ptr()) }
    }

    /// Whether the request may not block (`IOCB_NOWAIT`: io_uring's inline
    /// issue, `RWF_NOWAIT`): it fails with `-EAGAIN` where it would wait
    /// for a lock, a metadata read or a device tag.
    pub(crate) fn is_nowait(&self) -> bool {
        // SAFETY: the kiocb is live (type invariant), and during the call
        // its flags change only in the submitting task (this one).
        unsafe { (*self.raw.as_ptr()).ki_flags & sys::REXT2_IOCB_NOWAIT != 0 }
    }

    /// Writes back and waits on the page cache over the `count` bytes at
    /// the kiocb's position (`kiocb_write_and_wait`); without waiting, for
    /// an `IOCB_NOWAIT` kiocb: `-EAGAIN` if any of it needs writeback.
    pub(crate) fn write_and_wait(&self, count: usize) -> Result {
        // SAFETY: the kiocb is live (type invariant) and its file open.
        kernel::error::to_result(unsafe { sys::kiocb_write_and_wait(self.raw.as_ptr(), count) })
    }

    /// The inode of the kiocb's file, of whatever filesystem, for the
    /// whole call.
    pub(crate) fn file_inode(&self) -> &'a VfsInode {
        // SAFETY: the kiocb's file is open for `'a` (type invariant), so
        // its inode is live.
        unsafe { VfsInode::from_raw(sys::rext2_kiocb_inode(self.raw.as_ptr())) }
    }

    /// Takes over the completion of an asynchronous kiocb (AIO, io_uring):
    /// the [`AsyncIocb`] must complete it, and `direct_IO` must return the
    /// [`Queued`] token. A synchronous kiocb is given back.
    pub(crate) fn into_async(self) -> core::result::Result<(AsyncIocb, Queued<'a>), Self> {
        if self.is_sync() {
            return Err(self);
        }
        Ok((
            AsyncIocb {
                raw: self.raw,
                dio_inode: None,
            },
            Queued {
                raw: self.raw,
                _p: PhantomData,
            },
        ))
    }
}

/// An asynchronous kiocb whose completion the engine owns.
///
/// # Invariants
///
/// `raw` is a live kiocb with a `ki_complete`; it stays live (and its file
/// open, so its inode and superblock too) until `ki_complete` is called,
/// which happens exactly once: in [`AsyncIocb::complete`], or in Drop if
/// that was never called. If `dio_inode` is set, it is the kiocb's file's
/// inode, and its `i_dio_count` holds one count of ours, ended once before
/// `ki_complete`.
pub(crate) struct AsyncIocb {
    raw: NonNull<sys::kiocb>,
    dio_inode: Option<NonNull<sys::inode>>,
}

// SAFETY: the kiocb is handed from the submitter to whoever completes it
// (a bio completion, a worker); the kernel allows that, it is what AIO is.
unsafe impl Send for AsyncIocb {}

impl AsyncIocb {
    /// Gives the kiocb back, with the token: the request finished before
    /// it was queued, so `direct_IO` returns its result itself. Ends the
    /// `i_dio_count` it was given. The kiocb returned is the token's: had
    /// the pair been mismatched, this one is completed here with `EIO`
    /// rather than left hanging.
    pub(crate) fn cancel<'a>(mut self, token: Queued<'a>) -> Kiocb<'a> {
        if self.raw == token.raw {
            self.end_dio();
            core::mem::forget(self);
        } else {
            drop(self);
        }
        Kiocb {
            raw: token.raw,
            _p: PhantomData,
        }
    }

    /// Takes over the `i_dio_count` of `in_flight`, which
    /// [`AsyncIocb::complete`] ends; given back if it is not a count of
    /// the kiocb's own file's inode (the completion could not rely on that
    /// inode staying live), or if the kiocb has one already.
    pub(crate) fn adopt<'b>(
        &mut self,
        in_flight: DioInFlight<'b>,
    ) -> core::result::Result<(), DioInFlight<'b>> {
        // SAFETY: live kiocb (type invariant).
        let own = unsafe { sys::rext2_kiocb_inode(self.raw.as_ptr()) };
        if self.dio_inode.is_some() || in_flight.inode().as_ptr() != own {
            return Err(in_flight);
        }
        self.dio_inode = NonNull::new(in_flight.into_raw());
        Ok(())
    }

    /// The raw kiocb, for the bio layer's polled submission.
    pub(super) fn as_ptr(&self) -> *mut sys::kiocb {
        self.raw.as_ptr()
    }

    fn end_dio(&mut self) {
        if let Some(inode) = self.dio_inode.take() {
            // SAFETY: the count was begun and handed to us (type
            // invariant); it is ended once, here; the inode is the open
            // file's.
            unsafe { sys::rext2_inode_dio_end(inode.as_ptr()) };
        }
    }

    /// Completes the request in fs/direct-io.c's order (`dio_complete`):
    /// for a write completed in task context, drop the page cache over the
    /// written range (an atomic completion happens only when there is
    /// none) and sync it if the kiocb asks for data sync
    /// (`generic_write_sync`; a data-sync write always completes in task
    /// context); end the `i_dio_count`; advance `ki_pos` by `transferred`;
    /// then `ki_complete` with the result.
    pub(crate) fn complete(
        mut self,
        write: bool,
        transferred: usize,
        result: Result<usize>,
        ctx: Context,
    ) {
        let raw = self.raw.as_ptr();
        if write && ctx == Context::Task {
            if let Ok(n) = result {
                // SAFETY: live kiocb; task context.
                unsafe { sys::rext2_kiocb_invalidate_written(raw, n) };
            }
        }
        self.end_dio();
        // SAFETY: live kiocb, ours to update until completed.
        unsafe { sys::rext2_kiocb_advance(raw, transferred) };
        let mut ret = match result {
            Ok(n) => n as c_long,
            Err(e) => e.to_errno() as c_long,
        };
        if write && ret > 0 && ctx == Context::Task {
            // SAFETY: live kiocb; `ki_pos` is already past the written
            // range, as generic_write_sync expects; task context.
            ret = unsafe { sys::rext2_kiocb_write_sync(raw, ret) };
        }
        core::mem::forget(self);
        // SAFETY: live kiocb with a `ki_complete`, completed exactly once
        // (`self` is consumed and its Drop skipped); nothing touches it
        // after this.
        unsafe { sys::rext2_kiocb_complete(raw, ret) };
    }
}

impl Drop for AsyncIocb {
    fn drop(&mut self) {
        // Not reachable by the engine's paths; if it ever were, the kiocb
        // is still completed, once, rather than left hanging.
        kernel::pr_warn_once!("an asynchronous direct I/O was dropped; completing it with EIO\n");
        self.end_dio();
        // SAFETY: as in `complete`; Drop runs at most once.
        unsafe { sys::rext2_kiocb_complete(self.raw.as_ptr(), EIO.to_errno() as c_long) };
    }
}

/// The iov_iter of a `direct_IO` call.
///
/// # Invariants
///
/// `raw` is a live iov_iter, exclusively ours for `'a`, that held
/// `start` bytes when this was made: it has been advanced by at most
/// `start - count()` bytes since, so reverting that many stays inside it.
pub(crate) struct IovIter<'a> {
    raw: *mut sys::iov_iter,
    start: usize,
    _p: PhantomData<&'a mut sys::iov_iter>,
}

impl IovIter<'_> {
    /// # Safety
    ///
    /// `raw` must satisfy the type invariants for `'a`.
    pub(super) unsafe fn from_raw(raw: *mut sys::iov_iter) -> Self {
        // SAFETY: live iterator (the caller's promise); `count` is its
        // field for every kind of iterator (`iov_iter_count`).
        let start = unsafe { (*raw).__bindgen_anon_1.__bindgen_anon_1.as_ref().count };
        Self {
            raw,
            start,
            _p: PhantomData,
        }
    }

    pub(super) fn as_ptr(&mut self) -> *mut sys::iov_iter {
        self.raw
    }

    /// Bytes left in the iterator.
    pub(crate) fn count(&self) -> usize {
        // SAFETY: live iterator, ours (type invariant); `count` is its
        // field for every kind of iterator (`iov_iter_count`).
        unsafe { (*self.raw).__bindgen_anon_1.__bindgen_anon_1.as_ref().count }
    }

    /// Puts `bytes` taken from the iterator back (`iov_iter_revert`), for
    /// them to be taken again; at most what was taken since this wrapper
    /// was made.
    pub(crate) fn revert(&mut self, bytes: usize) {
        let bytes = bytes.min(self.start.saturating_sub(self.count()));
        if bytes > 0 {
            // SAFETY: live iterator, advanced by at least `bytes` since it
            // held `start` (type invariant).
            unsafe { sys::rext2_iov_iter_revert(self.raw, bytes) };
        }
    }

    /// Whether this is a write (data flows from the iterator).
    pub(crate) fn is_write(&self) -> bool {
        // SAFETY: live iterator (type invariant).
        unsafe { sys::rext2_iov_iter_is_source(self.raw) }
    }

    /// OR of every segment's address and length (`iov_iter_alignment`).
    pub(crate) fn alignment(&self) -> u64 {
        // SAFETY: live iterator (type invariant).
        unsafe { sys::iov_iter_alignment(self.raw) as u64 }
    }

    /// Whether extracted pages are pinned (user memory) rather than merely
    /// listed (kernel memory the caller keeps alive).
    pub(crate) fn will_pin(&self) -> bool {
        // SAFETY: live iterator (type invariant).
        unsafe { sys::rext2_iov_iter_will_pin(self.raw) }
    }
}
