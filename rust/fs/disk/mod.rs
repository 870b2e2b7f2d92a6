// SPDX-License-Identifier: GPL-2.0

//! The ext2 on-disk format: pure decoding and arithmetic.
//!
//! Nothing in here touches a kernel type; these files only use `core`, so
//! the host test crate (`tools/host-tests`) compiles the very same files and
//! runs unit and property tests on them.

pub(crate) mod bitmap;
pub(crate) mod block_path;
pub(crate) mod dirent;
pub(crate) mod group;
pub(crate) mod inode;
pub(crate) mod le;
pub(crate) mod run_cache;
pub(crate) mod superblock;
pub(crate) mod zones;
