// SPDX-License-Identifier: GPL-2.0
//! rext2-fsmodel: model-based random-operation test of a filesystem.
//!
//! The same seeded sequence of operations runs on a tree on the
//! filesystem under test and on a reference tree (on tmpfs); the results
//! of every operation, and every batch the whole trees, must be the same.
//! See `args::USAGE` for the command line.

mod apply;
mod args;
mod compare;
mod gen;
mod model;
mod names;
mod op;
mod outcome;
mod plant;
mod report;
mod rng;
mod sys;

use compare::{Report, TreeCmp};
use model::{join, Model};
use op::Op;
use outcome::{describe, detail, Outcome};
use report::Out;
use std::collections::VecDeque;
use std::path::Path;
use std::process::exit;
use std::time::Instant;

/// Operations remembered for a divergence found by a tree comparison.
const HISTORY: usize = 12;

/// Everything one run needs.
struct Run {
    cfg: args::Config,
    out: Out,
    drop_caches: bool,
    plant: Option<String>,
    history: VecDeque<String>,
}

impl Run {
    /// Compares both trees (after dropping caches if asked); on a
    /// difference prints it and exits 1. Returns the fresh model.
    fn compare(&mut self, when: &str, slack: i64) -> Report {
        if self.drop_caches {
            sys::sync_fs(&self.cfg.target);
            let _ = std::fs::write("/proc/sys/vm/drop_caches", "3");
        }
        let report = TreeCmp::run(&self.cfg.target, &self.cfg.reference, slack);
        if report.count > 0 {
            self.out.line(format!(
                "fsmodel: DIVERGENCE {when}: {} difference(s) between the trees",
                report.count
            ));
            for d in &report.diffs {
                self.out.line(format!("fsmodel:   {d}"));
            }
            if report.count > report.diffs.len() {
                self.out.line(format!(
                    "fsmodel:   ... and {} more",
                    report.count - report.diffs.len()
                ));
            }
            if !self.history.is_empty() {
                self.out
                    .line("fsmodel: the last operations were (reference results):");
                for h in &self.history {
                    self.out.line(format!("fsmodel:   {h}"));
                }
            }
            self.out
                .line(format!("fsmodel: seed {}: FAILED", self.cfg.seed));
            exit(1);
        }
        report
    }

    /// Applies one operation to both trees and compares the results.
    /// With `skip_target` (a planted bug) the target does not get the
    /// operation but reports the reference's result.
    fn step(&mut self, n: u64, op: &Op, skip_target: bool) {
        let (rt, rr): (Outcome, Outcome) = if skip_target {
            let rr = apply::apply(op, &self.cfg.reference);
            self.out.line(format!(
                "fsmodel: PLANTED BUG: op {n} not applied to the target"
            ));
            (rr.clone(), rr)
        } else {
            let rt = apply::apply(op, &self.cfg.target);
            (rt, apply::apply(op, &self.cfg.reference))
        };
        let line = format!("op {n}: {op}: {}", describe(&rr));
        if self.cfg.verbose {
            self.out.line(format!("fsmodel: {line}"));
        }
        if self.history.len() == HISTORY {
            self.history.pop_front();
        }
        self.history.push_back(line);
        let same = match (&rt, &rr) {
            (Ok(a), Ok(b)) => a == b,
            (Err(a), Err(b)) => a == b,
            _ => false,
        };
        if !same {
            self.out
                .line(format!("fsmodel: DIVERGENCE at op {n}: {op}"));
            self.out
                .line(format!("fsmodel:   target:    {}", describe(&rt)));
            self.out
                .line(format!("fsmodel:   reference: {}", describe(&rr)));
            if let Some(d) = detail(&rt, &rr) {
                self.out.line(format!("fsmodel:   {d}"));
            }
            self.out
                .line("fsmodel: the last operations were (reference results):");
            for h in &self.history {
                self.out.line(format!("fsmodel:   {h}"));
            }
            self.out
                .line(format!("fsmodel: seed {}: FAILED", self.cfg.seed));
            exit(1);
        }
    }

    /// Sets every entry's atime and mtime to a value derived from its
    /// path, on both sides (without following symlinks).
    fn stamp(&mut self, model: &Model) {
        let paths: Vec<Vec<u8>> = model.iter().map(|(p, _)| p.clone()).collect();
        for p in paths {
            let h = rng::hash_bytes(&p) ^ self.cfg.seed;
            let mtime = sys::Timespec {
                tv_sec: 946_684_800 + (h % 700_000_000) as i64,
                tv_nsec: 0,
            };
            let atime = sys::Timespec {
                tv_sec: mtime.tv_sec + 1,
                tv_nsec: 0,
            };
            let res = |base: &Path| sys::set_times(&join(base, &p), atime, mtime, false);
            let (a, b) = (res(&self.cfg.target), res(&self.cfg.reference));
            if a.is_err() || b.is_err() {
                self.out.line(format!(
                    "fsmodel: DIVERGENCE while stamping times on {}: target {:?} reference {:?}",
                    names::show(&p),
                    a,
                    b
                ));
                exit(1);
            }
        }
    }
}

