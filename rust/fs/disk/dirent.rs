// SPDX-License-Identifier: GPL-2.0

//! ext2 linear directory entries: parsing and in-place mutation.
//!
//! A directory block is tiled by entries (`inode` u32, `rec_len` u16,
//! `name_len` u8, `file_type` u8, then the name), each `rec_len` a multiple
//! of 4. An entry with inode 0 is unused. The mutators below re-validate the
//! whole block before changing anything and never leave it untiled.

use super::inode::{S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK};
use super::le::{put_u16, put_u32, put_u8, u16_at, u32_at, u8_at};

/// Bytes before the name in a directory entry.
pub(crate) const HEADER_LEN: usize = 8;

/// One directory entry, borrowed from its block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Entry<'a> {
    /// Byte offset of the entry in its block.
    pub(crate) offset: usize,
    /// Inode number; 0 marks an unused entry.
    pub(crate) inode: u32,
    pub(crate) rec_len: usize,
    /// The file type byte (meaningful with the filetype feature).
    pub(crate) file_type: u8,
    pub(crate) name: &'a [u8],
}

/// `file_type` byte: unknown (also used without the filetype feature).
pub(crate) const FT_UNKNOWN: u8 = 0;
/// `file_type` byte: regular file.
pub(crate) const FT_REG_FILE: u8 = 1;
/// `file_type` byte: directory.
pub(crate) const FT_DIR: u8 = 2;
/// `file_type` byte: character device.
pub(crate) const FT_CHRDEV: u8 = 3;
/// `file_type` byte: block device.
pub(crate) const FT_BLKDEV: u8 = 4;
/// `file_type` byte: FIFO.
pub(crate) const FT_FIFO: u8 = 5;
/// `file_type` byte: socket.
pub(crate) const FT_SOCK: u8 = 6;
/// `file_type` byte: symbolic link.
pub(crate) const FT_SYMLINK: u8 = 7;

/// Longest name an entry holds (`name_len` is one byte).
const MAX_NAME_LEN: usize = 255;

/// Why a directory block (or a request to change one) was refused.
///
/// The mutators report a request that does not match the block with the
/// same variants: an `offset` that is not the start of a suitable entry as
/// `RecLen` (with `rec_len` 0 if no entry starts there), an unusable name
/// as `NameLen`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DirError {
    /// `rec_len` too small, unaligned or running past the block.
    RecLen { offset: usize, rec_len: usize },
    /// `name_len` does not fit in `rec_len`.
    NameLen { offset: usize, name_len: usize },
}

/// Walks the entries of one directory block, validating each.
pub(crate) struct Entries<'a> {
    block: &'a [u8],
    offset: usize,
    failed: bool,
}

impl<'a> Entries<'a> {
    /// Starts at the beginning of `block`.
    pub(crate) fn new(block: &'a [u8]) -> Self {
        Self {
            block,
            offset: 0,
            failed: false,
        }
    }
}

impl<'a> Iterator for Entries<'a> {
    type Item = Result<Entry<'a>, DirError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.offset >= self.block.len() {
            return None;
        }
        let offset = self.offset;
        let res = parse(self.block, offset);
        match res {
            Ok(e) => self.offset = offset + e.rec_len,
            Err(_) => self.failed = true,
        }
        Some(res)
    }
}

/// Decodes the entry at `offset` of `block`.
fn parse(block: &[u8], offset: usize) -> Result<Entry<'_>, DirError> {
    let room = block.len().saturating_sub(offset);
    let rec_err = |rec_len| DirError::RecLen { offset, rec_len };
    let (Some(inode), Some(rec_len), Some(name_len), Some(file_type)) = (
        u32_at(block, offset),
        u16_at(block, offset + 4),
        u8_at(block, offset + 6),
        u8_at(block, offset + 7),
    ) else {
        return Err(rec_err(room));
    };
    let rec_len = decode_rec_len(rec_len, block.len());
    if rec_len < HEADER_LEN + 4 || rec_len % 4 != 0 || rec_len > room {
        return Err(rec_err(rec_len));
    }
    let name_len = usize::from(name_len);
    if HEADER_LEN + name_len > rec_len || (inode != 0 && name_len == 0) {
        return Err(DirError::NameLen { offset, name_len });
    }
    let start = offset + HEADER_LEN;
    let name = block
        .get(start..start + name_len)
        .ok_or(DirError::NameLen { offset, name_len })?;
    Ok(Entry {
        offset,
        inode,
        rec_len,
        file_type,
        name,
    })
}

/// `rec_len` as stored: 65536-byte blocks encode their full length specially.
fn decode_rec_len(raw: u16, block_len: usize) -> usize {
    if (raw == u16::MAX || raw == 0) && block_len >= 65536 {
        return block_len;
    }
    usize::from(raw)
}

