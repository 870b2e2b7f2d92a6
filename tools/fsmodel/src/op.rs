// SPDX-License-Identifier: GPL-2.0
//! The operations, with every parameter decided before they are applied,
//! so that the very same operation runs on both trees.

use crate::names::{escape, show};
use crate::rng::Rng;
use crate::sys::Timespec;
use std::fmt;

/// Data a write puts in the file: generated from a seed, or zeroes.
#[derive(Clone, Copy, Debug)]
pub enum Fill {
    /// Pseudo-random bytes from this seed.
    Random(u64),
    /// All zero bytes (must still allocate, unlike a hole).
    Zero,
}

impl Fill {
    /// `len` bytes of this data.
    pub fn bytes(self, len: usize) -> Vec<u8> {
        match self {
            Fill::Zero => vec![0; len],
            Fill::Random(seed) => {
                let mut rng = Rng::new(seed);
                let mut v = Vec::with_capacity(len + 8);
                while v.len() < len {
                    v.extend_from_slice(&rng.next_u64().to_le_bytes());
                }
                v.truncate(len);
                v
            }
        }
    }
}

/// Type of node `Mknod` makes.
#[derive(Clone, Copy, Debug)]
pub enum NodeType {
    /// Fifo (through mknod, not mkfifo).
    Fifo,
    /// Socket inode (mknod S_IFSOCK: no bind, no path length limit).
    Sock,
    /// Character device; the numbers are ones no driver can have.
    Char,
    /// Block device; the numbers are ones no driver can have.
    Block,
}

/// A filesystem operation with all its parameters. Paths are relative to
/// the tree's top directory.
#[derive(Clone, Debug)]
pub enum Op {
    /// open(O_CREAT|O_WRONLY[|O_EXCL], mode), write `len` bytes, close.
    Create {
        path: Vec<u8>,
        mode: u32,
        excl: bool,
        len: usize,
        fill: Fill,
    },
    /// pwrite `len` bytes at `offset`.
    Write {
        path: Vec<u8>,
        offset: u64,
        len: usize,
        fill: Fill,
    },
    /// open(O_APPEND) and write `len` bytes.
    Append {
        path: Vec<u8>,
        len: usize,
        fill: Fill,
    },
    /// ftruncate to `size`.
    Truncate { path: Vec<u8>, size: u64 },
    /// open(O_TRUNC[|O_CREAT]) and write `len` bytes.
    OpenTrunc {
        path: Vec<u8>,
        create: bool,
        len: usize,
        fill: Fill,
    },
    /// pread `len` bytes at `offset`; the data must match.
    Read {
        path: Vec<u8>,
        offset: u64,
        len: usize,
    },
    /// mkdir.
    Mkdir { path: Vec<u8>, mode: u32 },
    /// rmdir.
    Rmdir { path: Vec<u8> },
    /// unlink.
    Unlink { path: Vec<u8> },
    /// rename, or renameat2(RENAME_NOREPLACE).
    Rename {
        from: Vec<u8>,
        to: Vec<u8>,
        noreplace: bool,
    },
    /// link.
    Link { from: Vec<u8>, to: Vec<u8> },
    /// symlink.
    Symlink { target: Vec<u8>, path: Vec<u8> },
    /// mkfifo.
    Mkfifo { path: Vec<u8>, mode: u32 },
    /// mknod of a fifo, socket or device.
    Mknod {
        path: Vec<u8>,
        kind: NodeType,
        mode: u32,
        major: u64,
        minor: u64,
    },
    /// chmod (follows symlinks).
    Chmod { path: Vec<u8>, mode: u32 },
    /// chown or lchown; `None` leaves that id alone.
    Chown {
        path: Vec<u8>,
        uid: Option<u32>,
        gid: Option<u32>,
        follow: bool,
    },
    /// utimensat with explicit times, UTIME_NOW or UTIME_OMIT.
    Utimes {
        path: Vec<u8>,
        atime: Timespec,
        mtime: Timespec,
        follow: bool,
    },
    /// open and fsync or fdatasync.
    Fsync { path: Vec<u8>, data_only: bool },
    /// lstat (and readlink): type, mode, links, owner, size must match.
    Stat { path: Vec<u8> },
    /// readdir: the names and d_types must match.
    Readdir { path: Vec<u8> },
}

impl Op {
    /// Whether the operation can change the tree.
    pub fn modifies(&self) -> bool {
        !matches!(self, Op::Read { .. } | Op::Stat { .. } | Op::Readdir { .. })
    }

