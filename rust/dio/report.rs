// SPDX-License-Identifier: GPL-2.0

//! Rate-limited reports of what the engine refuses (a bad block mapping):
//! at most 20 messages per 5 seconds, so a corrupt filesystem met in a loop
//! cannot flood the kernel log.

use crate::kernel_ext::task::now_seconds;
use kernel::prelude::*;
use kernel::sync::atomic::{Atomic, Relaxed};

const BURST: u32 = 20;
const INTERVAL: i64 = 5;

static WINDOW: Atomic<i64> = Atomic::new(0);
static COUNT: Atomic<u32> = Atomic::new(0);

fn allow() -> bool {
    let now = now_seconds();
    if now - WINDOW.load(Relaxed) >= INTERVAL {
        WINDOW.store(now, Relaxed);
        COUNT.store(0, Relaxed);
    }
    COUNT.fetch_add(1, Relaxed) < BURST
}

/// Reports a mapping of inode `ino` at file block `lblk` that the engine
/// refuses, and returns `EIO`.
pub(super) fn bad_mapping(ino: u64, lblk: u64, why: core::fmt::Arguments<'_>) -> Error {
    if allow() {
        pr_err!(
            "direct I/O: inode {}: block mapping at file block {} refused: {}\n",
            ino,
            lblk,
            why
        );
    }
    EIO
}
