// SPDX-License-Identifier: GPL-2.0

use crate::disk::dirent::{DirError, Entries};

fn entry(block: &mut [u8], off: usize, ino: u32, rec_len: u16, name: &[u8], ft: u8) {
    block[off..off + 4].copy_from_slice(&ino.to_le_bytes());
    block[off + 4..off + 6].copy_from_slice(&rec_len.to_le_bytes());
    block[off + 6] = name.len() as u8;
    block[off + 7] = ft;
    block[off + 8..off + 8 + name.len()].copy_from_slice(name);
}

#[test]
fn walks_a_valid_block() {
    let mut b = vec![0u8; 1024];
    entry(&mut b, 0, 2, 12, b".", 2);
    entry(&mut b, 12, 2, 12, b"..", 2);
    entry(&mut b, 24, 0, 20, b"gone", 1);
    entry(&mut b, 44, 13, 1024 - 44, b"file", 1);
    let v: Vec<_> = Entries::new(&b).map(|e| e.unwrap()).collect();
    assert_eq!(v.len(), 4);
    assert_eq!(v[3].name, b"file");
    assert_eq!(v[3].inode, 13);
    assert_eq!(v[2].inode, 0);
    assert_eq!(v.iter().map(|e| e.rec_len).sum::<usize>(), 1024);
}

#[test]
fn refuses_bad_rec_len_and_name_len() {
    let mut b = vec![0u8; 1024];
    entry(&mut b, 0, 2, 12, b".", 2);
    entry(&mut b, 12, 2, 6, b"..", 2);
    let r: Vec<_> = Entries::new(&b).collect();
    assert_eq!(
        r[1],
        Err(DirError::RecLen {
            offset: 12,
            rec_len: 6
        })
    );
    assert_eq!(r.len(), 2, "iteration stops after an error");

    entry(&mut b, 12, 2, 2000, b"..", 2);
    assert!(matches!(
        Entries::new(&b).nth(1),
        Some(Err(DirError::RecLen { .. }))
    ));
    entry(&mut b, 12, 2, 14, b"..", 2);
    assert!(matches!(
        Entries::new(&b).nth(1),
        Some(Err(DirError::RecLen { .. }))
    ));
    entry(&mut b, 12, 2, 16, b"..", 2);
    b[18] = 9; // 8 + 9 bytes do not fit in rec_len 16
    assert!(matches!(
        Entries::new(&b).nth(1),
        Some(Err(DirError::NameLen { .. }))
    ));
}

#[test]
fn random_blocks_never_panic_and_stay_in_bounds() {
    let mut rng = crate::rng::Rng::new(7);
    for size in [1024usize, 2048, 4096] {
        let mut b = vec![0u8; size];
        for _ in 0..20_000 {
            rng.fill(&mut b);
            let mut covered = 0;
            for e in Entries::new(&b) {
                let Ok(e) = e else { break };
                assert_eq!(e.offset, covered);
                assert!(e.offset + e.rec_len <= size);
                assert!(e.name.len() + 8 <= e.rec_len);
                covered += e.rec_len;
            }
        }
    }
}
