// SPDX-License-Identifier: GPL-2.0

//! Little-endian field readers that never panic.
//!
//! On-disk data is untrusted: a read past the end of a buffer yields `None`
//! instead of an index panic (which would be a kernel `BUG()`).

/// Reads a little-endian `u16` at byte offset `off`.
pub(crate) fn u16_at(b: &[u8], off: usize) -> Option<u16> {
    let s = b.get(off..off.checked_add(2)?)?;
    Some(u16::from_le_bytes([s[0], s[1]]))
}

/// Reads a little-endian `u32` at byte offset `off`.
pub(crate) fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    let s = b.get(off..off.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// Reads the byte at `off`.
pub(crate) fn u8_at(b: &[u8], off: usize) -> Option<u8> {
    b.get(off).copied()
}
