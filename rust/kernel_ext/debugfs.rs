// SPDX-License-Identifier: GPL-2.0

//! The module's debugfs directory, `/sys/kernel/debug/rext2`, and the
//! read-only files in it (the engine's counters).

use core::fmt::Debug;
use core::ptr::null_mut;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::debugfs::{Dir, File};
use kernel::prelude::*;

/// The `rext2` directory, while a [`Root`] exists.
static ROOT: AtomicPtr<Dir> = AtomicPtr::new(null_mut());

/// `/sys/kernel/debug/rext2`, from module init to module exit.
///
/// # Invariants
///
/// While a `Root` exists, `ROOT` points at the directory it created.
pub(crate) struct Root {
    _private: (),
}

impl Root {
    /// Creates the directory.
    pub(crate) fn new() -> Result<Self> {
        let dir = KBox::new(Dir::new(c"rext2"), GFP_KERNEL)?;
        ROOT.store(KBox::into_raw(dir), Ordering::Release);
        Ok(Self { _private: () })
    }
}

impl Drop for Root {
    fn drop(&mut self) {
        let dir = ROOT.swap(null_mut(), Ordering::AcqRel);
        if !dir.is_null() {
            // SAFETY: `dir` came from `KBox::into_raw` in `Root::new` and is
            // taken back exactly once, here.
            drop(unsafe { KBox::from_raw(dir) });
        }
    }
}

/// A read-only file `rext2/<name>` showing a static's `Debug` output,
/// removed when dropped.
pub(crate) struct StaticFile<D: 'static> {
    _file: Pin<KBox<File<&'static D>>>,
}

impl<D: Debug + Sync + 'static> StaticFile<D> {
    /// Creates the file; [`Root`] must exist and outlive it.
    pub(crate) fn new(name: &CStr, data: &'static D) -> Result<Self> {
        let root = ROOT.load(Ordering::Acquire);
        if root.is_null() {
            return Err(ENOENT);
        }
        // SAFETY: the root lives until its `Root` is dropped, and the
        // module drops its files first.
        let root = unsafe { &*root };
        Ok(Self {
            _file: KBox::pin_init(root.read_only_file(name, data), GFP_KERNEL)?,
        })
    }
}
