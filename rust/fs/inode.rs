// SPDX-License-Identifier: GPL-2.0

//! Inodes: reading from and writing to the inode table, eviction.

use super::disk::inode::{encode_rdev, Kind, RawInode, N_BLOCKS, S_IFMT, S_IFREG};
use super::disk::run_cache::{CachedRun, RunCache};
use super::{alloc, corrupted, flags, super_block, truncate, Ext2};
use crate::kernel_ext::inode::{Attrs, Inode, InodeKind, NewInode};
use crate::kernel_ext::rwsem::{new_rwsem, ReadGuard, RwSem, WriteGuard};
use crate::kernel_ext::super_block::SuperBlock;
use crate::kernel_ext::task::now_seconds;
use kernel::prelude::*;
use kernel::sync::aref::ARef;
use kernel::sync::{new_spinlock, SpinLock};

/// Per-inode state kept next to the VFS inode.
#[pin_data]
pub(crate) struct InodeInfo {
    /// The block map and the on-disk fields the VFS inode lacks. Held for
    /// writing, it is ext2's `truncate_mutex`: it serialises allocation and
    /// truncation of the block tree; lookups in the tree hold it for
    /// reading, so parallel readers of a file do not wait for each other
    /// (ext2 looks up without a lock and checks the chain it read again).
    /// Reached through [`InodeInfo::read`] and [`InodeInfo::write`], so
    /// that no change to the block map can leave `runs` stale.
    #[pin]
    state: RwSem<InodeState>,
    /// Runs of the block map found by lookups (see `bmap`). Filled only
    /// while `state` is held for reading, emptied whenever it is taken for
    /// writing: so a run found here is the block map as it was at some
    /// moment at which no writer was changing it, which is all a lookup
    /// under the read hold gives too.
    #[pin]
    runs: SpinLock<RunCache>,
}

impl InodeInfo {
    /// The state of a fresh in-core inode.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            state <- new_rwsem!(InodeState::default()),
            runs <- new_spinlock!(RunCache::new()),
        })
    }

    /// The state, held for reading (may sleep).
    pub(crate) fn read(&self) -> ReadGuard<'_, InodeState> {
        self.state.read()
    }

    /// The state held for reading, if that needs no wait.
    pub(crate) fn try_read(&self) -> Option<ReadGuard<'_, InodeState>> {
        self.state.try_read()
    }

    /// The state, held for writing (may sleep). The block map may change
    /// under this hold, so the cached runs are forgotten first.
    pub(crate) fn write(&self) -> WriteGuard<'_, InodeState> {
        let st = self.state.write();
        self.runs.lock().clear();
        st
    }

    /// The cached run holding file block `lblk`, up to `max` blocks.
    pub(crate) fn cached_run(&self, lblk: u64, max: u64, ptr_bits: u32) -> Option<CachedRun> {
        self.runs.lock().lookup(lblk, max, ptr_bits)
    }

    /// Caches a run found by a lookup. `_st` proves the state is held (for
    /// reading at least), so the run cannot be stale when it goes in.
    pub(crate) fn cache_run(
        &self,
        _st: &InodeState,
        start: u64,
        pblk: u64,
        len: u64,
        to_leaf_end: bool,
        ptr_bits: u32,
    ) {
        self.runs
            .lock()
            .insert(start, pblk, len, to_leaf_end, ptr_bits);
    }
}

/// What [`InodeInfo`] guards.
#[derive(Clone, Copy, Default)]
pub(crate) struct InodeState {
    /// `i_block`: direct, indirect, double and triple indirect pointers
    /// (or a fast symlink's target, or a device number).
    pub(crate) block: [u32; N_BLOCKS],
    /// The symlink target lives in `block` rather than a data block.
    pub(crate) fast_link: bool,
    /// `i_flags`.
    pub(crate) flags: u32,
    /// `i_dtime`: set when the inode is deleted.
    pub(crate) dtime: u32,
    /// `i_file_acl` (an extended attribute block, kept as found).
    pub(crate) file_acl: u32,
    /// Never written yet: the whole on-disk record is zeroed first.
    pub(crate) new: bool,
    /// The last block allocated, as (logical, physical): the goal for a
    /// sequential writer's next block.
    pub(crate) last_alloc: Option<(u64, u32)>,
}

