// SPDX-License-Identifier: GPL-2.0

//! FIEMAP (`inode_operations.fiemap`): the caller's extent array.

use super::sys;
use core::marker::PhantomData;
use kernel::prelude::*;

/// The extent array of one FIEMAP call.
///
/// # Invariants
///
/// `raw` is the live `fiemap_extent_info` of the call, ours for `'a`.
pub(crate) struct Fiemap<'a> {
    raw: *mut sys::fiemap_extent_info,
    _p: PhantomData<&'a mut sys::fiemap_extent_info>,
}

impl Fiemap<'_> {
    /// # Safety
    ///
    /// `raw` must satisfy the type invariants for `'a`.
    pub(super) unsafe fn from_raw(raw: *mut sys::fiemap_extent_info) -> Self {
        Self {
            raw,
            _p: PhantomData,
        }
    }

    pub(super) fn as_ptr(&self) -> *mut sys::fiemap_extent_info {
        self.raw
    }

    /// Reports an extent of `len` bytes at file offset `logical` and disk
    /// offset `phys`, the file's last if `last`. `Ok(false)` once the
    /// caller's array is full (stop there).
    pub(crate) fn add(&mut self, logical: u64, phys: u64, len: u64, last: bool) -> Result<bool> {
        let flags = if last {
            sys::REXT2_FIEMAP_EXTENT_LAST
        } else {
            0
        };
        // SAFETY: a live extent array (type invariant); it copies to user
        // memory and may fault, which is fine in this process context.
        let r = unsafe { sys::fiemap_fill_next_extent(self.raw, logical, phys, len, flags) };
        match r {
            0 => Ok(true),
            1 => Ok(false),
            e => Err(Error::from_errno(e)),
        }
    }
}
