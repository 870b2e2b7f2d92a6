// SPDX-License-Identifier: GPL-2.0
//! Test-only planted bugs (FSMODEL_PLANT_BUG): damage the target tree
//! behind the tool's back to check that the comparison catches it.

use crate::model::{join, Model};
use crate::names::show;
use crate::report::Out;
use crate::rng::Rng;
use std::fs;
use std::os::unix::fs::{FileExt, MetadataExt, PermissionsExt};
use std::path::Path;

/// Plants the bug `kind` into `target`.
pub fn plant(kind: &str, target: &Path, model: &Model, seed: u64, out: &Out) {
    // A generator of its own: the operation sequence stays the same.
    let mut rng = Rng::new(!seed);
    let pick = |want: &dyn Fn(&Path) -> bool| -> Option<Vec<u8>> {
        let all: Vec<Vec<u8>> = model
            .iter()
            .filter(|(p, _)| !p.is_empty())
            .filter(|(p, _)| want(&join(target, p)))
            .map(|(p, _)| p.clone())
            .collect();
        (!all.is_empty()).then(|| all[all.len() / 2].clone())
    };
    let done = match kind {
        "flip-byte" => pick(&|p| fs::symlink_metadata(p).is_ok_and(|m| m.is_file() && m.len() > 0))
            .and_then(|rel| {
                let f = fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(join(target, &rel))
                    .ok()?;
                let at = rng.below(f.metadata().ok()?.len());
                let mut b = [0u8];
                f.read_exact_at(&mut b, at).ok()?;
                b[0] ^= 0x20;
                f.write_all_at(&b, at).ok()?;
                Some(format!("flipped a bit of byte {at} of {}", show(&rel)))
            }),
        "mode" => pick(&|p| fs::symlink_metadata(p).is_ok_and(|m| !m.file_type().is_symlink()))
            .and_then(|rel| {
                let p = join(target, &rel);
                let mode = (fs::metadata(&p).ok()?.mode() & 0o7777) ^ 0o010;
                fs::set_permissions(&p, fs::Permissions::from_mode(mode)).ok()?;
                Some(format!("chmod {mode:o} {}", show(&rel)))
            }),
        "extra" => fs::write(target.join("fsmodel-planted"), b"x")
            .ok()
            .map(|_| "created fsmodel-planted".to_string()),
        "mtime" => pick(&|p| fs::symlink_metadata(p).is_ok_and(|m| !m.file_type().is_symlink()))
            .and_then(|rel| {
                let t = crate::sys::Timespec {
                    tv_sec: 12345,
                    tv_nsec: 0,
                };
                crate::sys::set_times(&join(target, &rel), t, t, false).ok()?;
                Some(format!("set the mtime of {} to 12345", show(&rel)))
            }),
        "skip-op" => return,
        _ => Some(format!("unknown FSMODEL_PLANT_BUG={kind}: nothing planted")),
    };
    out.line(format!(
        "fsmodel: PLANTED BUG: {}",
        done.unwrap_or_else(|| "no suitable entry, nothing planted".to_string())
    ));
}
