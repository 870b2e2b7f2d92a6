// SPDX-License-Identifier: GPL-2.0

//! Host-side tests of rext2's pure code. The modules are the kernel
//! module's own files, compiled unchanged for the host.

// Not every item of the kernel module is exercised here.
#![allow(dead_code)]

#[path = "../../../rust/fs/disk/mod.rs"]
pub mod disk;

pub mod dio;

#[cfg(test)]
mod rng;
#[cfg(test)]
mod test_bitmap;
#[cfg(test)]
mod test_block_path;
#[cfg(test)]
mod test_dio_plan;
#[cfg(test)]
mod test_dio_write;
#[cfg(test)]
mod test_dirent;
#[cfg(test)]
mod test_dirent_mut;
#[cfg(test)]
mod test_encode;
#[cfg(test)]
mod test_inode;
#[cfg(test)]
mod test_run_cache;
#[cfg(test)]
mod test_superblock;
#[cfg(test)]
mod test_zones;
