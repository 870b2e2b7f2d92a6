// SPDX-License-Identifier: GPL-2.0

//! Linear directories: readdir and lookup.

use super::bmap::map_blocks;
use super::disk::dirent::{dtype, DirError, Entries, Entry};
use super::disk::superblock::NAME_LEN;
use super::{corrupted, Ext2};
use crate::kernel_ext::block_map::Mapping;
use crate::kernel_ext::buffer::Buffer;
use crate::kernel_ext::dir::DirEmitter;
use crate::kernel_ext::inode::Inode;
use core::ops::ControlFlow;
use kernel::prelude::*;

/// Calls `f` on every entry of directory block `lblk` (nothing for a hole).
fn for_each_entry<B>(
    dir: &Inode<Ext2>,
    lblk: u64,
    mut f: impl FnMut(&Entry<'_>) -> Result<ControlFlow<B>>,
) -> Result<ControlFlow<B>> {
    let Mapping::Mapped { pblk, .. } = map_blocks(dir, lblk, 1)? else {
        return Ok(ControlFlow::Continue(()));
    };
    let bh: Buffer = dir.sb().bread(pblk)?;
    let geo = &dir.sb().info().geo;
    for e in Entries::new(bh.data()) {
        let e = e.map_err(|err| bad_entry(dir, lblk, err))?;
        if e.inode != 0 && e.inode > geo.inodes_count {
            return Err(corrupted(
                dir.ino(),
                format_args!("entry at block {} names inode {}", lblk, e.inode),
            ));
        }
        if let ControlFlow::Break(b) = f(&e)? {
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
pub(super) fn readdir(dir: &Inode<Ext2>, out: &mut DirEmitter<'_>) -> Result {
    let bits = dir.block_bits();
    let filetype = dir.sb().info().geo.filetype;
    let size = dir.size();
    while out.pos() < size {
        let pos = out.pos() as u64;
        let lblk = pos >> bits;
        let start = lblk << bits;
        let skip = (pos - start) as usize;
        let flow = for_each_entry(dir, lblk, |e| {
            // Entries before the resume point were emitted already; an
            // offset inside an entry (a seek) resumes at the next one.
            if e.offset < skip {
                return Ok(ControlFlow::Continue(()));
            }
            if e.inode != 0 {
                let t = if filetype { dtype(e.file_type) } else { 0 };
                if !out.emit(e.name, e.inode.into(), t) {
                    return Ok(ControlFlow::Break(()));
                }
            }
            out.set_pos((start + (e.offset + e.rec_len) as u64) as i64);
            Ok(ControlFlow::Continue(()))
        })?;
        if flow.is_break() {
            return Ok(());
        }
        out.set_pos(((lblk + 1) << bits) as i64);
    }
    Ok(())
}

/// Finds `name` in `dir`.
pub(super) fn lookup(dir: &Inode<Ext2>, name: &[u8]) -> Result<Option<u64>> {
    if name.len() > NAME_LEN {
        return Err(ENAMETOOLONG);
    }
    for lblk in 0..blocks(dir) {
        let flow = for_each_entry(dir, lblk, |e| {
            if e.inode != 0 && e.name == name {
                Ok(ControlFlow::Break(u64::from(e.inode)))
            } else {
                Ok(ControlFlow::Continue(()))
            }
        })?;
        if let ControlFlow::Break(ino) = flow {
            return Ok(Some(ino));
        }
    }
    Ok(None)
}
