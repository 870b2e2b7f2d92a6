// SPDX-License-Identifier: GPL-2.0

//! The metadata zones (block validity) against the layout mke2fs writes and
//! against a naive per-block model.

use crate::disk::group::GroupDesc;
use crate::disk::superblock::{Geometry, RawSuper};
use crate::disk::zones::{file_run, first_metadata, Zone};
use crate::rng::Rng;

/// A superblock record with the given geometry (dynamic revision,
/// filetype, sparse_super as asked, resize_inode if `rsv` > 0).
#[allow(clippy::too_many_arguments)]
fn sb(
    log_bs: u32,
    blocks: u32,
    bpg: u32,
    ipg: u32,
    sparse: bool,
    rsv: u16,
    meta_bg: Option<u32>,
) -> RawSuper {
    let mut b = vec![0u8; 1024];
    let put32 = |b: &mut Vec<u8>, o: usize, v: u32| b[o..o + 4].copy_from_slice(&v.to_le_bytes());
    let fdb = u32::from(log_bs == 0);
    let groups = (blocks - fdb).div_ceil(bpg);
    put32(&mut b, 0, groups * ipg);
    put32(&mut b, 4, blocks);
    put32(&mut b, 20, fdb);
    put32(&mut b, 24, log_bs);
    put32(&mut b, 32, bpg);
    put32(&mut b, 40, ipg);
    b[56..58].copy_from_slice(&0xef53u16.to_le_bytes());
    put32(&mut b, 76, 1);
    put32(&mut b, 84, 11);
    b[88..90].copy_from_slice(&256u16.to_le_bytes());
    put32(&mut b, 92, if rsv > 0 { 0x10 } else { 0 });
    put32(&mut b, 96, 0x2 | if meta_bg.is_some() { 0x10 } else { 0 });
    put32(&mut b, 100, u32::from(sparse));
    b[206..208].copy_from_slice(&rsv.to_le_bytes());
    put32(&mut b, 260, meta_bg.unwrap_or(0));
    RawSuper::decode(&b).unwrap()
}

/// Descriptors laid out as mke2fs does without flex_bg: block bitmap,
/// inode bitmap and inode table right after the group's prefix.
fn mke2fs_groups(g: &Geometry) -> Vec<GroupDesc> {
    (0..g.groups_count)
        .map(|x| {
            let prefix: u64 = g.zone_prefix(x).iter().map(|z| z.1).sum();
            let bb = (g.group_first_block(x) + prefix) as u32;
            GroupDesc {
                block_bitmap: bb,
                inode_bitmap: bb + 1,
                inode_table: bb + 2,
                ..Default::default()
            }
        })
        .collect()
}

/// The zone of every block, computed the slow way from the rules.
fn model(g: &Geometry, groups: &[GroupDesc]) -> Vec<Option<Zone>> {
    let mut m = vec![Some(Zone::Outside); g.blocks_count as usize];
    for b in g.first_data_block..g.blocks_count {
        m[b as usize] = None;
    }
    for (x, gd) in groups.iter().enumerate() {
        let x = x as u32;
        let mut b = g.group_first_block(x) as usize;
        let sbs = usize::from(g.group_has_super(x));
        let meta = g.meta_bg && x / g.desc_per_block >= g.first_meta_bg;
        let gdt = if meta {
            let first = x / g.desc_per_block * g.desc_per_block;
            usize::from(x == first || x == first + 1 || x == first + g.desc_per_block - 1)
        } else if sbs == 1 {
            if g.meta_bg {
                g.first_meta_bg.min(g.gdb_count) as usize
            } else {
                g.gdb_count as usize
            }
        } else {
            0
        };
        let rsv = if sbs == 1 && !meta {
            g.reserved_gdt as usize
        } else {
            0
        };
        for (n, z) in [
            (sbs, Zone::Superblock),
            (gdt, Zone::Descriptors),
            (rsv, Zone::ReservedGdt),
        ] {
            for _ in 0..n {
                m[b] = Some(z);
                b += 1;
            }
        }
        m[gd.block_bitmap as usize] = Some(Zone::BlockBitmap);
        m[gd.inode_bitmap as usize] = Some(Zone::InodeBitmap);
        for i in 0..g.itb_per_group {
            m[(gd.inode_table + i) as usize] = Some(Zone::InodeTable);
        }
    }
    m
}