/// `DT_*` value for an ext2 file type byte.
pub(crate) fn dtype(file_type: u8) -> u32 {
    match file_type {
        1 => 8,  // DT_REG
        2 => 4,  // DT_DIR
        3 => 2,  // DT_CHR
        4 => 6,  // DT_BLK
        5 => 1,  // DT_FIFO
        6 => 12, // DT_SOCK
        7 => 10, // DT_LNK
        _ => 0,  // DT_UNKNOWN
    }
}

/// The ext2 directory `file_type` byte for an inode of mode `mode`.
pub(crate) fn file_type_of(mode: u16) -> u8 {
    match mode & S_IFMT {
        S_IFREG => FT_REG_FILE,
        S_IFDIR => FT_DIR,
        S_IFCHR => FT_CHRDEV,
        S_IFBLK => FT_BLKDEV,
        S_IFIFO => FT_FIFO,
        S_IFSOCK => FT_SOCK,
        S_IFLNK => FT_SYMLINK,
        _ => FT_UNKNOWN,
    }
}

/// The smallest `rec_len` of an entry with a `name_len`-byte name.
pub(crate) fn rec_len_for(name_len: usize) -> usize {
    HEADER_LEN.saturating_add(name_len).saturating_add(3) & !3
}

/// `rec_len` as stored: the inverse of `decode_rec_len`. Only a 64 KiB
/// block has a record of 65536 bytes, stored as `u16::MAX`.
pub(crate) fn encode_rec_len(len: usize, _block_len: usize) -> u16 {
    u16::try_from(len).unwrap_or(u16::MAX)
}

/// The first used entry named `name`; `Err` if the block is corrupt before it.
pub(crate) fn find<'a>(block: &'a [u8], name: &[u8]) -> Result<Option<Entry<'a>>, DirError> {
    for e in Entries::new(block) {
        let e = e?;
        if e.inode != 0 && e.name == name {
            return Ok(Some(e));
        }
    }
    Ok(None)
}

/// Whether the entry `e` can take a new entry needing `need` bytes.
fn has_room(e: &Entry<'_>, need: usize) -> bool {
    if e.inode == 0 {
        e.rec_len >= need
    } else {
        e.rec_len.saturating_sub(rec_len_for(e.name.len())) >= need
    }
}

/// Offset of the first entry a new entry with a `name_len`-byte name fits
/// in (see [`insert`]): an unused entry of at least `rec_len_for(name_len)`
/// bytes, or a used one with that much slack after its own name. `Err` if
/// any entry of the block is corrupt.
pub(crate) fn find_room(block: &[u8], name_len: usize) -> Result<Option<usize>, DirError> {
    let need = rec_len_for(name_len);
    let mut found = None;
    for e in Entries::new(block) {
        let e = e?;
        if found.is_none() && has_room(&e, need) {
            found = Some(e.offset);
        }
    }
    Ok(found)
}

/// The fields of one entry, copied out of its block.
#[derive(Clone, Copy)]
struct Slot {
    inode: u32,
    rec_len: usize,
    name_len: usize,
}

/// Validates the whole block and finds the entry starting at `offset`.
/// Returns it and the offset of the entry before it, if any.
fn locate(block: &[u8], offset: usize) -> Result<(Option<usize>, Slot), DirError> {
    let mut prev = None;
    let mut hit = None;
    for e in Entries::new(block) {
        let e = e?;
        if e.offset == offset {
            hit = Some((
                prev,
                Slot {
                    inode: e.inode,
                    rec_len: e.rec_len,
                    name_len: e.name.len(),
                },
            ));
        }
        prev = Some(e.offset);
    }
    hit.ok_or(DirError::RecLen { offset, rec_len: 0 })
}

/// Writes a whole entry at `offset` and zeroes the rest of its record.
fn write_entry(
    block: &mut [u8],
    offset: usize,
    inode: u32,
    rec_len: usize,
    name: &[u8],
    file_type: u8,
) -> Option<()> {
    let block_len = block.len();
    let rec = block.get_mut(offset..offset.checked_add(rec_len)?)?;
    let name_end = HEADER_LEN.checked_add(name.len())?;
    for (d, s) in rec.get_mut(HEADER_LEN..name_end)?.iter_mut().zip(name) {
        *d = *s;
    }
    rec.get_mut(name_end..)?.fill(0);
    put_u32(rec, 0, inode)?;
    put_u16(rec, 4, encode_rec_len(rec_len, block_len))?;
    put_u8(rec, 6, u8::try_from(name.len()).ok()?)?;
    put_u8(rec, 7, file_type)
}

