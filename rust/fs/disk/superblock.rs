// SPDX-License-Identifier: GPL-2.0

//! The ext2 superblock: decoding, validation and the geometry derived from it.

use super::group::{GroupDesc, DESC_SIZE};
use super::le::{put_u16, put_u32, u16_at, u32_at};
use core::fmt;

/// Byte offset of the primary superblock on the device.
pub(crate) const SB_OFFSET: u64 = 1024;
/// Size of the superblock record.
pub(crate) const SB_SIZE: usize = 1024;
/// `s_magic` of every ext2/3/4 filesystem.
pub(crate) const MAGIC: u16 = 0xef53;
/// Inode number of the root directory.
pub(crate) const ROOT_INO: u32 = 2;
/// First non-reserved inode of revision 0 filesystems.
pub(crate) const GOOD_OLD_FIRST_INO: u32 = 11;
/// Inode size of revision 0 filesystems.
pub(crate) const GOOD_OLD_INODE_SIZE: u16 = 128;
/// Longest name a directory entry can hold.
pub(crate) const NAME_LEN: usize = 255;

/// `s_state`: cleanly unmounted.
pub(crate) const STATE_VALID: u16 = 0x0001;
/// `s_state`: errors detected.
pub(crate) const STATE_ERROR: u16 = 0x0002;

/// RO_COMPAT features ext2 (and rext2) understand.
pub(crate) const RO_COMPAT_SPARSE_SUPER: u32 = 0x0001;
/// 64-bit file sizes (`i_size_high`).
pub(crate) const RO_COMPAT_LARGE_FILE: u32 = 0x0002;
/// Historic, never used on disk; accepted as ext2 does.
pub(crate) const RO_COMPAT_BTREE_DIR: u32 = 0x0004;
/// Every RO_COMPAT bit rext2 supports.
pub(crate) const RO_COMPAT_SUPP: u32 =
    RO_COMPAT_SPARSE_SUPER | RO_COMPAT_LARGE_FILE | RO_COMPAT_BTREE_DIR;

/// COMPAT: the resize inode owns reserved descriptor blocks.
pub(crate) const COMPAT_RESIZE_INODE: u32 = 0x0010;

/// Directory entries carry a file type byte.
pub(crate) const INCOMPAT_FILETYPE: u32 = 0x0002;
/// Group descriptors are spread over meta block groups.
pub(crate) const INCOMPAT_META_BG: u32 = 0x0010;
/// Every INCOMPAT bit rext2 supports.
pub(crate) const INCOMPAT_SUPP: u32 = INCOMPAT_FILETYPE | INCOMPAT_META_BG;

/// Why a superblock was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SbError {
    /// The buffer is shorter than a superblock.
    Short,
    /// `s_magic` is not 0xef53.
    BadMagic(u16),
    /// `s_rev_level` above 1.
    Revision(u32),
    /// Block size not 1, 2 or 4 KiB.
    BlockSize(u32),
    /// INCOMPAT features rext2 does not know.
    Incompat(u32),
    /// Inode size not a power of two in [128, block size].
    InodeSize(u16),
    /// `s_first_ino` below 11 or beyond the inode count.
    FirstIno(u32),
    /// `s_blocks_count` zero, below the first data block or beyond the device.
    BlocksCount(u32),
    /// `s_first_data_block` wrong for the block size.
    FirstDataBlock(u32),
    /// `s_blocks_per_group` zero or more than a bitmap block can track.
    BlocksPerGroup(u32),
    /// `s_inodes_per_group` zero or more than a bitmap block can track.
    InodesPerGroup(u32),
    /// `s_inodes_count` does not match groups * inodes per group.
    InodesCount(u32),
    /// A group descriptor points outside its group.
    Descriptor(u32),
}

impl fmt::Display for SbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SbError::Short => write!(f, "superblock truncated"),
            SbError::BadMagic(m) => write!(f, "bad magic {m:#06x}, not an ext2 filesystem"),
            SbError::Revision(r) => write!(f, "unsupported revision level {r}"),
            SbError::BlockSize(l) => write!(f, "unsupported block size (log {l})"),
            SbError::Incompat(x) => write!(f, "unsupported INCOMPAT features {x:#x}"),
            SbError::InodeSize(s) => write!(f, "invalid inode size {s}"),
            SbError::FirstIno(i) => write!(f, "invalid first inode {i}"),
            SbError::BlocksCount(n) => write!(f, "invalid block count {n}"),
            SbError::FirstDataBlock(n) => write!(f, "invalid first data block {n}"),
            SbError::BlocksPerGroup(n) => write!(f, "invalid blocks per group {n}"),
            SbError::InodesPerGroup(n) => write!(f, "invalid inodes per group {n}"),
            SbError::InodesCount(n) => write!(f, "inode count {n} does not match the groups"),
            SbError::Descriptor(g) => write!(f, "group descriptor {g} out of range"),
        }
    }
}

