// SPDX-License-Identifier: GPL-2.0

//! Bio direction and block plugging. The bios themselves belong to a
//! request (see `super::request`).

use super::sys;
use core::mem::MaybeUninit;

/// The direction of a request's bios.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dir {
    /// `REQ_OP_READ`.
    Read,
    /// `REQ_OP_WRITE | REQ_SYNC | REQ_IDLE`, as fs/direct-io.c writes.
    Write,
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

/// Counts `bytes` written by the current task (`task_io_account_write`,
/// as fs/direct-io.c does for each chunk it writes; reads are counted by
/// `submit_bio`).
pub(crate) fn account_write(bytes: usize) {
    // SAFETY: updates the current task's I/O accounting; any context.
    unsafe { sys::rext2_task_io_account_write(bytes) };
}
