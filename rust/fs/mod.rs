// SPDX-License-Identifier: GPL-2.0

//! The ext2 filesystem, written against the safe wrappers of
//! `crate::kernel_ext`. No `unsafe` in here.

mod bmap;
mod dir;
pub(crate) mod disk;
mod inode;
mod super_block;
mod symlink;

use crate::dio::stats::DioStats;
use crate::dio::DioFs;
use crate::kernel_ext::block_map::Mapping;
use crate::kernel_ext::dir::DirEmitter;
use crate::kernel_ext::fs_type::{FileSystem, Statfs};
use crate::kernel_ext::inode::{Inode, NewInode};
use crate::kernel_ext::kiocb::{IovIter, Kiocb};
use crate::kernel_ext::super_block::{NewSuperBlock, SuperBlock};
use kernel::prelude::*;

pub(crate) use inode::InodeInfo;
pub(crate) use super_block::SbInfo;

/// The rext2 filesystem type.
pub(crate) struct Ext2;

impl FileSystem for Ext2 {
    const NAME: &'static CStr = c"rext2";
    const MAGIC: u32 = disk::superblock::MAGIC as u32;
    const ROOT_INO: u64 = disk::superblock::ROOT_INO as u64;
    type SbInfo = SbInfo;
    type InodeInfo = InodeInfo;

    fn fill_super(sb: &NewSuperBlock<'_, Self>) -> Result<SbInfo> {
        super_block::fill_super(sb)
    }

    fn read_inode(inode: &mut NewInode<Self>) -> Result {
        inode::read_inode(inode)
    }

    fn lookup(dir: &Inode<Self>, name: &[u8]) -> Result<Option<u64>> {
        dir::lookup(dir, name)
    }

    fn readdir(dir: &Inode<Self>, out: &mut DirEmitter<'_>) -> Result {
        dir::readdir(dir, out)
    }

    fn statfs(sb: &SuperBlock<Self>) -> Result<Statfs> {
        Ok(super_block::statfs(sb))
    }

    fn get_link(inode: &Inode<Self>) -> Result<KVec<u8>> {
        symlink::get_link(inode)
    }

    fn direct_io(iocb: &Kiocb<'_>, iter: &mut IovIter<'_>) -> Result<usize> {
        if iter.is_write() {
            return Err(EROFS);
        }
        crate::dio::read::direct_read::<Self>(iocb, iter)
    }

    fn map_blocks(inode: &Inode<Self>, lblk: u64, max: u64, create: bool) -> Result<Mapping> {
        if create {
            return Err(EROFS);
        }
        bmap::map_blocks(inode, lblk, max)
    }
}

impl DioFs for Ext2 {
    fn dio_stats(sb: &SuperBlock<Self>) -> &DioStats {
        &sb.info().dio
    }
}

/// Reports on-disk corruption found at run time and returns `-EUCLEAN`.
fn corrupted(ino: u64, what: core::fmt::Arguments<'_>) -> Error {
    pr_err!("corrupted filesystem: inode {}: {}\n", ino, what);
    EUCLEAN
}