/// The superblock fields rext2 uses, decoded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RawSuper {
    pub(crate) inodes_count: u32,
    pub(crate) blocks_count: u32,
    pub(crate) r_blocks_count: u32,
    pub(crate) free_blocks_count: u32,
    pub(crate) free_inodes_count: u32,
    pub(crate) first_data_block: u32,
    pub(crate) log_block_size: u32,
    pub(crate) blocks_per_group: u32,
    pub(crate) inodes_per_group: u32,
    pub(crate) mtime: u32,
    pub(crate) wtime: u32,
    pub(crate) mnt_count: u16,
    /// `s_max_mnt_count`, a signed 16-bit value on disk (-1: no limit).
    pub(crate) max_mnt_count: u16,
    pub(crate) magic: u16,
    pub(crate) state: u16,
    pub(crate) errors: u16,
    pub(crate) lastcheck: u32,
    pub(crate) rev_level: u32,
    /// Owner of the reserved blocks.
    pub(crate) def_resuid: u16,
    /// Group of the reserved blocks.
    pub(crate) def_resgid: u16,
    pub(crate) first_ino: u32,
    pub(crate) inode_size: u16,
    pub(crate) feature_compat: u32,
    pub(crate) feature_incompat: u32,
    pub(crate) feature_ro_compat: u32,
    pub(crate) first_meta_bg: u32,
    /// `s_reserved_gdt_blocks`: blocks kept after the descriptor table
    /// (in every group with a superblock copy) for online resizing.
    pub(crate) reserved_gdt_blocks: u16,
    pub(crate) uuid: [u8; 16],
}

impl RawSuper {
    /// Decodes a superblock record (`SB_SIZE` bytes).
    pub(crate) fn decode(b: &[u8]) -> Result<Self, SbError> {
        if b.len() < SB_SIZE {
            return Err(SbError::Short);
        }
        let g32 = |o| u32_at(b, o).unwrap_or(0);
        let g16 = |o| u16_at(b, o).unwrap_or(0);
        let rev_level = g32(76);
        let dynamic = rev_level >= 1;
        Ok(Self {
            inodes_count: g32(0),
            blocks_count: g32(4),
            r_blocks_count: g32(8),
            free_blocks_count: g32(12),
            free_inodes_count: g32(16),
            first_data_block: g32(20),
            log_block_size: g32(24),
            blocks_per_group: g32(32),
            inodes_per_group: g32(40),
            mtime: g32(44),
            wtime: g32(48),
            mnt_count: g16(52),
            max_mnt_count: g16(54),
            magic: g16(56),
            state: g16(58),
            errors: g16(60),
            lastcheck: g32(64),
            rev_level,
            def_resuid: g16(80),
            def_resgid: g16(82),
            first_ino: if dynamic { g32(84) } else { GOOD_OLD_FIRST_INO },
            inode_size: if dynamic {
                g16(88)
            } else {
                GOOD_OLD_INODE_SIZE
            },
            feature_compat: if dynamic { g32(92) } else { 0 },
            feature_incompat: if dynamic { g32(96) } else { 0 },
            feature_ro_compat: if dynamic { g32(100) } else { 0 },
            first_meta_bg: if dynamic { g32(260) } else { 0 },
            reserved_gdt_blocks: if dynamic { g16(206) } else { 0 },
            uuid: {
                let mut u = [0u8; 16];
                for (d, s) in u.iter_mut().zip(b.get(104..120).unwrap_or(&[])) {
                    *d = *s;
                }
                u
            },
        })
    }