/// Random runs: `first_metadata` finds exactly the model's first zone block.
fn against_model(g: &Geometry, groups: &[GroupDesc], seed: u64) {
    let m = model(g, groups);
    let n = u64::from(g.blocks_count);
    let mut rng = Rng::new(seed);
    for i in 0..20_000 {
        let start = if i < 2000 {
            i % (n + 5)
        } else {
            rng.below(n + 8)
        };
        let max = if rng.below(4) == 0 { 3000 } else { 40 };
        let len = 1 + rng.below(max);
        let want = (start..start + len).find_map(|b| match m.get(b as usize) {
            Some(None) => None,
            Some(Some(z)) => Some((b, *z)),
            None => Some((b, Zone::Outside)),
        });
        let got = first_metadata(g, groups, start, len).map(|h| (h.block, h.zone));
        assert_eq!(got, want, "run {start}+{len}");
        match file_run(g, groups, start, len) {
            Ok(k) => {
                assert!(k >= 1 && k <= len);
                assert!((start..start + k).all(|b| m.get(b as usize) == Some(&None)));
                assert!(k == len || m.get((start + k) as usize) != Some(&None));
            }
            Err(h) => assert_eq!(Some((h.block, h.zone)), want.filter(|w| w.0 == start)),
        }
    }
}

/// The 64 MiB, 1 KiB-block image of `mke2fs -t ext2 -b 1024` (dumpe2fs:
/// primary superblock at 1, descriptors at 2, reserved GDT 3-257, block
/// bitmap 258, inode bitmap 259, inode table 260-771; group 1 backup at
/// 8193; group 2 without backup: bitmap at 16385).
#[test]
fn mke2fs_1k_layout() {
    let g = Geometry::new(&sb(0, 65536, 8192, 2048, true, 255, None), 64 << 20).unwrap();
    assert_eq!(g.reserved_gdt, 255);
    let groups = mke2fs_groups(&g);
    assert_eq!(groups[0].block_bitmap, 258);
    assert_eq!(groups[2].block_bitmap, 16385);
    let zone = |b: u64| first_metadata(&g, &groups, b, 1).map(|h| h.zone);
    assert_eq!(zone(0), Some(Zone::Outside));
    assert_eq!(zone(1), Some(Zone::Superblock));
    assert_eq!(zone(2), Some(Zone::Descriptors));
    assert_eq!(zone(3), Some(Zone::ReservedGdt));
    assert_eq!(zone(257), Some(Zone::ReservedGdt));
    assert_eq!(zone(258), Some(Zone::BlockBitmap));
    assert_eq!(zone(259), Some(Zone::InodeBitmap));
    assert_eq!(zone(260), Some(Zone::InodeTable));
    assert_eq!(zone(771), Some(Zone::InodeTable));
    assert_eq!(zone(772), None);
    assert_eq!(zone(8192), None);
    assert_eq!(zone(8193), Some(Zone::Superblock));
    assert_eq!(zone(16384), None);
    assert_eq!(zone(16385), Some(Zone::BlockBitmap));
    assert_eq!(zone(65535), None);
    assert_eq!(zone(65536), Some(Zone::Outside));
    // A run from a data block into the next group stops at its superblock.
    assert_eq!(file_run(&g, &groups, 8000, 1000), Ok(193));
    assert_eq!(file_run(&g, &groups, 772, 10), Ok(10));
    let h = file_run(&g, &groups, 260, 10).unwrap_err();
    assert_eq!((h.block, h.zone, h.group), (260, Zone::InodeTable, 0));
    against_model(&g, &groups, 1);
}

/// Without resize_inode the reserved count is ignored; an insane count
/// (more than a block of pointers) is ignored too.
#[test]
fn reserved_gdt_needs_the_feature_and_sanity() {
    let mut r = sb(0, 65536, 8192, 2048, true, 255, None);
    r.feature_compat = 0;
    assert_eq!(Geometry::new(&r, 64 << 20).unwrap().reserved_gdt, 0);
    let r = sb(0, 65536, 8192, 2048, true, 257, None);
    assert_eq!(Geometry::new(&r, 64 << 20).unwrap().reserved_gdt, 0);
}

