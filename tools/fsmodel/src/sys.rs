// SPDX-License-Identifier: GPL-2.0
//! The few C library calls std does not wrap (mkfifo, mknod, utimensat,
//! renameat2, syncfs, umask), declared by hand so that the crate needs no
//! dependencies. std links the C library anyway.

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::raw::{c_char, c_int, c_long, c_uint};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::io::AsRawFd;
use std::path::Path;

// time_t, dev_t, O_NONBLOCK and the struct layout below are those of
// 64-bit Linux on these architectures.
#[cfg(not(all(
    target_os = "linux",
    any(
        target_arch = "x86_64",
        target_arch = "aarch64",
        target_arch = "riscv64",
        target_arch = "powerpc64",
        target_arch = "s390x",
        target_arch = "loongarch64"
    )
)))]
compile_error!("rext2-fsmodel's C declarations assume 64-bit Linux on a common architecture");

/// `O_NONBLOCK` on the architectures above: every open uses it, so that
/// opening a fifo never blocks.
pub const O_NONBLOCK: i32 = 0o4000;
const AT_FDCWD: c_int = -100;
const AT_SYMLINK_NOFOLLOW: c_int = 0x100;
const RENAME_NOREPLACE: c_uint = 1;
/// The `tv_nsec` value that means "the current time".
pub const UTIME_NOW: i64 = (1 << 30) - 1;
/// The `tv_nsec` value that means "leave this time alone".
pub const UTIME_OMIT: i64 = (1 << 30) - 2;
/// File type bits of `st_mode`.
pub const S_IFIFO: u32 = 0o010000;
/// Character device.
pub const S_IFCHR: u32 = 0o020000;
/// Block device.
pub const S_IFBLK: u32 = 0o060000;
/// Socket.
pub const S_IFSOCK: u32 = 0o140000;

/// `struct timespec` of 64-bit Linux.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timespec {
    /// Seconds since the epoch.
    pub tv_sec: i64,
    /// Nanoseconds, or `UTIME_NOW` / `UTIME_OMIT`.
    pub tv_nsec: c_long,
}

extern "C" {
    fn mkfifo(path: *const c_char, mode: u32) -> c_int;
    fn mknod(path: *const c_char, mode: u32, dev: u64) -> c_int;
    fn utimensat(dirfd: c_int, path: *const c_char, times: *const Timespec, flags: c_int) -> c_int;
    fn renameat2(
        olddirfd: c_int,
        oldpath: *const c_char,
        newdirfd: c_int,
        newpath: *const c_char,
        flags: c_uint,
    ) -> c_int;
    fn syncfs(fd: c_int) -> c_int;
    fn umask(mask: u32) -> u32;
}

fn cpath(p: &Path) -> io::Result<CString> {
    CString::new(p.as_os_str().as_bytes()).map_err(|_| io::Error::from_raw_os_error(22))
}

fn check(rc: c_int) -> io::Result<()> {
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// glibc's `makedev`.
pub fn makedev(major: u64, minor: u64) -> u64 {
    ((major & 0xFFFF_F000) << 32)
        | ((major & 0xFFF) << 8)
        | ((minor & 0xFFFF_FF00) << 12)
        | (minor & 0xFF)
}

/// mkfifo(3).
pub fn make_fifo(p: &Path, mode: u32) -> io::Result<()> {
    let c = cpath(p)?;
    check(unsafe { mkfifo(c.as_ptr(), mode) })
}

/// mknod(2): `mode` includes the file type bits.
pub fn make_node(p: &Path, mode: u32, dev: u64) -> io::Result<()> {
    let c = cpath(p)?;
    check(unsafe { mknod(c.as_ptr(), mode, dev) })
}

/// utimensat(2) relative to the working directory.
pub fn set_times(p: &Path, atime: Timespec, mtime: Timespec, follow: bool) -> io::Result<()> {
    let c = cpath(p)?;
    let times = [atime, mtime];
    let flags = if follow { 0 } else { AT_SYMLINK_NOFOLLOW };
    check(unsafe { utimensat(AT_FDCWD, c.as_ptr(), times.as_ptr(), flags) })
}

/// renameat2(2) with `RENAME_NOREPLACE`.
pub fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    let (a, b) = (cpath(from)?, cpath(to)?);
    check(unsafe { renameat2(AT_FDCWD, a.as_ptr(), AT_FDCWD, b.as_ptr(), RENAME_NOREPLACE) })
}

/// syncfs(2) on the filesystem holding `dir`; failures are ignored.
pub fn sync_fs(dir: &Path) {
    if let Ok(f) = File::open(dir) {
        unsafe { syncfs(f.as_raw_fd()) };
    }
}

/// Sets the process umask, returning the old one.
pub fn set_umask(mask: u32) -> u32 {
    unsafe { umask(mask) }
}
