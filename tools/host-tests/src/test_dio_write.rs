// SPDX-License-Identifier: GPL-2.0

//! The write planner against a model of the disk, the allocating block
//! mapper and the block layer (DIO-SPEC 4.2-4.4, 6.2): data lands in the
//! right disk blocks exactly once, nothing is allocated inside `i_size`,
//! a hole inside `i_size` stops the walk, and the parts of new fs blocks
//! the request does not cover are written with zeros.

use crate::dio::plan::{walk_write, BioSink, DioBlock, Found, ReadRequest, WriteTarget};
use crate::rng::Rng;
use std::collections::HashMap;

const PAGE: u32 = 4096;
/// The zero page's id.
const ZERO: usize = usize::MAX;

struct Model {
    /// fs block -> disk fs block.
    map: Vec<Option<u64>>,
    array: u64,
    i_size: u64,
    fs_bits: u32,
    next_phys: u64,
    max_vecs: usize,
    /// Disk dio block -> what was written there: (page, offset) or ZERO.
    disk: HashMap<u64, (usize, u32)>,
    bits: u32,
    open: Option<(u64, usize)>,
    new_fs: Vec<u64>,
    aliases_dropped: Vec<(u64, u64)>,
}

impl BioSink for Model {
    type Page = usize;
    fn new_bio(&mut self, block: u64, _pos: u64) {
        assert!(self.open.is_none(), "two bios open");
        self.open = Some((block, 0));
    }
    fn add(&mut self, page: usize, off: u32, len: u32) -> bool {
        let (block, n) = self.open.as_mut().expect("no bio");
        if *n == self.max_vecs {
            return false;
        }
        *n += 1;
        let bs = 1u32 << self.bits;
        for k in 0..len / bs {
            let prev = self.disk.insert(*block, (page, off + k * bs));
            assert!(prev.is_none(), "disk block {} written twice", *block);
            *block += 1;
        }
        true
    }
    fn submit(&mut self) {
        assert!(self.open.take().is_some());
    }
}

impl WriteTarget for Model {
    type Error = ();
    fn map(&mut self, b: u64, max: u64, create: bool) -> Result<Found, ()> {
        let may = self.i_size == 0 || b > (self.i_size - 1) >> self.fs_bits;
        assert_eq!(create, may, "create decided against i_size");
        let array_end = (b / self.array + 1) * self.array;
        if let Some(Some(p)) = self.map.get(b as usize).copied() {
            let mut len = 1;
            while len < max
                && b + len < array_end
                && self.map.get((b + len) as usize).copied().flatten() == Some(p + len)
            {
                len += 1;
            }
            return Ok(Found::Mapped {
                pblk: p,
                len,
                new: false,
                boundary: b + len == array_end,
            });
        }
        if !create {
            return Ok(Found::Hole);
        }
        let mut len = 0;
        let first = self.next_phys;
        while len < max
            && b + len < array_end
            && self
                .map
                .get((b + len) as usize)
                .copied()
                .flatten()
                .is_none()
        {
            let i = (b + len) as usize;
            if self.map.len() <= i {
                self.map.resize(i + 1, None);
            }
            self.map[i] = Some(first + len);
            self.new_fs.push(b + len);
            len += 1;
        }
        self.next_phys += len + 1 + (b % 3);
        Ok(Found::Mapped {
            pblk: first,
            len,
            new: true,
            boundary: b + len == array_end,
        })
    }
    fn new_blocks(&mut self, pblk: u64, len: u64) {
        self.aliases_dropped.push((pblk, len));
    }
    fn zero_page(&self) -> usize {
        ZERO
    }
    fn i_size(&self) -> u64 {
        self.i_size
    }
}

