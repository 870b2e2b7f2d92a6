// SPDX-License-Identifier: GPL-2.0

use crate::disk::block_path::BlockPath;

/// Reference: the logical block a path addresses, computed the slow way.
fn lblk_of(p: &BlockPath, bits: u32) -> u64 {
    let ppb = 1u64 << bits;
    let o = |i: usize| u64::from(p.offsets[i]);
    match p.depth {
        1 => o(0),
        2 => 12 + o(1),
        3 => 12 + ppb + o(1) * ppb + o(2),
        4 => 12 + ppb + ppb * ppb + (o(1) * ppb + o(2)) * ppb + o(3),
        _ => panic!("bad depth"),
    }
}

#[test]
fn boundaries_at_1k_blocks() {
    let bits = 8; // 256 pointers per 1 KiB block
    let cases = [
        (0, 1, [0, 0, 0, 0]),
        (11, 1, [11, 0, 0, 0]),
        (12, 2, [12, 0, 0, 0]),
        (267, 2, [12, 255, 0, 0]),
        (268, 3, [13, 0, 0, 0]),
        (268 + 65535, 3, [13, 255, 255, 0]),
        (268 + 65536, 4, [14, 0, 0, 0]),
    ];
    for (lblk, depth, offsets) in cases {
        let p = BlockPath::new(lblk, bits).unwrap();
        assert_eq!((p.depth, p.offsets), (depth, offsets), "lblk {lblk}");
    }
    let last = 12 + 256 + 65536 + 16_777_216 - 1;
    assert_eq!(
        BlockPath::new(last, bits).unwrap().offsets,
        [14, 255, 255, 255]
    );
    assert!(BlockPath::new(last + 1, bits).is_none());
}

#[test]
fn every_path_round_trips() {
    for bits in [8, 9, 10] {
        let ppb = 1u64 << bits;
        let max = 12 + ppb + ppb * ppb + ppb * ppb * ppb;
        let mut rng = crate::rng::Rng::new(bits.into());
        for _ in 0..200_000 {
            let lblk = rng.below(max);
            let p = BlockPath::new(lblk, bits).unwrap();
            assert_eq!(lblk_of(&p, bits), lblk);
            for i in 1..p.depth {
                assert!(u64::from(p.offsets[i]) < ppb);
            }
        }
    }
}

#[test]
fn hole_spans_match_a_walk() {
    // blocks_left_under(level) must equal the number of consecutive blocks
    // from lblk on that share the path prefix up to `level`.
    let bits = 4; // 16 pointers: small enough to walk exhaustively
    let ppb = 1u64 << bits;
    let max = 12 + ppb + ppb * ppb + ppb * ppb * ppb;
    for lblk in 0..max {
        let p = BlockPath::new(lblk, bits).unwrap();
        for level in 0..p.depth {
            let mut n = 0;
            while let Some(q) = BlockPath::new(lblk + n, bits) {
                if q.depth != p.depth || q.offsets[..=level] != p.offsets[..=level] {
                    break;
                }
                n += 1;
            }
            assert_eq!(
                p.blocks_left_under(level, bits),
                n,
                "lblk {lblk} level {level}"
            );
        }
        let leaf = p.leaf_entries_left(bits);
        let expect = if p.depth == 1 {
            12 - lblk
        } else {
            ppb - u64::from(p.offsets[p.depth - 1])
        };
        assert_eq!(leaf, expect);
    }
}
