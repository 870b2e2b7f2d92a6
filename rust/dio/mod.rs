// SPDX-License-Identifier: GPL-2.0

//! The direct-I/O engine: fs/direct-io.c in safe Rust.
//!
//! `plan` is the pure part (alignment, chunking, merging, bio breaks and
//! the boundary flush), written against small traits so the host tests
//! drive it with a model of the block layer. The kernel side (pinned user
//! pages, bios, completion) builds on it.
//!
//! The engine knows nothing of rext2. Its caller names what it needs,
//! as `__blockdev_direct_IO` does: the kiocb, the inode, the block
//! device, the iterator, a [`BlockMapper`] (the Rust form of
//! `get_block_t`) and the [`DioFlags`]. rext2's ext2 is one caller; C
//! filesystems reach it through the exported `rext2_blockdev_direct_IO`
//! (`crate::kernel_ext::c_dio`). What a caller does after a failed write
//! (trim blocks allocated past `i_size`) is the caller's business, as it is
//! with fs/direct-io.c.

use crate::kernel_ext::block_device::BlockDevice;
use crate::kernel_ext::debugfs;
use crate::kernel_ext::kiocb::{DioReturn, IovIter, Kiocb};
use crate::kernel_ext::one_bio::OneBioSet;
use crate::kernel_ext::request::RequestCache;
use crate::kernel_ext::vfs_inode::VfsInode;
use kernel::prelude::*;
use stats::{DioStats, STATS};

mod complete;
pub(crate) mod plan;
mod read;
mod report;
mod rounds;
mod simple;
pub(crate) mod stats;
mod target;
mod write;

pub(crate) use crate::kernel_ext::block_map::Mapping;

/// How the caller wants the request handled (fs/direct-io.c's `DIO_*`
/// flags).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DioFlags {
    /// `DIO_LOCKING`: a read takes `i_rwsem` while it maps blocks and
    /// builds bios, and flushes the page cache over its range first.
    /// (rext2 takes it shared, where 7.3 takes it exclusive: see
    /// Documentation/rext2.rst, deliberate differences.)
    pub(crate) locking: bool,
    /// `DIO_SKIP_HOLES`: a write does not fill holes inside `i_size`; it
    /// stops there and the caller writes the rest through the page cache.
    pub(crate) skip_holes: bool,
}

impl DioFlags {
    /// What `blockdev_direct_IO()` passes: `DIO_LOCKING | DIO_SKIP_HOLES`.
    pub(crate) const BLOCKDEV: Self = Self {
        locking: true,
        skip_holes: true,
    };
}

/// Where a file's blocks live: `get_block_t` for the engine.
pub(crate) trait BlockMapper {
    /// Maps file blocks `lblk..lblk + max` (fs blocks of the inode):
    /// a hole, or a run of blocks contiguous on disk. With `create`, a
    /// hole is allocated (and reported `new`). The engine checks every
    /// answer (see `target`).
    fn map(&self, lblk: u64, max: u64, create: bool) -> Result<Mapping>;
    /// Looks blocks up as `map` without `create` does, but without
    /// sleeping, for an `IOCB_NOWAIT` request: `-EAGAIN` where the answer
    /// needs a lock that is taken or metadata not in memory. By default
    /// always `-EAGAIN` (`get_block_t` gives no such promise).
    fn map_nowait(&self, _lblk: u64, _max: u64) -> Result<Mapping> {
        Err(EAGAIN)
    }

    /// Whether a mapping asked for the completion to run in task context
    /// (`BH_Defer_Completion`).
    fn defer_completion(&self) -> bool {
        false
    }

    /// Whether the inode's metadata needs no writing for a data-sync
    /// write that only overwrites blocks mapped (not new) inside
    /// `i_size`. If so, the engine writes such a request through
    /// (`REQ_FUA`, or a plain write on a device without a volatile cache)
    /// and tells the caller no sync is left to do, as iomap does for a
    /// pure overwrite. By default `false`: the caller syncs after every
    /// data-sync write, as with fs/direct-io.c.
    fn clean_for_data_sync(&self) -> bool {
        false
    }
}

/// One direct I/O's fixed inputs.
pub(crate) struct Call<'a, 'm, M: BlockMapper> {
    pub(crate) inode: &'a VfsInode,
    pub(crate) bdev: &'a BlockDevice,
    pub(crate) mapper: &'m M,
    pub(crate) flags: DioFlags,
}

/// `__blockdev_direct_IO`: reads or writes `iter` at the kiocb's position
/// of `inode`, on `bdev`, with the blocks `mapper` gives. Returns the
/// bytes done (short at EOF, or at a hole a write may not fill), queued
/// (`-EIOCBQUEUED`, asynchronous kiocbs), or the error.
pub(crate) fn direct_io<'a, M: BlockMapper>(
    iocb: Kiocb<'a>,
    inode: &'a VfsInode,
    bdev: &'a BlockDevice,
    iter: &mut IovIter<'_>,
    mapper: &M,
    flags: DioFlags,
) -> DioReturn<'a> {
    if iocb.is_nowait() && (iter.is_write() || !bdev.takes_nowait()) {
        // Only a read on the one-bio path is issued without blocking (see
        // `simple`); a write, or a device that would sleep for a tag, is
        // retried by the caller from a context that may block.
        DioStats::add(&STATS.nowait_again, 1);
        return DioReturn::Done(iocb, Err(EAGAIN));
    }
    let call = Call {
        inode,
        bdev,
        mapper,
        flags,
    };
    if iter.is_write() {
        write::direct_write(&call, iocb, iter)
    } else {
        read::direct_read(&call, iocb, iter)
    }
}

/// The engine's module-wide state: its request cache, the bio set of its
/// direct path and its counters' debugfs file
/// (`/sys/kernel/debug/rext2/dio`). Created before any filesystem can use
/// the engine, dropped after the last one has.
pub(crate) struct Engine {
    // Dropped in this order: the file before its directory.
    _stats_file: Option<debugfs::StaticFile<stats::DioStats>>,
    _root: debugfs::Root,
    _cache: RequestCache,
    _bios: OneBioSet,
}

impl Engine {
    /// Sets the engine up; `counting` turns its counters on (module
    /// parameter `dio_stats`).
    pub(crate) fn new(counting: bool) -> Result<Self> {
        let bios = OneBioSet::new()?;
        let cache = RequestCache::new()?;
        let root = debugfs::Root::new()?;
        stats::set_enabled(counting);
        Ok(Self {
            _stats_file: debugfs::StaticFile::new(c"dio", &stats::STATS).ok(),
            _root: root,
            _cache: cache,
            _bios: bios,
        })
    }
}
