// SPDX-License-Identifier: GPL-2.0
//! Full comparison of the two trees, entry by entry, reading both in
//! sorted order; the reference side also yields a fresh model.
//!
//! Compared: names (the set of entries of every directory), types, the
//! permission bits (mode & 07777), uid, gid, link counts (directories
//! too: ext2 and tmpfs both count 2 + subdirectories), sizes, mtimes (in
//! whole seconds, within the --mtime-slack tolerance: an operation runs on
//! the target first, so "now" differs a little between the trees), device
//! numbers, symlink targets, file contents (streamed in 256 KiB chunks,
//! reads must end exactly at st_size), readdir's d_type against lstat,
//! and which paths share an inode (hard links).
//!
//! Deliberately not compared: directory sizes and st_blocks (allocation
//! differs between ext2 and tmpfs), inode numbers (only their sharing),
//! atime and ctime (ctime cannot be set, atime depends on mount options).

use crate::model::{child, join, Kind, Model};
use crate::names::{escape, show};
use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File, Metadata};
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::Path;

const CHUNK: usize = 256 * 1024;
/// At most this many differences are kept for printing (all are counted).
const KEEP: usize = 25;

/// The result of one comparison.
pub struct Report {
    /// Entries compared, the top directory included.
    pub entries: u64,
    /// File bytes compared (per tree).
    pub bytes: u64,
    /// Number of differences.
    pub count: usize,
    /// The first differences, one line each.
    pub diffs: Vec<String>,
    /// The reference tree's paths.
    pub model: Model,
}

/// Which inode a path's first sighting on the other side had.
type LinkMap = BTreeMap<(u64, u64), (Vec<u8>, (u64, u64))>;

/// Compares two trees.
pub struct TreeCmp<'a> {
    target: &'a Path,
    reference: &'a Path,
    slack: i64,
    bufs: (Vec<u8>, Vec<u8>),
    report: Report,
    links_t: LinkMap,
    links_r: LinkMap,
}

fn kind_name(md: &Metadata) -> String {
    format!("{:?}", Kind::of(md.file_type()))
}