    /// Writes the fields a mounted filesystem changes into the on-disk
    /// superblock record `b`: the free block and inode counts, `s_mtime`,
    /// `s_wtime`, `s_mnt_count`, `s_state` and the three feature words.
    /// Every other byte keeps its contents. Returns `None`, writing nothing,
    /// if `b` is shorter than `SB_SIZE`.
    pub(crate) fn encode_mutable(&self, b: &mut [u8]) -> Option<()> {
        let b = b.get_mut(..SB_SIZE)?;
        put_u32(b, 12, self.free_blocks_count)?;
        put_u32(b, 16, self.free_inodes_count)?;
        put_u32(b, 44, self.mtime)?;
        put_u32(b, 48, self.wtime)?;
        put_u16(b, 52, self.mnt_count)?;
        put_u16(b, 58, self.state)?;
        put_u32(b, 92, self.feature_compat)?;
        put_u32(b, 96, self.feature_incompat)?;
        put_u32(b, 100, self.feature_ro_compat)
    }

    /// The `statfs` fsid: both halves of the UUID folded together, as ext2 does.
    pub(crate) fn fsid(&self) -> u64 {
        let lo = u64::from_le_bytes([
            self.uuid[0],
            self.uuid[1],
            self.uuid[2],
            self.uuid[3],
            self.uuid[4],
            self.uuid[5],
            self.uuid[6],
            self.uuid[7],
        ]);
        let hi = u64::from_le_bytes([
            self.uuid[8],
            self.uuid[9],
            self.uuid[10],
            self.uuid[11],
            self.uuid[12],
            self.uuid[13],
            self.uuid[14],
            self.uuid[15],
        ]);
        lo ^ hi
    }

    /// The block size, if `s_log_block_size` is one rext2 supports.
    pub(crate) fn block_size(&self) -> Result<u32, SbError> {
        match self.log_block_size {
            0..=2 => Ok(1024 << self.log_block_size),
            l => Err(SbError::BlockSize(l)),
        }
    }
}

/// Everything rext2 derives from a valid superblock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Geometry {
    pub(crate) block_size: u32,
    /// log2 of the block size.
    pub(crate) block_bits: u32,
    pub(crate) blocks_count: u32,
    pub(crate) inodes_count: u32,
    pub(crate) first_data_block: u32,
    pub(crate) blocks_per_group: u32,
    pub(crate) inodes_per_group: u32,
    pub(crate) inode_size: u32,
    pub(crate) first_ino: u32,
    pub(crate) groups_count: u32,
    /// Group descriptors per descriptor block.
    pub(crate) desc_per_block: u32,
    /// Blocks holding the descriptor table (non-meta_bg part).
    pub(crate) gdb_count: u32,
    /// Inode-table blocks per group.
    pub(crate) itb_per_group: u32,
    pub(crate) sparse_super: bool,
    pub(crate) large_file: bool,
    pub(crate) filetype: bool,
    pub(crate) meta_bg: bool,
    pub(crate) first_meta_bg: u32,
    /// Reserved descriptor blocks after the descriptor table of every
    /// group with a superblock copy (only with `resize_inode`, and only if
    /// sane: at most a block's worth of pointers, as ext4 requires).
    pub(crate) reserved_gdt: u32,
    /// RO_COMPAT bits rext2 does not know: the fs may only be mounted read-only.
    pub(crate) unknown_ro_compat: u32,
}

