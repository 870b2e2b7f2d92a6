// SPDX-License-Identifier: GPL-2.0

//! `inode_operations`: the tables of directories (lookup and the namespace
//! operations: create, mknod, mkdir, symlink, link, unlink, rmdir, rename,
//! tmpfile), of regular files (FIEMAP), of symlinks (`get_link`) and of
//! special files, with the attribute callbacks they share (`getattr`,
//! `setattr`, `fileattr_get`/`_set`). Each trampoline turns the callback
//! into a call of a [`FileSystem`] method.
//!
//! C header: [`include/linux/fs.h`](srctree/include/linux/fs.h)

use super::dentry::{Dentry, Idmap};
use super::fiemap::Fiemap;
use super::fs_type::{FileSystem, Tables};
use super::inode::{Inode, StatxAttrs};
use super::sys;
use core::ptr::null_mut;
use kernel::error::from_result;
use kernel::ffi::{c_int, c_uint};
use kernel::prelude::*;
use kernel::sync::aref::ARef;

impl<T: FileSystem> Tables<T> {
    const DIR_IOPS_T: sys::inode_operations = sys::inode_operations {
        lookup: Some(Self::lookup),
        create: Some(Self::create),
        link: Some(Self::link),
        unlink: Some(Self::unlink),
        symlink: Some(Self::symlink),
        mkdir: Some(Self::mkdir),
        rmdir: Some(Self::rmdir),
        mknod: Some(Self::mknod),
        rename: Some(Self::rename),
        tmpfile: Some(Self::tmpfile),
        setattr: Some(Self::setattr),
        getattr: Some(Self::getattr),
        fileattr_get: Some(Self::fileattr_get),
        fileattr_set: Some(Self::fileattr_set),
        ..pin_init::zeroed()
    };
    const REG_IOPS_T: sys::inode_operations = sys::inode_operations {
        setattr: Some(Self::setattr),
        getattr: Some(Self::getattr),
        fiemap: Some(Self::fiemap),
        fileattr_get: Some(Self::fileattr_get),
        fileattr_set: Some(Self::fileattr_set),
        ..pin_init::zeroed()
    };
    /// FIFOs, sockets and device nodes.
    const SPECIAL_IOPS_T: sys::inode_operations = sys::inode_operations {
        setattr: Some(Self::setattr),
        getattr: Some(Self::getattr),
        ..pin_init::zeroed()
    };
    const LINK_IOPS_T: sys::inode_operations = sys::inode_operations {
        get_link: Some(Self::get_link),
        setattr: Some(Self::setattr),
        getattr: Some(Self::getattr),
        ..pin_init::zeroed()
    };
    pub(super) const DIR_IOPS: &'static sys::inode_operations = &Self::DIR_IOPS_T;
    pub(super) const REG_IOPS: &'static sys::inode_operations = &Self::REG_IOPS_T;
    pub(super) const LINK_IOPS: &'static sys::inode_operations = &Self::LINK_IOPS_T;
    pub(super) const SPECIAL_IOPS: &'static sys::inode_operations = &Self::SPECIAL_IOPS_T;

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn lookup(
        dir: *mut sys::inode,
        dentry: *mut sys::dentry,
        _flags: c_uint,
    ) -> *mut sys::dentry {
        // SAFETY: `dir` is a live directory inode of `T`.
        let dir = unsafe { Inode::<T>::from_raw(dir) };
        let mut len = 0u32;
        // SAFETY: the dentry's name is stable during lookup (parent locked).
        let name = unsafe {
            let p = sys::rext2_dentry_name(dentry, &mut len);
            core::slice::from_raw_parts(p, len as usize)
        };
        let inode = match Self::lookup_inode(dir, name) {
            Ok(None) => null_mut(),
            Ok(Some(i)) => ARef::into_raw(i).as_ptr().cast(),
            Err(e) => return e.to_ptr(),
        };
        // SAFETY: `d_splice_alias` takes over the inode reference (or NULL
        // for a negative dentry).
        unsafe { sys::d_splice_alias(inode, dentry) }
    }

