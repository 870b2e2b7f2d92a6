// SPDX-License-Identifier: GPL-2.0

//! The pure part of the direct-I/O engine (the rest needs the kernel).

#[path = "../../../rust/dio/plan.rs"]
pub mod plan;
