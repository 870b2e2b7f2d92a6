// SPDX-License-Identifier: GPL-2.0

//! Directory entries as the VFS hands them to namespace operations.

use super::fs_type::FileSystem;
use super::inode::Inode;
use super::sys;
use kernel::sync::aref::ARef;
use kernel::types::Opaque;

/// A dentry passed to a directory operation; the VFS holds the parent's
/// `i_rwsem` for the duration, so the name is stable.
#[repr(transparent)]
pub(crate) struct Dentry(Opaque<sys::dentry>);

impl Dentry {
    /// # Safety
    ///
    /// `d` must be a live dentry, with a stable name, for `'a`.
    pub(super) unsafe fn from_raw<'a>(d: *mut sys::dentry) -> &'a Self {
        // SAFETY: transparent wrapper; liveness is the caller's promise.
        unsafe { &*d.cast::<Self>() }
    }

    pub(super) fn as_ptr(&self) -> *mut sys::dentry {
        self.0.get()
    }

    /// The entry's name.
    pub(crate) fn name(&self) -> &[u8] {
        let mut len = 0u32;
        // SAFETY: the name is stable while the parent is locked (type
        // invariant), and `d_name` points at `len` bytes.
        unsafe {
            let p = sys::rext2_dentry_name(self.as_ptr(), &mut len);
            core::slice::from_raw_parts(p, len as usize)
        }
    }

    /// The inode of a positive dentry of filesystem `T`.
    ///
    /// Every dentry the VFS hands a `T` directory operation belongs to a
    /// `T` superblock, so its inode is a `T` inode.
    pub(crate) fn inode<T: FileSystem>(&self) -> Option<&Inode<T>> {
        // SAFETY: a live dentry; a positive dentry pins its inode while the
        // caller holds the dentry (for the operation's duration).
        let i = unsafe { sys::rext2_d_inode(self.as_ptr()) };
        if i.is_null() {
            None
        } else {
            // SAFETY: see above; the inode is a live `T` inode.
            Some(unsafe { Inode::from_raw(i) })
        }
    }

    /// Makes the dentry positive with `inode` (`d_instantiate`), which
    /// takes over the reference.
    pub(crate) fn instantiate<T: FileSystem>(&self, inode: ARef<Inode<T>>) {
        let raw = ARef::into_raw(inode).as_ptr().cast::<sys::inode>();
        // SAFETY: a live negative dentry under a locked parent; the
        // reference moves into the dentry.
        unsafe { sys::d_instantiate(self.as_ptr(), raw) };
    }
}

/// The idmapping of the mount an operation came through (`mnt_idmap`),
/// needed to set a new inode's owner.
#[derive(Clone, Copy)]
pub(crate) struct Idmap(pub(super) *mut sys::mnt_idmap);
