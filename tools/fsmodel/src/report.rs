// SPDX-License-Identifier: GPL-2.0
//! Output lines, with the "# " prefix of KTAP comments when asked for.

use std::io::Write;

/// Where the tool's lines go (stdout).
pub struct Out {
    prefix: &'static str,
}

impl Out {
    /// Lines prefixed with "# " if `ktap` is set.
    pub fn new(ktap: bool) -> Out {
        Out {
            prefix: if ktap { "# " } else { "" },
        }
    }

    /// Prints one line (or several, each prefixed).
    pub fn line(&self, text: impl AsRef<str>) {
        let mut o = std::io::stdout().lock();
        for l in text.as_ref().lines() {
            let _ = writeln!(o, "{}{l}", self.prefix);
        }
    }
}
