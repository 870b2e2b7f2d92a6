// SPDX-License-Identifier: GPL-2.0

//! Mounting: superblock and group descriptor validation; statfs.

use super::disk::group::GroupDesc;
use super::disk::superblock::{
    Geometry, RawSuper, SbError, NAME_LEN, SB_OFFSET, SB_SIZE, STATE_ERROR, STATE_VALID,
};
use super::Ext2;
use crate::dio::stats::DioStats;
use crate::kernel_ext::debugfs;
use crate::kernel_ext::fs_type::Statfs;
use crate::kernel_ext::super_block::{NewSuperBlock, SuperBlock};
use kernel::debugfs::File;
use kernel::prelude::*;
use kernel::sync::Arc;

/// Per-mount state.
pub(crate) struct SbInfo {
    pub(crate) geo: Geometry,
    pub(crate) raw: RawSuper,
    pub(crate) groups: KVec<GroupDesc>,
    /// Direct-I/O counters, shared with their debugfs file.
    pub(crate) dio: Arc<DioStats>,
    /// `/sys/kernel/debug/rext2/<device>`; `None` if debugfs refused it.
    _dio_file: Option<Pin<KBox<File<Arc<DioStats>>>>>,
}

/// Lets the kernel's formatting print an on-disk validation error.
struct Why(SbError);

impl kernel::fmt::Display for Why {
    fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        core::fmt::Display::fmt(&self.0, f)
    }
}

fn refuse(sb: &NewSuperBlock<'_, Ext2>, e: SbError) -> Error {
    if !(sb.silent() && matches!(e, SbError::BadMagic(_))) {
        pr_err!("mount refused: {}\n", Why(e));
    }
    EINVAL
}

/// Reads and validates the superblock and group descriptors.
pub(super) fn fill_super(sb: &NewSuperBlock<'_, Ext2>) -> Result<SbInfo> {
    let dev_bs = sb.set_min_block_size(1024)?;
    let sb_block = SB_OFFSET / u64::from(dev_bs);
    let sb_off = (SB_OFFSET % u64::from(dev_bs)) as usize;
    let raw = {
        let bh = sb.bread(sb_block)?;
        let bytes = bh.data().get(sb_off..sb_off + SB_SIZE).ok_or(EINVAL)?;
        RawSuper::decode(bytes).map_err(|e| refuse(sb, e))?
    };
    let geo = Geometry::new(&raw, sb.device_bytes()).map_err(|e| refuse(sb, e))?;
    if geo.block_size < dev_bs {
        pr_err!(
            "mount refused: block size {} below the device's {}\n",
            geo.block_size,
            dev_bs
        );
        return Err(EINVAL);
    }
    if geo.unknown_ro_compat != 0 && !sb.is_rdonly() {
        pr_err!(
            "mount refused: unsupported RO_COMPAT features {:#x}, mount read-only\n",
            geo.unknown_ro_compat
        );
        return Err(EROFS);
    }
    if !sb.is_rdonly() {
        pr_err!("mount refused: this rext2 supports read-only mounts only (-o ro)\n");
        return Err(EROFS);
    }
    sb.set_block_size(geo.block_size)?;

    let mut groups = KVec::with_capacity(geo.groups_count as usize, GFP_KERNEL)?;
    for nr in 0..geo.gdb_count {
        let bh = sb.bread(geo.descriptor_block(nr))?;
        let first = nr * geo.desc_per_block;
        let n = (geo.groups_count - first).min(geo.desc_per_block);
        for i in 0..n {
            let gd = GroupDesc::decode(bh.data(), i as usize).ok_or(EINVAL)?;
            geo.check_descriptor(first + i, &gd)
                .map_err(|e| refuse(sb, e))?;
            groups.push(gd, GFP_KERNEL)?;
        }
    }

    if raw.state & STATE_VALID == 0 {
        pr_warn!("warning: mounting unchecked fs, running e2fsck is recommended\n");
    } else if raw.state & STATE_ERROR != 0 {
        pr_warn!("warning: mounting fs with errors, running e2fsck is recommended\n");
    }
    sb.set_max_bytes(geo.max_file_size());
    sb.set_time_range(i32::MIN.into(), i32::MAX.into());
    let dio = Arc::new(DioStats::new(), GFP_KERNEL)?;
    let dio_file = debugfs::mount_file(sb.id(), dio.clone()).ok();
    Ok(SbInfo {
        geo,
        raw,
        groups,
        dio,
        _dio_file: dio_file,
    })
}

/// Filesystem statistics, computed as the in-kernel ext2 does.
pub(super) fn statfs(sb: &SuperBlock<Ext2>) -> Statfs {
    let info = sb.info();
    let geo = &info.geo;
    let bfree: u64 = info.groups.iter().map(|g| u64::from(g.free_blocks)).sum();
    let ffree: u64 = info.groups.iter().map(|g| u64::from(g.free_inodes)).sum();
    let reserved = u64::from(info.raw.r_blocks_count);
    Statfs {
        magic: super::disk::superblock::MAGIC.into(),
        block_size: geo.block_size,
        blocks: u64::from(geo.blocks_count).saturating_sub(geo.overhead_blocks()),
        bfree,
        bavail: bfree.saturating_sub(reserved),
        files: geo.inodes_count.into(),
        ffree,
        namelen: NAME_LEN as u32,
        fsid: info.raw.fsid(),
    }
}