impl Geometry {
    /// Validates `sb` against a device of `dev_bytes` bytes.
    pub(crate) fn new(sb: &RawSuper, dev_bytes: u64) -> Result<Self, SbError> {
        if sb.magic != MAGIC {
            return Err(SbError::BadMagic(sb.magic));
        }
        if sb.rev_level > 1 {
            return Err(SbError::Revision(sb.rev_level));
        }
        let block_size = sb.block_size()?;
        let block_bits = 10 + sb.log_block_size;
        let unknown = sb.feature_incompat & !INCOMPAT_SUPP;
        if unknown != 0 {
            return Err(SbError::Incompat(unknown));
        }
        let isz = sb.inode_size;
        if isz < GOOD_OLD_INODE_SIZE || !isz.is_power_of_two() || u32::from(isz) > block_size {
            return Err(SbError::InodeSize(isz));
        }
        let want_first = u32::from(block_size == 1024);
        if sb.first_data_block != want_first {
            return Err(SbError::FirstDataBlock(sb.first_data_block));
        }
        let dev_blocks = dev_bytes >> block_bits;
        if sb.blocks_count <= sb.first_data_block || u64::from(sb.blocks_count) > dev_blocks {
            return Err(SbError::BlocksCount(sb.blocks_count));
        }
        let bitmap_bits = block_size * 8;
        if sb.blocks_per_group == 0 || sb.blocks_per_group > bitmap_bits {
            return Err(SbError::BlocksPerGroup(sb.blocks_per_group));
        }
        let inodes_per_block = block_size / u32::from(isz);
        if sb.inodes_per_group == 0
            || sb.inodes_per_group > bitmap_bits
            || sb.inodes_per_group % inodes_per_block != 0
        {
            return Err(SbError::InodesPerGroup(sb.inodes_per_group));
        }
        let groups_count = (sb.blocks_count - sb.first_data_block).div_ceil(sb.blocks_per_group);
        if u64::from(sb.inodes_count) != u64::from(groups_count) * u64::from(sb.inodes_per_group) {
            return Err(SbError::InodesCount(sb.inodes_count));
        }
        if sb.first_ino < GOOD_OLD_FIRST_INO || sb.first_ino > sb.inodes_count {
            return Err(SbError::FirstIno(sb.first_ino));
        }
        let desc_per_block = block_size / DESC_SIZE as u32;
        Ok(Self {
            block_size,
            block_bits,
            blocks_count: sb.blocks_count,
            inodes_count: sb.inodes_count,
            first_data_block: sb.first_data_block,
            blocks_per_group: sb.blocks_per_group,
            inodes_per_group: sb.inodes_per_group,
            inode_size: u32::from(isz),
            first_ino: sb.first_ino,
            groups_count,
            desc_per_block,
            gdb_count: groups_count.div_ceil(desc_per_block),
            itb_per_group: sb.inodes_per_group / inodes_per_block,
            sparse_super: sb.feature_ro_compat & RO_COMPAT_SPARSE_SUPER != 0,
            large_file: sb.feature_ro_compat & RO_COMPAT_LARGE_FILE != 0,
            filetype: sb.feature_incompat & INCOMPAT_FILETYPE != 0,
            meta_bg: sb.feature_incompat & INCOMPAT_META_BG != 0,
            first_meta_bg: sb.first_meta_bg,
            reserved_gdt: if sb.feature_compat & COMPAT_RESIZE_INODE != 0
                && u32::from(sb.reserved_gdt_blocks) <= block_size / 4
            {
                sb.reserved_gdt_blocks.into()
            } else {
                0
            },
            unknown_ro_compat: sb.feature_ro_compat & !RO_COMPAT_SUPP,
        })
    }

    /// Block numbers per indirect block, as a power of two.
    pub(crate) fn ptr_bits(&self) -> u32 {
        self.block_bits - 2
    }

    /// First block of group `g`.
    pub(crate) fn group_first_block(&self, g: u32) -> u64 {
        u64::from(self.first_data_block) + u64::from(g) * u64::from(self.blocks_per_group)
    }

    /// One past the last block of group `g`.
    pub(crate) fn group_end_block(&self, g: u32) -> u64 {
        (self.group_first_block(g) + u64::from(self.blocks_per_group))
            .min(u64::from(self.blocks_count))
    }

    /// Whether group `g` carries a superblock backup.
    pub(crate) fn group_has_super(&self, g: u32) -> bool {
        if !self.sparse_super || g <= 1 {
            return true;
        }
        [3u32, 5, 7].iter().any(|&b| is_power_of(g, b))
    }

    /// How many descriptor blocks group `g` holds.
    pub(crate) fn group_gdt_blocks(&self, g: u32) -> u32 {
        let metagroup = g / self.desc_per_block;
        if !self.meta_bg || metagroup < self.first_meta_bg {
            return if self.group_has_super(g) {
                self.gdb_count
            } else {
                0
            };
        }
        let first = metagroup * self.desc_per_block;
        u32::from(g == first || g == first + 1 || g == first + self.desc_per_block - 1)
    }

    /// Location of descriptor block `nr`.
    pub(crate) fn descriptor_block(&self, nr: u32) -> u64 {
        let sb_block = u64::from(self.first_data_block);
        if !self.meta_bg || nr < self.first_meta_bg {
            return sb_block + 1 + u64::from(nr);
        }
        let g = nr * self.desc_per_block;
        self.group_first_block(g) + u64::from(self.group_has_super(g))
    }

    /// Blocks ext2's statfs counts as overhead (not reported in `f_blocks`).
    pub(crate) fn overhead_blocks(&self) -> u64 {
        let mut n = u64::from(self.first_data_block);
        for g in 0..self.groups_count {
            n += u64::from(self.group_has_super(g)) + u64::from(self.group_gdt_blocks(g));
        }
        n + u64::from(self.groups_count) * (2 + u64::from(self.itb_per_group))
    }

