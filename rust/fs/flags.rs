// SPDX-License-Identifier: GPL-2.0

//! Inode attribute flags (`i_flags`, chattr/lsattr): what the VFS enforces
//! of them, what a new inode inherits, and `FS_IOC_GETFLAGS`/`SETFLAGS`.
//! The rules are ext2's.

use super::disk::inode::{S_IFDIR, S_IFMT, S_IFREG};
use super::Ext2;
use crate::kernel_ext::inode::{Inode, StatxAttrs, VfsFlags};
use kernel::prelude::*;

const SECRM: u32 = 0x0000_0001;
const UNRM: u32 = 0x0000_0002;
const COMPR: u32 = 0x0000_0004;
const SYNC: u32 = 0x0000_0008;
const IMMUTABLE: u32 = 0x0000_0010;
const APPEND: u32 = 0x0000_0020;
const NODUMP: u32 = 0x0000_0040;
const NOATIME: u32 = 0x0000_0080;
const COMPRBLK: u32 = 0x0000_0200;
const NOCOMPR: u32 = 0x0000_0400;
const JOURNAL_DATA: u32 = 0x0000_4000;
const NOTAIL: u32 = 0x0000_8000;
const DIRSYNC: u32 = 0x0001_0000;
const TOPDIR: u32 = 0x0002_0000;

/// What `FS_IOC_GETFLAGS` shows (`FS_FL_USER_VISIBLE`).
const USER_VISIBLE: u32 = 0x0003_DFFF;
/// What `FS_IOC_SETFLAGS` may change (`FS_FL_USER_MODIFIABLE`).
const USER_MODIFIABLE: u32 = 0x0003_80FF;

/// What a new inode takes from its directory (`EXT2_FL_INHERITED`).
const INHERITED: u32 = SECRM
    | UNRM
    | COMPR
    | SYNC
    | NODUMP
    | NOATIME
    | COMPRBLK
    | NOCOMPR
    | JOURNAL_DATA
    | NOTAIL
    | DIRSYNC;

/// Of the inherited flags, what each kind of inode keeps
/// (`ext2_mask_flags`): directories all, regular files all but the
/// directory-only ones, the others only nodump and noatime.
fn mask_for(mode: u16, flags: u32) -> u32 {
    match mode & S_IFMT {
        S_IFDIR => flags,
        S_IFREG => flags & !(DIRSYNC | TOPDIR),
        _ => flags & (NODUMP | NOATIME),
    }
}

/// The flags of a new inode of `mode` in a directory with `dir_flags`.
pub(super) fn inherit(mode: u16, dir_flags: u32) -> u32 {
    mask_for(mode, dir_flags & INHERITED)
}

/// Makes the VFS enforce `flags` on `inode` (`ext2_set_inode_flags`):
/// immutable, append-only, sync, noatime and dirsync.
pub(super) fn apply(inode: &Inode<Ext2>, flags: u32) {
    inode.set_vfs_flags(VfsFlags {
        sync: flags & SYNC != 0,
        append: flags & APPEND != 0,
        immutable: flags & IMMUTABLE != 0,
        noatime: flags & NOATIME != 0,
        dirsync: flags & DIRSYNC != 0,
    });
}

/// `FS_IOC_GETFLAGS`.
pub(super) fn get(inode: &Inode<Ext2>) -> u32 {
    inode.info().read().flags & USER_VISIBLE
}

/// The `statx` attributes (`ext2_getattr`): four flags have one; ext2
/// never encrypts.
pub(super) fn statx(inode: &Inode<Ext2>) -> StatxAttrs {
    let flags = get(inode);
    StatxAttrs {
        append: flags & APPEND != 0,
        compressed: flags & COMPR != 0,
        encrypted: false,
        immutable: flags & IMMUTABLE != 0,
        nodump: flags & NODUMP != 0,
    }
}

/// `FS_IOC_SETFLAGS`: the VFS has checked ownership and
/// `CAP_LINUX_IMMUTABLE` and holds `i_rwsem`. As ext2, the user-modifiable
/// flags are taken as given and the others kept.
pub(super) fn set(inode: &Inode<Ext2>, flags: u32) -> Result {
    let new = {
        let mut st = inode.info().write();
        st.flags = (st.flags & !USER_MODIFIABLE) | (flags & USER_MODIFIABLE);
        st.flags
    };
    apply(inode, new);
    inode.touch_ctime();
    inode.mark_dirty();
    Ok(())
}
