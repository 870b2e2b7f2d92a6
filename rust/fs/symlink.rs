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
    let info = inode.info();
    let mut out = KVec::with_capacity(size + 1, GFP_KERNEL)?;
    if info.fast_link {
        let buf = block_bytes(&info.block);
        out.extend_from_slice(buf.get(..size).ok_or(EIO)?, GFP_KERNEL)?;
        return Ok(out);
    }
    let Mapping::Mapped { pblk, .. } = map_blocks(inode, 0, 1)? else {
        return Err(corrupted(
            inode.ino(),
            format_args!("slow symlink without a block"),
        ));
    };
    let bh = inode.sb().bread(pblk)?;
    out.extend_from_slice(bh.data().get(..size).ok_or(EIO)?, GFP_KERNEL)?;
    Ok(out)
}
