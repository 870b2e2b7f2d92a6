// SPDX-License-Identifier: GPL-2.0
//! What the tool knows about the tree: every path of the reference tree
//! and its type, kept in sorted order so that choices are deterministic.
//!
//! The model only steers the choice of paths; it is never trusted as the
//! expected state (the reference directory is). After a modifying
//! operation the touched paths are re-read from the reference tree, and
//! after every batch the model is rebuilt from the full comparison.

use crate::rng::Rng;
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

/// Paths deeper than this get no new children.
pub const MAX_DEPTH: usize = 4;

/// Type of a tree entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// Regular file.
    File,
    /// Directory.
    Dir,
    /// Symbolic link.
    Symlink,
    /// Fifo.
    Fifo,
    /// Socket.
    Sock,
    /// Character or block device.
    Dev,
}

impl Kind {
    /// The kind of a `file_type()` result.
    pub fn of(t: fs::FileType) -> Kind {
        if t.is_dir() {
            Kind::Dir
        } else if t.is_symlink() {
            Kind::Symlink
        } else if t.is_fifo() {
            Kind::Fifo
        } else if t.is_socket() {
            Kind::Sock
        } else if t.is_char_device() || t.is_block_device() {
            Kind::Dev
        } else {
            Kind::File
        }
    }
}

/// `base/rel` (just `base` for the root, whose relative path is empty).
pub fn join(base: &Path, rel: &[u8]) -> PathBuf {
    if rel.is_empty() {
        base.to_path_buf()
    } else {
        base.join(std::ffi::OsStr::from_bytes(rel))
    }
}

/// `dir/name` as a relative path.
pub fn child(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut p = dir.to_vec();
    if !p.is_empty() {
        p.push(b'/');
    }
    p.extend_from_slice(name);
    p
}

/// Number of components of a relative path (0 for the root).
pub fn depth(rel: &[u8]) -> usize {
    if rel.is_empty() {
        0
    } else {
        1 + rel.iter().filter(|&&b| b == b'/').count()
    }
}

/// The sorted set of paths of the reference tree, root ("") included.
#[derive(Default)]
pub struct Model {
    entries: BTreeMap<Vec<u8>, Kind>,
}

impl Model {
    /// An empty model (the root is added by the first scan).
    pub fn new() -> Model {
        Model::default()
    }

    /// Records one path.
    pub fn insert(&mut self, rel: Vec<u8>, kind: Kind) {
        self.entries.insert(rel, kind);
    }

    /// Number of entries, root included.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Kind of a path, if it is known.
    pub fn kind(&self, rel: &[u8]) -> Option<Kind> {
        self.entries.get(rel).copied()
    }

    /// Iterates over all known paths in sorted order.
    pub fn iter(&self) -> impl Iterator<Item = (&Vec<u8>, &Kind)> {
        self.entries.iter()
    }

    /// Forgets `rel` and everything below it, then reads them again from
    /// the reference tree at `base`.
    pub fn refresh(&mut self, base: &Path, rel: &[u8]) {
        if rel.is_empty() {
            self.entries.clear();
        } else {
            self.entries.remove(rel);
            let prefix = child(rel, b"");
            let below: Vec<Vec<u8>> = self
                .entries
                .range(prefix.clone()..)
                .take_while(|(k, _)| k.starts_with(&prefix))
                .map(|(k, _)| k.clone())
                .collect();
            for k in below {
                self.entries.remove(&k);
            }
        }
        self.scan(base, rel.to_vec());
    }

    fn scan(&mut self, base: &Path, rel: Vec<u8>) {
        let mut stack = vec![rel];
        while let Some(rel) = stack.pop() {
            let Ok(md) = fs::symlink_metadata(join(base, &rel)) else {
                continue;
            };
            let kind = Kind::of(md.file_type());
            if kind == Kind::Dir {
                if let Ok(rd) = fs::read_dir(join(base, &rel)) {
                    for e in rd.flatten() {
                        stack.push(child(&rel, e.file_name().as_bytes()));
                    }
                }
            }
            self.entries.insert(rel, kind);
        }
    }

    /// A random known path, root excluded, that satisfies `want`.
    pub fn pick(&self, rng: &mut Rng, want: impl Fn(&[u8], Kind) -> bool) -> Option<Vec<u8>> {
        let found: Vec<&Vec<u8>> = self
            .entries
            .iter()
            .filter(|(k, &v)| !k.is_empty() && want(k, v))
            .map(|(k, _)| k)
            .collect();
        if found.is_empty() {
            None
        } else {
            Some(rng.pick(&found).to_vec())
        }
    }

    /// A random directory that may get children (root included).
    pub fn pick_parent(&self, rng: &mut Rng) -> Vec<u8> {
        let dirs: Vec<&Vec<u8>> = self
            .entries
            .iter()
            .filter(|(k, &v)| v == Kind::Dir && depth(k) < MAX_DEPTH)
            .map(|(k, _)| k)
            .collect();
        if dirs.is_empty() {
            Vec::new()
        } else {
            rng.pick(&dirs).to_vec()
        }
    }

    /// Whether a known directory has no known children.
    pub fn is_empty_dir(&self, rel: &[u8]) -> bool {
        let prefix = child(rel, b"");
        !self
            .entries
            .range(prefix.clone()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(&prefix))
    }
}
