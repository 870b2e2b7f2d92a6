// SPDX-License-Identifier: GPL-2.0

use crate::disk::inode::{block_bytes, Kind, RawInode, S_IFLNK, S_IFREG};

fn raw(mode: u16) -> Vec<u8> {
    let mut b = vec![0u8; 128];
    b[0..2].copy_from_slice(&mode.to_le_bytes());
    b
}

#[test]
fn decodes_fields_and_high_halves() {
    let mut b = raw(S_IFREG | 0o644);
    b[2..4].copy_from_slice(&0x1234u16.to_le_bytes());
    b[120..122].copy_from_slice(&0x0005u16.to_le_bytes());
    b[4..8].copy_from_slice(&7u32.to_le_bytes());
    b[108..112].copy_from_slice(&1u32.to_le_bytes());
    b[26..28].copy_from_slice(&3u16.to_le_bytes());
    b[40..44].copy_from_slice(&99u32.to_le_bytes());
    let i = RawInode::decode(&b, true).unwrap();
    assert_eq!(i.uid, 0x5_1234);
    assert_eq!(i.size, (1 << 32) | 7);
    assert_eq!(i.links_count, 3);
    assert_eq!(i.block[0], 99);
    assert_eq!(i.kind(), Some(Kind::Regular));
    // Without large_file the high half is ignored.
    assert_eq!(RawInode::decode(&b, false).unwrap().size, 7);
    assert!(RawInode::decode(&b[..100], true).is_none());
}

#[test]
fn fast_symlink_and_devices() {
    let mut b = raw(S_IFLNK | 0o777);
    b[4..8].copy_from_slice(&5u32.to_le_bytes());
    b[40..45].copy_from_slice(b"hello");
    let i = RawInode::decode(&b, true).unwrap();
    assert!(i.is_fast_symlink(1024));
    assert_eq!(&block_bytes(&i.block)[..5], b"hello");
    // An xattr block does not make it slow.
    b[104..108].copy_from_slice(&50u32.to_le_bytes());
    b[28..32].copy_from_slice(&2u32.to_le_bytes());
    assert!(RawInode::decode(&b, true).unwrap().is_fast_symlink(1024));

    let mut d = RawInode::default();
    d.block[0] = (8 << 8) | 1; // old encoding 8:1
    assert_eq!(d.rdev(), (8 << 20) | 1);
    d.block[0] = 0;
    d.block[1] = (259 << 8) | 0x12 | (0x345 << 20); // new encoding 259:0x34512
    assert_eq!(d.rdev(), (259 << 20) | 0x34512);
    assert_eq!(RawInode::default().kind(), None);
}
