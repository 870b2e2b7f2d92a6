// SPDX-License-Identifier: GPL-2.0

//! Mounting: superblock and group descriptor validation; statfs.

use super::alloc::AllocState;
use super::disk::group::GroupDesc;
use super::disk::superblock::{
    Geometry, RawSuper, SbError, NAME_LEN, RO_COMPAT_LARGE_FILE, SB_OFFSET, SB_SIZE, STATE_ERROR,
    STATE_VALID,
};
use super::Ext2;
use crate::kernel_ext::fs_type::Statfs;
use crate::kernel_ext::super_block::{NewSuperBlock, SuperBlock};
use crate::kernel_ext::task::now_seconds;
use core::sync::atomic::AtomicU32;
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::Mutex;

/// Per-mount state.
pub(crate) struct SbInfo {
    pub(crate) geo: Geometry,
    /// The group descriptors as read at mount. Only their layout fields
    /// (bitmap and inode table locations) are used after mount; the live
    /// counters are in [`AllocState`].
    pub(crate) groups: KVec<GroupDesc>,
    /// Blocks only a privileged task may allocate (`s_r_blocks_count`).
    pub(crate) reserved_blocks: u32,
    /// `s_state` as found at mount, restored at a clean unmount.
    mount_state: u16,
    /// Where the superblock record is: block and byte offset.
    sb_block: u64,
    sb_off: usize,
    /// Source of `i_generation` for new inodes.
    pub(crate) next_generation: AtomicU32,
    pub(crate) shared: Pin<KBox<Shared>>,
}

/// The mutable per-mount state, each part under its own mutex.
#[pin_data]
pub(crate) struct Shared {
    /// Bitmaps and free counts (see `alloc`).
    #[pin]
    pub(crate) alloc: Mutex<AllocState>,
    /// The superblock record's fields as last written.
    #[pin]
    pub(crate) raw: Mutex<RawSuper>,
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
        let mut bh = sb.bread(sb_block)?;
        let l = bh.lock();
        let bytes = l.data().get(sb_off..sb_off + SB_SIZE).ok_or(EINVAL)?;
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
    sb.set_block_size(geo.block_size)?;

