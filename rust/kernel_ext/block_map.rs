// SPDX-License-Identifier: GPL-2.0

//! The Rust form of `get_block_t`: what a filesystem tells the page cache
//! (and later the direct-I/O engine) about where file blocks live.

use super::fs_type::FileSystem;
use super::inode::Inode;
use super::sys;
use kernel::ffi::c_int;

/// The answer to "where are logical blocks `lblk..lblk + max`?".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mapping {
    /// The first `len` blocks are a hole (read as zeros).
    Hole { len: u64 },
    /// The first `len` blocks are contiguous on disk from `pblk`.
    Mapped {
        pblk: u64,
        len: u64,
        /// Freshly allocated: the caller must zero what it does not write.
        new: bool,
        /// The block after this run needs more metadata read first
        /// (`BH_Boundary`): a good moment to submit pending I/O.
        boundary: bool,
    },
}

/// `get_block_t` trampoline handed to the generic buffer-head helpers
/// (`mpage_read_folio`, `mpage_readahead`).
///
/// # Safety
///
/// Called by the kernel with a live inode of filesystem `T` and a buffer
/// head the caller owns for the duration of the call.
pub(super) unsafe extern "C" fn get_block<T: FileSystem>(
    inode: *mut sys::inode,
    iblock: sys::sector_t,
    bh: *mut sys::buffer_head,
    create: c_int,
) -> c_int {
    // SAFETY: `inode` is a live inode of `T` (function contract).
    let inode = unsafe { Inode::<T>::from_raw(inode) };
    // SAFETY: `bh` is owned by our caller for the duration of the call.
    let want = unsafe { sys::rext2_bh_get_size(bh) } as u64 >> inode.block_bits();
    match T::map_blocks(inode, iblock, want.max(1), create != 0) {
        Ok(Mapping::Hole { .. }) => 0,
        Ok(Mapping::Mapped {
            pblk,
            len,
            new,
            boundary,
        }) => {
            let bytes = (len.min(want.max(1)) << inode.block_bits()) as usize;
            // SAFETY: `bh` is owned by our caller for the call; the inode's
            // superblock is live while the inode is.
            unsafe {
                sys::rext2_map_bh(bh, inode.sb_ptr(), pblk);
                sys::rext2_bh_set_size(bh, bytes);
                if new {
                    sys::rext2_set_buffer_new(bh);
                }
                if boundary {
                    sys::rext2_set_buffer_boundary(bh);
                }
            }
            0
        }
        Err(e) => e.to_errno(),
    }
}
