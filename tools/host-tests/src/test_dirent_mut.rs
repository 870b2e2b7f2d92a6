// SPDX-License-Identifier: GPL-2.0

//! Directory block mutation against a model of the block's records.

use crate::disk::dirent::{
    encode_rec_len, file_type_of, find, find_room, init_dir, init_empty, insert, only_dots,
    rec_len_for, remove, retarget, DirError, Entries, FT_DIR,
};
use crate::disk::inode::{S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG, S_IFSOCK};
use crate::rng::Rng;

/// One record of the model: what the block must hold at `offset`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Rec {
    offset: usize,
    rec_len: usize,
    inode: u32,
    file_type: u8,
    name: Vec<u8>,
}

/// A record list for a block, updated by the rules ext2 uses.
#[derive(Clone, Debug)]
struct Model {
    recs: Vec<Rec>,
}

impl Model {
    fn empty(len: usize) -> Self {
        Self {
            recs: vec![Rec {
                offset: 0,
                rec_len: len,
                inode: 0,
                file_type: 0,
                name: Vec::new(),
            }],
        }
    }

    fn dir(len: usize, me: u32, parent: u32, ft: u8) -> Self {
        Self {
            recs: vec![
                Rec {
                    offset: 0,
                    rec_len: 12,
                    inode: me,
                    file_type: ft,
                    name: b".".to_vec(),
                },
                Rec {
                    offset: 12,
                    rec_len: len - 12,
                    inode: parent,
                    file_type: ft,
                    name: b"..".to_vec(),
                },
            ],
        }
    }

    /// The first record with room for a `name_len` entry, computed from the
    /// model alone.
    fn room(&self, name_len: usize) -> Option<usize> {
        let need = (8 + name_len).div_ceil(4) * 4;
        self.recs
            .iter()
            .find(|r| {
                let used = if r.inode == 0 {
                    0
                } else {
                    (8 + r.name.len()).div_ceil(4) * 4
                };
                r.rec_len - used >= need
            })
            .map(|r| r.offset)
    }

    fn insert(&mut self, offset: usize, inode: u32, name: &[u8], ft: u8) {
        let k = self.recs.iter().position(|r| r.offset == offset).unwrap();
        let r = &mut self.recs[k];
        if r.inode == 0 {
            r.inode = inode;
            r.name = name.to_vec();
            r.file_type = ft;
        } else {
            let own = (8 + r.name.len()).div_ceil(4) * 4;
            let new = Rec {
                offset: r.offset + own,
                rec_len: r.rec_len - own,
                inode,
                file_type: ft,
                name: name.to_vec(),
            };
            r.rec_len = own;
            self.recs.insert(k + 1, new);
        }
    }

    fn remove(&mut self, k: usize) {
        if k == 0 {
            self.recs[0].inode = 0;
        } else {
            let gone = self.recs.remove(k);
            self.recs[k - 1].rec_len += gone.rec_len;
        }
    }

    fn used(&self) -> Vec<(Vec<u8>, u32, u8)> {
        let mut v: Vec<_> = self
            .recs
            .iter()
            .filter(|r| r.inode != 0)
            .map(|r| (r.name.clone(), r.inode, r.file_type))
            .collect();
        v.sort();
        v
    }
}

/// Parses the whole block; it must tile exactly.
fn parse_all(b: &[u8]) -> Vec<Rec> {
    let mut covered = 0;
    let mut v = Vec::new();
    for e in Entries::new(b) {
        let e = e.expect("block stays valid");
        assert_eq!(e.offset, covered);
        covered += e.rec_len;
        v.push(Rec {
            offset: e.offset,
            rec_len: e.rec_len,
            inode: e.inode,
            file_type: e.file_type,
            name: e.name.to_vec(),
        });
    }
    assert_eq!(covered, b.len(), "entries tile the block");
    v
}

