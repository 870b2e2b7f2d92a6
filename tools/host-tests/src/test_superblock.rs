// SPDX-License-Identifier: GPL-2.0

use crate::disk::group::GroupDesc;
use crate::disk::superblock::{max_file_size, Geometry, RawSuper, SbError};

/// The superblock mke2fs writes for an 8 MiB, 1 KiB-block ext2.
fn good() -> Vec<u8> {
    let mut b = vec![0u8; 1024];
    let put32 = |b: &mut Vec<u8>, o: usize, v: u32| b[o..o + 4].copy_from_slice(&v.to_le_bytes());
    put32(&mut b, 0, 2048); // inodes
    put32(&mut b, 4, 8192); // blocks
    put32(&mut b, 20, 1); // first data block
    put32(&mut b, 24, 0); // log block size
    put32(&mut b, 32, 8192); // blocks per group
    put32(&mut b, 40, 2048); // inodes per group
    b[56..58].copy_from_slice(&0xef53u16.to_le_bytes());
    b[58..60].copy_from_slice(&1u16.to_le_bytes());
    put32(&mut b, 76, 1); // dynamic revision
    put32(&mut b, 84, 11);
    b[88..90].copy_from_slice(&256u16.to_le_bytes());
    put32(&mut b, 96, 0x2); // filetype
    put32(&mut b, 100, 0x3); // sparse_super, large_file
    b
}

fn geo(b: &[u8]) -> Result<Geometry, SbError> {
    Geometry::new(&RawSuper::decode(b)?, 8 << 20)
}

#[test]
fn accepts_a_good_superblock() {
    let g = geo(&good()).unwrap();
    assert_eq!(g.block_size, 1024);
    assert_eq!(g.groups_count, 1);
    assert_eq!(g.itb_per_group, 512);
    assert!(g.filetype && g.sparse_super && g.large_file);
    assert_eq!(g.descriptor_block(0), 2);
    let gd = GroupDesc {
        block_bitmap: 3,
        inode_bitmap: 4,
        inode_table: 5,
        ..Default::default()
    };
    assert!(g.check_descriptor(0, &gd).is_ok());
    let gd = GroupDesc {
        inode_table: 8000,
        ..gd
    };
    assert_eq!(g.check_descriptor(0, &gd), Err(SbError::Descriptor(0)));
}

#[test]
fn refuses_each_bad_field() {
    let cases: &[(usize, &[u8], fn(&SbError) -> bool)] = &[
        (56, &[0, 0], |e| matches!(e, SbError::BadMagic(0))),
        (76, &[2, 0, 0, 0], |e| matches!(e, SbError::Revision(2))),
        (24, &[7, 0, 0, 0], |e| matches!(e, SbError::BlockSize(7))),
        (24, &[0xff; 4], |e| matches!(e, SbError::BlockSize(_))),
        (96, &[0x42, 0, 0, 0], |e| {
            matches!(e, SbError::Incompat(0x40))
        }),
        (4, &[0, 0, 0, 0], |e| matches!(e, SbError::BlocksCount(0))),
        (4, &[0, 0, 1, 0], |e| matches!(e, SbError::BlocksCount(_))),
        (32, &[0, 0, 0, 0], |e| {
            matches!(e, SbError::BlocksPerGroup(0))
        }),
        (32, &[1, 0x20, 0, 0], |e| {
            matches!(e, SbError::BlocksPerGroup(_))
        }),
        (40, &[0, 0, 0, 0], |e| {
            matches!(e, SbError::InodesPerGroup(0))
        }),
        (0, &[0, 0, 0, 0], |e| matches!(e, SbError::InodesCount(0))),
        (88, &[100, 0], |e| matches!(e, SbError::InodeSize(100))),
        (88, &[0, 0x20], |e| matches!(e, SbError::InodeSize(8192))),
        (20, &[5, 0, 0, 0], |e| {
            matches!(e, SbError::FirstDataBlock(5))
        }),
        (84, &[0, 0, 0, 0], |e| matches!(e, SbError::FirstIno(0))),
    ];
    for (off, bytes, ok) in cases {
        let mut b = good();
        b[*off..*off + bytes.len()].copy_from_slice(bytes);
        let e = geo(&b).expect_err(&format!("offset {off} accepted"));
        assert!(ok(&e), "offset {off}: wrong error {e:?}");
        assert!(!e.to_string().is_empty());
    }
    // Unknown RO_COMPAT features are reported, not refused.
    let mut b = good();
    b[101] = 0x10;
    assert_eq!(geo(&b).unwrap().unknown_ro_compat, 0x1000);
    assert_eq!(RawSuper::decode(&b[..500]), Err(SbError::Short));
}

#[test]
fn random_superblocks_never_panic() {
    let mut rng = crate::rng::Rng::new(99);
    let mut b = good();
    for _ in 0..100_000 {
        let mut c = b.clone();
        for _ in 0..1 + rng.below(4) {
            let i = rng.below(264) as usize;
            c[i] = rng.next() as u8;
        }
        if let Ok(g) = geo(&c) {
            // Whatever validated must give sane derived values.
            assert!(g.groups_count >= 1 && g.desc_per_block >= 32);
            let _ = g.overhead_blocks();
            let _ = g.max_file_size();
            for gr in 0..g.groups_count.min(64) {
                let _ = g.group_gdt_blocks(gr);
            }
        }
        if rng.below(100) == 0 {
            rng.fill(&mut b[..264]);
            b = good();
        }
    }
}

#[test]
fn max_file_size_matches_ext2() {
    // Values of fs/ext2/super.c's ext2_max_size() for 1, 2 and 4 KiB blocks.
    assert_eq!(max_file_size(10), 17_247_252_480);
    assert_eq!(max_file_size(11), 275_415_851_008);
    assert_eq!(max_file_size(12), 2_196_873_666_560);
}

#[test]
fn sparse_super_groups() {
    let mut b = good();
    b[4..8].copy_from_slice(&(8192u32 * 30).to_le_bytes());
    b[0..4].copy_from_slice(&(2048u32 * 30).to_le_bytes());
    let g = Geometry::new(&RawSuper::decode(&b).unwrap(), 1 << 30).unwrap();
    let with: Vec<u32> = (0..30).filter(|&x| g.group_has_super(x)).collect();
    assert_eq!(with, [0, 1, 3, 5, 7, 9, 25, 27]);
    // 30 groups: 1 descriptor block; overhead = first block + per group
    // (super + gdt where present) + bitmaps + inode table.
    assert_eq!(g.gdb_count, 1);
    assert_eq!(g.overhead_blocks(), 1 + 8 * 2 + 30 * (2 + 512));
}
