// SPDX-License-Identifier: GPL-2.0

//! ext2 linear directory entries.

use super::le::{u16_at, u32_at, u8_at};

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

/// Why a directory block was refused.
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
    let room = block.len() - offset;
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
    Ok(Entry {
        offset,
        inode,
        rec_len,
        file_type,
        name: &block[start..start + name_len],
    })
}

/// `rec_len` as stored: 65536-byte blocks encode their full length specially.
fn decode_rec_len(raw: u16, block_len: usize) -> usize {
    if raw == u16::MAX || raw == 0 {
        if block_len >= 65536 {
            return block_len;
        }
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