    /// The inode `name` names in directory `dir`, if any (a lookup and an
    /// `iget`).
    pub(super) fn lookup_inode(dir: &Inode<T>, name: &[u8]) -> Result<Option<ARef<Inode<T>>>> {
        T::lookup(dir, name)?
            .map(|ino| Inode::iget(dir.sb(), ino))
            .transpose()
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn create(
        idmap: *mut sys::mnt_idmap,
        dir: *mut sys::inode,
        dentry: *mut sys::dentry,
        mode: sys::umode_t,
    ) -> c_int {
        // SAFETY: a locked `T` directory and a negative dentry in it.
        let (dir, d) = unsafe { (Inode::<T>::from_raw(dir), Dentry::from_raw(dentry)) };
        from_result(|| T::create(dir, d, Idmap(idmap), mode, 0).map(|()| 0))
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn mknod(
        idmap: *mut sys::mnt_idmap,
        dir: *mut sys::inode,
        dentry: *mut sys::dentry,
        mode: sys::umode_t,
        rdev: sys::dev_t,
    ) -> c_int {
        // SAFETY: a locked `T` directory and a negative dentry in it.
        let (dir, d) = unsafe { (Inode::<T>::from_raw(dir), Dentry::from_raw(dentry)) };
        from_result(|| T::create(dir, d, Idmap(idmap), mode, rdev).map(|()| 0))
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn mkdir(
        idmap: *mut sys::mnt_idmap,
        dir: *mut sys::inode,
        dentry: *mut sys::dentry,
        mode: sys::umode_t,
    ) -> *mut sys::dentry {
        // SAFETY: a locked `T` directory and a negative dentry in it.
        let (dir, d) = unsafe { (Inode::<T>::from_raw(dir), Dentry::from_raw(dentry)) };
        match T::mkdir(dir, d, Idmap(idmap), mode) {
            Ok(()) => null_mut(),
            Err(e) => e.to_ptr(),
        }
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn symlink(
        idmap: *mut sys::mnt_idmap,
        dir: *mut sys::inode,
        dentry: *mut sys::dentry,
        target: *const kernel::ffi::c_char,
    ) -> c_int {
        // SAFETY: a locked `T` directory, a negative dentry in it, and a
        // NUL-terminated target string.
        let (dir, d, target) = unsafe {
            (
                Inode::<T>::from_raw(dir),
                Dentry::from_raw(dentry),
                CStr::from_char_ptr(target),
            )
        };
        from_result(|| T::symlink(dir, d, Idmap(idmap), target.to_bytes()).map(|()| 0))
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn link(
        old: *mut sys::dentry,
        dir: *mut sys::inode,
        dentry: *mut sys::dentry,
    ) -> c_int {
        // SAFETY: a positive `old` dentry, a locked `T` directory and a
        // negative dentry in it.
        let (old, dir, d) = unsafe {
            (
                Dentry::from_raw(old),
                Inode::<T>::from_raw(dir),
                Dentry::from_raw(dentry),
            )
        };
        from_result(|| T::link(old, dir, d).map(|()| 0))
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn unlink(dir: *mut sys::inode, dentry: *mut sys::dentry) -> c_int {
        // SAFETY: a locked `T` directory and a positive dentry in it.
        let (dir, d) = unsafe { (Inode::<T>::from_raw(dir), Dentry::from_raw(dentry)) };
        from_result(|| T::unlink(dir, d).map(|()| 0))
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn rmdir(dir: *mut sys::inode, dentry: *mut sys::dentry) -> c_int {
        // SAFETY: a locked `T` directory and a positive dentry in it.
        let (dir, d) = unsafe { (Inode::<T>::from_raw(dir), Dentry::from_raw(dentry)) };
        from_result(|| T::rmdir(dir, d).map(|()| 0))
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn rename(
        _idmap: *mut sys::mnt_idmap,
        old_dir: *mut sys::inode,
        old: *mut sys::dentry,
        new_dir: *mut sys::inode,
        new: *mut sys::dentry,
        flags: c_uint,
    ) -> c_int {
        // SAFETY: the VFS holds both directories (and the rename lock) and
        // passes their dentries.
        let (od, o, nd, n) = unsafe {
            (
                Inode::<T>::from_raw(old_dir),
                Dentry::from_raw(old),
                Inode::<T>::from_raw(new_dir),
                Dentry::from_raw(new),
            )
        };
        from_result(|| T::rename(od, o, nd, n, flags).map(|()| 0))
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn tmpfile(
        idmap: *mut sys::mnt_idmap,
        dir: *mut sys::inode,
        file: *mut sys::file,
        mode: sys::umode_t,
    ) -> c_int {
        // SAFETY: a `T` directory, held by the VFS for the call.
        let dir = unsafe { Inode::<T>::from_raw(dir) };
        from_result(|| {
            let new = T::tmpfile(dir, Idmap(idmap), mode)?;
            // SAFETY: `file` is the file this callback is to open, and a
            // new inode has one link.
            unsafe { new.open_tmpfile(file) }?;
            Ok(0)
        })
    }

    /// `getattr` (stat, statx): the generic attributes and the
    /// filesystem's `statx` attribute bits.
    ///
    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn getattr(
        idmap: *mut sys::mnt_idmap,
        path: *const sys::path,
        stat: *mut sys::kstat,
        request_mask: u32,
        _query_flags: c_uint,
    ) -> c_int {
        // SAFETY: `path` names a positive dentry of `T`, pinned by the
        // caller; `stat` is the caller's result, ours to fill.
        unsafe {
            let raw = sys::rext2_d_inode((*path).dentry);
            let attrs = T::statx_attributes(Inode::<T>::from_raw(raw));
            (*stat).attributes |= attrs.bits();
            (*stat).attributes_mask |= StatxAttrs::SUPPORTED;
            sys::generic_fillattr(idmap, request_mask, raw, stat);
        }
        0
    }

    /// `setattr`: the generic checks and copy, with the size change done
    /// by the filesystem in between.
    ///
    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn setattr(
        idmap: *mut sys::mnt_idmap,
        dentry: *mut sys::dentry,
        attr: *mut sys::iattr,
    ) -> c_int {
        from_result(|| {
            // SAFETY: a positive dentry of `T` with its inode locked, and
            // the caller's attribute change.
            unsafe {
                let raw = sys::rext2_d_inode(dentry);
                kernel::error::to_result(sys::setattr_prepare(idmap, dentry, attr))?;
                let inode = Inode::<T>::from_raw(raw);
                if (*attr).ia_valid & sys::ATTR_SIZE != 0 && (*attr).ia_size != inode.size() {
                    T::set_size(inode, (*attr).ia_size)?;
                }
                sys::setattr_copy(idmap, raw, attr);
                inode.mark_dirty();
            }
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn fileattr_get(dentry: *mut sys::dentry, fa: *mut sys::file_kattr) -> c_int {
        // SAFETY: a positive dentry of `T` and the caller's attributes.
        unsafe {
            let inode = Inode::<T>::from_raw(sys::rext2_d_inode(dentry));
            sys::rext2_fileattr_fill(fa, T::get_flags(inode));
        }
        0
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn fileattr_set(
        _idmap: *mut sys::mnt_idmap,
        dentry: *mut sys::dentry,
        fa: *mut sys::file_kattr,
    ) -> c_int {
        from_result(|| {
            let mut flags = 0;
            // SAFETY: a positive dentry of `T` with its inode locked, and the
            // caller's new attributes, checked by `vfs_fileattr_set`.
            let inode = unsafe {
                kernel::error::to_result(sys::rext2_fileattr_flags(fa, &mut flags))?;
                Inode::<T>::from_raw(sys::rext2_d_inode(dentry))
            };
            T::set_flags(inode, flags).map(|()| 0)
        })
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn fiemap(
        inode: *mut sys::inode,
        info: *mut sys::fiemap_extent_info,
        start: u64,
        len: u64,
    ) -> c_int {
        // SAFETY: a live regular inode of `T` and the call's extent array.
        let (inode, mut extents) = unsafe { (Inode::<T>::from_raw(inode), Fiemap::from_raw(info)) };
        from_result(|| {
            let mut len = len;
            // SAFETY: live inode and extent array; no flags are supported.
            let r =
                unsafe { sys::fiemap_prep(inode.as_ptr(), extents.as_ptr(), start, &mut len, 0) };
            kernel::error::to_result(r)?;
            let _lock = inode.lock();
            T::fiemap(inode, &mut extents, start, len).map(|()| 0)
        })
    }

    /// # Safety
    ///
    /// Only called by the VFS through the operation tables, with the live
    /// objects that callback's C contract promises.
    unsafe extern "C" fn get_link(
        dentry: *mut sys::dentry,
        inode: *mut sys::inode,
        done: *mut sys::delayed_call,
    ) -> *const u8 {
        if dentry.is_null() {
            // RCU walk: reading the target may sleep.
            return ECHILD.to_ptr();
        }
        // SAFETY: a live symlink inode of `T`.
        let inode = unsafe { Inode::<T>::from_raw(inode) };
        let mut target = match T::get_link(inode) {
            Ok(t) => t,
            Err(e) => return e.to_ptr(),
        };
        if let Err(e) = target.push(0, GFP_KERNEL) {
            return Error::from(e).to_ptr();
        }
        let (ptr, _, _) = target.into_raw_parts();
        // SAFETY: `ptr` is a kmalloc'ed, NUL-terminated buffer; `kfree_link`
        // frees it once the VFS is done with the link body.
        unsafe { sys::rext2_set_delayed_call(done, Some(sys::kfree_link), ptr.cast()) };
        ptr
    }
}
