// SPDX-License-Identifier: GPL-2.0

use crate::disk::block_path::BlockPath;
use crate::disk::run_cache::{CachedRun, RunCache, SLOTS};
use crate::rng::Rng;

/// A file's block map as a flat array (0 is a hole), and the answers the
/// indirect-block walk gives for it.
struct Map {
    ptrs: Vec<u64>,
    bits: u32,
}

impl Map {
    /// Blocks left in `lblk`'s leaf array, `lblk` included.
    fn avail(&self, lblk: u64) -> u64 {
        BlockPath::new(lblk, self.bits)
            .unwrap()
            .leaf_entries_left(self.bits)
    }

    /// The mapped run at `lblk` (at most `max` blocks and the rest of the
    /// leaf), as the walk computes it, or `None` for a hole.
    fn walk(&self, lblk: u64, max: u64) -> Option<CachedRun> {
        let first = *self.ptrs.get(lblk as usize)?;
        if first == 0 {
            return None;
        }
        let avail = self.avail(lblk);
        let limit = avail.min(max.max(1));
        let mut len = 1;
        while len < limit && self.ptrs.get((lblk + len) as usize).copied() == Some(first + len) {
            len += 1;
        }
        Some(CachedRun {
            pblk: first,
            len,
            boundary: len == avail,
        })
    }

    /// What a lookup that fills the cache inserts: the run from `lblk` to
    /// the end of its leaf (or the first break).
    fn fill(&self, cache: &mut RunCache, lblk: u64) {
        if let Some(r) = self.walk(lblk, u64::MAX) {
            cache.insert(lblk, r.pblk, r.len, r.boundary, self.bits);
        }
    }
}

/// Every answer from the cache is the walk's answer, whatever the map,
/// the lookups and the order of fills and clears.
#[test]
fn answers_as_the_walk() {
    let mut rng = Rng::new(7);
    for round in 0..200 {
        let bits = 2 + (round % 4) as u32; // 4 to 32 pointers per leaf
        let ppb = 1u64 << bits;
        // At most what the tree addresses (triple indirect included).
        let n = (12 + rng.below(40 << bits)).min(12 + ppb + ppb * ppb + ppb * ppb * ppb);
        let mut map = Map {
            ptrs: Vec::new(),
            bits,
        };
        // Runs of random lengths, some holes, some breaks inside leaves.
        let mut next = 1000 + rng.below(1000);
        while (map.ptrs.len() as u64) < n {
            let len = 1 + rng.below(3 << bits);
            let hole = rng.below(5) == 0;
            for i in 0..len {
                map.ptrs.push(if hole { 0 } else { next + i });
            }
            next += len + 1 + rng.below(3);
        }
        map.ptrs.truncate(n as usize);
        let mut cache = RunCache::new();
        let mut hits = 0;
        for _ in 0..2000 {
            let lblk = rng.below(n + 4);
            let max = 1 + rng.below(3 << bits);
            match cache.lookup(lblk, max, bits) {
                Some(got) => {
                    hits += 1;
                    assert_eq!(Some(got), map.walk(lblk, max), "lblk {lblk} max {max}");
                }
                None => map.fill(&mut cache, lblk),
            }
            if rng.below(300) == 0 {
                // The map changes: a run moves. The owner clears first.
                let at = rng.below(n) as usize;
                map.ptrs[at] = if map.ptrs[at] == 0 { next } else { 0 };
                next += 2;
                cache.clear();
            }
        }
        assert!(
            hits > 0,
            "round {round}: no lookup was answered from the cache"
        );
    }
}

/// A contiguous file of the direct pointers and `SLOTS` indirect leaves
/// (64 MiB at 4 KiB blocks, the benchmark's file) is answered entirely
/// from the cache once each leaf has been looked up from its first block.
#[test]
fn contiguous_file_hits() {
    let bits = 10; // 4 KiB blocks
    let n = 12 + SLOTS as u64 * 1024;
    let map = Map {
        ptrs: (0..n).map(|i| 5000 + i).collect(),
        bits,
    };
    let mut cache = RunCache::new();
    for lblk in (0..n).filter(|&l| l == 0 || (l >= 12 && (l - 12) % 1024 == 0)) {
        assert_eq!(cache.lookup(lblk, 1, bits), None);
        map.fill(&mut cache, lblk);
    }
    let mut rng = Rng::new(3);
    for _ in 0..10000 {
        let lblk = rng.below(n);
        assert_eq!(
            cache.lookup(lblk, 8, bits),
            map.walk(lblk, 8),
            "lblk {lblk}"
        );
    }
    // The boundary: the last block of a leaf array.
    let last = 12 + 1023;
    assert_eq!(
        cache.lookup(last, 4, bits),
        Some(CachedRun {
            pblk: 5000 + last,
            len: 1,
            boundary: true
        })
    );
    cache.clear();
    assert_eq!(cache.lookup(100, 1, bits), None);
}

/// Runs whose blocks do not fit 32 bits are not cached.
#[test]
fn large_numbers_are_not_cached() {
    let mut cache = RunCache::new();
    cache.insert(u64::from(u32::MAX) - 1, 10, 4, false, 14);
    assert_eq!(cache.lookup(u64::from(u32::MAX) - 1, 1, 14), None);
    cache.insert(20, u64::from(u32::MAX), 4, false, 14);
    assert_eq!(cache.lookup(20, 1, 14), None);
    cache.insert(20, 30, 0, false, 14);
    assert_eq!(cache.lookup(20, 1, 14), None);
}
