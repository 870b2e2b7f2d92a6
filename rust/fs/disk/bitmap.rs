// SPDX-License-Identifier: GPL-2.0

//! ext2 allocation bitmaps (block and inode bitmaps).
//!
//! Bit `i` is bit `i % 8` of byte `i / 8`, so eight bytes read as a
//! little-endian `u64` hold bits `64 * k .. 64 * k + 64` in order. A bit
//! beyond the buffer counts as used: nothing is ever allocated there.

use super::le::u8_at;

/// Number of bits `bm` holds.
fn nbits(bm: &[u8]) -> usize {
    bm.len().saturating_mul(8)
}

/// The mask of bit `i` within its byte.
fn mask(i: usize) -> u8 {
    1u8.wrapping_shl((i % 8) as u32)
}

/// Reads the 64 bits starting at byte `byte`, if all eight bytes exist.
fn word_at(bm: &[u8], byte: usize) -> Option<u64> {
    Some(u64::from_le_bytes(*bm.get(byte..)?.first_chunk::<8>()?))
}

/// Whether bit `i` is set. Bits beyond the buffer count as set (used).
pub(crate) fn test(bm: &[u8], i: usize) -> bool {
    u8_at(bm, i / 8).is_none_or(|b| b & mask(i) != 0)
}

/// Sets bit `i`; returns its previous value, or `None` if out of range.
pub(crate) fn set(bm: &mut [u8], i: usize) -> Option<bool> {
    let b = bm.get_mut(i / 8)?;
    let old = *b & mask(i) != 0;
    *b |= mask(i);
    Some(old)
}

/// Clears bit `i`; returns its previous value, or `None` if out of range.
pub(crate) fn clear(bm: &mut [u8], i: usize) -> Option<bool> {
    let b = bm.get_mut(i / 8)?;
    let old = *b & mask(i) != 0;
    *b &= !mask(i);
    Some(old)
}

/// First bit in `start..end` equal to `want` (`end` clamped to the buffer).
///
/// Steps a byte at a time up to a 64-bit boundary, then a word at a time.
fn find_bit(bm: &[u8], start: usize, end: usize, want: bool) -> Option<usize> {
    let end = end.min(nbits(bm));
    // XOR with `flip` turns the bits we look for into ones.
    let (flip8, flip64) = if want { (0, 0) } else { (u8::MAX, u64::MAX) };
    let mut i = start;
    while i < end {
        let byte = i / 8;
        let hit = if i % 64 == 0 {
            word_at(bm, byte).map(|w| (w ^ flip64, 64))
        } else {
            None
        };
        let (bits, span) = match hit {
            Some(h) => h,
            None => {
                let b = (u8_at(bm, byte)? ^ flip8).wrapping_shr((i % 8) as u32);
                (u64::from(b), 8 - i % 8)
            }
        };
        if bits != 0 {
            let found = i.saturating_add(bits.trailing_zeros() as usize);
            // Every bit from `i` to `found` differs from `want`.
            return (found < end).then_some(found);
        }
        i = i.saturating_add(span);
    }
    None
}

/// First zero (free) bit in `start..end`; `end` is clamped to the buffer.
pub(crate) fn find_zero(bm: &[u8], start: usize, end: usize) -> Option<usize> {
    find_bit(bm, start, end, false)
}

/// First entirely free byte whose first bit lies in `start..end`.
fn find_zero_byte(bm: &[u8], start: usize, end: usize) -> Option<usize> {
    let first = start.div_ceil(8);
    let last = end.min(nbits(bm)).div_ceil(8);
    let bytes = bm.get(first..last)?;
    let k = bytes.iter().position(|&b| b == 0)?;
    first.checked_add(k)?.checked_mul(8)
}

/// Picks a free bit the way ext2 allocates blocks (`ext2_try_to_allocate`
/// with `find_next_usable_block`), searching `0..end` around `goal`:
///
/// 1. `goal` itself if free;
/// 2. the first free bit in `goal` up to `goal` rounded up to a multiple of
///    64 (as ext2 does: an aligned `goal` has an empty window here);
/// 3. the first entirely free byte starting at or after `goal`, moved back
///    over at most 7 free bits before it, but not before `goal`;
/// 4. the first free bit in `goal..end`;
/// 5. the first free bit in `0..goal`.
///
/// A `goal` at or beyond `end` (clamped to the buffer) searches from 0.
pub(crate) fn find_near(bm: &[u8], goal: usize, end: usize) -> Option<usize> {
    let end = end.min(nbits(bm));
    if end == 0 {
        return None;
    }
    let goal = if goal >= end { 0 } else { goal };
    if !test(bm, goal) {
        return Some(goal);
    }
    let window = (goal.saturating_add(63) & !63).min(end);
    if let Some(i) = find_zero(bm, goal, window) {
        return Some(i);
    }
    if let Some(mut i) = find_zero_byte(bm, goal, end) {
        let mut stepped = 0;
        while stepped < 7 && i > goal && !test(bm, i.wrapping_sub(1)) {
            i = i.wrapping_sub(1);
            stepped += 1;
        }
        return Some(i);
    }
    find_zero(bm, goal, end).or_else(|| find_zero(bm, 0, goal))
}

/// Number of consecutive zero bits from `start`, at most `max`, not
/// reaching `end` (clamped to the buffer).
pub(crate) fn zero_run(bm: &[u8], start: usize, max: usize, end: usize) -> usize {
    let limit = end.min(nbits(bm)).min(start.saturating_add(max));
    if start >= limit {
        return 0;
    }
    find_bit(bm, start, limit, true)
        .unwrap_or(limit)
        .saturating_sub(start)
}

/// Number of zero bits in `0..end` (clamped to the buffer).
#[cfg(test)]
pub(crate) fn count_zeros(bm: &[u8], end: usize) -> usize {
    let end = end.min(nbits(bm));
    let Some((full, rest)) = bm.split_at_checked(end / 8) else {
        return 0;
    };
    let words = full.chunks_exact(8);
    let tail = words.remainder();
    let mut n: usize = words
        .map(|w| {
            let w = u64::from_le_bytes(w.first_chunk::<8>().copied().unwrap_or([0xff; 8]));
            w.count_zeros() as usize
        })
        .sum();
    n += tail.iter().map(|b| b.count_zeros() as usize).sum::<usize>();
    if let Some(&b) = rest.first() {
        let low = 1u8.wrapping_shl((end % 8) as u32).wrapping_sub(1);
        n += (!b & low).count_ones() as usize;
    }
    n
}
