// SPDX-License-Identifier: GPL-2.0

//! Freeing the blocks of a file past a new size (truncate, deletion).

use super::alloc;
use super::disk::inode::{DIND_BLOCK, IND_BLOCK, NDIR_BLOCKS, TIND_BLOCK};
use super::disk::le::{put_u32, u32_at};
use super::validity::{self, Kind};
use super::{corrupted, Ext2};
use crate::kernel_ext::inode::Inode;
use crate::kernel_ext::task::cond_resched;
use kernel::prelude::*;

/// Collects freed blocks into contiguous runs, so the bitmaps are touched
/// once per run rather than once per block.
/// Pointers to blocks that may not be the file's are counted, not freed,
/// and reported once (`validity::report_dropped`).
///
/// A corrupt map may be a graph rather than a tree: an indirect block that
/// names itself or an ancestor, or one block named by every entry, makes a
/// naive walk visit up to 2^24 (1 KiB blocks) or 2^30 (4 KiB) pointers. So
/// the walk skips pointers back to the path it is on (`loops`), and spends
/// at most one unit of `budget` per block it frees or reads: no file holds
/// more blocks than the filesystem, so a walk that runs out has met a
/// corrupt map, stops, and leaves the rest allocated for e2fsck (`cut`:
/// the pointers it passed over once stopped).
struct Freer<'a> {
    inode: &'a Inode<Ext2>,
    run: Option<(u32, u32)>,
    dropped: u32,
    first_dropped: Option<u32>,
    budget: u64,
    cut: u64,
    loops: u32,
    /// Blocks known to hold no metadata (`start..end`): the check of the
    /// block that found them covers the rest, up to the next metadata
    /// zone, so a file's blocks are not checked one by one.
    clean: (u64, u64),
}

