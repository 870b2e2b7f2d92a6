#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summary of a bench/run work directory (Python 3 standard library only).

Per device (ram0: the RAM disk, vda: the virtio disk), row and column:
the median over the rounds of fio's IOPS with the spread (min-max), the
medians of the p50 and p99 completion latency (fio's clat percentiles),
and the CPU time per I/O: the guest's busy time (user + nice + system +
irq + softirq + steal in /proc/stat, all CPUs) between fio's exec_prerun
and exec_postrun of the row, divided by the row's I/Os. That counts the
work done for an I/O wherever it runs (the submitting task, interrupts,
softirqs, kworkers, io_uring workers), which fio's own usr/sys (the fio
process's rusage) would miss. Then the ratios: rext2 to the best C peer
(ext2, jfs) per row, rext2 to the raw device, jfs-rdio to jfs (with the
range of the same ratios taken within each round, which shows how far the
host's noise moves them), and the 4-job over the 1-job random-read IOPS
per column.

Writes WORK/summary.md (printed too), WORK/summary.rst and
WORK/bench-ratios.svg (rext2 / best C peer per RAM-disk row, and
jfs-rdio / jfs when measured). Exit status 1 when a row did not run
(missing or empty result, fio error).

usage: bench/summary.py [--docs NAME] WORK
       bench/summary.py --profile WORK

--docs NAME also writes the results into Documentation/benchmarks.rst,
between the lines ".. bench-results NAME begin" and ".. bench-results
NAME end" (appended when missing), and the chart as
Documentation/bench-ratios-NAME.svg.
"""
import glob
import json
import os
import re
import shutil
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLS = ["raw", "ext2", "jfs", "rext2", "jfs-rdio"]
PEERS = ["ext2", "jfs"]
DEVICES = {"ram0": "RAM disk (brd, /dev/ram0)", "vda": "virtio disk (/dev/vda, sparse host file)"}
ROW_LABELS = {
    "randread-4k-qd1": "4 KiB randread psync QD1",
    "randwrite-4k-qd1": "4 KiB randwrite (overwrite) psync QD1",
    "randread-4k-libaio16": "4 KiB randread libaio QD16",
    "randwrite-4k-libaio16": "4 KiB randwrite (overwrite) libaio QD16",
    "randread-4k-uring16": "4 KiB randread io_uring QD16",
    "randread-512-qd1": "512 B randread psync QD1 (blkfactor)",
    "read-1m": "1 MiB read psync",
    "write-1m-alloc": "1 MiB write psync, allocating",
    "write-1m-over": "1 MiB write psync, overwrite",
    "randread-4k-4jobs": "4 KiB randread psync, 4 jobs",
    "dsync-randwrite-4k-qd1": "4 KiB O_DSYNC overwrite QD1",
    "write-64k-libaio8": "64 KiB write libaio QD8",
}
BUSY = (1, 2, 3, 6, 7, 8)  # user nice system irq softirq steal in the "cpu" line
HZ = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def busy_ticks(path):
    with open(path) as f:
        for line in f:
            if line.startswith("cpu "):
                v = line.split()
                return sum(int(v[i]) for i in BUSY if i < len(v))
    raise ValueError(f"{path}: no cpu line")


def load_json(path):
    with open(path) as f:
        text = f.read()
    # fio may print notes before the JSON object.
    return json.loads(text[text.index("{"):])


def load_cells(path):
    """The jobs (rows) of one fio run: {row: dict(iops, p50, p99, cpu, ios)},
    [problems]."""
    try:
        data = load_json(path)
    except (OSError, ValueError) as e:
        return {}, [f"unreadable result {path}: {e}"]
    cells, problems = {}, []
    for job in data.get("jobs") or []:
        row = job["jobname"]
        if job.get("error"):
            problems.append(f"{path}: {row}: fio error {job['error']}")
            continue
        sides = [job[d] for d in ("read", "write") if job[d]["total_ios"] > 0]
        if not sides:
            problems.append(f"{path}: {row}: no I/O done")
            continue
        ios = sum(s["total_ios"] for s in sides)
        pct = sides[0]["clat_ns"].get("percentile", {})
        cell = {
            "iops": sum(s["iops"] for s in sides),
            "ios": ios,
            "p50": pct.get("50.000000", 0) / 1000,
            "p99": pct.get("99.000000", 0) / 1000,
            "cpu": None,
        }
        base = os.path.join(os.path.dirname(path), row)
        try:
            ticks = busy_ticks(base + ".postrun.txt") - busy_ticks(base + ".prerun.txt")
            cell["cpu"] = ticks / HZ * 1e6 / ios
        except (OSError, ValueError):
            pass
        cells[row] = cell
    if not cells and not problems:
        problems.append(f"{path}: no jobs")
    return cells, problems


def load(work):
    """{dev: {row: {col: [cell, ...]}}}, [problems]"""
    res, problems = {}, []
    for d in sorted(glob.glob(os.path.join(work, "*", "r*-*"))):
        dev, cell_dir = os.path.relpath(d, work).split(os.sep)
        m = re.fullmatch(r"r(\d+)-(.+)", cell_dir)
        if not m or dev not in DEVICES:
            continue
        for path in sorted(glob.glob(os.path.join(d, "*.json"))):
            cells, p = load_cells(path)
            problems += p
            for row, cell in cells.items():
                cell["round"] = int(m.group(1))
                res.setdefault(dev, {}).setdefault(row, {}).setdefault(m.group(2), []).append(cell)
    return res, problems


def med(cells, key):
    vals = [c[key] for c in cells if c[key] is not None]
    return statistics.median(vals) if vals else None


def fmt(v, digits=None):
    if v is None:
        return "n/a"
    if digits is None:
        digits = 0 if v >= 100 else 1 if v >= 10 else 2
    return f"{v:.{digits}f}"


def ratio(a, b):
    return a / b if a and b else None


def round_ratios(cells, num, dens):
    """Per round in which all of them ran: column num's IOPS over the best
    of columns dens' IOPS in the same round. The columns of a round run
    one after the other, so a host that slows down for a while moves a
    round's columns together; the spread of these ratios is how far the
    ratio of the medians can be trusted."""
    by_round = {}
    for col in [num] + dens:
        for c in cells.get(col, []):
            by_round.setdefault(c["round"], {})[col] = c["iops"]
    out = []
    for iops in by_round.values():
        r = ratio(iops.get(num), max((iops[d] for d in dens if d in iops), default=None))
        if r:
            out.append(r)
    return out


def spread(vals):
    return f"{min(vals):.2f}-{max(vals):.2f}" if vals else "n/a"


class Table:
    def __init__(self, title, head):
        self.title, self.head, self.rows = title, head, []

    def add(self, row):
        self.rows.append([str(c) for c in row])

    def md(self):
        out = [f"**{self.title}**", "", "| " + " | ".join(self.head) + " |",
               "|" + "|".join("---" for _ in self.head) + "|"]
        out += ["| " + " | ".join(r) + " |" for r in self.rows]
        return "\n".join(out) + "\n"

    def rst(self):
        w = [max(len(x) for x in col) for col in zip(self.head, *self.rows)]
        rule = "  ".join("=" * n for n in w)

        def line(r):
            return "  ".join(c.ljust(n) for c, n in zip(r, w)).rstrip()
        out = [f"**{self.title}**", "", rule, line(self.head), rule]
        out += [line(r) for r in self.rows] + [rule]
        return "\n".join(out) + "\n"


def device_tables(dev, rows, nrounds):
    """Tables for one device, and the chart's data [(row, rext2/best, rdio/jfs)]."""
    cols = [c for c in COLS if any(c in rows[r] for r in rows)]
    order = [r for r in ROW_LABELS if r in rows] + sorted(r for r in rows if r not in ROW_LABELS)
    label = DEVICES[dev]
    t_iops = Table(f"{label}: IOPS, median (min-max) over {nrounds} rounds",
                   ["row"] + cols)
    t_ratio = Table(f"{label}: ratios of the medians (above 1: the first is faster); "
                    "per round: min-max of the same ratio taken within each round",
                    ["row", "rext2 / best C peer", "rext2 / raw", "jfs-rdio / jfs",
                     "rext2 / best C peer, per round", "jfs-rdio / jfs, per round"])
    t_lat = Table(f"{label}: completion latency p50 / p99, µs (medians over the rounds)",
                  ["row"] + cols)
    t_cpu = Table(f"{label}: CPU time per I/O, µs (guest busy time / I/Os, median)",
                  ["row"] + cols)
    chart = []
    m = {}
    for row in order:
        iops, lat, cpu = [ROW_LABELS.get(row, row)], [ROW_LABELS.get(row, row)], [ROW_LABELS.get(row, row)]
        for col in cols:
            cells = rows[row].get(col, [])
            if not cells:
                iops.append("n/a"), lat.append("n/a"), cpu.append("n/a")
                continue
            v = [c["iops"] for c in cells]
            m[row, col] = statistics.median(v)
            iops.append(f"{fmt(m[row, col])} ({fmt(min(v))}-{fmt(max(v))})")
            lat.append(f"{fmt(med(cells, 'p50'))} / {fmt(med(cells, 'p99'))}")
            cpu.append(fmt(med(cells, "cpu")))
        t_iops.add(iops)
        t_lat.add(lat)
        t_cpu.add(cpu)
        peers = [(m[row, p], p) for p in PEERS if (row, p) in m]
        best = max(peers) if peers else (None, None)
        r_best = ratio(m.get((row, "rext2")), best[0])
        r_raw = ratio(m.get((row, "rext2")), m.get((row, "raw")))
        r_rdio = ratio(m.get((row, "jfs-rdio")), m.get((row, "jfs")))
        t_ratio.add([ROW_LABELS.get(row, row),
                     f"{fmt(r_best, 2)} ({best[1]})" if r_best else "n/a",
                     fmt(r_raw, 2), fmt(r_rdio, 2),
                     spread(round_ratios(rows[row], "rext2", PEERS)),
                     spread(round_ratios(rows[row], "jfs-rdio", ["jfs"]))])
        chart.append((ROW_LABELS.get(row, row), r_best, best[1], r_rdio))
    scaling = []
    for col in cols:
        s = ratio(m.get(("randread-4k-4jobs", col)), m.get(("randread-4k-qd1", col)))
        if s:
            scaling.append(f"{col} {s:.2f}")
    notes = []
    if scaling:
        notes.append("4 KiB random reads, 4 jobs on one file over 1 job (IOPS): "
                     + ", ".join(scaling) + ".")
    return [t_iops, t_ratio, t_lat, t_cpu], notes, chart


def svg_chart(chart, title):
    """Horizontal bars, one group per row: rext2 / best C peer, and
    jfs-rdio / jfs when measured; a line at 1.0."""
    have_rdio = any(c[3] for c in chart)
    vals = [v for c in chart for v in (c[1], c[3]) if v]
    vmax = max([1.2] + vals) * 1.1
    left, width, bar = 300, 420, 14
    group = bar * (2 if have_rdio else 1) + 10
    top = 50
    height = top + group * len(chart) + 50
    x = lambda v: left + v / vmax * width  # noqa: E731
    esc = lambda s: s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # noqa: E731
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 60}" height="{height}" '
           'font-family="sans-serif" font-size="12">',
           '<rect width="100%" height="100%" fill="white"/>',
           f'<text x="10" y="20" font-size="14" font-weight="bold">{esc(title)}</text>',
           f'<rect x="10" y="30" width="12" height="10" fill="#3572a5"/>'
           '<text x="26" y="39">rext2 / best C peer (ext2 or jfs)</text>']
    if have_rdio:
        out.append('<rect x="260" y="30" width="12" height="10" fill="#d9822b"/>'
                   '<text x="276" y="39">jfs-rdio / jfs</text>')
    for i, (label, r_best, peer, r_rdio) in enumerate(chart):
        y = top + i * group
        out.append(f'<text x="{left - 6}" y="{y + bar - 3}" text-anchor="end">{esc(label)}</text>')
        for j, (v, colour) in enumerate([(r_best, "#3572a5"), (r_rdio, "#d9822b")][: 2 if have_rdio else 1]):
            yy = y + j * bar
            if v:
                out.append(f'<rect x="{left}" y="{yy}" width="{x(v) - left:.1f}" height="{bar - 2}" fill="{colour}"/>')
                out.append(f'<text x="{x(v) + 4:.1f}" y="{yy + bar - 4}">{v:.2f}</text>')
    base = top + group * len(chart)
    for t in [0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0]:
        if t <= vmax:
            out.append(f'<line x1="{x(t):.1f}" y1="{top - 4}" x2="{x(t):.1f}" y2="{base}" '
                       f'stroke="{"black" if t == 1.0 else "#ccc"}" stroke-width="{1.5 if t == 1.0 else 0.5}"/>')
            out.append(f'<text x="{x(t):.1f}" y="{base + 14}" text-anchor="middle">{t:g}</text>')
    out.append(f'<text x="{left + width / 2}" y="{base + 32}" text-anchor="middle">'
               'ratio of median IOPS (above 1: faster than the C engine)</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def versions(work):
    v = {}
    for name in ("versions.txt", "guest-versions.txt"):
        try:
            with open(os.path.join(work, name)) as f:
                for line in f:
                    k, _, rest = line.rstrip("\n").partition(" ")
                    v.setdefault(k, rest)
        except OSError:
            pass
    return v


def write_docs(name, rst, svg):
    path = os.path.join(ROOT, "Documentation", "benchmarks.rst")
    begin, end = f".. bench-results {name} begin", f".. bench-results {name} end"
    with open(path) as f:
        text = f.read()
    block = f"{begin}\n\n{rst}\n{end}"
    if begin in text and end in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + f"\n\nResults: {name}\n" + "-" * (9 + len(name)) + f"\n\n{block}\n"
    with open(path, "w") as f:
        f.write(text)
    with open(os.path.join(ROOT, "Documentation", f"bench-ratios-{name}.svg"), "w") as f:
        f.write(svg)
    print(f"# wrote {path} (block {name}) and Documentation/bench-ratios-{name}.svg")


def summary(work, docs):
    res, problems = load(work)
    v = versions(work)
    if "ram0" not in res:
        problems.append("no RAM-disk results")
    cols = v.get("cols", "").split(",")
    for dev in DEVICES:
        for row in filter(None, v.get(f"rows-{dev}", "").split(",")):
            for col in cols:
                n = len(res.get(dev, {}).get(row, {}).get(col, []))
                if n < int(v.get("rounds", 1)):
                    problems.append(f"{dev} {row} {col}: {n} of {v.get('rounds')} rounds ran")
    md, rst = [], []
    head = [
        f"Command: `{v.get('command', 'bench/run')}` ({v.get('rounds', '?')} rounds of "
        f"{v.get('runtime', '?')} s per cell, file {v.get('size', '?')}, {v.get('cpus', '?')} guest CPUs, "
        f"engine counters {'on' if v.get('counters') == '1' else 'off'}).",
        f"Kernel: {v.get('kernel', '?')} ({v.get('kernel-package', '?')}, bench flavour); "
        f"{v.get('rustc', '?')}; guest fio {v.get('fio', '?')}; {v.get('qemu', '?')}; "
        f"{v.get('vm-run:', 'accelerator ?')}; commit {v.get('commit', '?')}.",
    ]
    md += [h + "\n" for h in head]
    rst += [h.replace("`", "``") + "\n" for h in head]
    chart = []
    for dev in ("ram0", "vda"):
        if dev not in res:
            continue
        nrounds = max(len(c) for r in res[dev].values() for c in r.values())
        tables, notes, ch = device_tables(dev, res[dev], nrounds)
        if dev == "ram0":
            chart = ch
        for t in tables:
            md.append(t.md())
            rst.append(t.rst())
        md += [n + "\n" for n in notes]
        rst += [n + "\n" for n in notes]
    svg = svg_chart(chart, "rext2 / best C peer per row, RAM disk") if chart else ""
    if problems:
        md.append("Problems (the bench failed):\n\n" + "\n".join(f"- {p}" for p in problems) + "\n")
    text = "\n".join(md)
    with open(os.path.join(work, "summary.md"), "w") as f:
        f.write(text)
    with open(os.path.join(work, "summary.rst"), "w") as f:
        f.write("\n".join(rst))
    if svg:
        with open(os.path.join(work, "bench-ratios.svg"), "w") as f:
            f.write(svg)
    print(text)
    if docs and not problems:
        rst_doc = "\n".join(rst) + f"\n.. image:: bench-ratios-{docs}.svg\n   :alt: rext2 / best C peer per row\n"
        write_docs(docs, rst_doc, svg)
    elif docs:
        print("# --docs: not written, the run had problems")
    return 1 if problems else 0


IDLE = re.compile(r"(^|_)(idle|halt|safe_halt|mwait)|^cpuidle|^do_idle|^cpu_startup_entry|^start_secondary"
                  r"|^ap_starting|^rest_init|^start_kernel|^x86_64_start|^secondary_startup|^common_startup|^pv_native_safe_halt")


def demangle(syms):
    """Rust v0 (and C++) symbols through binutils' c++filt when there is one,
    without the crate hashes; the names unchanged otherwise."""
    if not shutil.which("c++filt") or not syms:
        return {x: x for x in syms}
    out = subprocess.run(["c++filt"], input="\n".join(syms) + "\n", capture_output=True,
                         text=True, check=False).stdout.split("\n")
    if len(out) < len(syms):
        return {x: x for x in syms}
    return {x: re.sub(r"\[[0-9a-f]{16}\]", "", y) for x, y in zip(syms, out)}


def profile(work):
    pdir = os.path.join(work, "profile")
    files = sorted(glob.glob(os.path.join(pdir, "*.self.txt")))
    if not files:
        print("bench: no profile results", file=sys.stderr)
        return 1
    rc = 0
    for path in files:
        col = os.path.basename(path)[: -len(".self.txt")]
        cells, problems = load_cells(glob.glob(os.path.join(pdir, col, "*.json"))[0]) if glob.glob(
            os.path.join(pdir, col, "*.json")) else ({}, ["no fio result"])
        for p in problems:
            print(f"# {col}: {p}")
            rc = 1
        info = ""
        for cell in cells.values():
            cpu = f", {cell['cpu']:.1f} µs CPU per I/O" if cell["cpu"] is not None else ""
            info = f" ({cell['iops']:.0f} IOPS under perf{cpu})"
        views = {}
        for view in ("self", "children"):
            views[view] = []
            with open(os.path.join(pdir, f"{col}.{view}.txt")) as f:
                for line in f:
                    m = re.match(r"\s*([\d.]+)%\s+(?:([\d.]+)%\s+)?\[([k.])\]\s+(\S+)", line)
                    if m:
                        views[view].append((float(m.group(1)), m.group(3), m.group(4)))
        # The share of the samples in the idle loop (self time), so that
        # both views are given as a share of the busy samples.
        busy_total = 100 - sum(e[0] for e in views["self"] if IDLE.search(e[2]))
        samples = ""
        with open(os.path.join(pdir, f"{col}.self.txt")) as f:
            m = re.search(r"^# Samples: (\S+)", f.read(), re.M)
            if m:
                samples = f", {m.group(1)} samples, {busy_total:.0f}% busy"
        for view in ("self", "children"):
            print(f"# {col}{info}{samples}: top symbols, {view} time, % of the non-idle samples")
            busy = [e for e in views[view] if not IDLE.search(e[2])][:25]
            names = demangle([e[2] for e in busy])
            for pct, kind, sym in busy:
                print(f"  {pct / busy_total * 100 if busy_total > 0 else 0:6.2f}%  [{kind}] {names[sym]}")
        print()
    return rc


def main(argv):
    docs = None
    if len(argv) == 3 and argv[1] == "--profile":
        return profile(argv[2])
    if len(argv) == 4 and argv[1] == "--docs":
        docs, argv = argv[2], argv[2:]
    if len(argv) != 2:
        print(__doc__.strip().split("\n\n")[-2], file=sys.stderr)
        return 2
    return summary(argv[1], docs)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