/// Adds the entry (`inode`, `name`, `file_type`) at `offset`, a slot
/// [`find_room`] returned: an unused entry is reused whole; a used entry is
/// shrunk to its own `rec_len_for` and the new entry takes the rest.
///
/// Nothing is written unless the block is valid, an entry starts at
/// `offset` with room for the name, `inode` is not 0 and `name` is 1 to
/// 255 bytes without `/` or NUL. Duplicate names are the caller's business.
pub(crate) fn insert(
    block: &mut [u8],
    offset: usize,
    inode: u32,
    name: &[u8],
    file_type: u8,
) -> Result<(), DirError> {
    let bad_name = DirError::NameLen {
        offset,
        name_len: name.len(),
    };
    if name.is_empty() || name.len() > MAX_NAME_LEN || name.iter().any(|&c| c == b'/' || c == 0) {
        return Err(bad_name);
    }
    let (_, slot) = locate(block, offset)?;
    let no_room = DirError::RecLen {
        offset,
        rec_len: slot.rec_len,
    };
    if inode == 0 {
        return Err(no_room);
    }
    let need = rec_len_for(name.len());
    let (at, rec_len) = if slot.inode == 0 {
        if slot.rec_len < need {
            return Err(no_room);
        }
        (offset, slot.rec_len)
    } else {
        let own = rec_len_for(slot.name_len);
        match slot.rec_len.checked_sub(own) {
            Some(rest) if rest >= need => (offset.checked_add(own).ok_or(no_room)?, rest),
            _ => return Err(no_room),
        }
    };
    // Checked above: both records lie inside the block, so neither write
    // can fail half-way. Write the new entry first, then shrink the old.
    write_entry(block, at, inode, rec_len, name, file_type).ok_or(no_room)?;
    if at != offset {
        let block_len = block.len();
        let own = rec_len_for(slot.name_len);
        put_u16(block, offset + 4, encode_rec_len(own, block_len)).ok_or(no_room)?;
    }
    Ok(())
}

/// Deletes the entry at `offset` as Linux ext2 does: the previous entry of
/// the block, if any, absorbs its record; its inode becomes 0 either way.
/// `Err` (nothing written) if the block is corrupt or no entry starts at
/// `offset`.
pub(crate) fn remove(block: &mut [u8], offset: usize) -> Result<(), DirError> {
    let (prev, slot) = locate(block, offset)?;
    let err = DirError::RecLen {
        offset,
        rec_len: slot.rec_len,
    };
    if let Some(p) = prev {
        let merged = offset
            .checked_add(slot.rec_len)
            .and_then(|end| end.checked_sub(p))
            .ok_or(err)?;
        let block_len = block.len();
        put_u16(block, p + 4, encode_rec_len(merged, block_len)).ok_or(err)?;
    }
    put_u32(block, offset, 0).ok_or(err)
}

/// Points the used entry at `offset` to `inode` with type `file_type`
/// (rename over an existing name, `..` of a moved directory). `Err`
/// (nothing written) if the block is corrupt, no used entry starts at
/// `offset`, or `inode` is 0.
pub(crate) fn retarget(
    block: &mut [u8],
    offset: usize,
    inode: u32,
    file_type: u8,
) -> Result<(), DirError> {
    let (_, slot) = locate(block, offset)?;
    let err = DirError::RecLen {
        offset,
        rec_len: slot.rec_len,
    };
    if slot.inode == 0 || inode == 0 {
        return Err(err);
    }
    put_u32(block, offset, inode).ok_or(err)?;
    put_u8(block, offset + 7, file_type).ok_or(err)
}

/// Formats the first block of a new directory: `.` (12 bytes) pointing to
/// `self_ino`, then `..` pointing to `parent_ino` over the rest of the
/// block. `file_type_dir` is `FT_DIR` with the filetype feature, else 0.
pub(crate) fn init_dir(block: &mut [u8], self_ino: u32, parent_ino: u32, file_type_dir: u8) {
    block.fill(0);
    let dot = rec_len_for(1);
    let rest = block.len().saturating_sub(dot);
    // A block too small for both entries (never an ext2 block) stays zero.
    if rest >= rec_len_for(2) {
        let _ = write_entry(block, 0, self_ino, dot, b".", file_type_dir);
        let _ = write_entry(block, dot, parent_ino, rest, b"..", file_type_dir);
    }
}

/// Formats an empty directory block: one unused entry spanning it.
pub(crate) fn init_empty(block: &mut [u8]) {
    block.fill(0);
    let len = block.len();
    let _ = put_u16(block, 4, encode_rec_len(len, len));
}

/// Whether every used entry of the block is `.` (pointing to `self_ino`)
/// or `..`: Linux's `ext2_empty_dir` test for one block.
pub(crate) fn only_dots(block: &[u8], self_ino: u32) -> Result<bool, DirError> {
    for e in Entries::new(block) {
        let e = e?;
        let dots = match e.name {
            b"." => e.inode == self_ino,
            b".." => true,
            _ => false,
        };
        if e.inode != 0 && !dots {
            return Ok(false);
        }
    }
    Ok(true)
}
