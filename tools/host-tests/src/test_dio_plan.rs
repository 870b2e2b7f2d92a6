// SPDX-License-Identifier: GPL-2.0

//! The read planner against a model of the disk, the block mapper and
//! the block layer (DIO-SPEC 1.8, 4.4, 4.5, 5).

use crate::dio::plan::{dio_block, walk_read, BioSink, DioBlock, Found, ReadRequest, ReadTarget};
use crate::rng::Rng;
use std::collections::HashMap;

const PAGE: u32 = 4096;

#[derive(Debug, Clone, PartialEq)]
enum Ev {
    Map(u64),
    NewBio(u64),
    Add(usize, u32, u32),
    Submit,
    Zero(usize, u32, u32),
}

/// A file: fs block -> disk fs block (None = hole). Runs end at "pointer
/// array" ends every `array` blocks, where the mapper sets boundary.
struct Model {
    map: Vec<Option<u64>>,
    array: u64,
    i_size: u64,
    max_vecs: usize,
    events: Vec<Ev>,
    in_bio: usize,
    open: bool,
    last_boundary_pending: bool,
}

impl Model {
    fn new(map: Vec<Option<u64>>, array: u64, i_size: u64, max_vecs: usize) -> Self {
        Self {
            map,
            array,
            i_size,
            max_vecs,
            events: Vec::new(),
            in_bio: 0,
            open: false,
            last_boundary_pending: false,
        }
    }
}

impl BioSink for Model {
    type Page = usize;
    fn new_bio(&mut self, block: u64, _pos: u64) {
        assert!(!self.open, "two bios open");
        self.open = true;
        self.in_bio = 0;
        self.events.push(Ev::NewBio(block));
    }
    fn add(&mut self, page: usize, off: u32, len: u32) -> bool {
        assert!(self.open);
        if self.in_bio == self.max_vecs {
            return false;
        }
        self.in_bio += 1;
        self.events.push(Ev::Add(page, off, len));
        true
    }
    fn submit(&mut self) {
        assert!(self.open);
        self.open = false;
        self.events.push(Ev::Submit);
    }
}

impl ReadTarget for Model {
    type Error = ();
    fn map(&mut self, b: u64, max: u64) -> Result<Found, ()> {
        assert!(max >= 1);
        // The boundary flush: the chunk that used up a boundary mapping is
        // in a submitted bio before the next mapping is looked up.
        if self.last_boundary_pending {
            assert!(
                !self.open,
                "boundary chunk's bio not submitted before the next map"
            );
        }
        self.events.push(Ev::Map(b));
        let Some(Some(p)) = self.map.get(b as usize).copied() else {
            self.last_boundary_pending = false;
            return Ok(Found::Hole);
        };
        let array_end = (b / self.array + 1) * self.array;
        let mut len = 1;
        while len < max
            && b + len < array_end
            && self.map.get((b + len) as usize).copied().flatten() == Some(p + len)
        {
            len += 1;
        }
        let boundary = b + len == array_end;
        // Only a fully consumed mapping flushes; the walker consumes a
        // mapping fully when the request goes past it.
        self.last_boundary_pending = boundary && len < max;
        Ok(Found::Mapped {
            pblk: p,
            len,
            new: false,
            boundary,
        })
    }
    fn zero(&mut self, page: usize, off: u32, len: u32) -> Result<(), ()> {
        self.events.push(Ev::Zero(page, off, len));
        Ok(())
    }
    fn i_size(&self) -> u64 {
        self.i_size
    }
}

/// Random aligned segments covering `count` bytes, never crossing a page.
fn segments(rng: &mut Rng, count: u64, bs: u32, first_off: u32) -> Vec<(usize, u32, u32)> {
    let mut out = Vec::new();
    let mut left = count;
    let mut page = 0;
    let mut off = first_off;
    while left > 0 {
        let room = u64::from(PAGE - off);
        let blocks = (room.min(left) / u64::from(bs)).max(1);
        let take = (1 + rng.below(blocks)) * u64::from(bs);
        out.push((page, off, take as u32));
        left -= take;
        off += take as u32;
        if off == PAGE || rng.below(4) == 0 {
            // Next iovec segment or next page.
            page += 1;
            off = (rng.below(u64::from(PAGE / bs)) as u32) * bs;
        }
    }
    out
}