fn run_case(seed: u64) {
    let mut rng = Rng::new(seed);
    let fs_bits = 10 + rng.below(3) as u32;
    let blkfactor = rng.below(u64::from(fs_bits - 8)) as u32;
    let bits = fs_bits - blkfactor;
    let bs = 1u32 << bits;
    let nblocks = rng.below(30);
    let mut next_phys = 100;
    let map: Vec<Option<u64>> = (0..nblocks)
        .map(|_| {
            if rng.below(4) == 0 {
                None
            } else {
                next_phys += 1 + rng.below(2);
                Some(next_phys)
            }
        })
        .collect();
    let fs_bs = 1u64 << fs_bits;
    // i_size ends inside the last mapped block (or 0).
    let last_mapped = map.iter().rposition(|m| m.is_some());
    let i_size = match last_mapped {
        Some(l) => (l as u64) * fs_bs + 1 + rng.below(fs_bs),
        None => 0,
    };
    let total = ((nblocks + 6) << blkfactor) as u64;
    let start = rng.below(total);
    let count_blocks = 1 + rng.below(total - start + 4);
    let req = ReadRequest {
        pos: start << bits,
        count: count_blocks << bits,
        blk: DioBlock { bits, blkfactor },
    };
    // One page per dio block is enough to identify the source.
    let mut segs = Vec::new();
    let mut user = Vec::new();
    let mut page = 0usize;
    let mut off = (rng.below(u64::from(PAGE / bs)) as u32) * bs;
    for _ in 0..count_blocks {
        if off == PAGE || rng.below(3) == 0 {
            page += 1;
            off = (rng.below(u64::from(PAGE / bs)) as u32) * bs;
        }
        segs.push((page, off, bs));
        user.push((page, off));
        off += bs;
    }
    let mut m = Model {
        map: map.clone(),
        array: 1 + rng.below(6),
        i_size,
        fs_bits,
        next_phys: 1000,
        max_vecs: 1 + rng.below(6) as usize,
        disk: HashMap::new(),
        bits,
        open: None,
        new_fs: Vec::new(),
        aliases_dropped: Vec::new(),
    };
    let done = walk_write(&req, segs, &mut m).expect("walk failed");
    assert!(m.open.is_none(), "a bio was left open");

    // Expected: data up to the first hole inside i_size.
    let last_data_fs = if i_size == 0 {
        None
    } else {
        Some((i_size - 1) >> fs_bits)
    };
    let mut expect_blocks = count_blocks;
    for b in start..start + count_blocks {
        let fs = b >> blkfactor;
        let inside = last_data_fs.is_some_and(|l| fs <= l);
        if inside && map.get(fs as usize).copied().flatten().is_none() {
            expect_blocks = b - start;
            break;
        }
    }
    assert_eq!(done, expect_blocks << bits, "bytes done");

    // Every written dio block is where the final map says, with the right
    // source; new fs blocks are fully covered (data or zeros).
    for (i, b) in (start..start + expect_blocks).enumerate() {
        let fs = b >> blkfactor;
        let p = m.map[fs as usize].expect("written block unmapped");
        let disk = (p << blkfactor) + (b & ((1 << blkfactor) - 1));
        assert_eq!(
            m.disk.get(&disk),
            Some(&(user[i].0, user[i].1)),
            "dio block {b}"
        );
    }
    let per = 1u64 << blkfactor;
    let mut data_blocks = expect_blocks;
    for &fs in &m.new_fs {
        assert!(
            last_data_fs.is_none_or(|l| fs > l),
            "allocated inside i_size"
        );
        let p = m.map[fs as usize].unwrap();
        for k in 0..per {
            let b = (fs << blkfactor) + k;
            let written = m.disk.get(&((p << blkfactor) + k));
            if b >= start && b < start + expect_blocks {
                continue;
            }
            assert_eq!(
                written.map(|w| w.0),
                Some(ZERO),
                "new fs block {fs}: dio block {k} not zeroed"
            );
            data_blocks += 1;
        }
    }
    assert_eq!(m.disk.len() as u64, data_blocks, "stray writes");
    let dropped: u64 = m.aliases_dropped.iter().map(|a| a.1).sum();
    assert_eq!(dropped, m.new_fs.len() as u64, "aliases of new blocks");
}

#[test]
fn writes_match_the_model() {
    for seed in 0..30_000 {
        run_case(seed);
    }
}
