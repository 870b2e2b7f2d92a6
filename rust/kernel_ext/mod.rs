// SPDX-License-Identifier: GPL-2.0

//! Safe wrappers over the C kernel APIs rext2 uses.
//!
//! This directory and the generated bindings are the only places in rext2
//! with `unsafe` code; every block carries a `// SAFETY:` argument. The
//! filesystem (`crate::fs`) and the direct-I/O engine (`crate::dio`) are
//! written against the safe types exported here.

mod aops;
pub(crate) mod bio;
pub(crate) mod block_device;
pub(crate) mod block_map;
pub(crate) mod buffer;
mod c_dio;
pub(crate) mod debugfs;
pub(crate) mod dentry;
pub(crate) mod dir;
pub(crate) mod export;
pub(crate) mod fiemap;
mod file_ops;
pub(crate) mod fs_type;
pub(crate) mod inode;
mod inode_ops;
pub(crate) mod kiocb;
pub(crate) mod one_bio;
pub(crate) mod pages;
pub(crate) mod request;
pub(crate) mod rwsem;
pub(crate) mod super_block;
mod super_ops;
pub(crate) mod sys;
pub(crate) mod task;
pub(crate) mod vfs_inode;
