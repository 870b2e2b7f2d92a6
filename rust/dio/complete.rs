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

use super::stats::DioStats;
use super::DioFs;
use crate::kernel_ext::bio::Dir;
use crate::kernel_ext::inode::DioInFlight;
use crate::kernel_ext::kiocb::{AsyncIocb, DioReturn, Kiocb};
use crate::kernel_ext::request::{Pending, Request};
use kernel::prelude::*;

/// A request whose bios are submitted.
pub(super) struct Submitted<'a, T: DioFs> {
    /// The request, bios possibly still in flight.
    pub(super) io: Request,
    /// Its `i_dio_count`, ended when the request is.
    pub(super) in_flight: DioInFlight<'a, T>,
    /// The bytes to report (and to advance `ki_pos` by) if the bios
    /// succeed.
    pub(super) bytes: usize,
    /// Whether the request may complete asynchronously (see the module
    /// documentation); the kiocb decides whether it does.
    pub(super) may_queue: bool,
}

/// Waits for the request, or queues it.
pub(super) fn conclude<'a, T: DioFs>(
    iocb: Kiocb<'a>,
    s: Submitted<'a, T>,
    dir: Dir,
) -> DioReturn<'a> {
    let stats = T::dio_stats(s.in_flight.inode().sb());
    let iocb = if s.may_queue && s.bytes > 0 {
        match iocb.into_async() {
            Ok((mut aio, token)) => {
                s.in_flight.hand_over(&mut aio);
                let pending = Pending {
                    iocb: aio,
                    bytes: s.bytes,
                    finish: match dir {
                        Dir::Read => finish::<T, false>,
                        Dir::Write => finish::<T, true>,
                    },
                };
                match s.io.queue(pending) {
                    Ok(()) => {
                        DioStats::add(&stats.aio_queued, 1);
                        return DioReturn::Queued(token);
                    }
                    // Every bio was done already: report it here.
                    Err((pending, result)) => {
                        let iocb = pending.iocb.cancel(token);
                        let result = result.map(|()| s.bytes);
                        stats.finished(dir, &result);
                        DioStats::add(&stats.aio_sync, 1);
                        return DioReturn::Done(iocb, result);
                    }
                }
            }
            Err(iocb) => iocb,
        }
    } else {
        iocb
    };
    let result = s.io.wait().map(|()| s.bytes);
    drop(s.in_flight);
    stats.finished(dir, &result);
    if !iocb.is_sync() {
        DioStats::add(&stats.aio_sync, 1);
    }
    DioReturn::Done(iocb, result)
}

/// The completion of a queued request, run once by its last bio in task
/// context, after the pages were released.
fn finish<T: DioFs, const WRITE: bool>(iocb: AsyncIocb, bytes: usize, io: Result) {
    let dir = if WRITE { Dir::Write } else { Dir::Read };
    let result = io.map(|()| bytes);
    // The counters first: after `complete` the file may be closed and the
    // filesystem unmounted.
    let stats = T::dio_stats(iocb.inode::<T>().sb());
    stats.finished(dir, &result);
    DioStats::add(&stats.aio_completed, 1);
    iocb.complete(WRITE, bytes, result);
}
