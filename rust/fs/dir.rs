// SPDX-License-Identifier: GPL-2.0

//! Linear directories: readdir, lookup, and adding, removing and
//! retargeting entries.
//!
//! Directory blocks live in the buffer cache (like ext4's), not in the
//! directory's page cache: every access is a locked buffer, and a changed
//! block is tied to the directory for fsync. The caller holds the
//! directory's `i_rwsem` (shared for lookup and readdir, exclusive for
//! changes), which keeps block offsets stable between a find and a change.
//!
//! A directory with the htree index flag is handled as ext2 does: the
//! index blocks look like blocks holding one empty entry, so the linear
//! walk reads through them, and a change clears the index flag (e2fsck
//! rebuilds the index on demand), so a stale index is never trusted.

use super::bmap::map_blocks;
use super::disk::dirent::{self, dtype, DirError, Entries, Entry};
use super::disk::superblock::NAME_LEN;
use super::{corrupted, Ext2};
use crate::kernel_ext::block_map::Mapping;
use crate::kernel_ext::buffer::Buffer;
use crate::kernel_ext::dir::DirEmitter;
use crate::kernel_ext::inode::Inode;
use core::ops::ControlFlow;
use kernel::prelude::*;

/// `EXT2_INDEX_FL`: the directory has an htree index.
const INDEX_FL: u32 = 0x1000;

/// Where an entry was found: enough to change it later (under the same
/// `i_rwsem` hold).
#[derive(Clone, Copy, Debug)]
pub(super) struct Slot {
    /// The directory block (disk block number).
    pub(super) pblk: u64,
    /// Byte offset of the entry in that block.
    pub(super) offset: usize,
    /// The inode it names.
    pub(super) ino: u32,
}

/// Reads directory block `lblk`. A directory has no holes: one is
/// corruption (ext2 finds it as a block of zeros with `rec_len` 0), so a
/// corrupt `i_size` cannot make a walk visit millions of empty blocks.
fn read_block(dir: &Inode<Ext2>, lblk: u64) -> Result<Option<(u64, Buffer)>> {
    let Mapping::Mapped { pblk, .. } = map_blocks(dir, lblk, 1, false)? else {
        return Err(corrupted(
            dir.ino(),
            format_args!("hole at directory block {}", lblk),
        ));
    };
    Ok(Some((pblk, dir.sb().bread(pblk)?)))
}