#[test]
fn layouts_match_the_model() {
    let cases = [
        // 1 KiB blocks, small groups so many groups and several GDT blocks.
        (sb(0, 40001, 256, 32, true, 7, None), 64u64 << 20),
        (sb(0, 40001, 256, 32, false, 0, None), 64 << 20),
        // 2 KiB and 4 KiB blocks (first data block 0).
        (sb(1, 30000, 512, 64, true, 3, None), 64 << 20),
        (sb(2, 16384, 1024, 128, true, 0, None), 64 << 20),
        (sb(2, 16383, 1000, 128, false, 1, None), 64 << 20),
        // meta_bg: a classic table of 2 blocks, then meta groups.
        (sb(0, 70001, 256, 32, true, 0, Some(2)), 128 << 20),
    ];
    for (i, (r, dev)) in cases.iter().enumerate() {
        let g = Geometry::new(r, *dev).unwrap();
        let groups = mke2fs_groups(&g);
        // (Mount's descriptor check counts a full classic table in every
        // group with a superblock even with meta_bg: not asked of case 5.)
        for (x, gd) in groups.iter().enumerate().filter(|_| !g.meta_bg) {
            assert!(
                g.check_descriptor(x as u32, gd).is_ok(),
                "case {i} group {x}"
            );
        }
        against_model(&g, &groups, i as u64 + 10);
    }
}

/// Descriptors placed anywhere in their group (as a corrupt or unusual
/// image may have them): still exactly the model.
#[test]
fn scattered_descriptors_match_the_model() {
    let g = Geometry::new(&sb(0, 20001, 512, 32, true, 2, None), 64 << 20).unwrap();
    let mut rng = Rng::new(77);
    for round in 0..20 {
        let groups: Vec<GroupDesc> = (0..g.groups_count)
            .map(|x| {
                let first = g.group_first_block(x) as u32;
                let end = g.group_end_block(x) as u32;
                let prefix: u64 = g.zone_prefix(x).iter().map(|z| z.1).sum();
                let lo = first + prefix as u32;
                let span = end - lo - g.itb_per_group - 2;
                let it = lo + rng.below(span.into()) as u32;
                let bb = loop {
                    let b = lo + rng.below((end - lo).into()) as u32;
                    if b < it || b >= it + g.itb_per_group {
                        break b;
                    }
                };
                let ib = loop {
                    let b = lo + rng.below((end - lo).into()) as u32;
                    if b != bb && (b < it || b >= it + g.itb_per_group) {
                        break b;
                    }
                };
                GroupDesc {
                    block_bitmap: bb,
                    inode_bitmap: ib,
                    inode_table: it,
                    ..Default::default()
                }
            })
            .collect();
        against_model(&g, &groups, 100 + round);
    }
}

/// A missing descriptor (the group list shorter than the groups) makes
/// the group's blocks refused rather than trusted.
#[test]
fn missing_descriptor_is_refused() {
    let g = Geometry::new(&sb(0, 65536, 8192, 2048, true, 0, None), 64 << 20).unwrap();
    let groups = mke2fs_groups(&g);
    assert!(first_metadata(&g, &groups[..1], 9000, 1).is_some());
    assert!(first_metadata(&g, &groups, 9000, 1).is_none());
}

/// What a check costs on the host (not a test: prints, asserts nothing).
/// `cargo test --release zones_cost -- --ignored --nocapture`
#[test]
#[ignore]
fn zones_cost() {
    use std::time::Instant;
    let g = Geometry::new(&sb(2, 1 << 20, 32768, 8192, true, 255, None), 4 << 30).unwrap();
    let groups = mke2fs_groups(&g);
    let mut rng = Rng::new(5);
    let starts: Vec<u64> = (0..1 << 16).map(|_| rng.below(1 << 20)).collect();
    let t = Instant::now();
    let mut hits = 0u64;
    for _ in 0..64 {
        for &s in &starts {
            hits += u64::from(std::hint::black_box(file_run(&g, &groups, s, 16)).is_err());
        }
    }
    let n = 64 * starts.len() as u64;
    println!(
        "file_run: {:.1} ns per check over {} groups ({} refused of {})",
        t.elapsed().as_nanos() as f64 / n as f64,
        g.groups_count,
        hits,
        n
    );
}
