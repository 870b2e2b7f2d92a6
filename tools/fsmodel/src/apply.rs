// SPDX-License-Identifier: GPL-2.0
//! Running one operation on one tree. Every file is opened, used and
//! closed within the operation; opens use O_NONBLOCK so that a fifo never
//! blocks, and device nodes are never opened at all.

use crate::model::join;
use crate::op::{NodeType, Op};
use crate::outcome::{Outcome, Val};
use crate::sys;
use std::fs::{self, DirBuilder, File, OpenOptions, Permissions};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{chown, lchown, symlink, PermissionsExt};
use std::os::unix::fs::{DirBuilderExt, FileExt, FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::Path;

/// How to open a file.
#[derive(Default)]
struct How {
    write: bool,
    append: bool,
    create: bool,
    excl: bool,
    trunc: bool,
    mode: u32,
}

/// Opens `p`, unless it (after following symlinks) is a device node.
fn open(p: &Path, how: How) -> Result<Option<File>, crate::outcome::Errno> {
    if let Ok(md) = fs::metadata(p) {
        let t = md.file_type();
        if t.is_block_device() || t.is_char_device() {
            return Ok(None);
        }
    }
    let mut o = OpenOptions::new();
    o.read(!how.write && !how.append)
        .write(how.write)
        .append(how.append)
        .truncate(how.trunc)
        .custom_flags(sys::O_NONBLOCK);
    if how.excl {
        o.create_new(true);
    } else {
        o.create(how.create);
    }
    if how.create {
        o.mode(how.mode);
    }
    Ok(Some(o.open(p)?))
}

fn size(f: &File) -> Outcome {
    Ok(Val::Size(f.metadata()?.len()))
}

/// Reads up to `len` bytes at `offset`, looping over short reads.
fn read_range(f: &File, offset: u64, len: usize) -> Outcome {
    let mut buf = vec![0u8; len];
    let mut got = 0;
    while got < len {
        let n = f.read_at(&mut buf[got..], offset + got as u64)?;
        if n == 0 {
            break;
        }
        got += n;
    }
    buf.truncate(got);
    Ok(Val::Data(buf))
}

/// lstat fields that must match, as text.
fn stat_text(p: &Path) -> Outcome {
    let md = fs::symlink_metadata(p)?;
    let t = md.file_type();
    let mut s = format!(
        "{:?} mode {:o} links {} owner {}:{}",
        crate::model::Kind::of(t),
        md.mode() & 0o7777,
        md.nlink(),
        md.uid(),
        md.gid()
    );
    if !t.is_dir() {
        s += &format!(" size {}", md.len());
    }
    if t.is_block_device() || t.is_char_device() {
        s += &format!(" rdev {:x}", md.rdev());
    }
    if t.is_symlink() {
        let target = fs::read_link(p)?;
        s += &format!(
            " -> {}",
            crate::names::escape(target.as_os_str().as_bytes())
        );
    }
    Ok(Val::Text(s))
}

/// Sorted names and d_types of a directory, as text.
fn list_text(p: &Path) -> Outcome {
    let mut names = Vec::new();
    for e in fs::read_dir(p)? {
        let e = e?;
        let kind = crate::model::Kind::of(e.file_type()?);
        names.push((e.file_name().as_bytes().to_vec(), kind));
    }
    names.sort();
    let parts: Vec<String> = names
        .iter()
        .map(|(n, k)| format!("{}:{k:?}", crate::names::show(n)))
        .collect();
    Ok(Val::Text(format!(
        "{} entries [{}]",
        names.len(),
        parts.join(" ")
    )))
}

/// Applies `op` to the tree whose top directory is `base`.
pub fn apply(op: &Op, base: &Path) -> Outcome {
    let at = |rel: &[u8]| join(base, rel);
    match op {
        Op::Create {
            path,
            mode,
            excl,
            len,
            fill,
        } => {
            let how = How {
                write: true,
                create: true,
                excl: *excl,
                mode: *mode,
                ..How::default()
            };
            let Some(mut f) = open(&at(path), how)? else {
                return Ok(Val::SkippedDevice);
            };
            f.write_all(&fill.bytes(*len))?;
            size(&f)
        }
        Op::Write {
            path,
            offset,
            len,
            fill,
        } => {
            let how = How {
                write: true,
                ..How::default()
            };
            let Some(f) = open(&at(path), how)? else {
                return Ok(Val::SkippedDevice);
            };
            f.write_all_at(&fill.bytes(*len), *offset)?;
            size(&f)
        }
        Op::Append { path, len, fill } => {
            let how = How {
                append: true,
                ..How::default()
            };
            let Some(mut f) = open(&at(path), how)? else {
                return Ok(Val::SkippedDevice);
            };
            f.write_all(&fill.bytes(*len))?;
            size(&f)
        }
        Op::Truncate { path, size: to } => {
            let how = How {
                write: true,
                ..How::default()
            };
            let Some(f) = open(&at(path), how)? else {
                return Ok(Val::SkippedDevice);
            };
            f.set_len(*to)?;
            size(&f)
        }
        Op::OpenTrunc {
            path,
            create,
            len,
            fill,
        } => {
            let how = How {
                write: true,
                trunc: true,
                create: *create,
                mode: 0o644,
                ..How::default()
            };
            let Some(mut f) = open(&at(path), how)? else {
                return Ok(Val::SkippedDevice);
            };
            f.write_all(&fill.bytes(*len))?;
            size(&f)
        }
        Op::Read { path, offset, len } => {
            let Some(f) = open(&at(path), How::default())? else {
                return Ok(Val::SkippedDevice);
            };
            read_range(&f, *offset, *len)
        }
        Op::Mkdir { path, mode } => {
            DirBuilder::new().mode(*mode).create(at(path))?;
            Ok(Val::Done)
        }
        Op::Rmdir { path } => Ok(fs::remove_dir(at(path)).map(|_| Val::Done)?),
        Op::Unlink { path } => Ok(fs::remove_file(at(path)).map(|_| Val::Done)?),
        Op::Rename {
            from,
            to,
            noreplace,
        } => {
            if *noreplace {
                sys::rename_noreplace(&at(from), &at(to))?;
            } else {
                fs::rename(at(from), at(to))?;
            }
            Ok(Val::Done)
        }
        Op::Link { from, to } => Ok(fs::hard_link(at(from), at(to)).map(|_| Val::Done)?),
        Op::Symlink { target, path } => {
            symlink(std::ffi::OsStr::from_bytes(target), at(path))?;
            Ok(Val::Done)
        }
        Op::Mkfifo { path, mode } => Ok(sys::make_fifo(&at(path), *mode).map(|_| Val::Done)?),
        Op::Mknod {
            path,
            kind,
            mode,
            major,
            minor,
        } => {
            let ty = match kind {
                NodeType::Fifo => sys::S_IFIFO,
                NodeType::Sock => sys::S_IFSOCK,
                NodeType::Char => sys::S_IFCHR,
                NodeType::Block => sys::S_IFBLK,
            };
            let dev = sys::makedev(*major, *minor);
            sys::make_node(&at(path), ty | mode, dev)?;
            Ok(Val::Done)
        }
        Op::Chmod { path, mode } => {
            fs::set_permissions(at(path), Permissions::from_mode(*mode))?;
            Ok(Val::Done)
        }
        Op::Chown {
            path,
            uid,
            gid,
            follow,
        } => {
            if *follow {
                chown(at(path), *uid, *gid)?;
            } else {
                lchown(at(path), *uid, *gid)?;
            }
            Ok(Val::Done)
        }
        Op::Utimes {
            path,
            atime,
            mtime,
            follow,
        } => {
            sys::set_times(&at(path), *atime, *mtime, *follow)?;
            Ok(Val::Done)
        }
        Op::Fsync { path, data_only } => {
            let Some(f) = open(&at(path), How::default())? else {
                return Ok(Val::SkippedDevice);
            };
            if *data_only {
                f.sync_data()?;
            } else {
                f.sync_all()?;
            }
            Ok(Val::Done)
        }
        Op::Stat { path } => stat_text(&at(path)),
        Op::Readdir { path } => list_text(&at(path)),
    }
}
