// SPDX-License-Identifier: GPL-2.0

//! What the current task may do, and the time.

use super::sys;

/// Seconds since the epoch (`ktime_get_real_seconds`).
pub(crate) fn now_seconds() -> i64 {
    // SAFETY: a plain clock read, callable from any context.
    unsafe { sys::rext2_real_seconds() }
}

/// Whether the current task may use the blocks reserved for the
/// superuser (`CAP_SYS_RESOURCE`).
pub(crate) fn may_use_reserved() -> bool {
    // SAFETY: checks the current task's credentials; process context.
    unsafe { sys::rext2_capable_resource() }
}

/// Gives the CPU to another task if one is due (`cond_resched`): called in
/// long loops over on-disk structures. Process context, no spinlock held.
pub(crate) fn cond_resched() {
    // SAFETY: callers run in process context and hold no spinlock (the
    // function's contract); sleeping locks and RCU-free code may schedule.
    unsafe { sys::rext2_cond_resched() }
}
