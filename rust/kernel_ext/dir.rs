// SPDX-License-Identifier: GPL-2.0

//! `readdir` output: a safe view of `struct dir_context`.

use super::sys;
use core::marker::PhantomData;

/// Where a directory walk emits its entries.
///
/// # Invariants
///
/// `ctx` is the live `dir_context` of the current `iterate_shared` call.
pub(crate) struct DirEmitter<'a> {
    ctx: *mut sys::dir_context,
    _p: PhantomData<&'a mut sys::dir_context>,
}

impl DirEmitter<'_> {
    /// # Safety
    ///
    /// `ctx` must be live and exclusively ours for `'a`.
    pub(super) unsafe fn new(ctx: *mut sys::dir_context) -> Self {
        Self {
            ctx,
            _p: PhantomData,
        }
    }

    /// The directory position to resume from (a byte offset for ext2).
    pub(crate) fn pos(&self) -> i64 {
        // SAFETY: `ctx` is live (type invariant).
        unsafe { (*self.ctx).pos }
    }

    /// Moves the position (past an emitted or skipped entry).
    pub(crate) fn set_pos(&mut self, pos: i64) {
        // SAFETY: `ctx` is live and ours (type invariant).
        unsafe { (*self.ctx).pos = pos };
    }

    /// Emits one entry at the current position. Returns `false` when the
    /// caller's buffer is full: stop, and do not advance the position.
    pub(crate) fn emit(&mut self, name: &[u8], ino: u64, dtype: u32) -> bool {
        let Ok(len) = i32::try_from(name.len()) else {
            return false;
        };
        // SAFETY: `ctx` is live; `name` is valid for `len` bytes during the call.
        unsafe { sys::rext2_dir_emit(self.ctx, name.as_ptr(), len, ino, dtype) }
    }
}