/// Checks the block against the model, including zeroed name padding.
fn check(b: &[u8], m: &Model) {
    let recs = parse_all(b);
    for (got, want) in recs.iter().zip(&m.recs) {
        assert_eq!(got.offset, want.offset);
        assert_eq!(got.rec_len, want.rec_len);
        assert_eq!(got.inode, want.inode);
        if want.inode != 0 {
            assert_eq!(got, want);
            let pad = &b[got.offset + 8 + got.name.len()..got.offset + rec_len_for(got.name.len())];
            assert!(pad.iter().all(|&x| x == 0), "name padding is zero");
        }
    }
    assert_eq!(recs.len(), m.recs.len());
    let mut used: Vec<_> = recs
        .iter()
        .filter(|r| r.inode != 0)
        .map(|r| (r.name.clone(), r.inode, r.file_type))
        .collect();
    used.sort();
    assert_eq!(used, m.used());
}

/// A name of 1..=255 bytes without NUL or '/'; `long` makes long names
/// common, so that big blocks fill up too.
fn random_name(rng: &mut Rng, long: bool) -> Vec<u8> {
    let len = match rng.below(10) {
        0 => 1 + rng.below(255) as usize,
        1 => 200 + rng.below(56) as usize,
        2..=5 if long => 64 + rng.below(192) as usize,
        _ => 1 + rng.below(16) as usize,
    };
    (0..len)
        .map(|_| loop {
            let c = 1 + rng.below(255) as u8;
            if c != b'/' {
                break c;
            }
        })
        .collect()
}

/// Asserts that a refused call left the block alone.
fn refused(r: Result<(), DirError>, before: &[u8], after: &[u8]) {
    assert!(r.is_err());
    assert_eq!(before, after, "a refused call writes nothing");
}

#[test]
fn random_sequences_match_the_model() {
    let mut rng = Rng::new(0xd1e);
    for size in [1024usize, 2048, 4096] {
        let (mut full, mut merged) = (0, 0);
        for seq in 0..1000 {
            let long = seq % 3 == 0;
            let mut b = vec![0u8; size];
            rng.fill(&mut b);
            let mut m = if seq % 2 == 0 {
                init_empty(&mut b);
                Model::empty(size)
            } else {
                let me = 1 + rng.below(1000) as u32;
                init_dir(&mut b, me, 2, FT_DIR);
                assert_eq!(only_dots(&b, me), Ok(true));
                Model::dir(size, me, 2, FT_DIR)
            };
            check(&b, &m);
            for _ in 0..50 + 30 * size / 1024 {
                let before = b.clone();
                let op = rng.below(10);
                if op < 5 {
                    let name = random_name(&mut rng, long);
                    let ino = 1 + rng.below(u64::from(u32::MAX)) as u32;
                    let ft = rng.below(8) as u8;
                    let slot = find_room(&b, name.len()).unwrap();
                    assert_eq!(slot, m.room(name.len()), "find_room");
                    match slot {
                        Some(off) => {
                            insert(&mut b, off, ino, &name, ft).unwrap();
                            m.insert(off, ino, &name, ft);
                            // find() gives the first used entry of that name.
                            let e = find(&b, &name).unwrap().unwrap();
                            let first = m.recs.iter().find(|r| r.inode != 0 && r.name == name);
                            assert_eq!(e.offset, first.unwrap().offset);
                        }
                        None => {
                            full += 1;
                            // No slot anywhere: every offset is refused.
                            for _ in 0..3 {
                                let r = &m.recs[rng.below(m.recs.len() as u64) as usize];
                                let res = insert(&mut b, r.offset, ino, &name, ft);
                                refused(res, &before, &b);
                            }
                        }
                    }
                } else if op < 8 {
                    let used: Vec<usize> = (0..m.recs.len())
                        .filter(|&k| m.recs[k].inode != 0)
                        .collect();
                    if used.is_empty() {
                        continue;
                    }
                    let k = used[rng.below(used.len() as u64) as usize];
                    if op < 7 {
                        remove(&mut b, m.recs[k].offset).unwrap();
                        merged += usize::from(k > 0);
                        m.remove(k);
                    } else {
                        let ino = 1 + rng.below(1 << 20) as u32;
                        let ft = rng.below(8) as u8;
                        retarget(&mut b, m.recs[k].offset, ino, ft).unwrap();
                        m.recs[k].inode = ino;
                        m.recs[k].file_type = ft;
                    }
                } else {
                    // Requests that do not match the block are refused.
                    let off = rng.below(size as u64 + 8) as usize;
                    let name = random_name(&mut rng, long);
                    if let Some(r) = m.recs.iter().find(|r| r.offset == off) {
                        let used = if r.inode == 0 {
                            0
                        } else {
                            rec_len_for(r.name.len())
                        };
                        if r.rec_len - used < rec_len_for(name.len()) {
                            refused(insert(&mut b, off, 5, &name, 1), &before, &b);
                        }
                        if r.inode == 0 {
                            refused(retarget(&mut b, off, 5, 1), &before, &b);
                        }
                    } else {
                        refused(remove(&mut b, off), &before, &b);
                        refused(retarget(&mut b, off, 5, 1), &before, &b);
                        refused(insert(&mut b, off, 5, &name, 1), &before, &b);
                    }
                    refused(insert(&mut b, off, 5, b"", 1), &before, &b);
                    refused(insert(&mut b, off, 5, &[b'a'; 256], 1), &before, &b);
                    refused(insert(&mut b, off, 5, b"a/b", 1), &before, &b);
                    refused(insert(&mut b, off, 5, b"a\0b", 1), &before, &b);
                    refused(insert(&mut b, off, 0, b"x", 1), &before, &b);
                    refused(retarget(&mut b, off, 0, 1), &before, &b);
                }
                check(&b, &m);
            }
        }
        // The sequences do fill blocks and merge records.
        assert!(
            full > 1000 && merged > 10_000,
            "{size}: {full} full, {merged} merged"
        );
    }
}

