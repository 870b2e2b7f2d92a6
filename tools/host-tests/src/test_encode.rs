// SPDX-License-Identifier: GPL-2.0

//! Encoders: the field writers, inodes, device numbers, group descriptors
//! and the superblock's mutable fields.

use crate::disk::group::GroupDesc;
use crate::disk::inode::{
    encode_rdev, RawInode, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG, S_IFSOCK,
};
use crate::disk::le::{put_u16, put_u32, put_u8, u16_at, u32_at, u8_at};
use crate::disk::superblock::RawSuper;
use crate::rng::Rng;

/// Asserts that `after` equals `before` outside the byte ranges `written`.
fn untouched(before: &[u8], after: &[u8], written: &[(usize, usize)]) {
    assert_eq!(before.len(), after.len());
    for (i, (a, b)) in before.iter().zip(after).enumerate() {
        if !written.iter().any(|&(s, e)| i >= s && i < e) {
            assert_eq!(a, b, "byte {i} changed");
        }
    }
}

#[test]
fn field_writers() {
    let mut b = [0u8; 8];
    assert_eq!(put_u32(&mut b, 4, 0x1234_5678), Some(()));
    assert_eq!(b, [0, 0, 0, 0, 0x78, 0x56, 0x34, 0x12]);
    assert_eq!(put_u16(&mut b, 6, 0xabcd), Some(()));
    assert_eq!(u16_at(&b, 6), Some(0xabcd));
    assert_eq!(put_u8(&mut b, 7, 9), Some(()));
    assert_eq!(u8_at(&b, 7), Some(9));
    let before = b;
    assert_eq!(put_u32(&mut b, 5, 1), None);
    assert_eq!(put_u16(&mut b, 7, 1), None);
    assert_eq!(put_u8(&mut b, 8, 1), None);
    assert_eq!(put_u32(&mut b, usize::MAX - 1, 1), None);
    assert_eq!(put_u16(&mut b, usize::MAX, 1), None);
    assert_eq!(b, before);
    assert_eq!(u32_at(&b, usize::MAX - 2), None);
}

fn random_inode(rng: &mut Rng) -> RawInode {
    let types = [
        S_IFREG, S_IFDIR, S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK, 0,
    ];
    let mode = types[rng.below(types.len() as u64) as usize] | (rng.next() as u16 & 0o7777);
    let mut block = [0u32; 15];
    block.iter_mut().for_each(|p| *p = rng.next() as u32);
    RawInode {
        mode,
        uid: rng.next() as u32,
        gid: rng.next() as u32,
        size: if mode & 0o170000 == S_IFREG {
            rng.next()
        } else {
            u64::from(rng.next() as u32)
        },
        atime: rng.next() as u32,
        ctime: rng.next() as u32,
        mtime: rng.next() as u32,
        dtime: rng.next() as u32,
        links_count: rng.next() as u16,
        blocks: rng.next() as u32,
        flags: rng.next() as u32,
        block,
        generation: rng.next() as u32,
        file_acl: rng.next() as u32,
    }
}

#[test]
fn inode_round_trip() {
    let mut rng = Rng::new(0x1de);
    for _ in 0..10_000 {
        let ino = random_inode(&mut rng);
        let mut b = vec![0u8; 128 + rng.below(3) as usize * 64];
        rng.fill(&mut b);
        let before = b.clone();
        assert_eq!(ino.encode(&mut b), Some(()));
        assert_eq!(RawInode::decode(&b, true), Some(ino));
        let regular = ino.mode & 0o170000 == S_IFREG;
        let mut written = vec![(0, 36), (40, 108), (120, 124)];
        if regular {
            written.push((108, 112));
        }
        untouched(&before, &b, &written);
        if !regular {
            // i_dir_acl survives.
            assert_eq!(b[108..112], before[108..112]);
        }
        // Too short: nothing written.
        let mut short = before[..127].to_vec();
        assert_eq!(ino.encode(&mut short), None);
        assert_eq!(short, before[..127]);
    }
}

/// Linux's `old_encode_dev` / `new_encode_dev` choice, written out.
fn linux_encode(major: u32, minor: u32) -> [u32; 2] {
    if major < 256 && minor < 256 {
        [(major << 8) | minor, 0]
    } else {
        [0, (minor & 0xff) | (major << 8) | ((minor & !0xff) << 12)]
    }
}

