// SPDX-License-Identifier: GPL-2.0
//! Names and symlink targets. Names come from a small pool so that the
//! random operations collide, replace and reuse names all the time.
//!
//! Symlink targets are relative and never contain a ".." component, so
//! that following one can never leave the tree under test (the operations
//! follow symlinks, and some of them write).

use crate::rng::Rng;

/// Short names: plain, with a dot, a space, UTF-8, a leading dash, a
/// hidden one and one that is not valid UTF-8.
const SHORT: &[&[u8]] = &[
    b"a",
    b"b",
    b"c",
    b"d",
    b"e",
    b"dir",
    b"file",
    b"x.txt",
    b"with space",
    "\u{fc}ber".as_bytes(),
    b"-n",
    b".hidden",
    b"bad\xffname",
];

/// Lengths of the long names in the pool (255 is ext2's limit).
const LONG: &[usize] = &[200, 231, 254, 255];

/// A long name of `len` bytes; its prefix tells the length ("L255-...").
pub fn long_name(len: usize) -> Vec<u8> {
    let mut n = format!("L{len}-").into_bytes();
    let mut i = 0u8;
    while n.len() < len {
        n.push(b'a' + i % 26);
        i = i.wrapping_add(7);
    }
    n.truncate(len);
    n
}

/// A name for a new entry: mostly short, sometimes 200..255 bytes, rarely
/// 256 bytes (which every filesystem must refuse with ENAMETOOLONG).
pub fn pick_name(rng: &mut Rng) -> Vec<u8> {
    match rng.below(100) {
        0..=88 => rng.pick(SHORT).to_vec(),
        89..=98 => long_name(*rng.pick(LONG)),
        _ => long_name(256),
    }
}

/// A random name component of letters and digits, `len` bytes long.
fn random_component(rng: &mut Rng, len: usize) -> Vec<u8> {
    const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..len).map(|_| *rng.pick(ALNUM)).collect()
}

/// A relative symlink target: usually short (< 60 bytes, an ext2 "fast"
/// symlink stored in the inode), sometimes 58..61 bytes (around that
/// limit) or 60..1000 bytes (a "slow" symlink in a data block), rarely
/// empty (which symlink(2) refuses).
pub fn symlink_target(rng: &mut Rng) -> Vec<u8> {
    let want = match rng.below(100) {
        0 => return Vec::new(),
        1..=54 => {
            // One to three pool names: these often resolve.
            let mut t = Vec::new();
            for i in 0..rng.range(1, 3) {
                if i > 0 {
                    t.push(b'/');
                }
                t.extend_from_slice(rng.pick::<&[u8]>(SHORT));
            }
            if rng.chance(10) {
                t.push(b'/');
            }
            return t;
        }
        55..=69 => rng.range(1, 59) as usize,
        70..=79 => rng.range(58, 61) as usize,
        _ => rng.range(60, 1000) as usize,
    };
    let mut t = Vec::new();
    while t.len() < want {
        if !t.is_empty() {
            t.push(b'/');
        }
        match rng.below(4) {
            0 => t.extend_from_slice(rng.pick::<&[u8]>(SHORT)),
            1 => t.push(b'.'),
            _ => {
                let n = rng.range(1, 200) as usize;
                t.extend(random_component(rng, n));
            }
        }
    }
    t.truncate(want);
    t
}

/// Printable form of a relative path: bytes that are not printable ASCII
/// as \xNN, and components longer than 32 bytes shortened to their first
/// 12 bytes and their length.
pub fn show(rel: &[u8]) -> String {
    if rel.is_empty() {
        return ".".to_string();
    }
    let mut out = String::new();
    for (i, comp) in rel.split(|&b| b == b'/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        let (part, long) = if comp.len() > 32 {
            (&comp[..12], true)
        } else {
            (comp, false)
        };
        out.push_str(&escape(part));
        if long {
            out.push_str(&format!("...({} bytes)", comp.len()));
        }
    }
    out
}

/// Printable form of arbitrary bytes (a symlink target, a name).
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::new();
    for &b in bytes {
        if (0x20..0x7F).contains(&b) && b != b'\\' {
            out.push(b as char);
        } else {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}