#[test]
fn corrupt_blocks_are_refused_untouched() {
    let mut rng = Rng::new(0xbad);
    for _ in 0..5_000 {
        let mut b = vec![0u8; 1024];
        init_dir(&mut b, 12, 2, FT_DIR);
        insert(&mut b, 12, 13, b"file", 1).unwrap();
        // Break one header byte of the ".." entry or of "file".
        let at = [12 + 4, 12 + 5, 12 + 6, 24 + 4, 24 + 5, 24 + 6][rng.below(6) as usize];
        b[at] = rng.next() as u8;
        if Entries::new(&b).all(|e| e.is_ok()) {
            continue;
        }
        let before = b.clone();
        assert!(find_room(&b, 1).is_err());
        // Stops at the first non-dot entry, like ext2_empty_dir.
        assert_ne!(only_dots(&b, 12), Ok(true));
        refused(insert(&mut b, 0, 5, b"x", 1), &before, &b);
        refused(remove(&mut b, 0), &before, &b);
        refused(retarget(&mut b, 0, 5, 1), &before, &b);
    }
}

#[test]
fn linux_layouts() {
    let mut b = vec![0xaau8; 1024];
    init_dir(&mut b, 11, 2, FT_DIR);
    assert_eq!(
        &b[..24],
        &[11, 0, 0, 0, 12, 0, 1, 2, b'.', 0, 0, 0, 2, 0, 0, 0, 0xf4, 3, 2, 2, b'.', b'.', 0, 0]
    );
    assert!(b[24..].iter().all(|&x| x == 0));
    assert_eq!(only_dots(&b, 11), Ok(true));
    assert_eq!(only_dots(&b, 12), Ok(false), "'.' must point to the dir");
    // ".." has room: the new entry goes right after it.
    assert_eq!(find_room(&b, 3), Ok(Some(12)));
    insert(&mut b, 12, 20, b"abc", 1).unwrap();
    assert_eq!(u16::from_le_bytes([b[16], b[17]]), 12);
    assert_eq!(&b[24..35], &[20, 0, 0, 0, 0xe8, 3, 3, 1, b'a', b'b', b'c']);
    assert_eq!(only_dots(&b, 11), Ok(false));
    // Removing it gives its record back to "..".
    remove(&mut b, 24).unwrap();
    assert_eq!(u16::from_le_bytes([b[16], b[17]]), 1012);
    assert_eq!(only_dots(&b, 11), Ok(true));
    assert_eq!(find(&b, b"abc"), Ok(None));
    // Removing the first entry only clears its inode; it is then reused.
    remove(&mut b, 0).unwrap();
    assert_eq!(&b[..8], &[0, 0, 0, 0, 12, 0, 1, 2]);
    assert_eq!(find_room(&b, 4), Ok(Some(0)));
    assert_eq!(find_room(&b, 5), Ok(Some(12)));
    insert(&mut b, 0, 30, b"wxyz", 7).unwrap();
    assert_eq!(
        &b[..12],
        &[30, 0, 0, 0, 12, 0, 4, 7, b'w', b'x', b'y', b'z']
    );
    retarget(&mut b, 12, 99, 2).unwrap();
    assert_eq!(find(&b, b"..").unwrap().unwrap().inode, 99);
    // A block with no room.
    let mut full = vec![0u8; 1024];
    init_empty(&mut full);
    insert(&mut full, 0, 5, &[b'n'; 255], 1).unwrap();
    let mut off = 0;
    while let Some(o) = find_room(&full, 255).unwrap() {
        insert(&mut full, o, 5, &[b'n'; 255], 1).unwrap();
        off = o;
    }
    // Records of 264, 264, 264 + 232 bytes: 232 bytes of slack remain.
    assert_eq!(off, 264);
    assert_eq!(find_room(&full, 255), Ok(None));
    assert_eq!(find_room(&full, 225), Ok(None));
    assert_eq!(find_room(&full, 224), Ok(Some(528)));
    assert_eq!(find_room(&full, 1), Ok(Some(528)));
}

