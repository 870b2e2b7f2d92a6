// SPDX-License-Identifier: GPL-2.0

//! Reading inodes from the inode table.

use super::disk::inode::{Kind, RawInode, N_BLOCKS};
use super::{corrupted, Ext2};
use crate::kernel_ext::inode::{Attrs, InodeKind, NewInode};
use kernel::prelude::*;

/// Per-inode state kept next to the VFS inode.
#[derive(Default)]
pub(crate) struct InodeInfo {
    /// `i_block`: direct, indirect, double and triple indirect pointers
    /// (or a fast symlink's target, or a device number).
    pub(crate) block: [u32; N_BLOCKS],
    /// The symlink target lives in `block` rather than a data block.
    pub(crate) fast_link: bool,
    /// `i_flags` from disk.
    pub(crate) flags: u32,
}

/// Fills in inode `inode.ino()` from its on-disk copy.
pub(super) fn read_inode(inode: &mut NewInode<Ext2>) -> Result {
    let ino = inode.ino();
    let info = inode.sb().info();
    let geo = info.geo;
    let ino32 = u32::try_from(ino).map_err(|_| EINVAL)?;
    if !geo.ino_valid(ino32) {
        return Err(corrupted(ino, format_args!("inode number out of range")));
    }
    let group = geo.inode_group(ino32);
    let table = info.groups.get(group as usize).ok_or(EINVAL)?.inode_table;
    let (block, off) = geo.inode_location(ino32, table);
    let raw = {
        let bh = inode.sb().bread(block)?;
        let bytes = bh.data().get(off..).ok_or(EIO)?;
        RawInode::decode(bytes, geo.large_file).ok_or(EIO)?
    };
    if raw.links_count == 0 && (raw.mode == 0 || raw.dtime != 0) {
        return Err(ESTALE);
    }
    let Some(kind) = raw.kind() else {
        return Err(corrupted(ino, format_args!("invalid mode {:#o}", raw.mode)));
    };
    let size = i64::try_from(raw.size).map_err(|_| EFBIG)?;
    inode.set_attrs(&Attrs {
        mode: raw.mode,
        uid: raw.uid,
        gid: raw.gid,
        nlink: raw.links_count.into(),
        size,
        // ext2 timestamps are signed 32-bit seconds (before 1970 is negative).
        atime: (raw.atime as i32).into(),
        mtime: (raw.mtime as i32).into(),
        ctime: (raw.ctime as i32).into(),
        blocks: raw.blocks.into(),
        generation: raw.generation,
    });
    let fast_link = raw.is_fast_symlink(geo.block_size);
    let state = inode.info_mut();
    state.block = raw.block;
    state.flags = raw.flags;
    state.fast_link = fast_link;
    let kind = match kind {
        Kind::Regular => InodeKind::Regular,
        Kind::Directory => InodeKind::Directory,
        Kind::Symlink => {
            let max = if fast_link {
                super::disk::inode::FAST_LINK_MAX as u64 - 1
            } else {
                u64::from(geo.block_size) - 1
            };
            if raw.size == 0 || raw.size > max {
                return Err(corrupted(ino, format_args!("symlink size {}", raw.size)));
            }
            InodeKind::Symlink
        }
        Kind::Special => InodeKind::Special { rdev: raw.rdev() },
    };
    inode.set_kind(kind);
    Ok(())
}
