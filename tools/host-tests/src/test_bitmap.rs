// SPDX-License-Identifier: GPL-2.0

//! The bitmap helpers against a naive `Vec<bool>` model.

use crate::disk::bitmap::{clear, count_zeros, find_near, find_zero, set, test, zero_run};
use crate::rng::Rng;

fn model(bm: &[u8]) -> Vec<bool> {
    (0..bm.len() * 8)
        .map(|i| bm[i / 8] & (1 << (i % 8)) != 0)
        .collect()
}

fn first_free(m: &[bool], from: usize, to: usize) -> Option<usize> {
    (from..to.min(m.len())).find(|&i| !m[i])
}

/// The allocation policy, spelled out step by step on the model.
fn near_model(m: &[bool], goal: usize, end: usize) -> Option<usize> {
    let end = end.min(m.len());
    if end == 0 {
        return None;
    }
    let goal = if goal >= end { 0 } else { goal };
    if !m[goal] {
        return Some(goal);
    }
    let window = goal.div_ceil(64) * 64;
    if let Some(i) = first_free(m, goal, window.min(end)) {
        return Some(i);
    }
    let free_byte = (0..m.len() / 8)
        .map(|k| k * 8)
        .find(|&s| s >= goal && s < end && m[s..s + 8].iter().all(|&b| !b));
    if let Some(mut i) = free_byte {
        for _ in 0..7 {
            if i > goal && !m[i - 1] {
                i -= 1;
            }
        }
        return Some(i);
    }
    first_free(m, goal, end).or_else(|| first_free(m, 0, goal))
}

/// A random bitmap of `bytes` bytes with roughly `used`/16 of its bits set,
/// sometimes with long runs of full or empty bytes.
fn random_bitmap(rng: &mut Rng, bytes: usize) -> Vec<u8> {
    let used = rng.below(17);
    let mut bm = vec![0u8; bytes];
    for b in bm.iter_mut() {
        for bit in 0..8 {
            if rng.below(16) < used {
                *b |= 1 << bit;
            }
        }
    }
    if rng.below(3) == 0 && bytes > 0 {
        // A run of 0xff or 0x00 bytes to exercise the word skipping.
        let from = rng.below(bytes as u64) as usize;
        let to = from + rng.below((bytes - from) as u64 + 1) as usize;
        let v = if rng.below(2) == 0 { 0xff } else { 0 };
        bm[from..to].fill(v);
    }
    bm
}

/// A position: usually inside the bitmap, sometimes around or past its end.
fn pos(rng: &mut Rng, bits: usize) -> usize {
    match rng.below(10) {
        0 => bits + rng.below(100) as usize,
        1 => usize::MAX - rng.below(3) as usize,
        2 => (rng.below(bits as u64 / 64 + 1) * 64) as usize,
        _ => rng.below(bits as u64 + 1) as usize,
    }
}

#[test]
fn matches_the_model() {
    let mut rng = Rng::new(0xb17);
    for case in 0..20_000 {
        let bytes = match case % 4 {
            0 => rng.below(4) as usize,
            1 | 2 => rng.below(40) as usize,
            _ => rng.below(1100) as usize,
        };
        let mut bm = random_bitmap(&mut rng, bytes);
        let m = model(&bm);
        let bits = m.len();
        for _ in 0..8 {
            let i = pos(&mut rng, bits);
            let a = pos(&mut rng, bits);
            let b = pos(&mut rng, bits);
            let max = pos(&mut rng, bits);
            assert_eq!(test(&bm, i), i >= bits || m[i]);
            assert_eq!(find_zero(&bm, a, b), first_free(&m, a, b), "{a}..{b}");
            assert_eq!(
                find_near(&bm, a, b),
                near_model(&m, a, b),
                "goal {a} end {b} bitmap {bm:02x?}"
            );
            let run_end = b.min(bits).min(a.saturating_add(max));
            let run = (a..run_end.max(a)).take_while(|&k| !m[k]).count();
            assert_eq!(zero_run(&bm, a, max, b), run, "run {a} max {max} end {b}");
            let zeros = m[..b.min(bits)].iter().filter(|&&x| !x).count();
            assert_eq!(count_zeros(&bm, b), zeros);
        }
        // set / clear return the old value and change only that bit.
        let i = pos(&mut rng, bits);
        let before = bm.clone();
        if i >= bits {
            assert_eq!(set(&mut bm, i), None);
            assert_eq!(clear(&mut bm, i), None);
            assert_eq!(bm, before);
        } else {
            assert_eq!(set(&mut bm, i), Some(m[i]));
            assert!(test(&bm, i));
            assert_eq!(set(&mut bm, i), Some(true));
            let mut m2 = m.clone();
            m2[i] = true;
            assert_eq!(model(&bm), m2);
            assert_eq!(clear(&mut bm, i), Some(true));
            assert!(!test(&bm, i));
            assert_eq!(clear(&mut bm, i), Some(false));
            m2[i] = false;
            assert_eq!(model(&bm), m2);
        }
    }
}