#[test]
fn rec_len_helpers() {
    assert_eq!(rec_len_for(1), 12);
    assert_eq!(rec_len_for(4), 12);
    assert_eq!(rec_len_for(5), 16);
    assert_eq!(rec_len_for(255), 264);
    assert_eq!(encode_rec_len(1024, 1024), 1024);
    assert_eq!(encode_rec_len(65536, 65536), u16::MAX);
    // A 64 KiB block: the spanning record is stored as 0xffff and parses.
    let mut b = vec![0u8; 65536];
    init_empty(&mut b);
    assert_eq!(&b[4..6], &[0xff, 0xff]);
    insert(&mut b, 0, 7, b"big", 1).unwrap();
    let v: Vec<_> = Entries::new(&b).map(|e| e.unwrap().rec_len).collect();
    assert_eq!(v, [65536]);
    insert(&mut b, 0, 8, b"next", 1).unwrap();
    let v: Vec<_> = Entries::new(&b).map(|e| e.unwrap().rec_len).collect();
    assert_eq!(v, [12, 65524]);
    remove(&mut b, 12).unwrap();
    assert_eq!(&b[4..6], &[0xff, 0xff]);
}

#[test]
fn file_types() {
    let cases = [
        (S_IFREG, 1),
        (S_IFDIR, 2),
        (S_IFCHR, 3),
        (S_IFBLK, 4),
        (S_IFIFO, 5),
        (S_IFSOCK, 6),
        (S_IFLNK, 7),
        (0, 0),
        (0o170000, 0),
    ];
    for (t, ft) in cases {
        assert_eq!(file_type_of(t | 0o4755), ft);
    }
}
