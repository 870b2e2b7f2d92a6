// SPDX-License-Identifier: GPL-2.0

//! The I/O request of a `direct_IO` call: the kiocb and its iov_iter.

use super::fs_type::FileSystem;
use super::inode::Inode;
use super::sys;
use core::marker::PhantomData;

/// A kiocb for the duration of one `direct_IO` call.
///
/// # Invariants
///
/// `raw` is a live kiocb whose file is open on an inode of the filesystem
/// that received the call, for the lifetime `'a`.
pub(crate) struct Kiocb<'a> {
    raw: *mut sys::kiocb,
    _p: PhantomData<&'a sys::kiocb>,
}

impl Kiocb<'_> {
    /// # Safety
    ///
    /// `raw` must satisfy the type invariants for `'a`.
    pub(super) unsafe fn from_raw(raw: *mut sys::kiocb) -> Self {
        Self {
            raw,
            _p: PhantomData,
        }
    }

    /// The file position of the request.
    pub(crate) fn pos(&self) -> i64 {
        // SAFETY: the kiocb is live (type invariant).
        unsafe { (*self.raw).ki_pos }
    }

    /// Whether the caller waits for the result (no `ki_complete`: not AIO
    /// or io_uring).
    pub(crate) fn is_sync(&self) -> bool {
        // SAFETY: the kiocb is live (type invariant).
        unsafe { sys::rext2_is_sync_kiocb(self.raw) }
    }

    /// The inode the request is on.
    pub(crate) fn inode<T: FileSystem>(&self) -> &Inode<T> {
        // SAFETY: the kiocb's file is open on a live inode of the
        // filesystem whose `direct_IO` was called (type invariant); `T` is
        // that filesystem because only its tables carry this trampoline.
        unsafe { Inode::from_raw(sys::rext2_kiocb_inode(self.raw)) }
    }
}

/// The iov_iter of a `direct_IO` call.
///
/// # Invariants
///
/// `raw` is a live iov_iter, exclusively ours for `'a`.
pub(crate) struct IovIter<'a> {
    raw: *mut sys::iov_iter,
    _p: PhantomData<&'a mut sys::iov_iter>,
}

impl IovIter<'_> {
    /// # Safety
    ///
    /// `raw` must satisfy the type invariants for `'a`.
    pub(super) unsafe fn from_raw(raw: *mut sys::iov_iter) -> Self {
        Self {
            raw,
            _p: PhantomData,
        }
    }

    pub(super) fn as_ptr(&mut self) -> *mut sys::iov_iter {
        self.raw
    }

    /// Bytes left in the iterator.
    pub(crate) fn count(&self) -> usize {
        // SAFETY: live iterator (type invariant).
        unsafe { sys::rext2_iov_iter_count(self.raw) }
    }

    /// Whether this is a write (data flows from the iterator).
    pub(crate) fn is_write(&self) -> bool {
        // SAFETY: live iterator (type invariant).
        unsafe { sys::rext2_iov_iter_is_source(self.raw) }
    }

    /// OR of every segment's address and length (`iov_iter_alignment`).
    pub(crate) fn alignment(&self) -> u64 {
        // SAFETY: live iterator (type invariant).
        unsafe { sys::iov_iter_alignment(self.raw) as u64 }
    }

    /// Whether extracted pages are pinned (user memory) rather than merely
    /// listed (kernel memory the caller keeps alive).
    pub(crate) fn will_pin(&self) -> bool {
        // SAFETY: live iterator (type invariant).
        unsafe { sys::rext2_iov_iter_will_pin(self.raw) }
    }
}