#[test]
fn find_near_properties() {
    let mut rng = Rng::new(99);
    for _ in 0..5_000 {
        let bytes = 1 + rng.below(600) as usize;
        let bm = random_bitmap(&mut rng, bytes);
        let m = model(&bm);
        let end = 1 + rng.below(m.len() as u64) as usize;
        let goal = rng.below(end as u64 + 10) as usize;
        match find_near(&bm, goal, end) {
            Some(i) => {
                assert!(i < end && !m[i]);
                let g = if goal >= end { 0 } else { goal };
                // Nothing free at or after the goal means the result wraps.
                if i < g {
                    assert_eq!(first_free(&m, g, end), None);
                }
            }
            None => assert_eq!(first_free(&m, 0, end), None),
        }
    }
}

#[test]
fn find_near_examples() {
    let mut bm = [0xffu8; 32];
    // Goal free.
    bm[2] = 0b1110_1111;
    assert_eq!(find_near(&bm, 20, 256), Some(20));
    // Goal used: the first free bit before the next 64-bit boundary.
    assert_eq!(find_near(&bm, 17, 256), Some(20));
    // Nothing free before the boundary: a free byte, stepped back over the
    // free bits just before it.
    let mut bm = [0xffu8; 32];
    bm[24] = 0b0011_1111; // bits 198, 199 free
    bm[25] = 0; // bits 200..208 free
    assert_eq!(find_near(&bm, 70, 256), Some(198));
    assert_eq!(find_near(&bm, 199, 256), Some(199));
    // The window ends at the next 64-bit boundary; an aligned goal has an
    // empty window (as in ext2), so a free byte wins over a lone free bit
    // right after the goal.
    bm[15] = 0x7f; // bit 127 free
    bm[16] = 0b1111_1101; // bit 129 free
    assert_eq!(find_near(&bm, 120, 256), Some(127));
    assert_eq!(find_near(&bm, 128, 256), Some(198));
    assert_eq!(find_near(&bm, 129, 256), Some(129));
    assert_eq!(find_near(&bm, 130, 256), Some(198));
    // No free byte: the first free bit after the goal, then before it.
    let mut bm = [0xffu8; 32];
    bm[1] = 0xfe; // bit 8
    bm[30] = 0x7f; // bit 247
    assert_eq!(find_near(&bm, 128, 256), Some(247));
    assert_eq!(find_near(&bm, 248, 256), Some(8));
    assert_eq!(find_near(&bm, 100, 247), Some(8));
    // Goal beyond end starts from 0; an empty range finds nothing.
    assert_eq!(find_near(&bm, 1000, 256), Some(8));
    assert_eq!(find_near(&bm, 0, 0), None);
    assert_eq!(find_near(&[], 0, 10), None);
    assert_eq!(find_near(&[0xff; 8], 5, 64), None);
}

#[test]
fn examples() {
    let bm = [0xffu8, 0x0f, 0x00, 0xff];
    assert_eq!(find_zero(&bm, 0, 32), Some(12));
    assert_eq!(find_zero(&bm, 13, 32), Some(13));
    assert_eq!(find_zero(&bm, 24, 32), None);
    assert_eq!(find_zero(&bm, 0, 12), None);
    assert_eq!(zero_run(&bm, 12, 100, 32), 12);
    assert_eq!(zero_run(&bm, 12, 5, 32), 5);
    assert_eq!(zero_run(&bm, 12, 100, 20), 8);
    assert_eq!(zero_run(&bm, 11, 100, 32), 0);
    assert_eq!(count_zeros(&bm, 32), 12);
    assert_eq!(count_zeros(&bm, 14), 2);
    assert_eq!(count_zeros(&bm, 1000), 12);
    assert!(test(&bm, 0) && !test(&bm, 12) && test(&bm, 32) && test(&bm, usize::MAX));
}
