// SPDX-License-Identifier: GPL-2.0

//! The ext2 on-disk inode (the first 128 bytes, common to every revision).

use super::le::{put_u16, put_u32, u16_at, u32_at};

/// Number of block pointers in `i_block`.
pub(crate) const N_BLOCKS: usize = 15;
/// Pointers 0..12 address data blocks directly.
pub(crate) const NDIR_BLOCKS: usize = 12;
/// `i_block[12]`: single indirect.
pub(crate) const IND_BLOCK: usize = 12;
/// `i_block[13]`: double indirect.
pub(crate) const DIND_BLOCK: usize = 13;
/// `i_block[14]`: triple indirect.
pub(crate) const TIND_BLOCK: usize = 14;
/// Bytes of `i_block`, which hold a fast symlink's target.
pub(crate) const FAST_LINK_MAX: usize = 4 * N_BLOCKS;

/// File type bits of `i_mode`.
pub(crate) const S_IFMT: u16 = 0o170000;
/// Socket.
pub(crate) const S_IFSOCK: u16 = 0o140000;
/// Symbolic link.
pub(crate) const S_IFLNK: u16 = 0o120000;
/// Regular file.
pub(crate) const S_IFREG: u16 = 0o100000;
/// Block device.
pub(crate) const S_IFBLK: u16 = 0o060000;
/// Directory.
pub(crate) const S_IFDIR: u16 = 0o040000;
/// Character device.
pub(crate) const S_IFCHR: u16 = 0o020000;
/// FIFO.
pub(crate) const S_IFIFO: u16 = 0o010000;

/// Size of the base inode every revision has.
pub(crate) const BASE_INODE_SIZE: usize = 128;

/// What kind of object an inode is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Regular,
    Directory,
    Symlink,
    /// Device, FIFO or socket.
    Special,
}

/// A decoded inode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RawInode {
    pub(crate) mode: u16,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    pub(crate) size: u64,
    pub(crate) atime: u32,
    pub(crate) ctime: u32,
    pub(crate) mtime: u32,
    pub(crate) dtime: u32,
    pub(crate) links_count: u16,
    /// 512-byte sectors, data plus metadata.
    pub(crate) blocks: u32,
    pub(crate) flags: u32,
    pub(crate) block: [u32; N_BLOCKS],
    pub(crate) generation: u32,
    pub(crate) file_acl: u32,
}

impl RawInode {
    /// Decodes the 128-byte base inode at the start of `b`.
    /// `large_file` selects whether `i_size_high` extends regular files.
    pub(crate) fn decode(b: &[u8], large_file: bool) -> Option<Self> {
        let mut block = [0u32; N_BLOCKS];
        for (i, p) in block.iter_mut().enumerate() {
            *p = u32_at(b, 40 + 4 * i)?;
        }
        let mode = u16_at(b, 0)?;
        let size_lo = u64::from(u32_at(b, 4)?);
        let size_hi = u64::from(u32_at(b, 108)?);
        let regular = mode & S_IFMT == S_IFREG;
        let size = if regular && large_file {
            size_lo | (size_hi << 32)
        } else {
            size_lo
        };
        Some(Self {
            mode,
            uid: u32::from(u16_at(b, 2)?) | (u32::from(u16_at(b, 120)?) << 16),
            gid: u32::from(u16_at(b, 24)?) | (u32::from(u16_at(b, 122)?) << 16),
            size,
            atime: u32_at(b, 8)?,
            ctime: u32_at(b, 12)?,
            mtime: u32_at(b, 16)?,
            dtime: u32_at(b, 20)?,
            links_count: u16_at(b, 26)?,
            blocks: u32_at(b, 28)?,
            flags: u32_at(b, 32)?,
            block,
            generation: u32_at(b, 100)?,
            file_acl: u32_at(b, 104)?,
        })
    }