impl Freer<'_> {
    /// Takes one unit of the budget; false (and the block counted as cut)
    /// once it is gone.
    fn spend(&mut self) -> bool {
        if self.budget == 0 {
            self.cut = self.cut.saturating_add(1);
            return false;
        }
        self.budget -= 1;
        true
    }

    fn free(&mut self, b: u32) -> Result {
        if !is_file_block(self, b) {
            // Never free what is not ours (metadata, or past the end):
            // left alone, the pointer dropped, reported at the end.
            self.dropped = self.dropped.saturating_add(1);
            self.first_dropped.get_or_insert(b);
            return Ok(());
        }
        if !self.spend() {
            return Ok(());
        }
        match self.run {
            Some((s, n)) if s.checked_add(n) == Some(b) => self.run = Some((s, n + 1)),
            _ => {
                self.flush()?;
                self.run = Some((b, 1));
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> Result {
        if let Some((s, n)) = self.run.take() {
            alloc::free_blocks(self.inode.sb(), s, n)?;
            let bytes = u64::from(n) << self.inode.block_bits();
            self.inode.account_bytes(bytes, false);
        }
        Ok(())
    }
}

/// Frees every block of `inode` that holds data at or past byte `size`,
/// and the indirect blocks left without a purpose. Errors are reported
/// (the blocks concerned stay allocated: a leak e2fsck repairs, never a
/// double use).
pub(super) fn truncate_blocks(inode: &Inode<Ext2>, size: i64) {
    let mut f = Freer {
        inode,
        run: None,
        dropped: 0,
        first_dropped: None,
        budget: inode.sb().info().geo.blocks_count.into(),
        cut: 0,
        loops: 0,
        clean: (0, 0),
    };
    let r = try_truncate(&mut f, size);
    if let Some(b) = f.first_dropped {
        validity::report_dropped(inode, b, f.dropped);
    }
    // The reports are the point: the errors go nowhere else.
    if f.loops != 0 {
        let _ = corrupted(
            inode.ino(),
            format_args!(
                "truncate met a block map that is not a tree: {} pointer(s) back into their own path, skipped",
                f.loops
            ),
        );
    }
    if f.cut != 0 {
        let _ = corrupted(
            inode.ino(),
            format_args!(
                "truncate met a block map that is not a tree: it names more blocks than the filesystem's {}; the walk stopped there, the rest stays allocated",
                inode.sb().info().geo.blocks_count
            ),
        );
    }
    if let Err(e) = r {
        pr_err!("inode {}: truncate failed: {:?}\n", inode.ino(), e);
    }
}

fn try_truncate(f: &mut Freer<'_>, size: i64) -> Result {
    let inode = f.inode;
    let bits = inode.block_bits();
    let pb = inode.sb().info().geo.ptr_bits();
    let first = (size.max(0) as u64).div_ceil(1 << bits);
    let mut st = inode.info().write();
    let ndir = NDIR_BLOCKS as u64;
    for i in first.min(ndir)..ndir {
        let slot = st.block.get_mut(i as usize).ok_or(EIO)?;
        if *slot != 0 {
            f.free(*slot)?;
            *slot = 0;
        }
    }
    let mut base = ndir;
    for (depth, slot) in [(1u32, IND_BLOCK), (2, DIND_BLOCK), (3, TIND_BLOCK)] {
        let span = 1u64 << (pb * depth);
        let root = *st.block.get(slot).ok_or(EIO)?;
        if root != 0 {
            if first <= base {
                free_tree(f, root, depth, &[])?;
                *st.block.get_mut(slot).ok_or(EIO)? = 0;
            } else if first < base + span {
                free_partial(f, root, depth, first - base, &[])?;
            }
        }
        base += span;
    }
    st.last_alloc = None;
    f.flush()?;
    drop(st);
    inode.mark_dirty();
    Ok(())
}

/// Whether `b` may be one of the file's blocks (checked silently).
fn is_file_block(f: &mut Freer<'_>, b: u32) -> bool {
    let b = u64::from(b);
    if (f.clean.0..f.clean.1).contains(&b) {
        return true;
    }
    let info = f.inode.sb().info();
    let span = info.geo.blocks_per_group.into();
    match super::disk::zones::file_run(&info.geo, &info.groups, b, span) {
        Ok(n) => {
            f.clean = (b, b + n);
            true
        }
        Err(_) => false,
    }
}

/// Pointers per indirect block.
fn per_block(f: &Freer<'_>) -> usize {
    1 << f.inode.sb().info().geo.ptr_bits()
}

/// `path` with `blk` appended (the indirect blocks above a child).
fn extend(path: &[u32], blk: u32) -> ([u32; 4], usize) {
    let mut a = [0u32; 4];
    let mut n = 0;
    for (d, &s) in a.iter_mut().zip(path.iter().take(3)) {
        *d = s;
        n += 1;
    }
    if let Some(d) = a.get_mut(n) {
        *d = blk;
    }
    (a, n + 1)
}

/// Frees indirect block `blk` (whose entries point `depth - 1` levels
/// further down; 1: at data blocks) and everything under it. `path`: the
/// indirect blocks above `blk`, still in use by the walk.
fn free_tree(f: &mut Freer<'_>, blk: u32, depth: u32, path: &[u32]) -> Result {
    if path.contains(&blk) {
        // Freed (or kept) by the walk that is reading it: neither read
        // again nor freed twice.
        f.loops = f.loops.saturating_add(1);
        return Ok(());
    }
    if !is_file_block(f, blk) {
        // Neither read nor forgotten (it may be a cached bitmap): `free`
        // counts it and leaves it.
        return f.free(blk);
    }
    if !f.spend() {
        return Ok(());
    }
    cond_resched();
    let (a, n) = extend(path, blk);
    let below = a.get(..n).ok_or(EIO)?;
    let mut bh = f.inode.sb().bread(blk.into())?;
    let ppb = per_block(f);
    let mut chunk = [0u32; 32];
    let mut i = 0;
    while i < ppb {
        let take = (ppb - i).min(chunk.len());
        {
            let l = bh.lock();
            for (j, p) in chunk.iter_mut().take(take).enumerate() {
                *p = u32_at(l.data(), (i + j) * 4).ok_or(EIO)?;
            }
        }
        for &child in chunk.iter().take(take) {
            if child == 0 {
                continue;
            }
            if depth > 1 {
                free_tree(f, child, depth - 1, below)?;
            } else if below.contains(&child) {
                f.loops = f.loops.saturating_add(1);
            } else {
                f.free(child)?;
            }
        }
        i += take;
    }
    bh.forget();
    // Already paid for when it was read.
    f.budget += 1;
    f.free(blk)
}

/// Frees the part of the subtree under indirect block `blk` from its
/// `off`-th data block on (`off > 0`, so `blk` itself stays). `path`: the
/// indirect blocks above `blk`.
fn free_partial(f: &mut Freer<'_>, blk: u32, depth: u32, off: u64, path: &[u32]) -> Result {
    validity::check_block(f.inode, Kind::Indirect, blk)?;
    let (a, n) = extend(path, blk);
    let below = a.get(..n).ok_or(EIO)?;
    let pb = f.inode.sb().info().geo.ptr_bits();
    let child_span = 1u64 << (pb * (depth - 1));
    let idx = (off / child_span) as usize;
    let rem = off % child_span;
    let mut bh = f.inode.sb().bread(blk.into())?;
    let ppb = per_block(f);
    for i in idx..ppb {
        let child = {
            let l = bh.lock();
            u32_at(l.data(), i * 4).ok_or(EIO)?
        };
        if child == 0 {
            continue;
        }
        if i == idx && rem != 0 {
            // Only reachable with depth > 1: a data block is all or nothing.
            if below.contains(&child) {
                f.loops = f.loops.saturating_add(1);
            } else {
                free_partial(f, child, depth - 1, rem, below)?;
            }
            continue;
        }
        if depth > 1 {
            free_tree(f, child, depth - 1, below)?;
        } else if below.contains(&child) {
            f.loops = f.loops.saturating_add(1);
        } else {
            f.free(child)?;
        }
        {
            let mut l = bh.lock();
            put_u32(l.data_mut(), i * 4, 0).ok_or(EIO)?;
        }
    }
    f.inode.mark_buffer_dirty(&bh);
    Ok(())
}

/// Changes the size of regular file `inode` (ext2's `ext2_setsize`): the
/// tail of the new last block is zeroed, the page cache and the blocks
/// past the new size go.
pub(super) fn set_size(inode: &Inode<Ext2>, size: i64) -> Result {
    let m = inode.mode() & super::disk::inode::S_IFMT;
    if m != super::disk::inode::S_IFREG {
        return Err(EINVAL);
    }
    inode.dio_wait();
    inode.zero_tail_block(size)?;
    inode.truncate_setsize(size);
    truncate_blocks(inode, size);
    inode.touch_mtime_ctime();
    inode.mark_dirty();
    Ok(())
}