    let mut groups = KVec::with_capacity(geo.groups_count as usize, GFP_KERNEL)?;
    for nr in 0..geo.gdb_count {
        let mut bh = sb.bread(geo.descriptor_block(nr))?;
        let l = bh.lock();
        let first = nr * geo.desc_per_block;
        let n = (geo.groups_count - first).min(geo.desc_per_block);
        for i in 0..n {
            let gd = GroupDesc::decode(l.data(), i as usize).ok_or(EINVAL)?;
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
    let alloc = AllocState::new(&groups)?;
    let shared = KBox::pin_init(
        pin_init!(Shared {
            alloc <- new_mutex!(alloc),
            raw <- new_mutex!(raw),
        }),
        GFP_KERNEL,
    )?;
    let fs_block = SB_OFFSET / u64::from(geo.block_size);
    let info = SbInfo {
        geo,
        groups,
        reserved_blocks: raw.r_blocks_count,
        mount_state: raw.state,
        sb_block: fs_block,
        sb_off: (SB_OFFSET % u64::from(geo.block_size)) as usize,
        next_generation: AtomicU32::new(now_seconds() as u32),
        shared,
    };
    Ok(info)
}

/// Called once the superblock is live: a read-write mount counts itself
/// and marks the filesystem not clean until unmount (as ext2 does).
pub(super) fn setup_rw(sb: &SuperBlock<Ext2>) -> Result {
    {
        let info = sb.info();
        let mut raw = info.shared.raw.lock();
        raw.mnt_count = raw.mnt_count.wrapping_add(1);
        raw.mtime = now_seconds() as u32;
    }
    write_super(sb, false, true)
}

/// Writes the superblock record: free counts from the allocator, the write
/// time, and `s_state` (not clean while mounted read-write, unless `clean`).
fn write_super(sb: &SuperBlock<Ext2>, clean: bool, wait: bool) -> Result {
    let info = sb.info();
    let (fb, fi) = {
        let st = info.shared.alloc.lock();
        (st.free_blocks, st.free_inodes)
    };
    let raw = {
        let mut raw = info.shared.raw.lock();
        raw.free_blocks_count = fb as u32;
        raw.free_inodes_count = fi as u32;
        raw.wtime = now_seconds() as u32;
        raw.state = if clean {
            info.mount_state
        } else {
            info.mount_state & !STATE_VALID
        };
        *raw
    };
    let mut bh = sb.bread(info.sb_block)?;
    {
        let mut l = bh.lock();
        let rec = l
            .data_mut()
            .get_mut(info.sb_off..info.sb_off + SB_SIZE)
            .ok_or(EIO)?;
        raw.encode_mutable(rec).ok_or(EIO)?;
    }
    bh.mark_dirty();
    if wait {
        bh.sync()?;
    }
    Ok(())
}

/// Turns on the large-file feature (a regular file grew past 2 GiB).
pub(super) fn set_large_file(sb: &SuperBlock<Ext2>) -> Result {
    {
        let mut raw = sb.info().shared.raw.lock();
        if raw.feature_ro_compat & RO_COMPAT_LARGE_FILE != 0 {
            return Ok(());
        }
        raw.feature_ro_compat |= RO_COMPAT_LARGE_FILE;
    }
    write_super(sb, false, false)
}

/// `sync_fs`.
pub(super) fn sync_fs(sb: &SuperBlock<Ext2>, wait: bool) -> Result {
    if sb.is_rdonly() {
        return Ok(());
    }
    write_super(sb, false, wait)
}

/// `freeze_fs` (as `ext2_freeze`): the VFS has synced everything, so the
/// disk is consistent and a snapshot taken while frozen should say so:
/// the state is written clean. Not if unlinked inodes are still open:
/// they are freed only on their last close, and a snapshot would hold
/// them as orphans, which e2fsck must be made to look for.
pub(super) fn freeze(sb: &SuperBlock<Ext2>) -> Result {
    write_super(sb, !sb.has_orphans(), true)
}

/// `unfreeze_fs`: mounted read-write again, so not clean.
pub(super) fn unfreeze(sb: &SuperBlock<Ext2>) -> Result {
    sync_fs(sb, true)
}

/// Unmount, or remount read-only: everything to disk, then the clean state.
pub(super) fn put_super(sb: &SuperBlock<Ext2>) {
    if sb.is_rdonly() {
        return;
    }
    if let Err(e) = write_super(sb, true, true) {
        pr_err!("writing the superblock at unmount failed: {:?}\n", e);
    }
}

/// Remount.
pub(super) fn remount(sb: &SuperBlock<Ext2>, rdonly: bool) -> Result {
    let geo = &sb.info().geo;
    if rdonly {
        // Dirty inodes and pages first: after this the VFS would never
        // write them (as ext2_reconfigure, which starts with this).
        sb.sync_all()?;
        return write_super(sb, true, true);
    }
    if geo.unknown_ro_compat != 0 {
        pr_err!(
            "remount read-write refused: unsupported RO_COMPAT features {:#x}\n",
            geo.unknown_ro_compat
        );
        return Err(EROFS);
    }
    setup_rw(sb)
}

/// Filesystem statistics, computed as the in-kernel ext2 does.
pub(super) fn statfs(sb: &SuperBlock<Ext2>) -> Statfs {
    let info = sb.info();
    let geo = &info.geo;
    let (bfree, ffree) = {
        let st = info.shared.alloc.lock();
        (st.free_blocks, st.free_inodes)
    };
    let reserved = u64::from(info.reserved_blocks);
    let fsid = info.shared.raw.lock().fsid();
    Statfs {
        magic: super::disk::superblock::MAGIC.into(),
        block_size: geo.block_size,
        blocks: u64::from(geo.blocks_count).saturating_sub(geo.overhead_blocks()),
        bfree,
        bavail: bfree.saturating_sub(reserved),
        files: geo.inodes_count.into(),
        ffree,
        namelen: NAME_LEN as u32,
        fsid,
    }
}
