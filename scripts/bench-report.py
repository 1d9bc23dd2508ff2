#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the bench guest's results log into the per-call table of `make bench`.

Reads the "RBUS-BENCH" sections of scripts/guest-init.sh's bench job: the
kernel log of each refscale run (its "Runs / Time(ns)" table) and the
"rbus_bench: <call> callers=<n> run=<k> ns=<x>" lines of bench/rbus_bench.c,
the "rbus_channel_bench: <what> run=<k> ns=<x>" lines of
bench/rbus_channel_bench.c, and the "rbus_i2c_bench: <what> run=<k> ns=<x>"
lines of bench/rbus_i2c_bench.c.
Each figure is the median of its runs. Exits 1 when a figure is missing.
"""

import re
import statistics
import sys

REFSCALE_TYPES = ["srcu", "srcu-fast", "refcnt", "rwsem"]
RBUS_CALLS = [("bare", "bare indirect call"),
              ("srcu-fast", "  the same inside an inline srcu-fast pair"),
              ("exported", "  the same plus a call into rbus_core"),
              ("inlined", "  the protected call's fast path, inlined"),
              ("protected", "rbus protected call (bus-to-child event)"),
              ("child-bus", "rbus child-to-bus call (reg_read)")]
RUN_LINE = re.compile(r"^(?:\[[^\]]*\]\s*)?(\d+)\t(\d+\.\d+)\s*$")
BENCH_LINE = re.compile(r"rbus_bench: (\S+) callers=(\d+) run=\d+ ns=(\d+\.\d+)")
CHANNEL_LINE = re.compile(r"rbus_channel_bench: (\S+) run=(\d+) ns=(\d+\.\d+)")
I2C_LINE = re.compile(r"rbus_i2c_bench: (\S+) run=(\d+) ns=(\d+\.\d+)")
# The I2C tunnel's rows: the kernel's figures, 1 caller, then user space's.
I2C_ROWS = [(("i2c-direct", 1), "the tunnel's frame as a child-to-bus call"),
            (("i2c-kernel", 1), "i2c_transfer() through the adapter"),
            (("i2c i2c_rdwr", 1), "/dev/i2c-N I2C_RDWR"),
            (("i2c syscall", 1), "  for comparison: a bare syscall")]
# Channel figures by case and run: the ratios pair the cases of one run.
CHANNEL_RUNS = {}
CHANNEL_ROWS = [("pipe_rw", "pipe write+read, 96 bytes"),
                ("round_trip", "channel submit + read, one request"),
                ("batch64", "channel batch of 64, per request"),
                ("close_pipe", "close() of a pipe's last fd"),
                ("close_child", "close() of a /dev/rbus-* fd"),
                ("info_ioctl", "  for comparison: RBUS_IOC_INFO"),
                ("read_empty", "  for comparison: read() with nothing ready")]


def parse(path):
    figures = {}
    section = None
    in_table = False
    with open(path, errors="replace") as log:
        for line in log:
            line = line.rstrip("\n")
            if line.startswith("RBUS-BENCH "):
                section = line.split()[1:]
                in_table = False
                continue
            if not section:
                continue
            if section[0] == "refscale":
                if "Runs\tTime(ns)" in line:
                    in_table = True
                    continue
                m = RUN_LINE.match(line)
                if in_table and m:
                    key = ("refscale " + section[1], int(section[2]))
                    figures.setdefault(key, []).append(float(m.group(2)))
            elif section[0] == "channel":
                m = CHANNEL_LINE.search(line)
                if m:
                    figures.setdefault(("channel " + m.group(1), 1), []).append(
                        float(m.group(3)))
                    CHANNEL_RUNS.setdefault(m.group(1), {})[int(m.group(2))] = \
                        float(m.group(3))
            elif section[0] == "i2c":
                m = I2C_LINE.search(line)
                if m:
                    figures.setdefault(("i2c " + m.group(1), 1), []).append(float(m.group(3)))
            elif section[0] == "rbus_bench":
                m = BENCH_LINE.search(line)
                if m:
                    key = (m.group(1), int(m.group(2)))
                    figures.setdefault(key, []).append(float(m.group(3)))
    return {key: statistics.median(runs) for key, runs in figures.items()}


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: bench-report.py RESULTS_LOG")
    med = parse(sys.argv[1])
    rows = [(key, name) for key, name in RBUS_CALLS]
    rows += [("refscale " + t, "refscale " + t + " (read-side pair)") for t in REFSCALE_TYPES]
    missing = [f"{key} x{n}" for key, _ in rows for n in (1, 2) if (key, n) not in med]

    print(f"{'ns per call, median of runs':46} {'1 caller':>10} {'2 callers':>10}")
    for key, name in rows:
        cells = [f"{med[(key, n)]:10.2f}" if (key, n) in med else f"{'-':>10}" for n in (1, 2)]
        print(f"{name:46} {cells[0]} {cells[1]}")
    if missing:
        print("missing: " + ", ".join(missing))
        return 1

    print()
    for n in (1, 2):
        overhead = med[("protected", n)] - med[("bare", n)]
        fast = med[("refscale srcu-fast", n)]
        verdict = "met" if overhead <= 1.5 * fast else "MISSED"
        print(f"{n} caller(s): protected - bare = {overhead:.2f} ns = "
              f"{overhead / fast:.2f} x refscale srcu-fast ({fast:.2f} ns); "
              f"target <= 1.5 x: {verdict}")
        inlined = med[("inlined", n)] - med[("bare", n)]
        crossing = med[("exported", n)] - med[("bare", n)]
        print(f"  of which: the protection itself (inlined - bare) {inlined:.2f} ns = "
              f"{inlined / fast:.2f} x srcu-fast; a call into rbus_core "
              f"(exported - bare) {crossing:.2f} ns")
    prot, refcnt = med[("protected", 2)], med[("refscale refcnt", 2)]
    verdict = "met" if prot < refcnt else "MISSED"
    print(f"2 callers: protected {prot:.2f} ns vs refscale refcnt {refcnt:.2f} ns "
          f"= {prot / refcnt:.2f} x; target < 1 x: {verdict}")
    return channel_report(med) or i2c_report(med)


def i2c_report(med):
    """One I2C transaction through the tunnel, each way, against its child-to-bus call."""
    print()
    print(f"{'ns per one-byte EEPROM read, median of runs':46} {'ns':>10} {'x direct':>10}")
    direct = med.get(("i2c-direct", 1))
    missing = []
    for key, name in I2C_ROWS:
        fig = med.get(key)
        if fig is None:
            missing.append(key[0])
            print(f"{name:46} {'-':>10}")
            continue
        ratio = f"{fig / direct:10.2f}" if direct else f"{'-':>10}"
        print(f"{name:46} {fig:10.2f} {ratio}")
    if missing:
        print("missing: " + ", ".join(missing))
        return 1
    return 0


def channel_report(med):
    """The request channel against a pipe, one thread."""
    print()
    print(f"{'ns per operation, median of runs':46} {'1 thread':>10}")
    missing = []
    for key, name in CHANNEL_ROWS:
        fig = med.get(("channel " + key, 1))
        if fig is None:
            missing.append(key)
        print(f"{name:46} {fig if fig is not None else '-':>10}")
    if missing:
        print("missing: " + ", ".join(missing))
        return 1
    for what, num, den, limit in (("round trip vs pipe", "round_trip", "pipe_rw", 1.5),
                                  ("batch of 64 vs single, per request", "batch64",
                                   "round_trip", 0.25),
                                  ("close() vs a pipe's", "close_child", "close_pipe", 2.0)):
        runs = sorted(set(CHANNEL_RUNS[num]) & set(CHANNEL_RUNS[den]))
        ratios = [CHANNEL_RUNS[num][r] / CHANNEL_RUNS[den][r] for r in runs]
        ratio = statistics.median(ratios)
        verdict = "met" if ratio <= limit else "MISSED"
        print(f"{what}: {ratio:.2f} x (median of {len(ratios)} runs, "
              f"{min(ratios):.2f}-{max(ratios):.2f}); target <= {limit} x: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
