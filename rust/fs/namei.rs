// SPDX-License-Identifier: GPL-2.0

//! Namespace operations: create, mknod, mkdir, symlink, link, unlink,
//! rmdir and rename. The VFS holds the directories' `i_rwsem` (and for
//! rename the per-superblock rename lock) around each call.

use super::dir::{self, ftype};
use super::disk::inode::{FAST_LINK_MAX, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG};
use super::{alloc, inode, Ext2};
use crate::kernel_ext::dentry::{Dentry, Idmap};
use crate::kernel_ext::inode::{Inode, InodeKind, NewInode};
use core::sync::atomic::Ordering;
use kernel::prelude::*;
use kernel::sync::aref::ARef;

/// ext2's `EXT2_LINK_MAX`.
const LINK_MAX: u32 = 32000;
/// `RENAME_NOREPLACE`.
const RENAME_NOREPLACE: u32 = 1;

/// Allocates an inode number and a locked new inode of `mode` in `dir`.
fn new_inode(dir: &Inode<Ext2>, idmap: Idmap, mode: u16) -> Result<NewInode<Ext2>> {
    let is_dir = mode & S_IFMT == S_IFDIR;
    let ino = alloc::alloc_inode(dir, is_dir)?;
    let mut new = match NewInode::create(dir, idmap, mode, ino.into()) {
        Ok(n) => n,
        Err(e) => {
            let _ = alloc::free_inode(dir.sb(), ino, is_dir);
            return Err(e);
        }
    };
    let generation = dir
        .sb()
        .info()
        .next_generation
        .fetch_add(1, Ordering::Relaxed);
    new.set_generation(generation);
    inode::init_new(&new, dir);
    new.inode().mark_dirty();
    Ok(new)
}

/// Adds `dentry` for the new inode and publishes it. On failure the inode
/// is dropped, which frees it on disk.
fn add_and_instantiate(dir: &Inode<Ext2>, dentry: &Dentry, new: NewInode<Ext2>) -> Result {
    let i = new.inode();
    dir::add_entry(dir, dentry.name(), i.ino() as u32, ftype(dir, i.mode()))?;
    new.instantiate(dentry);
    Ok(())
}

/// `create` and `mknod`.
pub(super) fn create(
    dir: &Inode<Ext2>,
    dentry: &Dentry,
    idmap: Idmap,
    mode: u16,
    rdev: u32,
) -> Result {
    let mut new = new_inode(dir, idmap, mode)?;
    let kind = if mode & S_IFMT == S_IFREG {
        InodeKind::Regular
    } else {
        new.set_rdev(rdev);
        InodeKind::Special { rdev }
    };
    new.set_kind(kind);
    add_and_instantiate(dir, dentry, new)
}

/// `tmpfile` (`O_TMPFILE`): a regular file with no name yet. Like any
/// inode whose last link is gone, it is freed when its last user closes it.
pub(super) fn tmpfile(dir: &Inode<Ext2>, idmap: Idmap, mode: u16) -> Result<NewInode<Ext2>> {
    let mut new = new_inode(dir, idmap, S_IFREG | (mode & !S_IFMT))?;
    new.set_kind(InodeKind::Regular);
    Ok(new)
}

/// `mkdir`.
pub(super) fn mkdir(dir: &Inode<Ext2>, dentry: &Dentry, idmap: Idmap, mode: u16) -> Result {
    if dir.nlink() >= LINK_MAX {
        return Err(EMLINK);
    }
    let mut new = new_inode(dir, idmap, S_IFDIR | (mode & !S_IFMT))?;
    new.set_nlink(2);
    new.set_kind(InodeKind::Directory);
    dir::make_empty(new.inode(), dir.ino() as u32)?;
    add_and_instantiate(dir, dentry, new)?;
    dir.inc_nlink();
    Ok(())
}

/// `symlink`: fast (in `i_block`) up to 59 bytes, else in one data block.
pub(super) fn symlink(dir: &Inode<Ext2>, dentry: &Dentry, idmap: Idmap, target: &[u8]) -> Result {
    let bs = 1usize << dir.block_bits();
    if target.len() + 1 > bs {
        return Err(ENAMETOOLONG);
    }
    let mut new = new_inode(dir, idmap, S_IFLNK | 0o777)?;
    new.set_kind(InodeKind::Symlink);
    let i = new.inode();
    if target.len() < FAST_LINK_MAX {
        let mut st = i.info().write();
        st.fast_link = true;
        for (n, word) in st.block.iter_mut().enumerate() {
            let mut b = [0u8; 4];
            for (k, byte) in b.iter_mut().enumerate() {
                *byte = target.get(n * 4 + k).copied().unwrap_or(0);
            }
            *word = u32::from_le_bytes(b);
        }
    } else {
        super::symlink::write_slow(i, target)?;
    }
    i.set_size(target.len() as i64);
    i.mark_dirty();
    add_and_instantiate(dir, dentry, new)
}

