// SPDX-License-Identifier: GPL-2.0

//! FIEMAP for ext2 files: the block map as extents, one per run of blocks
//! contiguous both in the file and on disk (indirect blocks are not
//! reported, as in the in-kernel ext2).

use super::bmap::map_blocks;
use super::Ext2;
use crate::kernel_ext::block_map::Mapping;
use crate::kernel_ext::fiemap::Fiemap;
use crate::kernel_ext::inode::Inode;
use kernel::prelude::*;

/// A run of blocks: file block, disk block, count.
type Run = (u64, u64, u64);

/// Reports the extents of bytes `start..start + len` (clamped to
/// `i_size`); the extent holding the file's last mapped block is flagged
/// last.
pub(super) fn fiemap(inode: &Inode<Ext2>, out: &mut Fiemap<'_>, start: u64, len: u64) -> Result {
    let size = inode.size().max(0) as u64;
    let end = start.saturating_add(len).min(size);
    if end <= start {
        return Ok(());
    }
    let bits = inode.block_bits();
    let stop = (end - 1) >> bits;
    let mut lblk = start >> bits;
    let mut run: Option<Run> = None;
    while lblk <= stop {
        match map_blocks(inode, lblk, stop - lblk + 1, false)? {
            Mapping::Hole { len } => lblk += len.max(1),
            Mapping::Mapped { pblk, len, .. } => {
                let len = len.clamp(1, stop - lblk + 1);
                match &mut run {
                    Some((l, p, n)) if *l + *n == lblk && *p + *n == pblk => *n += len,
                    _ => {
                        if let Some(r) = run.take() {
                            if !emit(out, r, bits, false)? {
                                return Ok(());
                            }
                        }
                        run = Some((lblk, pblk, len));
                    }
                }
                lblk += len;
            }
        }
    }
    match run {
        Some(r) => {
            let last = !mapped_after(inode, r.0 + r.2, (size - 1) >> bits)?;
            emit(out, r, bits, last).map(|_| ())
        }
        None => Ok(()),
    }
}

fn emit(out: &mut Fiemap<'_>, (l, p, n): Run, bits: u32, last: bool) -> Result<bool> {
    out.add(l << bits, p << bits, n << bits, last)
}

/// Whether any of blocks `from..=last` is mapped.
fn mapped_after(inode: &Inode<Ext2>, mut from: u64, last: u64) -> Result<bool> {
    while from <= last {
        match map_blocks(inode, from, last - from + 1, false)? {
            Mapping::Hole { len } => from += len.max(1),
            Mapping::Mapped { .. } => return Ok(true),
        }
    }
    Ok(false)
}
