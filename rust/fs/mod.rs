// SPDX-License-Identifier: GPL-2.0

//! The ext2 filesystem, written against the safe wrappers of
//! `crate::kernel_ext`. No `unsafe` in here.

mod alloc;
mod bmap;
mod dir;
pub(crate) mod disk;
mod fiemap;
mod flags;
mod inode;
mod namei;
mod ratelimit;
mod super_block;
mod symlink;
mod truncate;
mod validity;

use crate::dio::{BlockMapper, DioFlags};
use crate::kernel_ext::block_map::Mapping;
use crate::kernel_ext::dentry::{Dentry, Idmap};
use crate::kernel_ext::dir::DirEmitter;
use crate::kernel_ext::fiemap::Fiemap;
use crate::kernel_ext::fs_type::{FileSystem, Statfs};
use crate::kernel_ext::inode::{Inode, NewInode, StatxAttrs};
use crate::kernel_ext::kiocb::{DioReturn, IovIter, Kiocb};
use crate::kernel_ext::super_block::{NewSuperBlock, SuperBlock};
use kernel::prelude::*;
use kernel::sync::aref::ARef;

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

    fn inode_info() -> impl PinInit<InodeInfo> {
        InodeInfo::new()
    }

    fn fill_super(sb: &NewSuperBlock<'_, Self>) -> Result<SbInfo> {
        super_block::fill_super(sb)
    }

    fn mounted(sb: &SuperBlock<Self>) -> Result {
        if sb.is_rdonly() {
            return Ok(());
        }
        super_block::setup_rw(sb)
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

    fn direct_io<'a>(
        inode: &'a Inode<Self>,
        iocb: Kiocb<'a>,
        iter: &mut IovIter<'_>,
    ) -> DioReturn<'a> {
        let write = iter.is_write();
        let end = iocb.pos().saturating_add(iter.count() as i64);
        let ret = crate::dio::direct_io(
            iocb,
            inode,
            inode.sb().bdev(),
            iter,
            &Mapper(inode),
            DioFlags::BLOCKDEV,
        );
        // A failed write frees what it allocated past `i_size`, as jfs's
        // `jfs_write_failed` does after fs/direct-io.c returns.
        if write && ret.is_err() && end > inode.size() {
            inode.truncate_pagecache(inode.size());
            truncate::truncate_blocks(inode, inode.size());
        }
        ret
    }

    fn map_blocks(inode: &Inode<Self>, lblk: u64, max: u64, create: bool) -> Result<Mapping> {
        bmap::map_blocks(inode, lblk, max, create)
    }

    fn fiemap(inode: &Inode<Self>, extents: &mut Fiemap<'_>, start: u64, len: u64) -> Result {
        fiemap::fiemap(inode, extents, start, len)
    }

    fn write_inode(inode: &Inode<Self>, sync: bool) -> Result {
        inode::write_inode(inode, sync)
    }

    fn sync_inode_metadata(inode: &Inode<Self>) -> Result {
        inode::sync_metadata(inode)
    }

    fn evict_inode(inode: &Inode<Self>) {
        inode::evict(inode)
    }

    fn handle_inode(sb: &SuperBlock<Self>, ino: u64, generation: u32) -> Result<ARef<Inode<Self>>> {
        inode::handle_inode(sb, ino, generation)
    }

    fn freeze(sb: &SuperBlock<Self>) -> Result {
        super_block::freeze(sb)
    }

    fn unfreeze(sb: &SuperBlock<Self>) -> Result {
        super_block::unfreeze(sb)
    }

    fn sync_fs(sb: &SuperBlock<Self>, wait: bool) -> Result {
        super_block::sync_fs(sb, wait)
    }

    fn put_super(sb: &SuperBlock<Self>) {
        super_block::put_super(sb)
    }

    fn remount(sb: &SuperBlock<Self>, rdonly: bool) -> Result {
        super_block::remount(sb, rdonly)
    }

    fn create(dir: &Inode<Self>, dentry: &Dentry, idmap: Idmap, mode: u16, rdev: u32) -> Result {
        namei::create(dir, dentry, idmap, mode, rdev)
    }

    fn mkdir(dir: &Inode<Self>, dentry: &Dentry, idmap: Idmap, mode: u16) -> Result {
        namei::mkdir(dir, dentry, idmap, mode)
    }

    fn symlink(dir: &Inode<Self>, dentry: &Dentry, idmap: Idmap, target: &[u8]) -> Result {
        namei::symlink(dir, dentry, idmap, target)
    }

    fn tmpfile(dir: &Inode<Self>, idmap: Idmap, mode: u16) -> Result<NewInode<Self>> {
        namei::tmpfile(dir, idmap, mode)
    }

    fn get_flags(inode: &Inode<Self>) -> u32 {
        flags::get(inode)
    }

    fn statx_attributes(inode: &Inode<Self>) -> StatxAttrs {
        flags::statx(inode)
    }

    fn set_flags(inode: &Inode<Self>, f: u32) -> Result {
        flags::set(inode, f)
    }

    fn link(old: &Dentry, dir: &Inode<Self>, dentry: &Dentry) -> Result {
        namei::link(old, dir, dentry)
    }

    fn unlink(dir: &Inode<Self>, dentry: &Dentry) -> Result {
        namei::unlink(dir, dentry)
    }

    fn rmdir(dir: &Inode<Self>, dentry: &Dentry) -> Result {
        namei::rmdir(dir, dentry)
    }

    fn rename(
        old_dir: &Inode<Self>,
        old: &Dentry,
        new_dir: &Inode<Self>,
        new: &Dentry,
        flags: u32,
    ) -> Result {
        namei::rename(old_dir, old, new_dir, new, flags)
    }

    fn set_size(inode: &Inode<Self>, size: i64) -> Result {
        truncate::set_size(inode, size)
    }

    fn truncate_blocks(inode: &Inode<Self>, size: i64) {
        truncate::truncate_blocks(inode, size)
    }
}

/// rext2's block map, as the direct-I/O engine asks for it.
struct Mapper<'a>(&'a Inode<Ext2>);

impl BlockMapper for Mapper<'_> {
    fn map(&self, lblk: u64, max: u64, create: bool) -> Result<Mapping> {
        bmap::map_blocks(self.0, lblk, max, create)
    }

    fn map_nowait(&self, lblk: u64, max: u64) -> Result<Mapping> {
        bmap::map_nowait(self.0, lblk, max)
    }

    /// Nothing for fdatasync to write but the data: the inode is not
    /// dirty for data sync and no indirect block tied to it waits to be
    /// written (the request's own blocks are on disk already: the engine
    /// asks only for such requests).
    fn clean_for_data_sync(&self) -> bool {
        !self.0.datasync_dirty() && !self.0.has_tied_buffers()
    }
}

/// Reports on-disk corruption found at run time and returns `-EUCLEAN`.
fn corrupted(ino: u64, what: core::fmt::Arguments<'_>) -> Error {
    if ratelimit::allow() {
        pr_err!("corrupted filesystem: inode {}: {}\n", ino, what);
    }
    EUCLEAN
}

/// Reports corrupt allocation metadata (a bitmap, a descriptor) in block
/// `block` and returns `-EUCLEAN`.
fn corrupted_block(block: u64, what: core::fmt::Arguments<'_>) -> Error {
    if ratelimit::allow() {
        pr_err!("corrupted filesystem: block {}: {}\n", block, what);
    }
    EUCLEAN
}