/// `link`.
pub(super) fn link(old: &Dentry, dir: &Inode<Ext2>, dentry: &Dentry) -> Result {
    let i: &Inode<Ext2> = old.inode().ok_or(ENOENT)?;
    if i.nlink() >= LINK_MAX {
        return Err(EMLINK);
    }
    i.touch_ctime();
    i.inc_nlink();
    if let Err(e) = dir::add_entry(dir, dentry.name(), i.ino() as u32, ftype(dir, i.mode())) {
        i.drop_nlink();
        return Err(e);
    }
    dentry.instantiate(ARef::from(i));
    Ok(())
}

/// Removes the entry of `dentry` (whose inode is `i`) from `dir`.
fn remove_name(dir: &Inode<Ext2>, dentry: &Dentry, i: &Inode<Ext2>) -> Result {
    let slot = dir::find(dir, dentry.name())?.ok_or(ENOENT)?;
    if u64::from(slot.ino) != i.ino() {
        return Err(ENOENT);
    }
    dir::remove_entry(dir, &slot)?;
    i.touch_ctime();
    i.drop_nlink();
    Ok(())
}

/// `unlink`.
pub(super) fn unlink(dir: &Inode<Ext2>, dentry: &Dentry) -> Result {
    let i: &Inode<Ext2> = dentry.inode().ok_or(ENOENT)?;
    remove_name(dir, dentry, i)
}

/// `rmdir`.
pub(super) fn rmdir(dir: &Inode<Ext2>, dentry: &Dentry) -> Result {
    let i: &Inode<Ext2> = dentry.inode().ok_or(ENOENT)?;
    if !dir::is_empty(i)? {
        return Err(ENOTEMPTY);
    }
    remove_name(dir, dentry, i)?;
    i.set_size(0);
    i.clear_nlink();
    dir.drop_nlink();
    Ok(())
}

/// `rename`, ext2's way: the new name is made (or retargeted) first, the
/// old one removed last; a moved directory's ".." and the parents' link
/// counts follow.
pub(super) fn rename(
    old_dir: &Inode<Ext2>,
    old: &Dentry,
    new_dir: &Inode<Ext2>,
    new: &Dentry,
    flags: u32,
) -> Result {
    if flags & !RENAME_NOREPLACE != 0 {
        return Err(EINVAL);
    }
    let oi: &Inode<Ext2> = old.inode().ok_or(ENOENT)?;
    let old_slot = dir::find(old_dir, old.name())?.ok_or(ENOENT)?;
    if u64::from(old_slot.ino) != oi.ino() {
        return Err(ENOENT);
    }
    let is_dir = oi.mode() & S_IFMT == S_IFDIR;
    let dotdot = if is_dir && !core::ptr::eq(old_dir, new_dir) {
        Some(dir::dotdot(oi)?)
    } else {
        None
    };
    let t = ftype(new_dir, oi.mode());
    match new.inode::<Ext2>() {
        Some(ni) => {
            if is_dir && !dir::is_empty(ni)? {
                return Err(ENOTEMPTY);
            }
            let slot = dir::find(new_dir, new.name())?.ok_or(ENOENT)?;
            dir::retarget_entry(new_dir, &slot, oi.ino() as u32, t, false)?;
            ni.touch_ctime();
            if is_dir {
                ni.set_size(0);
                ni.clear_nlink();
            } else {
                ni.drop_nlink();
            }
        }
        None => {
            if is_dir && dotdot.is_some() && new_dir.nlink() >= LINK_MAX {
                return Err(EMLINK);
            }
            dir::add_entry(new_dir, new.name(), oi.ino() as u32, t)?;
            if is_dir && dotdot.is_some() {
                new_dir.inc_nlink();
            }
        }
    }
    oi.touch_ctime();
    oi.mark_dirty();
    // The old entry has not moved: entries never do, and the new name went
    // into free space or a new block.
    dir::remove_entry(old_dir, &old_slot)?;
    if let Some(dd) = dotdot {
        dir::retarget_entry(oi, &dd, new_dir.ino() as u32, ftype(oi, S_IFDIR), true)?;
        old_dir.drop_nlink();
    } else if is_dir && new.inode::<Ext2>().is_some() {
        // Same parent, directory over directory: the victim's ".." link to
        // the parent is gone.
        old_dir.drop_nlink();
    }
    Ok(())
}