    /// Writes the 128-byte base inode at the start of `b`: the inverse of
    /// [`RawInode::decode`].
    ///
    /// Only the modelled fields are written. `i_size_high` (bytes 108..112)
    /// gets `size >> 32` for regular files and is left alone otherwise (it is
    /// `i_dir_acl` there), as Linux ext2 does. `osd1`, `i_faddr`, the
    /// fragment and reserved bytes of `osd2` and anything past byte 128 keep
    /// their contents. Returns `None`, writing nothing, if `b` is shorter
    /// than 128 bytes.
    pub(crate) fn encode(&self, b: &mut [u8]) -> Option<()> {
        let b = b.get_mut(..BASE_INODE_SIZE)?;
        put_u16(b, 0, self.mode)?;
        put_u16(b, 2, self.uid as u16)?;
        put_u32(b, 4, self.size as u32)?;
        put_u32(b, 8, self.atime)?;
        put_u32(b, 12, self.ctime)?;
        put_u32(b, 16, self.mtime)?;
        put_u32(b, 20, self.dtime)?;
        put_u16(b, 24, self.gid as u16)?;
        put_u16(b, 26, self.links_count)?;
        put_u32(b, 28, self.blocks)?;
        put_u32(b, 32, self.flags)?;
        for (i, &p) in self.block.iter().enumerate() {
            put_u32(b, 40 + 4 * i, p)?;
        }
        put_u32(b, 100, self.generation)?;
        put_u32(b, 104, self.file_acl)?;
        if self.mode & S_IFMT == S_IFREG {
            put_u32(b, 108, (self.size >> 32) as u32)?;
        }
        put_u16(b, 120, (self.uid >> 16) as u16)?;
        put_u16(b, 122, (self.gid >> 16) as u16)?;
        Some(())
    }

    /// The kind of object, or `None` for an invalid `i_mode` type.
    pub(crate) fn kind(&self) -> Option<Kind> {
        match self.mode & S_IFMT {
            S_IFREG => Some(Kind::Regular),
            S_IFDIR => Some(Kind::Directory),
            S_IFLNK => Some(Kind::Symlink),
            S_IFCHR | S_IFBLK | S_IFIFO | S_IFSOCK => Some(Kind::Special),
            _ => None,
        }
    }

    /// Whether a symlink keeps its target in `i_block` (no data block).
    /// `block_size` is needed because an xattr block also counts in `i_blocks`.
    pub(crate) fn is_fast_symlink(&self, block_size: u32) -> bool {
        let ea_sectors = if self.file_acl != 0 {
            block_size >> 9
        } else {
            0
        };
        self.mode & S_IFMT == S_IFLNK && self.blocks == ea_sectors
    }

    /// The device number of a device inode, in the kernel's `dev_t` encoding.
    pub(crate) fn rdev(&self) -> u32 {
        let (major, minor) = if self.block[0] != 0 {
            let old = self.block[0];
            ((old >> 8) & 0xff, old & 0xff)
        } else {
            let new = self.block[1];
            ((new & 0xfff00) >> 8, (new & 0xff) | ((new >> 12) & 0xfff00))
        };
        (major << 20) | minor
    }
}

/// `(i_block[0], i_block[1])` of a device inode for the kernel `dev_t`
/// `rdev` (major in the top 12 bits, minor in the low 20), as Linux ext2
/// writes them: the old 16-bit encoding in `i_block[0]` when major and minor
/// both fit in a byte, otherwise the new 32-bit encoding in `i_block[1]`.
/// [`RawInode::rdev`] decodes either.
pub(crate) fn encode_rdev(rdev: u32) -> [u32; 2] {
    let major = rdev >> 20;
    let minor = rdev & 0xfffff;
    if major < 256 && minor < 256 {
        [(major << 8) | minor, 0]
    } else {
        [0, (minor & 0xff) | (major << 8) | ((minor & !0xff) << 12)]
    }
}

/// The bytes of `i_block` as stored on disk (a fast symlink's target).
pub(crate) fn block_bytes(block: &[u32; N_BLOCKS]) -> [u8; FAST_LINK_MAX] {
    let mut out = [0u8; FAST_LINK_MAX];
    for (i, p) in block.iter().enumerate() {
        for (k, byte) in p.to_le_bytes().into_iter().enumerate() {
            if let Some(o) = out.get_mut(i * 4 + k) {
                *o = byte;
            }
        }
    }
    out
}
