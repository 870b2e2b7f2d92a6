// SPDX-License-Identifier: GPL-2.0

//! The indirect-block mapper: logical file blocks to disk blocks, in runs,
//! allocating on request (ext2's `ext2_get_blocks`).

use super::alloc;
use super::disk::block_path::BlockPath;
use super::disk::le::put_u32;
use super::inode::InodeState;
use super::validity::{self, Kind};
use super::Ext2;
use crate::kernel_ext::block_map::Mapping;
use crate::kernel_ext::buffer::Buffer;
use crate::kernel_ext::inode::Inode;
use kernel::prelude::*;

/// Maps up to `max` blocks from `lblk` on. A run ends where the pointers
/// stop being consecutive or at the end of the pointer array that holds
/// them (the next block needs another indirect block: `boundary`). With
/// `create`, a hole at `lblk` is filled with newly allocated blocks (as
/// many contiguous ones as the allocator gives, up to `max` and the end of
/// the pointer array), returned with `new` set.
pub(super) fn map_blocks(
    inode: &Inode<Ext2>,
    lblk: u64,
    max: u64,
    create: bool,
) -> Result<Mapping> {
    let max = max.max(1);
    if let Some(m) = cached(inode, lblk, max) {
        return Ok(m);
    }
    {
        let st = inode.info().read();
        if let Some(m) = lookup(inode, &st, lblk, max, create, Read::Wait, Fill::Cache)? {
            return Ok(m);
        }
    }
    // A hole to fill: again under the lock held for writing, which
    // allocation needs (the tree may have changed in between).
    let mut st = inode.info().write();
    map_locked(inode, &mut st, lblk, max, create)
}

/// Looks `lblk..lblk + max` up without sleeping (an `IOCB_NOWAIT`
/// request): `-EAGAIN` if the block map is locked for writing or an
/// indirect block on the way is not in the buffer cache.
pub(super) fn map_nowait(inode: &Inode<Ext2>, lblk: u64, max: u64) -> Result<Mapping> {
    let max = max.max(1);
    if let Some(m) = cached(inode, lblk, max) {
        return Ok(m);
    }
    let st = inode.info().try_read().ok_or(EAGAIN)?;
    lookup(inode, &st, lblk, max, false, Read::Cached, Fill::Cache)?.ok_or(EAGAIN)
}

/// The mapping of `lblk..lblk + max` if the inode's run cache holds it
/// (see `InodeInfo::cached_run`): what `lookup` would answer, without
/// the lock or the walk.
fn cached(inode: &Inode<Ext2>, lblk: u64, max: u64) -> Option<Mapping> {
    let bits = inode.sb().info().geo.ptr_bits();
    let r = inode.info().cached_run(lblk, max, bits)?;
    Some(Mapping::Mapped {
        pblk: r.pblk,
        len: r.len,
        new: false,
        boundary: r.boundary,
    })
}

/// Whether a lookup of a mapped block caches the run it finds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fill {
    /// It does: the run is counted to the end of its leaf array, whatever
    /// was asked for (the state is held for reading).
    Cache,
    /// It does not (the state is held for writing, and is about to change).
    No,
}

/// How the walk gets an indirect block.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Read {
    /// Through the buffer cache, reading it if need be.
    Wait,
    /// Only if the buffer cache has it: `-EAGAIN` otherwise.
    Cached,
}

/// Where the walk down the tree stopped.
struct Walk {
    path: BlockPath,
    /// `bufs[level]`: the indirect block holding the pointer array of
    /// `level` (`level >= 1`; level 0 is `i_block`).
    bufs: [Option<Buffer>; 4],
    /// `blocks[level]`: the block number of `bufs[level]`.
    blocks: [u32; 4],
    /// The first level whose pointer is zero, if any.
    missing: Option<usize>,
    /// The pointer found at the last level reached.
    ptr: u32,
}

fn walk(inode: &Inode<Ext2>, st: &InodeState, path: BlockPath, read: Read) -> Result<Walk> {
    let mut w = Walk {
        path,
        bufs: [None, None, None, None],
        blocks: [0; 4],
        missing: None,
        ptr: *st.block.get(path.offsets[0] as usize).ok_or(EIO)?,
    };
    for level in 1..path.depth {
        if w.ptr == 0 {
            w.missing = Some(level - 1);
            return Ok(w);
        }
        validity::check_block(inode, Kind::Indirect, w.ptr)?;
        let bh = match read {
            Read::Wait => inode.sb().bread(w.ptr.into())?,
            Read::Cached => inode.sb().cached_block(w.ptr.into()).ok_or(EAGAIN)?,
        };
        let next = bh.word(path.offsets[level] as usize).ok_or(EIO)?;
        w.bufs[level] = Some(bh);
        w.blocks[level] = w.ptr;
        w.ptr = next;
    }
    if w.ptr == 0 {
        w.missing = Some(path.depth - 1);
    }
    Ok(w)
}

