// SPDX-License-Identifier: GPL-2.0
//! Command line parsing.

use std::ffi::OsString;
use std::path::PathBuf;

/// The usage text (printed by --help and on usage errors).
pub const USAGE: &str = "\
usage: rext2-fsmodel --seed N --ops N [--batch N] [--max-file-size BYTES]
                     [--mtime-slack SECS] [--stamp-times] [--verbose]
                     [--ktap-comments] TARGET_DIR REFERENCE_DIR

Applies the same seeded random sequence of filesystem operations to
TARGET_DIR (the filesystem under test) and REFERENCE_DIR (e.g. on tmpfs),
checks after every operation that both returned the same result (success
and value, or the same errno), and after every batch that the two trees
are identical. Both trees must be identical at the start (they may be
empty, or the result of an earlier run). Runs as root (chown, mknod).

  --seed N             seed of the operation sequence (required)
  --ops N              number of operations (required; 0 only compares)
  --batch N            compare the whole trees every N operations (100)
  --max-file-size B    keep files below B bytes; K, M, G suffixes (8M)
  --mtime-slack S      mtimes may differ by S seconds (2): an operation runs
                       on the target first, so \"now\" differs a little
  --stamp-times        at the end, set the atime and mtime of every entry
                       to a fixed value on both sides, and compare exactly
                       (so that other tools can compare mtimes exactly)
  --verbose            print every operation and its result
  --ktap-comments      prefix every output line with \"# \"

Environment:
  FSMODEL_DROP_CACHES=1  before every comparison, syncfs the target and
                         write 3 to /proc/sys/vm/drop_caches (failure is
                         ignored), so the comparison reads from the disk
  FSMODEL_PLANT_BUG=K    test-only: plant a bug in the target to check that
                         the tool catches it. K is flip-byte (change a byte
                         of a file), mode (chmod an entry), extra (add a
                         file), mtime (set an entry's mtime) -- all at the
                         end of the first batch, before its comparison -- or
                         skip-op (the first mkdir after the middle of the first
                         batch is not applied to the target, which reports
                         the reference's result)

Exit status: 0 identical, 1 divergence, 2 usage error.";

/// The parsed options.
pub struct Config {
    /// Seed of the operation sequence.
    pub seed: u64,
    /// Number of operations.
    pub ops: u64,
    /// Operations between full tree comparisons.
    pub batch: u64,
    /// Files stay below this size.
    pub max_file_size: u64,
    /// Allowed mtime difference in seconds.
    pub mtime_slack: i64,
    /// Stamp all times at the end.
    pub stamp_times: bool,
    /// Print every operation.
    pub verbose: bool,
    /// Prefix output lines with "# ".
    pub ktap_comments: bool,
    /// The tree under test.
    pub target: PathBuf,
    /// The reference tree.
    pub reference: PathBuf,
}

/// A number with an optional K, M or G (binary) suffix.
fn number(opt: &str, v: &str) -> Result<u64, String> {
    let (digits, mult) = match v.as_bytes().last() {
        Some(b'K' | b'k') => (&v[..v.len() - 1], 1 << 10),
        Some(b'M' | b'm') => (&v[..v.len() - 1], 1 << 20),
        Some(b'G' | b'g') => (&v[..v.len() - 1], 1 << 30),
        _ => (v, 1),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("{opt}: not a number: {v}"))
}

/// Parses the arguments (without the program name). `Ok(None)` means
/// --help was given.
pub fn parse(args: impl Iterator<Item = OsString>) -> Result<Option<Config>, String> {
    let mut seed = None;
    let mut ops = None;
    let mut batch = 100;
    let mut max_file_size = 8 << 20;
    let mut mtime_slack = 2;
    let (mut stamp_times, mut verbose, mut ktap_comments) = (false, false, false);
    let mut dirs = Vec::new();
    let mut args = args.peekable();
    while let Some(a) = args.next() {
        let s = a.to_string_lossy().into_owned();
        let mut value = |opt: &str| -> Result<String, String> {
            args.next()
                .map(|v| v.to_string_lossy().into_owned())
                .ok_or_else(|| format!("{opt} needs a value"))
        };
        match s.as_str() {
            "--seed" => seed = Some(number(&s, &value(&s)?)?),
            "--ops" => ops = Some(number(&s, &value(&s)?)?),
            "--batch" => batch = number(&s, &value(&s)?)?,
            "--max-file-size" => max_file_size = number(&s, &value(&s)?)?,
            "--mtime-slack" => mtime_slack = number(&s, &value(&s)?)? as i64,
            "--stamp-times" => stamp_times = true,
            "--verbose" | "-v" => verbose = true,
            "--ktap-comments" => ktap_comments = true,
            "--help" | "-h" => return Ok(None),
            _ if s.starts_with('-') && s.len() > 1 => return Err(format!("unknown option {s}")),
            _ => dirs.push(PathBuf::from(a)),
        }
    }
    let seed = seed.ok_or("--seed is required")?;
    let ops = ops.ok_or("--ops is required")?;
    if batch == 0 {
        return Err("--batch must be at least 1".into());
    }
    if max_file_size == 0 || max_file_size > 1 << 40 {
        return Err("--max-file-size must be 1 byte .. 1 TiB".into());
    }
    let [target, reference]: [PathBuf; 2] = dirs
        .try_into()
        .map_err(|_| "expected TARGET_DIR and REFERENCE_DIR".to_string())?;
    Ok(Some(Config {
        seed,
        ops,
        batch,
        max_file_size,
        mtime_slack,
        stamp_times,
        verbose,
        ktap_comments,
        target,
        reference,
    }))
}
