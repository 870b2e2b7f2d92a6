// SPDX-License-Identifier: GPL-2.0

//! The engine's counters, for every filesystem that uses it, readable from
//! debugfs at `/sys/kernel/debug/rext2/dio`. They are off unless the module
//! is loaded with `dio_stats=1` (the tests do): then each event costs one
//! relaxed atomic add, each counter is exact, and a snapshot of several is
//! not a consistent cut. Off, an event costs one load of a read-mostly
//! flag.

use crate::kernel_ext::bio::Dir;
use kernel::prelude::*;
use kernel::sync::atomic::{Atomic, Relaxed};

/// The counters.
pub(crate) static STATS: DioStats = DioStats::new();

/// Whether the counters count.
static ENABLED: Atomic<bool> = Atomic::new(false);

/// Turns the counters on or off (module init).
pub(super) fn set_enabled(on: bool) {
    ENABLED.store(on, Relaxed);
}

/// The counters; see Documentation/rext2.rst for what each one counts.
pub(crate) struct DioStats {
    pub(crate) reads: Atomic<u64>,
    pub(crate) read_bytes: Atomic<u64>,
    pub(crate) writes: Atomic<u64>,
    pub(crate) write_bytes: Atomic<u64>,
    pub(crate) bios: Atomic<u64>,
    pub(crate) merged: Atomic<u64>,
    pub(crate) cut_disk: Atomic<u64>,
    pub(crate) cut_file: Atomic<u64>,
    pub(crate) cut_full: Atomic<u64>,
    pub(crate) boundary_flushes: Atomic<u64>,
    pub(crate) hole_blocks: Atomic<u64>,
    pub(crate) zero_writes: Atomic<u64>,
    pub(crate) fallbacks: Atomic<u64>,
    pub(crate) aio_sync: Atomic<u64>,
    pub(crate) aio_queued: Atomic<u64>,
    pub(crate) aio_completed: Atomic<u64>,
    pub(crate) aio_inline: Atomic<u64>,
    pub(crate) rounds: Atomic<u64>,
    pub(crate) one_bio: Atomic<u64>,
    pub(crate) multi_bio: Atomic<u64>,
    pub(crate) nowait: Atomic<u64>,
    pub(crate) nowait_again: Atomic<u64>,
    pub(crate) write_through: Atomic<u64>,
    pub(crate) polled: Atomic<u64>,
    pub(crate) bad_mappings: Atomic<u64>,
    pub(crate) errors: Atomic<u64>,
}

impl DioStats {
    /// All counters at zero.
    pub(crate) const fn new() -> Self {
        Self {
            reads: Atomic::new(0),
            read_bytes: Atomic::new(0),
            writes: Atomic::new(0),
            write_bytes: Atomic::new(0),
            bios: Atomic::new(0),
            merged: Atomic::new(0),
            cut_disk: Atomic::new(0),
            cut_file: Atomic::new(0),
            cut_full: Atomic::new(0),
            boundary_flushes: Atomic::new(0),
            hole_blocks: Atomic::new(0),
            zero_writes: Atomic::new(0),
            fallbacks: Atomic::new(0),
            aio_sync: Atomic::new(0),
            aio_queued: Atomic::new(0),
            aio_completed: Atomic::new(0),
            aio_inline: Atomic::new(0),
            rounds: Atomic::new(0),
            one_bio: Atomic::new(0),
            multi_bio: Atomic::new(0),
            nowait: Atomic::new(0),
            nowait_again: Atomic::new(0),
            write_through: Atomic::new(0),
            polled: Atomic::new(0),
            bad_mappings: Atomic::new(0),
            errors: Atomic::new(0),
        }
    }

    /// Adds `n` to a counter, if counting is on.
    #[inline]
    pub(crate) fn add(c: &Atomic<u64>, n: u64) {
        if ENABLED.load(Relaxed) {
            c.add(n, Relaxed);
        }
    }

    /// Counts a finished request: a read or a write and its bytes, or an
    /// error.
    pub(crate) fn finished(&self, dir: Dir, result: &Result<usize>) {
        match (dir, result) {
            (Dir::Read, Ok(n)) => {
                Self::add(&self.reads, 1);
                Self::add(&self.read_bytes, *n as u64);
            }
            (Dir::Write, Ok(n)) => {
                Self::add(&self.writes, 1);
                Self::add(&self.write_bytes, *n as u64);
            }
            (_, Err(_)) => Self::add(&self.errors, 1),
        }
    }

    /// `name value` lines, one per counter, in a fixed order.
    fn rows(&self) -> [(&'static str, u64); 26] {
        let g = |c: &Atomic<u64>| c.load(Relaxed);
        [
            ("reads", g(&self.reads)),
            ("read_bytes", g(&self.read_bytes)),
            ("writes", g(&self.writes)),
            ("write_bytes", g(&self.write_bytes)),
            ("bios_submitted", g(&self.bios)),
            ("chunks_merged", g(&self.merged)),
            ("bio_cut_disk_discontiguity", g(&self.cut_disk)),
            ("bio_cut_file_discontiguity", g(&self.cut_file)),
            ("bio_cut_full", g(&self.cut_full)),
            ("boundary_flushes", g(&self.boundary_flushes)),
            ("hole_blocks_zeroed", g(&self.hole_blocks)),
            ("subblock_zero_writes", g(&self.zero_writes)),
            ("buffered_fallbacks", g(&self.fallbacks)),
            ("aio_completed_sync", g(&self.aio_sync)),
            ("aio_queued", g(&self.aio_queued)),
            ("aio_completed", g(&self.aio_completed)),
            ("aio_completed_inline", g(&self.aio_inline)),
            ("rounds", g(&self.rounds)),
            ("one_bio_requests", g(&self.one_bio)),
            ("multi_bio_requests", g(&self.multi_bio)),
            ("nowait_requests", g(&self.nowait)),
            ("nowait_again", g(&self.nowait_again)),
            ("written_through", g(&self.write_through)),
            ("polled_requests", g(&self.polled)),
            ("bad_mappings", g(&self.bad_mappings)),
            ("errors", g(&self.errors)),
        ]
    }
}

impl core::fmt::Debug for DioStats {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for (name, v) in self.rows() {
            writeln!(f, "{name} {v}")?;
        }
        Ok(())
    }
}