fn run_case(seed: u64) {
    let mut rng = Rng::new(seed);
    let fs_bits = 10 + rng.below(3) as u32;
    let blkfactor = rng.below(u64::from(fs_bits - 8)) as u32;
    let bits = fs_bits - blkfactor;
    let bs = 1u32 << bits;
    let nblocks = 1 + rng.below(40);
    let mut next_phys = 100 + rng.below(50);
    let map: Vec<Option<u64>> = (0..nblocks)
        .map(|_| {
            if rng.below(5) == 0 {
                None
            } else {
                if rng.below(3) == 0 {
                    next_phys += 1 + rng.below(5);
                }
                next_phys += 1;
                Some(next_phys)
            }
        })
        .collect();
    let fs_bs = 1u64 << fs_bits;
    let i_size = (nblocks * fs_bs).saturating_sub(rng.below(fs_bs + 1));
    let total_dio = (nblocks << blkfactor) + 4;
    let start = rng.below(total_dio);
    let count_blocks = 1 + rng.below(total_dio - start + 2);
    let pos = start << bits;
    let count = count_blocks << bits;
    let req = ReadRequest {
        pos,
        count,
        blk: DioBlock { bits, blkfactor },
    };
    let first_off = (rng.below(u64::from(PAGE / bs)) as u32) * bs;
    let segs = segments(&mut rng, count, bs, first_off);
    let array = 1 + rng.below(6);
    let max_vecs = 1 + rng.below(6) as usize;
    let mut m = Model::new(map.clone(), array, i_size, max_vecs);
    let done = walk_read(&req, segs.clone(), &mut m).expect("walk failed");
    assert!(!m.open, "a bio was left open");

    // Reference: where each dio block of the request comes from, and
    // where the walk must stop (first hole at or past EOF).
    let eof_block = i_size.div_ceil(u64::from(bs));
    let mut expect_done = count;
    let mut src = Vec::new(); // per dio block: Some(disk dio block) or None (zeros)
    for b in start..start + count_blocks {
        let fs = b >> blkfactor;
        match map.get(fs as usize).copied().flatten() {
            Some(p) => src.push(Some((p << blkfactor) + (b & ((1 << blkfactor) - 1)))),
            None if b >= eof_block => {
                expect_done = (b - start) << bits;
                break;
            }
            None => src.push(None),
        }
    }
    assert_eq!(done, expect_done, "bytes done");

    // User buffer position of each dio block.
    let mut user = Vec::new();
    for &(p, o, l) in &segs {
        for k in 0..l / bs {
            user.push((p, o + k * bs));
        }
    }
    // Replay the events: which disk dio block fills which user block.
    let mut got: HashMap<(usize, u32), Option<u64>> = HashMap::new();
    let mut disk = 0u64;
    let mut prev_add: Option<(usize, u32, u32)> = None;
    let mut bio_file_pos: Option<u64> = None;
    for ev in &m.events {
        match *ev {
            Ev::NewBio(b) => {
                disk = b;
                prev_add = None;
                bio_file_pos = None;
            }
            Ev::Add(p, o, l) => {
                if let Some((pp, po, pl)) = prev_add {
                    assert!(
                        !(pp == p && po + pl == o),
                        "unmerged contiguous chunks in one bio"
                    );
                }
                prev_add = Some((p, o, l));
                for k in 0..l / bs {
                    let key = (p, o + k * bs);
                    assert!(got.insert(key, Some(disk)).is_none(), "block filled twice");
                    // Logical contiguity inside a bio.
                    let idx = user
                        .iter()
                        .position(|&u| u == key)
                        .expect("outside the buffer");
                    if let Some(fp) = bio_file_pos {
                        assert_eq!(idx as u64, fp + 1, "bio not contiguous in the file");
                    }
                    bio_file_pos = Some(idx as u64);
                    disk += 1;
                }
            }
            Ev::Zero(p, o, l) => {
                assert_eq!(l, bs);
                assert!(got.insert((p, o), None).is_none(), "zeroed twice");
            }
            Ev::Submit | Ev::Map(_) => {}
        }
    }
    assert_eq!(got.len() as u64, expect_done >> bits, "blocks handled");
    for (i, s) in src.iter().enumerate() {
        assert_eq!(got.get(&user[i]), Some(s), "dio block {i} of the request");
    }
}

#[test]
fn reads_match_the_model() {
    for seed in 0..30_000 {
        run_case(seed);
    }
}