/// The inode a file handle names (as `ext2_nfs_get_inode`). A number that
/// no inode in use can have, a free inode, or another generation (a later
/// file in the same slot) is `ESTALE`, without a message: handles outlive
/// files.
pub(super) fn handle_inode(
    sb: &SuperBlock<Ext2>,
    ino: u64,
    generation: u32,
) -> Result<ARef<Inode<Ext2>>> {
    let geo = &sb.info().geo;
    if !u32::try_from(ino).is_ok_and(|i| geo.ino_valid(i)) {
        return Err(ESTALE);
    }
    let inode = Inode::iget(sb, ino)?;
    if generation != 0 && inode.generation() != generation {
        return Err(ESTALE);
    }
    Ok(inode)
}

/// Fills in inode `inode.ino()` from its on-disk copy.
pub(super) fn read_inode(inode: &mut NewInode<Ext2>) -> Result {
    let ino = inode.ino();
    let info = inode.sb().info();
    let geo = info.geo;
    let ino32 = u32::try_from(ino).map_err(|_| EINVAL)?;
    if !geo.ino_valid(ino32) {
        return Err(corrupted(ino, format_args!("inode number out of range")));
    }
    let group = geo.inode_group(ino32);
    let table = info.groups.get(group as usize).ok_or(EINVAL)?.inode_table;
    let (block, off) = geo.inode_location(ino32, table);
    let raw = {
        let mut bh = inode.sb().bread(block)?;
        let l = bh.lock();
        let bytes = l.data().get(off..).ok_or(EIO)?;
        RawInode::decode(bytes, geo.large_file).ok_or(EIO)?
    };
    if raw.links_count == 0 && (raw.mode == 0 || raw.dtime != 0) {
        // A free inode: the root must not be one; a name or a file handle
        // may outlive the file it named, which is no corruption.
        return Err(if ino == u64::from(super::disk::superblock::ROOT_INO) {
            corrupted(ino, format_args!("root inode is free"))
        } else {
            ESTALE
        });
    }
    let Some(kind) = raw.kind() else {
        return Err(corrupted(ino, format_args!("invalid mode {:#o}", raw.mode)));
    };
    let size = i64::try_from(raw.size).map_err(|_| EFBIG)?;
    inode.set_attrs(&Attrs {
        mode: raw.mode,
        uid: raw.uid,
        gid: raw.gid,
        nlink: raw.links_count.into(),
        size,
        // ext2 timestamps are signed 32-bit seconds (before 1970 is negative).
        atime: (raw.atime as i32).into(),
        mtime: (raw.mtime as i32).into(),
        ctime: (raw.ctime as i32).into(),
        blocks: raw.blocks.into(),
        generation: raw.generation,
    });
    let fast_link = raw.is_fast_symlink(geo.block_size);
    *inode.inode().info().write() = InodeState {
        block: raw.block,
        fast_link,
        flags: raw.flags,
        dtime: raw.dtime,
        file_acl: raw.file_acl,
        new: false,
        last_alloc: None,
    };
    flags::apply(inode.inode(), raw.flags);
    let kind = match kind {
        Kind::Regular => InodeKind::Regular,
        Kind::Directory => {
            if raw.size % u64::from(geo.block_size) != 0 {
                return Err(corrupted(
                    ino,
                    format_args!(
                        "directory size {} not a multiple of the block size",
                        raw.size
                    ),
                ));
            }
            InodeKind::Directory
        }
        Kind::Symlink => {
            let max = if fast_link {
                super::disk::inode::FAST_LINK_MAX as u64 - 1
            } else {
                u64::from(geo.block_size) - 1
            };
            if raw.size == 0 || raw.size > max {
                return Err(corrupted(ino, format_args!("symlink size {}", raw.size)));
            }
            InodeKind::Symlink
        }
        Kind::Special => InodeKind::Special { rdev: raw.rdev() },
    };
    inode.set_kind(kind);
    Ok(())
}

/// Sets up the filesystem state of a newly created inode in `dir`.
pub(super) fn init_new(new: &NewInode<Ext2>, dir: &Inode<Ext2>) {
    let flags = flags::inherit(new.inode().mode(), dir.info().read().flags);
    *new.inode().info().write() = InodeState {
        flags,
        new: true,
        ..InodeState::default()
    };
    flags::apply(new.inode(), flags);
}

