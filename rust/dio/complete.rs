// SPDX-License-Identifier: GPL-2.0

//! How a direct I/O ends once its bios are submitted (DIO-SPEC 1.5 steps
//! 21-22, 7.5 and 7.6): the submitter either waits for them and returns
//! the result, or, for an asynchronous kiocb, returns `-EIOCBQUEUED` and
//! lets the last bio complete the kiocb.
//!
//! A request is queued only if the kiocb is asynchronous, something was
//! submitted without error, and, for a write, all of it was (a short
//! write must be drained before the caller's buffered fallback) and it
//! does not extend the file (the caller updates `i_size` only after a
//! synchronous return). If every bio is done by the time the submitter
//! lets go, it reports the result itself and `ki_complete` is not called.

use super::simple::Queueable;
use super::stats::{DioStats, STATS};
use crate::kernel_ext::bio::Dir;
use crate::kernel_ext::kiocb::{AsyncIocb, DioReturn, Kiocb};
use crate::kernel_ext::request::{Context, Pending, Request};
use crate::kernel_ext::vfs_inode::DioInFlight;
use kernel::prelude::*;

/// What a submitted request is to its end: waited for, or queued for its
/// bios to complete. [`Request`] (the general path) and
/// [`super::simple::Queueable`] (one bio) are the two.
pub(super) trait Flight {
    /// Waits for the I/O and releases everything; the first bio error.
    fn wait(self) -> Result;
    /// Lets the bios complete the request with `pending`; if they are all
    /// done already (or the request had to be waited for), `pending`
    /// comes back with the result.
    fn queue(self, pending: Pending) -> core::result::Result<(), (Pending, Result)>;
}

impl Flight for Request {
    fn wait(self) -> Result {
        Request::wait(self)
    }

    fn queue(self, pending: Pending) -> core::result::Result<(), (Pending, Result)> {
        Request::queue(self, pending)
    }
}

/// A request whose bios are submitted (or, for one bio, ready to be).
pub(super) struct Submitted<'a, F: Flight = Request> {
    /// The request, bios possibly still in flight.
    pub(super) io: F,
    /// Its `i_dio_count`, ended when the request is.
    pub(super) in_flight: DioInFlight<'a>,
    /// The bytes to report (and to advance `ki_pos` by) if the bios
    /// succeed.
    pub(super) bytes: usize,
    /// Whether the request may complete asynchronously (see the module
    /// documentation); the kiocb decides whether it does.
    pub(super) may_queue: bool,
}

/// How far a read's or a write's submission took the request.
pub(super) enum Started<'a> {
    /// Over: the bytes done (0: nothing to do) or the bio's error,
    /// already counted.
    Done(Result<usize>),
    /// Bios submitted, to be waited for or queued.
    Queued(Submitted<'a>),
    /// One bio of an asynchronous kiocb, to be queued.
    OneBio(Submitted<'a, Queueable>),
}

/// Waits for the request, or queues it.
pub(super) fn conclude<'a, F: Flight>(
    iocb: Kiocb<'a>,
    s: Submitted<'a, F>,
    dir: Dir,
) -> DioReturn<'a> {
    if !(s.may_queue && s.bytes > 0) {
        return wait(iocb, s.io, s.in_flight, s.bytes, dir);
    }
    let (mut aio, token) = match iocb.into_async() {
        Ok(pair) => pair,
        Err(iocb) => return wait(iocb, s.io, s.in_flight, s.bytes, dir),
    };
    if let Err(in_flight) = aio.adopt(s.in_flight) {
        return wait(aio.cancel(token), s.io, in_flight, s.bytes, dir);
    }
    let pending = Pending {
        iocb: aio,
        bytes: s.bytes,
        finish: match dir {
            Dir::Read => finish::<false>,
            Dir::Write => finish::<true>,
        },
    };
    match s.io.queue(pending) {
        Ok(()) => {
            DioStats::add(&STATS.aio_queued, 1);
            DioReturn::Queued(token)
        }
        // Every bio was done already: report it here.
        Err((pending, result)) => {
            let iocb = pending.iocb.cancel(token);
            let result = result.map(|()| s.bytes);
            STATS.finished(dir, &result);
            DioStats::add(&STATS.aio_sync, 1);
            DioReturn::Done(iocb, result)
        }
    }
}

/// The synchronous end: waits for the bios, ends the dio count.
fn wait<'a, F: Flight>(
    iocb: Kiocb<'a>,
    io: F,
    in_flight: DioInFlight<'a>,
    bytes: usize,
    dir: Dir,
) -> DioReturn<'a> {
    let result = io.wait().map(|()| bytes);
    drop(in_flight);
    STATS.finished(dir, &result);
    if !iocb.is_sync() {
        DioStats::add(&STATS.aio_sync, 1);
    }
    DioReturn::Done(iocb, result)
}

/// The completion of a queued request, run once by its last bio (in its
/// completion, or on the workqueue when it needs task context), after the
/// pages were released.
fn finish<const WRITE: bool>(iocb: AsyncIocb, bytes: usize, io: Result, ctx: Context) {
    let dir = if WRITE { Dir::Write } else { Dir::Read };
    let result = io.map(|()| bytes);
    STATS.finished(dir, &result);
    DioStats::add(&STATS.aio_completed, 1);
    if ctx == Context::Atomic {
        DioStats::add(&STATS.aio_inline, 1);
    }
    iocb.complete(WRITE, bytes, result, ctx);
}