/// Calls `f` on every entry of directory block `lblk` (nothing for a hole).
fn for_each_entry<B>(
    dir: &Inode<Ext2>,
    lblk: u64,
    mut f: impl FnMut(u64, &Entry<'_>) -> Result<ControlFlow<B>>,
) -> Result<ControlFlow<B>> {
    let Some((pblk, mut bh)) = read_block(dir, lblk)? else {
        return Ok(ControlFlow::Continue(()));
    };
    let inodes = dir.sb().info().geo.inodes_count;
    let l = bh.lock();
    for e in Entries::new(l.data()) {
        let e = e.map_err(|err| bad_entry(dir, lblk, err))?;
        if e.inode > inodes {
            return Err(corrupted(
                dir.ino(),
                format_args!("entry at block {} names inode {}", lblk, e.inode),
            ));
        }
        if let ControlFlow::Break(b) = f(pblk, &e)? {
            return Ok(ControlFlow::Break(b));
        }
    }
    Ok(ControlFlow::Continue(()))
}

fn bad_entry(dir: &Inode<Ext2>, lblk: u64, err: DirError) -> Error {
    match err {
        DirError::RecLen { offset, rec_len } => corrupted(
            dir.ino(),
            format_args!("block {} offset {}: bad rec_len {}", lblk, offset, rec_len),
        ),
        DirError::NameLen { offset, name_len } => corrupted(
            dir.ino(),
            format_args!(
                "block {} offset {}: bad name_len {}",
                lblk, offset, name_len
            ),
        ),
    }
}

fn blocks(dir: &Inode<Ext2>) -> u64 {
    let bits = dir.block_bits();
    (dir.size().max(0) as u64).div_ceil(1 << bits)
}

/// Emits entries from the emitter's position (a byte offset) on.
///
/// Each block is copied out of the buffer before its entries are emitted:
/// `dir_emit` copies to user memory and may fault, which must not happen
/// under a buffer lock.
pub(super) fn readdir(dir: &Inode<Ext2>, out: &mut DirEmitter<'_>) -> Result {
    let bits = dir.block_bits();
    let filetype = dir.sb().info().geo.filetype;
    let inodes = dir.sb().info().geo.inodes_count;
    let size = dir.size();
    let mut copy = KVec::new();
    copy.resize(1usize << bits, 0u8, GFP_KERNEL)?;
    while out.pos() < size {
        let pos = out.pos() as u64;
        let lblk = pos >> bits;
        let start = lblk << bits;
        let skip = (pos - start) as usize;
        if let Some((_, mut bh)) = read_block(dir, lblk)? {
            bh.read_at(0, &mut copy)?;
            for e in Entries::new(&copy) {
                let e = e.map_err(|err| bad_entry(dir, lblk, err))?;
                if e.inode > inodes {
                    return Err(corrupted(
                        dir.ino(),
                        format_args!("entry at block {} names inode {}", lblk, e.inode),
                    ));
                }
                // Entries before the resume point were emitted already; an
                // offset inside an entry (a seek) resumes at the next one.
                if e.offset < skip {
                    continue;
                }
                if e.inode != 0 {
                    let t = if filetype { dtype(e.file_type) } else { 0 };
                    if !out.emit(e.name, e.inode.into(), t) {
                        return Ok(());
                    }
                }
                out.set_pos((start + (e.offset + e.rec_len) as u64) as i64);
            }
        }
        out.set_pos(((lblk + 1) << bits) as i64);
    }
    Ok(())
}

/// Finds the entry `name` in `dir`.
pub(super) fn find(dir: &Inode<Ext2>, name: &[u8]) -> Result<Option<Slot>> {
    if name.len() > NAME_LEN {
        return Err(ENAMETOOLONG);
    }
    for lblk in 0..blocks(dir) {
        let flow = for_each_entry(dir, lblk, |pblk, e| {
            if e.inode != 0 && e.name == name {
                Ok(ControlFlow::Break(Slot {
                    pblk,
                    offset: e.offset,
                    ino: e.inode,
                }))
            } else {
                Ok(ControlFlow::Continue(()))
            }
        })?;
        if let ControlFlow::Break(slot) = flow {
            return Ok(Some(slot));
        }
    }
    Ok(None)
}

/// Finds `name` in `dir`; returns its inode number.
pub(super) fn lookup(dir: &Inode<Ext2>, name: &[u8]) -> Result<Option<u64>> {
    Ok(find(dir, name)?.map(|s| u64::from(s.ino)))
}

/// The directory changed: times (unless `quiet`), a stale htree index
/// dropped, and the block tied to it for fsync.
fn changed_as(dir: &Inode<Ext2>, bh: &Buffer, quiet: bool) -> Result {
    dir.mark_buffer_dirty(bh);
    {
        let mut st = dir.info().write();
        st.flags &= !INDEX_FL;
    }
    if !quiet {
        dir.touch_mtime_ctime();
    }
    dir.mark_dirty();
    if dir.dir_sync() {
        bh.sync()?;
        dir.sync_metadata()?;
    }
    Ok(())
}

fn changed(dir: &Inode<Ext2>, bh: &Buffer) -> Result {
    changed_as(dir, bh, false)
}

/// The file type byte for an inode of `mode` in this filesystem.
pub(super) fn ftype(dir: &Inode<Ext2>, mode: u16) -> u8 {
    if dir.sb().info().geo.filetype {
        dirent::file_type_of(mode)
    } else {
        0
    }
}

/// Adds the entry `name` -> `ino` to `dir`, in the first block with room,
/// else in a new block at the end.
pub(super) fn add_entry(dir: &Inode<Ext2>, name: &[u8], ino: u32, file_type: u8) -> Result {
    if name.len() > NAME_LEN {
        return Err(ENAMETOOLONG);
    }
    let n = blocks(dir);
    for lblk in 0..n {
        let Some((_, mut bh)) = read_block(dir, lblk)? else {
            continue;
        };
        let done = {
            let mut l = bh.lock();
            let d = l.data_mut();
            match dirent::find_room(d, name.len()).map_err(|e| bad_entry(dir, lblk, e))? {
                None => false,
                Some(off) => {
                    dirent::insert(d, off, ino, name, file_type)
                        .map_err(|e| bad_entry(dir, lblk, e))?;
                    true
                }
            }
        };
        if done {
            return changed(dir, &bh);
        }
    }
    // No room: a new block at the end.
    let mut bh = new_block(dir, n)?;
    {
        let mut l = bh.lock();
        let d = l.data_mut();
        dirent::init_empty(d);
        dirent::insert(d, 0, ino, name, file_type).map_err(|e| bad_entry(dir, n, e))?;
    }
    dir.set_size(((n + 1) << dir.block_bits()) as i64);
    changed(dir, &bh)
}

/// Allocates directory block `lblk` and returns it zero-filled.
fn new_block(dir: &Inode<Ext2>, lblk: u64) -> Result<Buffer> {
    match map_blocks(dir, lblk, 1, true)? {
        Mapping::Mapped { pblk, .. } => dir.sb().zeroed_block(pblk),
        Mapping::Hole { .. } => Err(EIO),
    }
}

/// Runs `f` on the block of `slot`, then records the change (without
/// touching the directory's times if `quiet`).
fn change_at(
    dir: &Inode<Ext2>,
    slot: &Slot,
    quiet: bool,
    f: impl FnOnce(&mut [u8]) -> core::result::Result<(), DirError>,
) -> Result {
    let mut bh = dir.sb().bread(slot.pblk)?;
    {
        let mut l = bh.lock();
        f(l.data_mut()).map_err(|e| bad_entry(dir, slot.pblk, e))?;
    }
    changed_as(dir, &bh, quiet)
}

/// Removes the entry at `slot`.
pub(super) fn remove_entry(dir: &Inode<Ext2>, slot: &Slot) -> Result {
    change_at(dir, slot, false, |d| dirent::remove(d, slot.offset))
}

/// Points the entry at `slot` at inode `ino`. A moved directory's ".."
/// is changed `quiet`ly: its times stay (as ext2's `ext2_set_link` with
/// `update_times` false).
pub(super) fn retarget_entry(
    dir: &Inode<Ext2>,
    slot: &Slot,
    ino: u32,
    file_type: u8,
    quiet: bool,
) -> Result {
    change_at(dir, slot, quiet, |d| {
        dirent::retarget(d, slot.offset, ino, file_type)
    })
}

/// Writes the first block of new directory `dir` ("." and "..").
pub(super) fn make_empty(dir: &Inode<Ext2>, parent: u32) -> Result {
    let mut bh = new_block(dir, 0)?;
    let t = ftype(dir, super::disk::inode::S_IFDIR);
    {
        let mut l = bh.lock();
        dirent::init_dir(l.data_mut(), dir.ino() as u32, parent, t);
    }
    dir.set_size(1 << dir.block_bits());
    dir.mark_buffer_dirty(&bh);
    dir.mark_dirty();
    Ok(())
}

/// Whether directory `dir` holds nothing but "." and "..".
pub(super) fn is_empty(dir: &Inode<Ext2>) -> Result<bool> {
    let me = dir.ino() as u32;
    for lblk in 0..blocks(dir) {
        let Some((_, mut bh)) = read_block(dir, lblk)? else {
            continue;
        };
        let l = bh.lock();
        if !dirent::only_dots(l.data(), me).map_err(|e| bad_entry(dir, lblk, e))? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The ".." entry of directory `dir`.
pub(super) fn dotdot(dir: &Inode<Ext2>) -> Result<Slot> {
    let missing = || corrupted(dir.ino(), format_args!("no \"..\" entry"));
    let (pblk, mut bh) = read_block(dir, 0)?.ok_or_else(missing)?;
    let l = bh.lock();
    let e = dirent::find(l.data(), b"..")
        .map_err(|e| bad_entry(dir, 0, e))?
        .ok_or_else(missing)?;
    Ok(Slot {
        pblk,
        offset: e.offset,
        ino: e.inode,
    })
}
