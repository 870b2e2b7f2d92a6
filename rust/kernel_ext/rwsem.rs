// SPDX-License-Identifier: GPL-2.0

//! A read-write semaphore that owns the data it protects (`struct
//! rw_semaphore`): any number of readers, or one writer. The kernel crate
//! has no rwsem abstraction yet; this one has the shape of its `Mutex`.
//!
//! C header: [`include/linux/rwsem.h`](srctree/include/linux/rwsem.h)

use super::sys;
use core::cell::UnsafeCell;
use core::marker::PhantomPinned;
use core::ops::{Deref, DerefMut};
use kernel::prelude::*;
use kernel::sync::LockClassKey;
use kernel::types::Opaque;

/// Creates a [`RwSem`] initialiser with a lock class of its own and the
/// source location as its name.
macro_rules! new_rwsem {
    ($inner:expr $(,)?) => {
        $crate::kernel_ext::rwsem::RwSem::new(
            $inner,
            kernel::optional_name!(),
            kernel::static_lock_class!(),
        )
    };
}
pub(crate) use new_rwsem;

/// `T` behind a `struct rw_semaphore`.
///
/// # Invariants
///
/// `sem` is initialised (by [`RwSem::new`]) and pinned; `data` is only
/// reached through a [`ReadGuard`] (shared, with `sem` held for reading)
/// or a [`WriteGuard`] (exclusive, with `sem` held for writing).
#[pin_data]
pub(crate) struct RwSem<T> {
    #[pin]
    sem: Opaque<sys::rw_semaphore>,
    data: UnsafeCell<T>,
    #[pin]
    _pin: PhantomPinned,
}

// SAFETY: the semaphore hands `T` to one writer or to readers that only
// share it, on any thread: as a `Mutex<T>`, plus `Sync` readers.
unsafe impl<T: Send> Send for RwSem<T> {}
// SAFETY: as above; readers on several threads at once need `T: Sync`.
unsafe impl<T: Send + Sync> Sync for RwSem<T> {}

impl<T> RwSem<T> {
    /// An initialiser for a semaphore around `data`, with lockdep name
    /// `name` and class `key` (see [`new_rwsem!`]).
    pub(crate) fn new(
        data: T,
        name: &'static CStr,
        key: Pin<&'static LockClassKey>,
    ) -> impl PinInit<Self> {
        pin_init!(Self {
            data: UnsafeCell::new(data),
            // SAFETY: `slot` is valid for the call; `name` and `key` are
            // static, so lockdep may keep them.
            sem <- Opaque::ffi_init(|slot| unsafe {
                sys::__init_rwsem(slot, name.as_char_ptr(), key.as_ptr())
            }),
            _pin: PhantomPinned,
        })
    }

    /// Takes the semaphore for reading (may sleep).
    pub(crate) fn read(&self) -> ReadGuard<'_, T> {
        // SAFETY: initialised and pinned (type invariant); process context
        // (the callers are filesystem operations).
        unsafe { sys::down_read(self.sem.get()) };
        ReadGuard { sem: self }
    }

    /// Takes the semaphore for reading if it can be had without waiting.
    pub(crate) fn try_read(&self) -> Option<ReadGuard<'_, T>> {
        // SAFETY: initialised and pinned (type invariant); the guard made
        // on success releases the read hold exactly once.
        let locked = unsafe { sys::down_read_trylock(self.sem.get()) != 0 };
        // Lazily: a guard made for a failed attempt would release on drop.
        locked.then(|| ReadGuard { sem: self })
    }

    /// Takes the semaphore for writing (may sleep).
    pub(crate) fn write(&self) -> WriteGuard<'_, T> {
        // SAFETY: as in `read`.
        unsafe { sys::down_write(self.sem.get()) };
        WriteGuard { sem: self }
    }
}

/// Shared access to the data of a [`RwSem`] held for reading.
///
/// # Invariants
///
/// `sem.sem` is held for reading by this guard.
pub(crate) struct ReadGuard<'a, T> {
    sem: &'a RwSem<T>,
}

impl<T> Deref for ReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: held for reading: no writer exists (type invariant).
        unsafe { &*self.sem.data.get() }
    }
}

impl<T> Drop for ReadGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: held for reading by this guard (type invariant).
        unsafe { sys::up_read(self.sem.sem.get()) };
    }
}

/// Exclusive access to the data of a [`RwSem`] held for writing.
///
/// # Invariants
///
/// `sem.sem` is held for writing by this guard.
pub(crate) struct WriteGuard<'a, T> {
    sem: &'a RwSem<T>,
}

impl<T> Deref for WriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: held for writing: this guard is the only user (type
        // invariant).
        unsafe { &*self.sem.data.get() }
    }
}

impl<T> DerefMut for WriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes the borrow unique.
        unsafe { &mut *self.sem.data.get() }
    }
}

impl<T> Drop for WriteGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: held for writing by this guard (type invariant).
        unsafe { sys::up_write(self.sem.sem.get()) };
    }
}
