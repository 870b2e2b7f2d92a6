#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summary of a bench/run work directory: per job and filesystem, the
median over the rounds of fio's bandwidth (sequential jobs, MiB/s) or IOPS
(random jobs), with the spread (min-max) and mean completion latency, then
rext2's ratio to each peer (above 1: rext2 is faster).

usage: bench/summary.py WORK
"""
import glob
import json
import os
import re
import statistics
import sys


def load(work):
    """{fs: {job: [(value, unit, clat_us), ...one per round]}}"""
    res = {}
    for path in sorted(glob.glob(os.path.join(work, "r*-*.json"))):
        m = re.match(r"r(\d+)-(.+)\.json$", os.path.basename(path))
        if not m:
            continue
        fs = m.group(2)
        with open(path) as f:
            text = f.read()
        # fio may print notes before the JSON object.
        data = json.loads(text[text.index("{"):])
        for job in data["jobs"]:
            name = job["jobname"]
            side = job["write"] if "write" in name else job["read"]
            if "seq" in name:
                value, unit = side["bw_bytes"] / 2**20, "MiB/s"
            else:
                value, unit = side["iops"], "IOPS"
            clat = side["clat_ns"]["mean"] / 1000
            res.setdefault(fs, {}).setdefault(name, []).append((value, unit, clat, job["error"]))
    return res


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    res = load(sys.argv[1])
    if "rext2" not in res:
        print("bench: no rext2 results", file=sys.stderr)
        return 1
    order = ["rext2"] + sorted(fs for fs in res if fs != "rext2")
    jobs = list(res["rext2"])
    rounds = {fs: max(len(v) for v in res[fs].values()) for fs in order}
    print("# bench: " + ", ".join(f"{fs} {rounds[fs]} round(s)" for fs in order))
    head = f"{'job':<22}{'unit':<7}" + "".join(f"{fs + ' median (min-max) clat us':>40}" for fs in order)
    print(head)
    med = {}
    errors = 0
    for job in jobs:
        row = ""
        unit = ""
        for fs in order:
            runs = res[fs].get(job, [])
            errors += sum(1 for r in runs if r[3])
            if not runs:
                row += f"{'-':>40}"
                continue
            vals = [r[0] for r in runs]
            unit = runs[0][1]
            med[fs, job] = statistics.median(vals)
            clat = statistics.median(r[2] for r in runs)
            cell = f"{med[fs, job]:.1f} ({min(vals):.1f}-{max(vals):.1f}) {clat:.0f}"
            row += f"{cell:>40}"
        print(f"{job:<22}{unit:<7}{row}")
    for peer in order[1:]:
        ratios = [med["rext2", j] / med[peer, j] for j in jobs
                  if (peer, j) in med and ("rext2", j) in med and med[peer, j] > 0]
        cells = ", ".join(f"{j} {med['rext2', j] / med[peer, j]:.2f}" for j in jobs
                          if (peer, j) in med and med[peer, j] > 0)
        if ratios:
            geo = statistics.geometric_mean(ratios)
            print(f"# rext2/{peer}: {cells}; geometric mean {geo:.2f}")
    if errors:
        print(f"# {errors} fio job(s) reported an error")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