#[test]
fn rdev_round_trip() {
    let majors = [0u32, 1, 7, 254, 255, 256, 257, 1000, 4094, 4095];
    let minors = [
        0u32, 1, 0x7f, 0xfe, 0xff, 0x100, 0x101, 0x3ff, 0xffff, 0x10000, 0xfff00, 0xffffe, 0xfffff,
    ];
    let mut rng = Rng::new(0xde7);
    let mut cases: Vec<(u32, u32)> = majors
        .iter()
        .flat_map(|&ma| minors.iter().map(move |&mi| (ma, mi)))
        .collect();
    for _ in 0..20_000 {
        let rdev = rng.next() as u32;
        cases.push((rdev >> 20, rdev & 0xfffff));
    }
    for (major, minor) in cases {
        let rdev = (major << 20) | minor;
        let enc = encode_rdev(rdev);
        assert_eq!(enc, linux_encode(major, minor), "{major}:{minor}");
        let mut ino = RawInode {
            mode: S_IFCHR | 0o600,
            ..Default::default()
        };
        ino.block[0] = enc[0];
        ino.block[1] = enc[1];
        assert_eq!(ino.rdev(), rdev, "{major}:{minor}");
        // And through the on-disk inode.
        let mut b = [0u8; 128];
        ino.encode(&mut b).unwrap();
        assert_eq!(RawInode::decode(&b, true).unwrap().rdev(), rdev);
    }
    assert_eq!(encode_rdev((8 << 20) | 1), [0x801, 0]);
    assert_eq!(encode_rdev((255 << 20) | 255), [0xffff, 0]);
    assert_eq!(encode_rdev(256 << 20), [0, 256 << 8]);
    assert_eq!(encode_rdev(256), [0, 0x100 << 12]);
}

#[test]
fn group_desc_round_trip() {
    let mut rng = Rng::new(0x96d);
    for _ in 0..5_000 {
        let mut b = vec![0u8; 1024];
        rng.fill(&mut b);
        let gd = GroupDesc {
            block_bitmap: rng.next() as u32,
            inode_bitmap: rng.next() as u32,
            inode_table: rng.next() as u32,
            free_blocks: rng.next() as u16,
            free_inodes: rng.next() as u16,
            used_dirs: rng.next() as u16,
        };
        let idx = rng.below(32) as usize;
        let before = b.clone();
        assert_eq!(gd.encode(&mut b, idx), Some(()));
        assert_eq!(GroupDesc::decode(&b, idx), Some(gd));
        untouched(&before, &b, &[(idx * 32, idx * 32 + 18)]);
        for bad in [32, 33, usize::MAX / 32 + 1, usize::MAX] {
            assert_eq!(gd.encode(&mut b, bad), None);
        }
        let mut short = before[..idx * 32 + 31].to_vec();
        assert_eq!(gd.encode(&mut short, idx), None);
        assert_eq!(short, before[..idx * 32 + 31]);
    }
}

#[test]
fn superblock_mutable_round_trip() {
    let mut rng = Rng::new(0x5b);
    for _ in 0..5_000 {
        let mut b = vec![0u8; 1024 + rng.below(2) as usize * 1024];
        rng.fill(&mut b);
        b[76..80].copy_from_slice(&1u32.to_le_bytes()); // dynamic revision
        let orig = RawSuper::decode(&b).unwrap();
        assert_eq!(orig.max_mnt_count, u16::from_le_bytes([b[54], b[55]]));
        assert_eq!(
            orig.lastcheck,
            u32::from_le_bytes([b[64], b[65], b[66], b[67]])
        );
        assert_eq!(orig.def_resuid, u16::from_le_bytes([b[80], b[81]]));
        assert_eq!(orig.def_resgid, u16::from_le_bytes([b[82], b[83]]));
        let new = RawSuper {
            free_blocks_count: rng.next() as u32,
            free_inodes_count: rng.next() as u32,
            mtime: rng.next() as u32,
            wtime: rng.next() as u32,
            mnt_count: rng.next() as u16,
            state: rng.next() as u16,
            feature_compat: rng.next() as u32,
            feature_incompat: rng.next() as u32,
            feature_ro_compat: rng.next() as u32,
            ..orig
        };
        let before = b.clone();
        assert_eq!(new.encode_mutable(&mut b), Some(()));
        assert_eq!(RawSuper::decode(&b), Ok(new));
        untouched(&before, &b, &[(12, 20), (44, 54), (58, 60), (92, 104)]);
        // Writing back what was read changes nothing.
        let mut again = b.clone();
        RawSuper::decode(&b)
            .unwrap()
            .encode_mutable(&mut again)
            .unwrap();
        assert_eq!(again, b);
        let mut short = before[..1023].to_vec();
        assert_eq!(new.encode_mutable(&mut short), None);
        assert_eq!(short, before[..1023]);
    }
}