    /// Checks that descriptor `gd` of group `g` points inside group `g`.
    pub(crate) fn check_descriptor(&self, g: u32, gd: &GroupDesc) -> Result<(), SbError> {
        let first = self.group_first_block(g);
        let end = self.group_end_block(g);
        // Past the group's superblock and descriptor copies.
        let meta_end =
            first + u64::from(self.group_has_super(g)) + u64::from(self.group_gdt_blocks(g));
        let inside = |b: u64| b >= meta_end && b < end;
        let table = u64::from(gd.inode_table);
        let table_end = table + u64::from(self.itb_per_group);
        let in_table = |b: u32| u64::from(b) >= table && u64::from(b) < table_end;
        if !inside(gd.block_bitmap.into())
            || !inside(gd.inode_bitmap.into())
            || !inside(table)
            || table_end > end
            || gd.block_bitmap == gd.inode_bitmap
            || in_table(gd.block_bitmap)
            || in_table(gd.inode_bitmap)
        {
            return Err(SbError::Descriptor(g));
        }
        Ok(())
    }

    /// Whether `b` may be a data or metadata block of this filesystem.
    pub(crate) fn block_valid(&self, b: u32) -> bool {
        b >= self.first_data_block && b < self.blocks_count
    }

    /// Whether inode number `ino` may be looked up (root or a normal inode).
    pub(crate) fn ino_valid(&self, ino: u32) -> bool {
        (ino == ROOT_INO || ino >= self.first_ino) && ino <= self.inodes_count
    }

    /// Where inode `ino` lives: (group, block, byte offset in that block).
    /// The caller has checked `ino_valid`.
    pub(crate) fn inode_location(&self, ino: u32, table: u32) -> (u64, usize) {
        let index = u64::from((ino - 1) % self.inodes_per_group);
        let byte = index * u64::from(self.inode_size);
        let block = u64::from(table) + (byte >> self.block_bits);
        (block, (byte & u64::from(self.block_size - 1)) as usize)
    }

    /// Group that holds inode `ino` (>= 1).
    pub(crate) fn inode_group(&self, ino: u32) -> u32 {
        ino.saturating_sub(1)
            .checked_div(self.inodes_per_group)
            .unwrap_or(0)
    }

    /// The largest file size the indirect-block tree allows, with ext2's
    /// rule that data plus metadata blocks stay below 2^32 sectors.
    pub(crate) fn max_file_size(&self) -> u64 {
        max_file_size(self.block_bits)
    }
}

/// Whether `n` is a power of `base` (`n` >= 1).
fn is_power_of(mut n: u32, base: u32) -> bool {
    if base < 2 {
        return n == 1;
    }
    while n > 1 && n % base == 0 {
        n /= base;
    }
    n == 1
}

/// See [`Geometry::max_file_size`]. `bits` is the log2 block size (10..=16).
/// Written without panicking arithmetic: it runs at mount time on values
/// derived from disk.
pub(crate) fn max_file_size(bits: u32) -> u64 {
    let ppb: u64 = 1u64.wrapping_shl(bits.saturating_sub(2));
    let ppb2 = ppb.saturating_mul(ppb);
    let ppb3 = ppb2.saturating_mul(ppb);
    let tree = 12u64
        .saturating_add(ppb)
        .saturating_add(ppb2)
        .saturating_add(ppb3);
    let tree_meta = 3u64.saturating_add(2 * ppb).saturating_add(ppb2);
    // i_blocks counts 512-byte sectors in 32 bits.
    let limit: u64 = u64::from(u32::MAX).wrapping_shr(bits.saturating_sub(9));
    let blocks = if tree.saturating_add(tree_meta) <= limit {
        tree
    } else {
        // Data blocks plus the indirect blocks they need must fit in `limit`.
        let mut data = limit.saturating_sub(12 + ppb);
        let mut meta = 1u64;
        if data < ppb2 {
            meta += 1 + data.div_ceil(ppb.max(1));
        } else {
            meta = meta.saturating_add(1 + ppb);
            data -= ppb2;
            meta = meta
                .saturating_add(1 + data.div_ceil(ppb.max(1)))
                .saturating_add(data.div_ceil(ppb2.max(1)));
        }
        limit.saturating_sub(meta)
    };
    blocks
        .saturating_mul(1u64.wrapping_shl(bits))
        .min(i64::MAX as u64)
}
