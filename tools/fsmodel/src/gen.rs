// SPDX-License-Identifier: GPL-2.0
//! Choosing the next operation: a weighted operation type, then paths
//! from the model (existing entries, new names from the pool, and now
//! and then paths that must fail), then sizes and offsets from the
//! reference tree's current file sizes.

use crate::model::{child, depth, join, Kind, Model};
use crate::names::{pick_name, symlink_target};
use crate::op::{Fill, NodeType, Op};
use crate::rng::Rng;
use crate::sys::{Timespec, UTIME_NOW, UTIME_OMIT};
use std::fs;
use std::path::Path;

const KIB: u64 = 1024;

/// Operation types (weighted by `WEIGHTS`).
#[derive(Clone, Copy)]
enum OpType {
    Create,
    Write,
    Append,
    Truncate,
    OpenTrunc,
    Read,
    Mkdir,
    Rmdir,
    Unlink,
    Rename,
    Link,
    Symlink,
    Mkfifo,
    Mknod,
    Chmod,
    Chown,
    Utimes,
    Fsync,
    Stat,
    Readdir,
}

const WEIGHTS: &[(OpType, u64)] = &[
    (OpType::Create, 8),
    (OpType::Write, 13),
    (OpType::Append, 5),
    (OpType::Truncate, 7),
    (OpType::OpenTrunc, 3),
    (OpType::Read, 7),
    (OpType::Mkdir, 5),
    (OpType::Rmdir, 4),
    (OpType::Unlink, 8),
    (OpType::Rename, 10),
    (OpType::Link, 4),
    (OpType::Symlink, 4),
    (OpType::Mkfifo, 1),
    (OpType::Mknod, 2),
    (OpType::Chmod, 4),
    (OpType::Chown, 3),
    (OpType::Utimes, 4),
    (OpType::Fsync, 3),
    (OpType::Stat, 3),
    (OpType::Readdir, 2),
];

/// uids and gids for chown: root, small, 16-bit edge, and 32-bit ones
/// (ext2 keeps the high 16 bits apart).
const IDS: &[u32] = &[0, 1, 2, 1000, 65534, 65535, 65536, 100_000, 4_294_967_294];

/// Device numbers no driver can own (major 0, or major >= 512), with old
/// (8:8) and new (12:20) encodings on disk.
const DEVS: &[(u64, u64)] = &[
    (0, 5),
    (0, 255),
    (0, 256),
    (0, 0xFFFFF),
    (512, 0),
    (600, 7),
    (4095, 0xFFFFF),
];

/// Permission bits for chmod/mkdir/create, with setuid, setgid, sticky.
const MODES: &[u32] = &[
    0o644, 0o600, 0o755, 0o700, 0o666, 0o777, 0o000, 0o400, 0o4755, 0o2755, 0o2775, 0o1777, 0o6711,
    0o7777,
];

/// Generates operations.
pub struct Gen<'a> {
    rng: Rng,
    reference: &'a Path,
    max_size: u64,
}

