// SPDX-License-Identifier: GPL-2.0

//! Rate limits for corruption reports: a corrupt image met in a loop must
//! not flood the kernel log (at most 50 messages per 5 seconds and limit).

use crate::kernel_ext::task::now_seconds;
use kernel::sync::atomic::{Atomic, Relaxed};

const BURST: u32 = 50;
const INTERVAL: i64 = 5;

/// One rate limit: a window start (seconds) and the messages let through
/// in it.
pub(super) struct Limit {
    window: Atomic<i64>,
    count: Atomic<u32>,
}

impl Limit {
    pub(super) const fn new() -> Self {
        Self {
            window: Atomic::new(0),
            count: Atomic::new(0),
        }
    }

    /// Whether one more message may be printed now.
    pub(super) fn allow(&self) -> bool {
        let now = now_seconds();
        let start = self.window.load(Relaxed);
        if now - start >= INTERVAL {
            self.window.store(now, Relaxed);
            self.count.store(0, Relaxed);
        }
        self.count.fetch_add(1, Relaxed) < BURST
    }
}

/// The limit of the reports that name an inode or a block (`corrupted`,
/// `corrupted_block`).
static REPORTS: Limit = Limit::new();

/// Whether one more corruption report may be printed now.
pub(super) fn allow() -> bool {
    REPORTS.allow()
}
