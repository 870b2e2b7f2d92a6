// SPDX-License-Identifier: GPL-2.0

//! Little-endian field readers and writers that never panic.
//!
//! On-disk data is untrusted: a read past the end of a buffer yields `None`
//! instead of an index panic (which would be a kernel `BUG()`). A write out
//! of range likewise yields `None` and leaves the buffer unchanged.

/// Reads a little-endian `u16` at byte offset `off`.
pub(crate) fn u16_at(b: &[u8], off: usize) -> Option<u16> {
    Some(u16::from_le_bytes(*b.get(off..)?.first_chunk::<2>()?))
}

/// Reads a little-endian `u32` at byte offset `off`.
pub(crate) fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_le_bytes(*b.get(off..)?.first_chunk::<4>()?))
}

/// Reads the byte at `off`.
pub(crate) fn u8_at(b: &[u8], off: usize) -> Option<u8> {
    b.get(off).copied()
}

/// Writes the byte `v` at `off`.
pub(crate) fn put_u8(b: &mut [u8], off: usize, v: u8) -> Option<()> {
    *b.get_mut(off)? = v;
    Some(())
}

/// Writes `v` as a little-endian `u16` at byte offset `off`.
pub(crate) fn put_u16(b: &mut [u8], off: usize, v: u16) -> Option<()> {
    *b.get_mut(off..)?.first_chunk_mut::<2>()? = v.to_le_bytes();
    Some(())
}

/// Writes `v` as a little-endian `u32` at byte offset `off`.
pub(crate) fn put_u32(b: &mut [u8], off: usize, v: u32) -> Option<()> {
    *b.get_mut(off..)?.first_chunk_mut::<4>()? = v.to_le_bytes();
    Some(())
}