impl<'a> Gen<'a> {
    /// A generator seeded with `seed` that reads file sizes from
    /// `reference` and keeps files below `max_size` bytes.
    pub fn new(seed: u64, reference: &'a Path, max_size: u64) -> Gen<'a> {
        Gen {
            rng: Rng::new(seed),
            reference,
            max_size,
        }
    }

    fn mode(&mut self) -> u32 {
        if self.rng.chance(15) {
            self.rng.below(0o10000) as u32
        } else {
            *self.rng.pick(MODES)
        }
    }

    fn fill(&mut self) -> Fill {
        if self.rng.chance(10) {
            Fill::Zero
        } else {
            Fill::Random(self.rng.next_u64())
        }
    }

    /// A write length: mostly small, up to 64 KiB.
    fn len(&mut self) -> usize {
        let max = match self.rng.below(10) {
            0..=3 => 4 * KIB,
            4..=7 => 16 * KIB,
            _ => 64 * KIB,
        };
        self.rng.below(max + 1).min(self.max_size) as usize
    }

    /// Size of the reference file at `rel` (following symlinks), 0 if none.
    fn size_of(&self, rel: &[u8]) -> u64 {
        fs::metadata(join(self.reference, rel)).map_or(0, |m| if m.is_file() { m.len() } else { 0 })
    }

    /// A path that (probably) does not exist yet: a pool name in a random
    /// directory; now and then below a non-directory (ENOTDIR) or below a
    /// missing directory (ENOENT).
    fn new_path(&mut self, m: &Model) -> Vec<u8> {
        let name = pick_name(&mut self.rng);
        let parent = match self.rng.below(100) {
            0..=2 => m
                .pick(&mut self.rng, |_, k| k != Kind::Dir)
                .unwrap_or_default(),
            3..=4 => {
                let p = m.pick_parent(&mut self.rng);
                let missing = pick_name(&mut self.rng);
                if m.kind(&child(&p, &missing)).is_some() {
                    p
                } else {
                    child(&p, &missing)
                }
            }
            _ => m.pick_parent(&mut self.rng),
        };
        child(&parent, &name)
    }

    /// An existing path of one of `kinds`, else a new path.
    fn existing(&mut self, m: &Model, kinds: &[Kind]) -> Vec<u8> {
        match m.pick(&mut self.rng, |_, k| kinds.contains(&k)) {
            Some(p) => p,
            None => self.new_path(m),
        }
    }

    /// Any existing path (root excluded), else a new one.
    fn any(&mut self, m: &Model) -> Vec<u8> {
        match m.pick(&mut self.rng, |_, _| true) {
            Some(p) => p,
            None => self.new_path(m),
        }
    }

    /// The path of a file to read or write: mostly a regular file,
    /// sometimes a symlink or any other entry, rarely a missing one.
    fn file_path(&mut self, m: &Model) -> Vec<u8> {
        match self.rng.below(100) {
            0..=84 => self.existing(m, &[Kind::File]),
            85..=89 => self.existing(m, &[Kind::Symlink]),
            90..=96 => self.any(m),
            _ => self.new_path(m),
        }
    }

    /// A path for a new entry: mostly new, sometimes an existing one.
    fn create_path(&mut self, m: &Model, existing_pct: u64) -> Vec<u8> {
        if self.rng.chance(existing_pct) {
            self.any(m)
        } else {
            self.new_path(m)
        }
    }

    /// A write offset for a file of `size` bytes and a write of `len`:
    /// mostly inside the file or at its end, sometimes past the end
    /// (leaving a hole), around a block boundary, or anywhere below the
    /// maximum size. Far offsets are rare: every comparison reads whole
    /// files, holes included.
    fn offset(&mut self, size: u64, len: u64) -> u64 {
        let max = self.max_size;
        let off = match self.rng.below(100) {
            0..=44 => self.rng.below(size + 1),
            45..=64 => size,
            65..=79 => size + self.rng.range(1, 64 * KIB),
            80..=83 => size + self.rng.range(1, 1024 * KIB),
            84..=95 => {
                // Around a block boundary of some block size, near the end.
                let bs = *self.rng.pick(&[1024u64, 2048, 4096]);
                let blk = self.rng.below((size + 256 * KIB) / bs + 1);
                (blk * bs).saturating_add_signed(self.rng.range(0, 2) as i64 - 1)
            }
            _ => self.rng.below(max),
        };
        off.min(max.saturating_sub(len))
    }

    /// A truncation size for a file of `size` bytes: 0, shrinking,
    /// growing a little, block-aligned +-1, far, or unchanged.
    fn trunc_size(&mut self, size: u64) -> u64 {
        let max = self.max_size;
        let s = match self.rng.below(100) {
            0..=14 => 0,
            15..=49 => self.rng.below(size + 1),
            50..=74 => size + self.rng.range(1, 64 * KIB),
            75..=91 => {
                let bs = *self.rng.pick(&[1024u64, 2048, 4096]);
                let blk = self.rng.below(size / bs + 16);
                (blk * bs).saturating_add_signed(self.rng.range(0, 2) as i64 - 1)
            }
            92..=94 => self.rng.below(max + 1),
            _ => size,
        };
        s.min(max)
    }

    fn time(&mut self) -> Timespec {
        let tv_sec = match self.rng.below(100) {
            0..=4 => 0,
            5..=9 => i32::MAX as i64,
            10..=14 => i32::MIN as i64,
            15..=19 => -1,
            _ => self.rng.below(1 << 32) as i64 + i32::MIN as i64,
        };
        let tv_nsec = match self.rng.below(100) {
            0..=9 => UTIME_NOW,
            10..=14 => UTIME_OMIT,
            15..=49 => 0,
            _ => self.rng.below(1_000_000_000) as i64,
        };
        Timespec { tv_sec, tv_nsec }
    }

    /// The next operation for a tree that `m` describes.
    pub fn next(&mut self, m: &Model) -> Op {
        let total: u64 = WEIGHTS.iter().map(|w| w.1).sum();
        let mut r = self.rng.below(total);
        let mut kind = WEIGHTS[0].0;
        for &(k, w) in WEIGHTS {
            if r < w {
                kind = k;
                break;
            }
            r -= w;
        }
        match kind {
            OpType::Create => {
                let path = self.create_path(m, 25);
                let mode = if self.rng.chance(70) {
                    0o644
                } else {
                    self.mode()
                };
                let excl = self.rng.chance(50);
                let len = if self.rng.chance(50) { self.len() } else { 0 };
                Op::Create {
                    path,
                    mode,
                    excl,
                    len,
                    fill: self.fill(),
                }
            }
            OpType::Write => {
                let path = self.file_path(m);
                let len = self.len();
                let offset = self.offset(self.size_of(&path), len as u64);
                Op::Write {
                    path,
                    offset,
                    len,
                    fill: self.fill(),
                }
            }
            OpType::Append => {
                let path = self.file_path(m);
                let len = self
                    .len()
                    .min(self.max_size.saturating_sub(self.size_of(&path)) as usize);
                Op::Append {
                    path,
                    len,
                    fill: self.fill(),
                }
            }
            OpType::Truncate => {
                let path = self.file_path(m);
                let size = self.trunc_size(self.size_of(&path));
                Op::Truncate { path, size }
            }
            OpType::OpenTrunc => {
                let path = self.file_path(m);
                let create = self.rng.chance(30);
                let len = if self.rng.chance(60) {
                    self.rng.below(8 * KIB + 1) as usize
                } else {
                    0
                };
                Op::OpenTrunc {
                    path,
                    create,
                    len,
                    fill: self.fill(),
                }
            }
            OpType::Read => {
                let path = self.file_path(m);
                let size = self.size_of(&path);
                let offset = match self.rng.below(10) {
                    0..=7 => self.rng.below(size + 1),
                    8 => size,
                    _ => size + self.rng.below(8 * KIB),
                };
                let len = self.rng.below(128 * KIB + 1) as usize;
                Op::Read { path, offset, len }
            }
            OpType::Mkdir => {
                let path = self.create_path(m, 10);
                let mode = if self.rng.chance(70) {
                    0o755
                } else {
                    self.mode()
                };
                Op::Mkdir { path, mode }
            }
            OpType::Rmdir => {
                let path = match self.rng.below(100) {
                    0..=49 => {
                        match m.pick(&mut self.rng, |p, k| k == Kind::Dir && m.is_empty_dir(p)) {
                            Some(p) => p,
                            None => self.existing(m, &[Kind::Dir]),
                        }
                    }
                    50..=84 => self.existing(m, &[Kind::Dir]),
                    85..=94 => self.any(m),
                    _ => self.new_path(m),
                };
                Op::Rmdir { path }
            }
            OpType::Unlink => {
                let path = match self.rng.below(100) {
                    0..=84 => self.existing(
                        m,
                        &[Kind::File, Kind::Symlink, Kind::Fifo, Kind::Sock, Kind::Dev],
                    ),
                    85..=94 => self.any(m),
                    _ => self.new_path(m),
                };
                Op::Unlink { path }
            }
            OpType::Rename => self.rename(m),
            OpType::Link => {
                let from = match self.rng.below(100) {
                    0..=79 => self.existing(m, &[Kind::File]),
                    80..=94 => self.any(m),
                    _ => self.new_path(m),
                };
                let to = self.create_path(m, 15);
                Op::Link { from, to }
            }
            OpType::Symlink => Op::Symlink {
                target: symlink_target(&mut self.rng),
                path: self.create_path(m, 15),
            },
            OpType::Mkfifo => Op::Mkfifo {
                path: self.create_path(m, 10),
                mode: self.mode(),
            },
            OpType::Mknod => {
                let kind = *self.rng.pick(&[
                    NodeType::Fifo,
                    NodeType::Sock,
                    NodeType::Char,
                    NodeType::Block,
                ]);
                let (major, minor) = match kind {
                    NodeType::Char | NodeType::Block => *self.rng.pick(DEVS),
                    _ => (0, 0),
                };
                Op::Mknod {
                    path: self.create_path(m, 10),
                    kind,
                    mode: self.mode(),
                    major,
                    minor,
                }
            }
            OpType::Chmod => Op::Chmod {
                path: self.any(m),
                mode: self.mode(),
            },
            OpType::Chown => {
                let uid = *self.rng.pick(IDS);
                let gid = *self.rng.pick(IDS);
                let (uid, gid) = match self.rng.below(10) {
                    0 => (Some(uid), None),
                    1 => (None, Some(gid)),
                    _ => (Some(uid), Some(gid)),
                };
                Op::Chown {
                    path: self.any(m),
                    uid,
                    gid,
                    follow: self.rng.chance(50),
                }
            }
            OpType::Utimes => {
                let path = if self.rng.chance(95) {
                    self.any(m)
                } else {
                    self.new_path(m)
                };
                Op::Utimes {
                    path,
                    atime: self.time(),
                    mtime: self.time(),
                    follow: self.rng.chance(40),
                }
            }
            OpType::Fsync => {
                let path = if self.rng.chance(75) {
                    self.existing(m, &[Kind::File])
                } else {
                    self.existing(m, &[Kind::Dir])
                };
                Op::Fsync {
                    path,
                    data_only: self.rng.chance(40),
                }
            }
            OpType::Stat => Op::Stat {
                path: if self.rng.chance(90) {
                    self.any(m)
                } else {
                    self.new_path(m)
                },
            },
            OpType::Readdir => Op::Readdir {
                path: if self.rng.chance(20) {
                    Vec::new()
                } else {
                    self.existing(m, &[Kind::Dir])
                },
            },
        }
    }

    /// A rename: files and directories, over existing entries of the same
    /// and other types, into its own subtree (EINVAL), onto an ancestor
    /// (ENOTEMPTY), onto itself, and to new names.
    fn rename(&mut self, m: &Model) -> Op {
        let from = match self.rng.below(100) {
            0..=54 => self.any(m),
            55..=89 => self.existing(m, &[Kind::Dir]),
            _ => self.new_path(m),
        };
        let from_kind = m.kind(&from);
        let to = match self.rng.below(100) {
            0..=34 => self.new_path(m),
            35..=59 => self.any(m),
            60..=74 => match from_kind {
                Some(k) => self.existing(m, &[k]),
                None => self.any(m),
            },
            75..=84 => {
                // Into its own subtree.
                let below = child(&from, b"");
                match m.pick(&mut self.rng, |p, k| {
                    k == Kind::Dir && p.starts_with(&below)
                }) {
                    Some(d) if self.rng.chance(50) => child(&d, &pick_name(&mut self.rng)),
                    _ => child(&from, &pick_name(&mut self.rng)),
                }
            }
            85..=92 if depth(&from) > 1 => {
                // Onto an ancestor, which is never empty.
                let cut = from.iter().rposition(|&b| b == b'/').unwrap_or(0);
                from[..cut].to_vec()
            }
            _ => from.clone(),
        };
        Op::Rename {
            from,
            to,
            noreplace: self.rng.chance(10),
        }
    }
}