/// Reads `out.len()` pointers of the array at `level` from index `first`.
fn read_ptrs(st: &InodeState, w: &Walk, level: usize, first: usize, out: &mut [u32]) -> Result {
    match w.bufs.get(level).and_then(|b| b.as_ref()) {
        None => {
            let src = st.block.get(first..first + out.len()).ok_or(EIO)?;
            for (d, s) in out.iter_mut().zip(src) {
                *d = *s;
            }
        }
        Some(bh) => {
            for (i, p) in out.iter_mut().enumerate() {
                *p = bh.word(first + i).ok_or(EIO)?;
            }
        }
    }
    Ok(())
}

/// How many pointers of the array at `level`, from index `first` on (at
/// most `limit`), satisfy `pred(i, ptr)`, stopping at the first that fails.
fn count_while(
    st: &InodeState,
    w: &mut Walk,
    level: usize,
    first: usize,
    limit: u64,
    mut pred: impl FnMut(u64, u32) -> bool,
) -> Result<u64> {
    let mut n = 0u64;
    let mut chunk = [0u32; 16];
    while n < limit {
        let take = ((limit - n) as usize).min(chunk.len());
        let part = chunk.get_mut(..take).ok_or(EIO)?;
        read_ptrs(st, w, level, first + n as usize, part)?;
        for p in part.iter() {
            if !pred(n, *p) {
                return Ok(n);
            }
            n += 1;
        }
    }
    Ok(n)
}

/// Maps `lblk..lblk + max` with the state locked (for writing), filling a
/// hole if `create`.
fn map_locked(
    inode: &Inode<Ext2>,
    st: &mut InodeState,
    lblk: u64,
    max: u64,
    create: bool,
) -> Result<Mapping> {
    if let Some(m) = lookup(inode, st, lblk, max, create, Read::Wait, Fill::No)? {
        return Ok(m);
    }
    let bits = inode.sb().info().geo.ptr_bits();
    let path = BlockPath::new(lblk, bits).ok_or(EFBIG)?;
    let mut w = walk(inode, st, path, Read::Wait)?;
    let level = w.missing.ok_or(EIO)?;
    allocate(inode, st, &mut w, lblk, level, max)
}

/// Looks `lblk..lblk + max` up with the state locked (for reading at
/// least): the mapping, or `None` if `create` and `lblk` is in a hole,
/// which the caller fills under the lock held for writing.
fn lookup(
    inode: &Inode<Ext2>,
    st: &InodeState,
    lblk: u64,
    max: u64,
    create: bool,
    read: Read,
    fill: Fill,
) -> Result<Option<Mapping>> {
    let bits = inode.sb().info().geo.ptr_bits();
    let Some(path) = BlockPath::new(lblk, bits) else {
        return if create {
            Err(EFBIG)
        } else {
            Ok(Some(Mapping::Hole { len: 1 }))
        };
    };
    let mut w = walk(inode, st, path, read)?;
    let leaf = path.depth - 1;
    let leaf_off = path.offsets[leaf] as usize;
    let avail = path.leaf_entries_left(bits);
    let boundary = |len: u64| len == avail;
    match w.missing {
        None => {
            let first = w.ptr;
            let limit = match fill {
                Fill::Cache => avail,
                Fill::No => avail.min(max),
            };
            let len = count_while(st, &mut w, leaf, leaf_off, limit, |i, p| {
                u64::from(p) == u64::from(first) + i
            })?;
            // Refused if `first` is metadata; a run that reaches into
            // metadata stops before it (the next mapping is refused).
            let len = validity::check_run(inode, Kind::Data, first.into(), len)?;
            if fill == Fill::Cache {
                inode
                    .info()
                    .cache_run(st, lblk, first.into(), len, boundary(len), bits);
            }
            let len = len.min(max);
            Ok(Some(Mapping::Mapped {
                pblk: first.into(),
                len,
                new: false,
                boundary: boundary(len),
            }))
        }
        Some(level) if !create => {
            let len = if level == leaf {
                count_while(st, &mut w, leaf, leaf_off, avail.min(max), |_, p| p == 0)?
            } else {
                path.blocks_left_under(level, bits).min(max)
            };
            Ok(Some(Mapping::Hole { len: len.max(1) }))
        }
        Some(_) => Ok(None),
    }
}

