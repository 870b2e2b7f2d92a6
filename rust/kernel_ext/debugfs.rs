// SPDX-License-Identifier: GPL-2.0

//! The module's debugfs directory, `/sys/kernel/debug/rext2`, with one
//! read-only file per mount.

use core::fmt::Debug;
use core::ptr::null_mut;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::debugfs::{Dir, File};
use kernel::prelude::*;

/// The `rext2` directory, created at registration, removed at exit.
static ROOT: AtomicPtr<Dir> = AtomicPtr::new(null_mut());

/// Creates `/sys/kernel/debug/rext2`.
pub(super) fn create_root() -> Result {
    let dir = KBox::new(Dir::new(c"rext2"), GFP_KERNEL)?;
    ROOT.store(KBox::into_raw(dir), Ordering::Release);
    Ok(())
}

/// Removes it again (no mount is left, so no file under it either).
pub(super) fn remove_root() {
    let dir = ROOT.swap(null_mut(), Ordering::AcqRel);
    if !dir.is_null() {
        // SAFETY: `dir` came from `KBox::into_raw` in `create_root` and is
        // taken back exactly once, here.
        drop(unsafe { KBox::from_raw(dir) });
    }
}

/// A read-only file `rext2/<name>` showing `data`'s `Debug` output,
/// removed when the returned handle is dropped.
pub(crate) fn mount_file<D: Debug + Send + Sync + 'static>(
    name: &CStr,
    data: D,
) -> Result<Pin<KBox<File<D>>>> {
    let root = ROOT.load(Ordering::Acquire);
    if root.is_null() {
        return Err(ENOENT);
    }
    // SAFETY: the root lives from registration to module exit, and a mount
    // (which is where this is called from) cannot outlive the registration.
    let root = unsafe { &*root };
    KBox::pin_init(root.read_only_file(name, data), GFP_KERNEL)
}
