// SPDX-License-Identifier: GPL-2.0

//! The direct-I/O engine: fs/direct-io.c in safe Rust.
//!
//! `plan` is the pure part (alignment, chunking, merging, bio breaks and
//! the boundary flush), written against small traits so the host tests
//! drive it with a model of the block layer. The kernel side (pinned user
//! pages, bios, completion) builds on it.

use crate::kernel_ext::fs_type::FileSystem;
use crate::kernel_ext::super_block::SuperBlock;

mod complete;
pub(crate) mod plan;
pub(crate) mod read;
mod rounds;
pub(crate) mod stats;
mod target;
pub(crate) mod write;

/// A filesystem that uses the engine: it keeps the per-mount counters.
pub(crate) trait DioFs: FileSystem {
    /// The counters of the mount `sb`.
    fn dio_stats(sb: &SuperBlock<Self>) -> &stats::DioStats;
}