    /// Paths whose model entries must be re-read after the operation.
    pub fn touched(&self) -> Vec<&[u8]> {
        match self {
            Op::Rename { from, to, .. } | Op::Link { from, to } => vec![from, to],
            Op::Create { path, .. }
            | Op::Write { path, .. }
            | Op::Append { path, .. }
            | Op::Truncate { path, .. }
            | Op::OpenTrunc { path, .. }
            | Op::Read { path, .. }
            | Op::Mkdir { path, .. }
            | Op::Rmdir { path }
            | Op::Unlink { path }
            | Op::Symlink { path, .. }
            | Op::Mkfifo { path, .. }
            | Op::Mknod { path, .. }
            | Op::Chmod { path, .. }
            | Op::Chown { path, .. }
            | Op::Utimes { path, .. }
            | Op::Fsync { path, .. }
            | Op::Stat { path }
            | Op::Readdir { path } => vec![path],
        }
    }
}

fn fill(f: &Fill) -> String {
    match f {
        Fill::Random(s) => format!("data {:08x}", s & 0xFFFF_FFFF),
        Fill::Zero => "zeroes".to_string(),
    }
}

fn id(v: &Option<u32>) -> String {
    v.map_or("-".to_string(), |v| v.to_string())
}

fn ts(t: &Timespec) -> String {
    match t.tv_nsec {
        crate::sys::UTIME_NOW => "now".to_string(),
        crate::sys::UTIME_OMIT => "omit".to_string(),
        n => format!("{}.{:09}", t.tv_sec, n),
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Op::Create {
                path,
                mode,
                excl,
                len,
                fill: d,
            } => write!(
                f,
                "create {} mode {mode:o}{} +{len} ({})",
                show(path),
                if *excl { " O_EXCL" } else { "" },
                fill(d)
            ),
            Op::Write {
                path,
                offset,
                len,
                fill: d,
            } => write!(f, "write {} @{offset} +{len} ({})", show(path), fill(d)),
            Op::Append { path, len, fill: d } => {
                write!(f, "append {} +{len} ({})", show(path), fill(d))
            }
            Op::Truncate { path, size } => write!(f, "truncate {} to {size}", show(path)),
            Op::OpenTrunc {
                path,
                create,
                len,
                fill: d,
            } => write!(
                f,
                "open O_TRUNC{} {} +{len} ({})",
                if *create { "|O_CREAT" } else { "" },
                show(path),
                fill(d)
            ),
            Op::Read { path, offset, len } => write!(f, "read {} @{offset} +{len}", show(path)),
            Op::Mkdir { path, mode } => write!(f, "mkdir {} mode {mode:o}", show(path)),
            Op::Rmdir { path } => write!(f, "rmdir {}", show(path)),
            Op::Unlink { path } => write!(f, "unlink {}", show(path)),
            Op::Rename {
                from,
                to,
                noreplace,
            } => write!(
                f,
                "rename{} {} -> {}",
                if *noreplace { " NOREPLACE" } else { "" },
                show(from),
                show(to)
            ),
            Op::Link { from, to } => write!(f, "link {} -> {}", show(from), show(to)),
            Op::Symlink { target, path } => write!(
                f,
                "symlink {} -> \"{}\" ({} bytes)",
                show(path),
                escape(&target[..target.len().min(80)]),
                target.len()
            ),
            Op::Mkfifo { path, mode } => write!(f, "mkfifo {} mode {mode:o}", show(path)),
            Op::Mknod {
                path,
                kind,
                mode,
                major,
                minor,
            } => write!(
                f,
                "mknod {} {kind:?} mode {mode:o} dev {major}:{minor}",
                show(path)
            ),
            Op::Chmod { path, mode } => write!(f, "chmod {} {mode:o}", show(path)),
            Op::Chown {
                path,
                uid,
                gid,
                follow,
            } => write!(
                f,
                "{} {} {}:{}",
                if *follow { "chown" } else { "lchown" },
                show(path),
                id(uid),
                id(gid)
            ),
            Op::Utimes {
                path,
                atime,
                mtime,
                follow,
            } => write!(
                f,
                "utimensat{} {} atime {} mtime {}",
                if *follow { "" } else { " NOFOLLOW" },
                show(path),
                ts(atime),
                ts(mtime)
            ),
            Op::Fsync { path, data_only } => write!(
                f,
                "{} {}",
                if *data_only { "fdatasync" } else { "fsync" },
                show(path)
            ),
            Op::Stat { path } => write!(f, "lstat {}", show(path)),
            Op::Readdir { path } => write!(f, "readdir {}", show(path)),
        }
    }
}
