// SPDX-License-Identifier: GPL-2.0

//! Symbolic links: fast (target in `i_block`) and slow (in a data block).

use super::bmap::map_blocks;
use super::disk::inode::block_bytes;
use super::{corrupted, Ext2};
use crate::kernel_ext::block_map::Mapping;
use crate::kernel_ext::inode::Inode;
use kernel::prelude::*;

/// Returns the link target (without a trailing NUL).
pub(super) fn get_link(inode: &Inode<Ext2>) -> Result<KVec<u8>> {
    let size = usize::try_from(inode.size()).map_err(|_| EIO)?;
    let mut out = KVec::with_capacity(size + 1, GFP_KERNEL)?;
    let (fast, block) = {
        let st = inode.info().read();
        (st.fast_link, st.block)
    };
    if fast {
        let buf = block_bytes(&block);
        out.extend_from_slice(buf.get(..size).ok_or(EIO)?, GFP_KERNEL)?;
        return Ok(out);
    }
    let Mapping::Mapped { pblk, .. } = map_blocks(inode, 0, 1, false)? else {
        return Err(corrupted(
            inode.ino(),
            format_args!("slow symlink without a block"),
        ));
    };
    let mut bh = inode.sb().bread(pblk)?;
    out.resize(size, 0, GFP_KERNEL)?;
    bh.read_at(0, &mut out)?;
    Ok(out)
}

/// Stores a long target in the new symlink's first block.
pub(super) fn write_slow(inode: &Inode<Ext2>, target: &[u8]) -> Result {
    let Mapping::Mapped { pblk, .. } = map_blocks(inode, 0, 1, true)? else {
        return Err(EIO);
    };
    let mut bh = inode.sb().zeroed_block(pblk)?;
    {
        let mut l = bh.lock();
        let dst = l.data_mut().get_mut(..target.len()).ok_or(ENAMETOOLONG)?;
        for (d, s) in dst.iter_mut().zip(target) {
            *d = *s;
        }
    }
    inode.mark_buffer_dirty(&bh);
    Ok(())
}