fn main() {
    let argv: Vec<_> = std::env::args_os().skip(1).collect();
    // Usage errors are reported before the options are known.
    let early = Out::new(argv.iter().any(|a| a == "--ktap-comments"));
    let cfg = match args::parse(argv.into_iter()) {
        Ok(Some(c)) => c,
        Ok(None) => {
            early.line(args::USAGE);
            exit(0);
        }
        Err(e) => {
            early.line(format!("fsmodel: {e}"));
            early.line(args::USAGE);
            exit(2);
        }
    };
    let out = Out::new(cfg.ktap_comments);
    for d in [&cfg.target, &cfg.reference] {
        if !d.is_dir() {
            out.line(format!("fsmodel: {} is not a directory", d.display()));
            exit(2);
        }
    }
    let (ct, cr) = (cfg.target.canonicalize(), cfg.reference.canonicalize());
    if let (Ok(t), Ok(r)) = (ct, cr) {
        if t.starts_with(&r) || r.starts_with(&t) {
            out.line("fsmodel: the two directories must not contain each other");
            exit(2);
        }
    }
    sys::set_umask(0o022);
    let plant = std::env::var("FSMODEL_PLANT_BUG")
        .ok()
        .filter(|s| !s.is_empty());
    let drop_caches = std::env::var("FSMODEL_DROP_CACHES").is_ok_and(|v| v == "1");
    out.line(format!(
        "fsmodel: seed {} ops {} batch {} max-file-size {} mtime-slack {}{}{}{} target {} reference {}",
        cfg.seed,
        cfg.ops,
        cfg.batch,
        cfg.max_file_size,
        cfg.mtime_slack,
        if cfg.stamp_times { " stamp-times" } else { "" },
        if drop_caches { " drop-caches" } else { "" },
        plant.as_ref().map_or(String::new(), |p| format!(" PLANTED-BUG={p}")),
        cfg.target.display(),
        cfg.reference.display()
    ));
    let mut run = Run {
        cfg,
        out,
        drop_caches,
        plant,
        history: VecDeque::new(),
    };
    let started = Instant::now();
    let slack = run.cfg.mtime_slack;
    let first = run.compare("at the start (both trees must start identical)", slack);
    let start_entries = first.entries;
    let mut model = first.model;
    let reference = run.cfg.reference.clone();
    let mut gen = gen::Gen::new(run.cfg.seed, &reference, run.cfg.max_file_size);
    let (ops, batch) = (run.cfg.ops, run.cfg.batch);
    let mut batches = 0u64;
    let mut bytes = 0u64;
    let mut skip_at = None;
    if run.plant.as_deref() == Some("skip-op") {
        skip_at = Some(batch.min(ops) / 2 + 1);
    }
    for n in 1..=ops {
        let op = gen.next(&model);
        let skip = skip_at.is_some_and(|at| n >= at) && matches!(op, Op::Mkdir { .. });
        if skip {
            skip_at = None;
        }
        run.step(n, &op, skip);
        if op.modifies() {
            for p in op.touched() {
                model.refresh(&reference, p);
            }
        }
        if n % batch == 0 || n == ops {
            batches += 1;
            if batches == 1 {
                if let Some(kind) = run.plant.clone() {
                    plant::plant(&kind, &run.cfg.target, &model, run.cfg.seed, &run.out);
                }
            }
            let when = format!("after op {n} (end of batch {batches})");
            let report = run.compare(&when, slack);
            bytes += report.bytes;
            if run.cfg.verbose {
                run.out.line(format!(
                    "fsmodel: batch {batches}: {} entries, {} file bytes identical",
                    report.entries, report.bytes
                ));
            }
            model = report.model;
        }
    }
    let mut entries = model.len() as u64;
    if run.cfg.stamp_times {
        run.stamp(&model);
        let report = run.compare("after stamping the times", 0);
        entries = report.entries;
    }
    let secs = started.elapsed().as_secs_f64();
    run.out.line(format!(
        "fsmodel: seed {}: {ops} ops, {batches} batches, trees identical ({} entries at the start, {} at the end, {} MiB compared, {:.1} s, {:.0} ops/s)",
        run.cfg.seed,
        start_entries,
        entries,
        bytes >> 20,
        secs,
        ops as f64 / secs.max(1e-9)
    ));
}