/// Fills `buf` from `f` (looping over short reads); returns the count.
fn read_full(f: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match f.read(&mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

impl<'a> TreeCmp<'a> {
    /// Compares `target` with `reference`; mtimes may differ by up to
    /// `slack` seconds.
    pub fn run(target: &'a Path, reference: &'a Path, slack: i64) -> Report {
        let mut c = TreeCmp {
            target,
            reference,
            slack,
            bufs: (vec![0; CHUNK], vec![0; CHUNK]),
            report: Report {
                entries: 0,
                bytes: 0,
                count: 0,
                diffs: Vec::new(),
                model: Model::new(),
            },
            links_t: BTreeMap::new(),
            links_r: BTreeMap::new(),
        };
        c.walk();
        c.report
    }

    fn diff(&mut self, rel: &[u8], what: String) {
        self.report.count += 1;
        if self.report.diffs.len() < KEEP {
            self.report.diffs.push(format!("{}: {what}", show(rel)));
        }
    }

    fn walk(&mut self) {
        let mut stack = vec![Vec::new()];
        while let Some(rel) = stack.pop() {
            if !self.entry(&rel) {
                continue;
            }
            let (Some(t), Some(r)) = (self.list(&rel, true), self.list(&rel, false)) else {
                continue;
            };
            for name in t.difference(&r) {
                self.diff(&child(&rel, name), "only in target".to_string());
            }
            for name in r.difference(&t) {
                self.diff(&child(&rel, name), "only in reference".to_string());
            }
            // Reverse order on the stack: visited in sorted order.
            for name in t.intersection(&r).collect::<Vec<_>>().into_iter().rev() {
                stack.push(child(&rel, name));
            }
        }
    }

    /// Sorted names of a directory; checks d_type against lstat.
    fn list(&mut self, rel: &[u8], target: bool) -> Option<BTreeSet<Vec<u8>>> {
        let (base, label) = if target {
            (self.target, "target")
        } else {
            (self.reference, "reference")
        };
        let rd = match fs::read_dir(join(base, rel)) {
            Ok(rd) => rd,
            Err(e) => {
                self.diff(rel, format!("{label}: readdir failed: {e}"));
                return None;
            }
        };
        let mut names = BTreeSet::new();
        for e in rd {
            let e = match e {
                Ok(e) => e,
                Err(e) => {
                    self.diff(rel, format!("{label}: readdir failed: {e}"));
                    return None;
                }
            };
            let name = e.file_name().as_bytes().to_vec();
            let sub = child(rel, &name);
            if let (Ok(dt), Ok(md)) = (e.file_type(), fs::symlink_metadata(join(base, &sub))) {
                if Kind::of(dt) != Kind::of(md.file_type()) {
                    let what = format!(
                        "{label}: readdir d_type {:?}, lstat {}",
                        Kind::of(dt),
                        kind_name(&md)
                    );
                    self.diff(&sub, what);
                }
            }
            names.insert(name);
        }
        Some(names)
    }

    /// Compares one entry; true if it is a directory on both sides.
    fn entry(&mut self, rel: &[u8]) -> bool {
        self.report.entries += 1;
        let pt = join(self.target, rel);
        let pr = join(self.reference, rel);
        let (t, r) = match (fs::symlink_metadata(&pt), fs::symlink_metadata(&pr)) {
            (Ok(t), Ok(r)) => (t, r),
            (a, b) => {
                let e = |x: &std::io::Result<Metadata>| match x {
                    Ok(_) => "ok".to_string(),
                    Err(e) => e.to_string(),
                };
                self.diff(rel, format!("lstat: target {} reference {}", e(&a), e(&b)));
                return false;
            }
        };
        let kind = Kind::of(r.file_type());
        self.report.model.insert(rel.to_vec(), kind);
        if Kind::of(t.file_type()) != kind {
            self.diff(
                rel,
                format!("type: target {} reference {}", kind_name(&t), kind_name(&r)),
            );
            return false;
        }
        let mut field = |name: &str, a: String, b: String| {
            if a != b {
                self.diff(rel, format!("{name}: target {a} reference {b}"));
            }
        };
        field(
            "mode",
            format!("{:o}", t.mode() & 0o7777),
            format!("{:o}", r.mode() & 0o7777),
        );
        field("uid", t.uid().to_string(), r.uid().to_string());
        field("gid", t.gid().to_string(), r.gid().to_string());
        field("nlink", t.nlink().to_string(), r.nlink().to_string());
        if kind != Kind::Dir {
            field("size", t.len().to_string(), r.len().to_string());
        }
        if t.file_type().is_block_device() || t.file_type().is_char_device() {
            field("rdev", format!("{:x}", t.rdev()), format!("{:x}", r.rdev()));
        }
        // The roots were made by the caller at different moments.
        if !rel.is_empty() && (t.mtime() - r.mtime()).abs() > self.slack {
            self.diff(
                rel,
                format!("mtime: target {} reference {}", t.mtime(), r.mtime()),
            );
        }
        if kind != Kind::Dir {
            self.links(rel, &t, &r);
        }
        match kind {
            Kind::Symlink => {
                match (fs::read_link(&pt), fs::read_link(&pr)) {
                    (Ok(a), Ok(b)) if a == b => {}
                    (a, b) => {
                        let s = |x: std::io::Result<std::path::PathBuf>| match x {
                            Ok(p) => format!("\"{}\"", escape(p.as_os_str().as_bytes())),
                            Err(e) => e.to_string(),
                        };
                        self.diff(
                            rel,
                            format!("symlink target: target {} reference {}", s(a), s(b)),
                        );
                    }
                }
                false
            }
            Kind::File => {
                self.content(rel, &t, &r);
                false
            }
            Kind::Dir => true,
            _ => false,
        }
    }

    /// Hard links: paths sharing an inode on one side must share one on
    /// the other side too.
    fn links(&mut self, rel: &[u8], t: &Metadata, r: &Metadata) {
        let it = (t.dev(), t.ino());
        let ir = (r.dev(), r.ino());
        let mut found = Vec::new();
        for (map, mine, other, label) in [
            (&mut self.links_t, it, ir, "target"),
            (&mut self.links_r, ir, it, "reference"),
        ] {
            match map.get(&mine) {
                Some((first, other_first)) if *other_first != other => found.push(format!(
                    "hard links: shares an inode with {} in the {label} only",
                    show(first)
                )),
                Some(_) => {}
                None => {
                    map.insert(mine, (rel.to_vec(), other));
                }
            }
        }
        for what in found {
            self.diff(rel, what);
        }
    }

    /// Streams both files and compares their bytes.
    fn content(&mut self, rel: &[u8], t: &Metadata, r: &Metadata) {
        let open = |base: &Path| {
            fs::OpenOptions::new()
                .read(true)
                .custom_flags(crate::sys::O_NONBLOCK)
                .open(join(base, rel))
        };
        let (mut ft, mut fr) = match (open(self.target), open(self.reference)) {
            (Ok(a), Ok(b)) => (a, b),
            (a, b) => {
                let e =
                    |x: std::io::Result<File>| x.err().map_or("ok".to_string(), |e| e.to_string());
                self.diff(rel, format!("open: target {} reference {}", e(a), e(b)));
                return;
            }
        };
        let mut off = 0u64;
        let mut first_diff = None;
        let (mut bt, mut br) = std::mem::take(&mut self.bufs);
        loop {
            let (nt, nr) = match (read_full(&mut ft, &mut bt), read_full(&mut fr, &mut br)) {
                (Ok(a), Ok(b)) => (a, b),
                (a, b) => {
                    let e = |x: std::io::Result<usize>| {
                        x.err().map_or("ok".to_string(), |e| e.to_string())
                    };
                    self.diff(
                        rel,
                        format!("read at {off}: target {} reference {}", e(a), e(b)),
                    );
                    break;
                }
            };
            let n = nt.min(nr);
            if first_diff.is_none() && bt[..n] != br[..n] {
                let i = (0..n).find(|&i| bt[i] != br[i]).unwrap_or(n);
                first_diff = Some((off + i as u64, bt[i], br[i]));
            }
            self.report.bytes += n as u64;
            if nt != nr {
                let (at, ar) = (off + nt as u64, off + nr as u64);
                self.diff(rel, format!("reads end at: target {at} reference {ar}"));
                break;
            }
            off += n as u64;
            if n < CHUNK {
                for (label, md) in [("target", t), ("reference", r)] {
                    if off != md.len() {
                        let what = format!("{label}: read {off} bytes, st_size is {}", md.len());
                        self.diff(rel, what);
                    }
                }
                break;
            }
        }
        self.bufs = (bt, br);
        if let Some((at, a, b)) = first_diff {
            self.diff(
                rel,
                format!("content differs from byte {at}: target {a:02x} reference {b:02x}"),
            );
        }
    }
}