/// The goal for the first new block (ext2's `ext2_find_goal`): right after
/// the last allocation if this writer is sequential, else near the nearest
/// allocated pointer before ours in the same array, else near the
/// indirect block holding the array, else the start of the inode's group.
fn find_goal(inode: &Inode<Ext2>, st: &InodeState, w: &mut Walk, lblk: u64, level: usize) -> u32 {
    if let Some((l, p)) = st.last_alloc {
        if l + 1 == lblk {
            return p.wrapping_add(1);
        }
    }
    let off = w.path.offsets[level] as usize;
    let mut p = [0u32; 1];
    for i in (0..off).rev() {
        if read_ptrs(st, w, level, i, &mut p).is_ok() && p[0] != 0 {
            return p[0];
        }
    }
    if level > 0 {
        return w.blocks[level];
    }
    let geo = &inode.sb().info().geo;
    let group = geo.inode_group(inode.ino() as u32);
    geo.group_first_block(group) as u32
}

/// Fills the hole at `level` of the walk with new blocks.
fn allocate(
    inode: &Inode<Ext2>,
    st: &mut InodeState,
    w: &mut Walk,
    lblk: u64,
    level: usize,
    max: u64,
) -> Result<Mapping> {
    let sb = inode.sb();
    let bits = sb.info().geo.ptr_bits();
    let path = w.path;
    let leaf = path.depth - 1;
    let nind = leaf - level;
    let avail = path.leaf_entries_left(bits);
    let want = if nind == 0 {
        let off = path.offsets[leaf] as usize;
        count_while(st, w, leaf, off, avail.min(max), |_, p| p == 0)?
    } else {
        avail.min(max)
    }
    .clamp(1, u64::from(u32::MAX / 2)) as u32;

    // The new indirect blocks (top down), then one run of data blocks.
    let mut ind = [0u32; 3];
    let mut got = 0usize;
    let mut goal = find_goal(inode, st, w, lblk, level);
    let (first, n) = loop {
        let need = (nind - got) as u32 + want;
        let (mut s, mut k) = match alloc::alloc_blocks(sb, goal, need) {
            Ok(r) => r,
            Err(e) => {
                for b in ind.iter().take(got) {
                    let _ = alloc::free_blocks(sb, *b, 1);
                }
                return Err(e);
            }
        };
        // The allocator refuses a bitmap that frees metadata; this also
        // covers the zones it does not know (reserved descriptor blocks).
        // The run stays allocated (a leak e2fsck repairs, never a double
        // use); the new indirect blocks, not yet used, are given back.
        if let Err(e) = validity::check_whole(inode, Kind::Allocated, s.into(), k.into()) {
            for b in ind.iter().take(got) {
                let _ = alloc::free_blocks(sb, *b, 1);
            }
            return Err(e);
        }
        while got < nind && k > 0 {
            ind[got] = s;
            got += 1;
            s += 1;
            k -= 1;
        }
        if k > 0 {
            break (s, k);
        }
        goal = s;
    };

    // Build the new indirect blocks, each pointing at the next, the last
    // at the data run.
    for i in 0..nind {
        let mut bh = sb.zeroed_block(ind[i].into())?;
        {
            let arr_level = level + 1 + i;
            let off = path.offsets[arr_level] as usize;
            let mut l = bh.lock();
            let d = l.data_mut();
            if i + 1 < nind {
                put_u32(d, off * 4, ind[i + 1]).ok_or(EIO)?;
            } else {
                for j in 0..n as usize {
                    put_u32(d, (off + j) * 4, first + j as u32).ok_or(EIO)?;
                }
            }
        }
        inode.mark_buffer_dirty(&bh);
    }

    // Splice the new branch (or the data run) into the existing tree.
    let off = path.offsets[level] as usize;
    let count = if nind == 0 { n as usize } else { 1 };
    let value = |j: usize| if nind == 0 { first + j as u32 } else { ind[0] };
    match w.bufs.get_mut(level).and_then(|b| b.as_mut()) {
        None => {
            for j in 0..count {
                *st.block.get_mut(off + j).ok_or(EIO)? = value(j);
            }
        }
        Some(bh) => {
            {
                let mut l = bh.lock();
                let d = l.data_mut();
                for j in 0..count {
                    put_u32(d, (off + j) * 4, value(j)).ok_or(EIO)?;
                }
            }
            inode.mark_buffer_dirty(bh);
        }
    }
    let bytes = u64::from(nind as u32 + n) << inode.block_bits();
    inode.account_bytes(bytes, true);
    st.last_alloc = Some((lblk + u64::from(n) - 1, first + n - 1));
    inode.mark_dirty();
    Ok(Mapping::Mapped {
        pblk: first.into(),
        len: n.into(),
        new: true,
        boundary: u64::from(n) == avail,
    })
}