/// Writes the in-core inode into its inode table block; with `sync`, to
/// the disk together with the metadata buffers it owns.
pub(super) fn write_inode(inode: &Inode<Ext2>, sync: bool) -> Result {
    let sb = inode.sb();
    let geo = sb.info().geo;
    let (blk, off) = table_location(inode)?;
    let st = *inode.info().read();
    let mode = inode.mode();
    let size = inode.size().max(0) as u64;
    if mode & S_IFMT == S_IFREG && size > i32::MAX as u64 {
        super_block::set_large_file(sb)?;
    }
    let (uid, gid) = inode.owner();
    let (a, m, c) = inode.times();
    let block = match mode & S_IFMT {
        super::disk::inode::S_IFCHR | super::disk::inode::S_IFBLK => {
            let [b0, b1] = encode_rdev(inode.rdev());
            let mut b = [0u32; N_BLOCKS];
            b[0] = b0;
            b[1] = b1;
            b
        }
        _ => st.block,
    };
    let raw = RawInode {
        mode,
        uid,
        gid,
        size,
        atime: a as u32,
        ctime: c as u32,
        mtime: m as u32,
        dtime: st.dtime,
        links_count: inode.nlink().min(u16::MAX.into()) as u16,
        blocks: inode.sectors().min(u32::MAX.into()) as u32,
        flags: st.flags,
        block,
        generation: inode.generation(),
        file_acl: st.file_acl,
    };
    let mut bh = sb.bread(blk)?;
    {
        let mut l = bh.lock();
        let rec = l
            .data_mut()
            .get_mut(off..off + geo.inode_size as usize)
            .ok_or(EIO)?;
        if st.new {
            rec.fill(0);
        }
        raw.encode(rec).ok_or(EIO)?;
    }
    bh.mark_dirty();
    if st.new {
        inode.info().write().new = false;
    }
    if sync {
        inode.sync_buffers()?;
        bh.sync()?;
    } else {
        // The table block is only dirty in the buffer cache now, and the
        // inode no longer is: fsync must still find it (7.3's ext2 does
        // the same).
        inode.set_metadata_writeback();
    }
    Ok(())
}

/// The inode-table block that holds `inode`, and the record's offset in
/// it; `EIO` for an inode number the filesystem cannot have.
fn table_location(inode: &Inode<Ext2>) -> Result<(u64, usize)> {
    let info = inode.sb().info();
    let geo = info.geo;
    let ino = inode.ino() as u32;
    if !geo.ino_valid(ino) {
        return Err(EIO);
    }
    let group = geo.inode_group(ino);
    let table = info.groups.get(group as usize).ok_or(EINVAL)?.inode_table;
    let (blk, off) = geo.inode_location(ino, table);
    Ok((blk, off))
}

/// fsync after background writeback: writes the metadata buffers tied to
/// the inode and its table block, which `write_inode(.., false)` left
/// dirty in the buffer cache, and waits for both.
pub(super) fn sync_metadata(inode: &Inode<Ext2>) -> Result {
    let tied = inode.sync_buffers();
    let (blk, _) = table_location(inode)?;
    let bh = inode.sb().bread(blk)?;
    let table = bh.sync();
    if tied.is_err() || table.is_err() {
        pr_err!("inode {}: writing its metadata failed\n", inode.ino());
    }
    tied.and(table)
}

/// Last reference gone: an inode with no links left is freed on disk
/// (its blocks, then the inode itself, with `dtime` set).
pub(super) fn evict(inode: &Inode<Ext2>) {
    if inode.nlink() != 0 || inode.is_bad() {
        let _ = inode.sync_buffers();
        return;
    }
    let sb = inode.sb();
    let is_dir = inode.mode() & S_IFMT == super::disk::inode::S_IFDIR;
    inode.info().write().dtime = now_seconds() as u32;
    inode.set_size(0);
    let fast = inode.info().read().fast_link;
    if !fast && has_blocks(inode) {
        truncate::truncate_blocks(inode, 0);
    }
    if let Err(e) = write_inode(inode, false) {
        pr_err!(
            "inode {}: writing the deleted inode failed: {:?}\n",
            inode.ino(),
            e
        );
    }
    if let Err(e) = alloc::free_inode(sb, inode.ino() as u32, is_dir) {
        pr_err!("inode {}: freeing it failed: {:?}\n", inode.ino(), e);
    }
}

/// Whether the inode's `i_block` may hold block pointers.
fn has_blocks(inode: &Inode<Ext2>) -> bool {
    let m = inode.mode() & S_IFMT;
    m == S_IFREG || m == super::disk::inode::S_IFDIR || m == super::disk::inode::S_IFLNK
}
