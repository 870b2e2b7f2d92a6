// SPDX-License-Identifier: GPL-2.0

//! rext2: an ext2-format filesystem whose direct I/O is a safe-Rust
//! reimplementation of fs/direct-io.c.
//!
//! Layers, top down: this crate root registers the filesystem type;
//! `fs` is the ext2 implementation; `kernel_ext` holds the safe wrappers
//! over C APIs and is the only place with `unsafe`: the compiler refuses
//! `unsafe` code in `fs` and `dio`.

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
}

struct Rext2Module {
    _fs: Registration<fs::Ext2>,
}

impl kernel::Module for Rext2Module {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let fs = Registration::new(module)?;
        pr_info!("registered filesystem type rext2\n");
        Ok(Self { _fs: fs })
    }
}
