# SPDX-License-Identifier: GPL-2.0
"""Case reporting shared by the Python test helpers: one line per case,
"NAME: ok" or "NAME: FAIL why", and a failure count for the exit status;
the engine's debugfs counters; the system's page pins outstanding; the
kernel log as it grows; tools run with their output kept; tagged file
contents."""
import errno
import json
import os
import subprocess

fails = 0


def report(case, ok, why=""):
    """Prints the case's verdict; counts a failure."""
    global fails
    print(f"{case}: {'ok' if ok else 'FAIL ' + why}", flush=True)
    if not ok:
        fails += 1


def expect_errno(case, want, fn, check=lambda: True, what=""):
    """fn() must fail with errno `want`, and check() must hold after."""
    try:
        r = fn()
        report(case, False, f"returned {r}, expected {errno.errorcode[want]}")
    except OSError as e:
        ok = e.errno == want and check()
        report(case, ok, f"{errno.errorcode.get(e.errno)}, expected {errno.errorcode[want]} {what}".rstrip())


def outcome(fn):
    """ "ok" (or fn's value if it returns one), or the errno name of the
    OSError it raised: one outcome to compare between two drivers."""
    try:
        r = fn()
        return "ok" if r is None else r
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))


def save_and_require(results, out, must):
    """Writes the outcomes `results` to `out` as JSON, for the caller to
    compare with another driver's, then reports each outcome `must` names
    against its expected value. Returns the exit status."""
    with open(out, "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
    for k, want in must.items():
        report(k, results.get(k) == want, f"got {results.get(k)!r}, expected {want!r}")
    return exit_status()


def exit_status():
    return 1 if fails else 0


def counters_path(dev=None):
    """The engine counters file (the one place that knows where the
    counters are). They are engine-wide, so `dev` does not matter: compare
    a copy taken before with one taken after."""
    return "/sys/kernel/debug/rext2/dio"


def counters(path):
    """The counters file of a mount, as {name: value}."""
    with open(path) as f:
        return {k: int(v) for k, v in (line.split() for line in f if line.strip())}


def pins():
    """Page pins outstanding in the whole system: /proc/vmstat's
    nr_foll_pin_acquired minus nr_foll_pin_released. Both are per-CPU
    counters that reach the totals only when a CPU folds its share (about
    once a second, or after some dozens of changes), so the totals are
    folded first through vm.stat_refresh (root only), and read right
    after, by this process: pins that another program takes in between
    (reads from a 9p root without cache=loose pin pages) would skew it."""
    try:
        with open("/proc/sys/vm/stat_refresh", "w") as f:
            f.write("1")
    except OSError:
        pass
    v = {}
    with open("/proc/vmstat") as f:
        for line in f:
            k, n = line.split()
            v[k] = int(n)
    return v.get("nr_foll_pin_acquired", 0) - v.get("nr_foll_pin_released", 0)


class Kmsg:
    """The kernel log from the moment this is made on: read() returns the
    messages (text only, no prefix or continuation lines) logged since the
    previous read()."""

    def __init__(self):
        self.fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
        os.lseek(self.fd, 0, os.SEEK_END)

    def read(self):
        msgs = []
        while True:
            try:
                rec = os.read(self.fd, 8192)
            except BlockingIOError:
                return msgs
            except BrokenPipeError:     # overwritten records: go on
                continue
            if not rec:
                return msgs
            text = rec.decode("utf-8", "replace")
            msgs.append(text.split(";", 1)[-1].split("\n", 1)[0])


def run(*cmd, check=True, stderr=subprocess.STDOUT):
    """Runs a tool, its output kept (text); with `check`, a non-zero exit
    ends the program with the tool's name, status and output's tail."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=stderr, text=True)
    if check and p.returncode != 0:
        raise SystemExit("%s failed (%d): %s" % (cmd[0], p.returncode, p.stdout[-2000:]))
    return p


def tagged_text(tag, n):
    """`n` bytes of numbered "[TAG 00000000]" lines: a file's contents
    that say whose they are and where they are."""
    unit = "[%s %%08d]\n" % tag
    s = "".join(unit % i for i in range(n // len(unit % 0) + 2))
    return s.encode()[:n]
