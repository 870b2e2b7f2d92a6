// SPDX-License-Identifier: GPL-2.0

//! A rate limit for corruption reports: a corrupt image met in a loop must
//! not flood the kernel log (at most 50 messages per 5 seconds).

use crate::kernel_ext::task::now_seconds;
use kernel::sync::atomic::{Atomic, Relaxed};

const BURST: u32 = 50;
const INTERVAL: i64 = 5;

static WINDOW: Atomic<i64> = Atomic::new(0);
static COUNT: Atomic<u32> = Atomic::new(0);

/// Whether one more message may be printed now.
pub(super) fn allow() -> bool {
    let now = now_seconds();
    let start = WINDOW.load(Relaxed);
    if now - start >= INTERVAL {
        WINDOW.store(now, Relaxed);
        COUNT.store(0, Relaxed);
    }
    COUNT.fetch_add(1, Relaxed) < BURST
}
