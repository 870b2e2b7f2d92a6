// SPDX-License-Identifier: GPL-2.0
//! What an operation returned on one tree, and how two results compare.

use crate::rng::hash_bytes;
use std::io;

/// The successful result of an operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Val {
    /// Success without a value.
    Done,
    /// The file size (fstat) after a write, append or truncate.
    Size(u64),
    /// Bytes read.
    Data(Vec<u8>),
    /// A description (lstat fields, directory listing).
    Text(String),
    /// Not done: the path is a device node, which is never opened.
    SkippedDevice,
}

/// An errno, or a negative code for errors without one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Errno(pub i32);

/// Short write: std's `write_all` saw write return 0.
pub const SHORT_WRITE: Errno = Errno(-1);
/// Any other error that carries no errno.
pub const NO_ERRNO: Errno = Errno(-2);

impl From<io::Error> for Errno {
    fn from(e: io::Error) -> Errno {
        match e.raw_os_error() {
            Some(n) => Errno(n),
            None if e.kind() == io::ErrorKind::WriteZero => SHORT_WRITE,
            None => NO_ERRNO,
        }
    }
}

/// The result of one operation on one tree.
pub type Outcome = Result<Val, Errno>;

const NAMES: &[(i32, &str)] = &[
    (1, "EPERM"),
    (2, "ENOENT"),
    (5, "EIO"),
    (6, "ENXIO"),
    (9, "EBADF"),
    (12, "ENOMEM"),
    (13, "EACCES"),
    (16, "EBUSY"),
    (17, "EEXIST"),
    (18, "EXDEV"),
    (19, "ENODEV"),
    (20, "ENOTDIR"),
    (21, "EISDIR"),
    (22, "EINVAL"),
    (26, "ETXTBSY"),
    (27, "EFBIG"),
    (28, "ENOSPC"),
    (29, "ESPIPE"),
    (30, "EROFS"),
    (31, "EMLINK"),
    (36, "ENAMETOOLONG"),
    (38, "ENOSYS"),
    (39, "ENOTEMPTY"),
    (40, "ELOOP"),
    (61, "ENODATA"),
    (75, "EOVERFLOW"),
    (95, "EOPNOTSUPP"),
    (116, "ESTALE"),
    (117, "EUCLEAN"),
    (122, "EDQUOT"),
];

impl std::fmt::Display for Errno {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match *self {
            SHORT_WRITE => write!(f, "short write"),
            NO_ERRNO => write!(f, "error without errno"),
            Errno(n) => match NAMES.iter().find(|(v, _)| *v == n) {
                Some((_, name)) => write!(f, "{name} ({n})"),
                None => write!(f, "errno {n}"),
            },
        }
    }
}

/// One line describing a result.
pub fn describe(o: &Outcome) -> String {
    match o {
        Ok(Val::Done) => "ok".to_string(),
        Ok(Val::Size(n)) => format!("ok, size {n}"),
        Ok(Val::Data(d)) => format!("ok, {} bytes (hash {:016x})", d.len(), hash_bytes(d)),
        Ok(Val::Text(t)) => format!("ok: {t}"),
        Ok(Val::SkippedDevice) => "skipped (device node)".to_string(),
        Err(e) => format!("error {e}"),
    }
}

/// Why two results differ, beyond their descriptions (for read data: the
/// first differing offset).
pub fn detail(a: &Outcome, b: &Outcome) -> Option<String> {
    if let (Ok(Val::Data(x)), Ok(Val::Data(y))) = (a, b) {
        let n = x.len().min(y.len());
        let i = (0..n).find(|&i| x[i] != y[i]).unwrap_or(n);
        let show = |d: &[u8]| -> String {
            d[i..(i + 16).min(d.len())]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        };
        return Some(format!(
            "first difference at byte {i} of the read: target {} reference {}",
            show(x),
            show(y)
        ));
    }
    None
}