#[test]
fn alignment_picks_fs_block_then_logical_block() {
    // 4 KiB fs on a 512-byte device.
    assert_eq!(
        dio_block(8192, 4096, 12, 9),
        Some(DioBlock {
            bits: 12,
            blkfactor: 0
        })
    );
    assert_eq!(
        dio_block(512, 4096, 12, 9),
        Some(DioBlock {
            bits: 9,
            blkfactor: 3
        })
    );
    assert_eq!(
        dio_block(0, 1024 | 512, 12, 9),
        Some(DioBlock {
            bits: 9,
            blkfactor: 3
        })
    );
    assert_eq!(dio_block(256, 4096, 12, 9), None);
    // 4Kn device: only 4 KiB alignment works.
    assert_eq!(dio_block(512, 4096, 12, 12), None);
    // 1 KiB fs on 512-byte sectors: blkfactor 1.
    assert_eq!(
        dio_block(1536, 512, 10, 9),
        Some(DioBlock {
            bits: 9,
            blkfactor: 1
        })
    );
}

#[test]
fn worked_example_a_two_bios_boundary_first() {
    // DIO-SPEC 5.8 A: mapping 1 = 2 blocks at 1000 with boundary,
    // mapping 2 = 2 blocks at 2000.
    let mut m = Model::new(
        vec![Some(1000), Some(1001), Some(2000), Some(2001)],
        2,
        16384,
        256,
    );
    let req = ReadRequest {
        pos: 0,
        count: 16384,
        blk: DioBlock {
            bits: 12,
            blkfactor: 0,
        },
    };
    let segs = (0..4).map(|p| (p, 0, PAGE)).collect::<Vec<_>>();
    assert_eq!(walk_read(&req, segs, &mut m), Ok(16384));
    use Ev::*;
    assert_eq!(
        m.events,
        [
            Map(0),
            NewBio(1000),
            Add(0, 0, 4096),
            Add(1, 0, 4096),
            Submit,
            Map(2),
            NewBio(2000),
            Add(2, 0, 4096),
            Add(3, 0, 4096),
            Submit
        ]
    );
}

#[test]
fn worked_example_c_hole_breaks_the_bio() {
    // DIO-SPEC 5.8 C: block 1 is a hole between physically adjacent blocks.
    let mut m = Model::new(vec![Some(500), None, Some(501)], 12, 3 * 4096, 256);
    let req = ReadRequest {
        pos: 0,
        count: 3 * 4096,
        blk: DioBlock {
            bits: 12,
            blkfactor: 0,
        },
    };
    let segs = (0..3).map(|p| (p, 0, PAGE)).collect::<Vec<_>>();
    assert_eq!(walk_read(&req, segs, &mut m), Ok(3 * 4096));
    let bios = m
        .events
        .iter()
        .filter(|e| matches!(e, Ev::NewBio(_)))
        .count();
    assert_eq!(bios, 2);
    assert!(m.events.contains(&Ev::Zero(1, 0, 4096)));
}

/// The engine refuses mappings that cannot be right (issue: a C
/// `get_block` is not trusted with the disk).
#[test]
fn mapping_checks() {
    use crate::dio::plan::{check_mapping, BadMapping};
    // (pblk, len, new, max, create, dev_blocks) -> verdict
    let cases = [
        ((10, 4, false, 4, false, 100), Ok(())),
        ((10, 4, true, 4, true, 100), Ok(())),
        ((96, 4, false, 8, false, 100), Ok(())),
        ((10, 0, false, 4, false, 100), Err(BadMapping::ZeroLength)),
        ((10, 5, false, 4, false, 100), Err(BadMapping::TooLong)),
        ((97, 4, false, 8, false, 100), Err(BadMapping::PastDevice)),
        ((100, 1, false, 1, false, 100), Err(BadMapping::PastDevice)),
        (
            (u64::MAX, 2, false, 2, false, u64::MAX),
            Err(BadMapping::PastDevice),
        ),
        ((10, 1, true, 1, false, 100), Err(BadMapping::NewUnasked)),
    ];
    for ((pblk, len, new, max, create, dev), want) in cases {
        assert_eq!(
            check_mapping(pblk, len, new, max, create, dev),
            want,
            "pblk {pblk} len {len} new {new} max {max} create {create} dev {dev}"
        );
    }
}
