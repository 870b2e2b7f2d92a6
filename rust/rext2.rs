// SPDX-License-Identifier: GPL-2.0

//! rext2: an ext2-format filesystem whose direct I/O is a safe-Rust
//! reimplementation of fs/direct-io.c.
//!
//! Layers, top down: this crate root sets up the engine and registers the
//! filesystem type; `fs` is the ext2 implementation; `dio` is the
//! direct-I/O engine, which serves `fs` and, through the exported
//! `rext2_blockdev_direct_IO`, C filesystems; `kernel_ext` holds the safe
//! wrappers over C APIs and is the only place with `unsafe`: the compiler
//! refuses `unsafe` code in `fs` and `dio`.

use kernel::prelude::*;

#[forbid(unsafe_code)]
mod dio;
#[forbid(unsafe_code)]
mod fs;
mod kernel_ext;

use kernel_ext::fs_type::Registration;

module! {
    type: Rext2Module,
    name: "rext2",
    authors: ["The rext2 developers"],
    description: "ext2-format filesystem with a safe-Rust direct-I/O engine",
    license: "GPL",
    alias: ["fs-rext2"],
    params: {
        dio_stats: bool {
            default: false,
            description: "Count the direct-I/O engine's events in /sys/kernel/debug/rext2/dio",
        },
    },
}

struct Rext2Module {
    // Dropped in this order: no filesystem can start a direct I/O once
    // the type is unregistered, and then the engine goes.
    _fs: Registration<fs::Ext2>,
    _engine: dio::Engine,
}

impl kernel::Module for Rext2Module {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let engine = dio::Engine::new(module_parameters::dio_stats.value())?;
        let fs = Registration::new(module)?;
        pr_info!("registered filesystem type rext2\n");
        Ok(Self {
            _fs: fs,
            _engine: engine,
        })
    }
}
