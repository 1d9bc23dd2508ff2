#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the results logs of `make bench`'s boots into its table, JSON and plots.

Each log (one per boot, scripts/guest-init.sh's bench job) holds sections
that start with "RBUS-BENCH <what>": refscale's kernel log, whose
"Runs / Time(ns)" table gives the read-side rulers, and the result lines of
bench/rbus_bench.c, bench/rbus_user_bench.c and bench/rbus_scale_bench.c:

    rbus_bench: <case> [<param>=<value> ...] run=<k> ns=<x> (or bytes=<x>)

A figure is named by its case and parameters ("protected callers=2",
"batch batch=64 callers=1"). In each boot it is the median of its runs; over
the boots, the median of those medians, with their range as its spread. A
ratio is taken within each boot (paired run by run where both figures come
from the same runs of one program), then its median over the boots.

Prints the comparison table (Markdown, as the README shows it), the targets
and the answer in words; --json writes every figure with its spread, and
--plots DIR the PNG plots. Exits 1 when a figure the table needs is missing.
"""

import argparse
import json
import re
import statistics
import sys

RESULT = re.compile(r"rbus_bench: (\S+)((?: [a-z_]+=\S+)*) run=(\d+) (ns|bytes)=([0-9.]+)\s*$")
REFSCALE_RUN = re.compile(r"^(?:\[[^\]]*\]\s*)?(\d+)\t(\d+\.\d+)\s*$")
REFSCALE_TYPES = ["srcu-fast", "srcu", "refcnt", "rwsem"]
BATCHES = [1, 4, 16, 64, 256]
CHILDREN = [64, 256, 1024, 4096]


def key(case, **params):
    """The canonical name of a figure."""
    return " ".join([case] + [f"{k}={v}" for k, v in sorted(params.items())])


def parse(path):
    """One boot's figures: {name: {run: value}}, their units, and the section each came from."""
    figures, units, sections = {}, {}, {}
    section, in_table, offset = None, False, 0
    with open(path, errors="replace") as log:
        for line in log:
            line = line.rstrip("\n")
            if line.startswith("RBUS-BENCH "):
                section, in_table = line.split()[1:], False
                if section[0] == "refscale":
                    # A ruler timed twice (before and after the kernel's
                    # cases): the second pass's runs follow the first's.
                    name = key("refscale-" + section[1], callers=int(section[2]))
                    offset = len(figures.get(name, {}))
                continue
            if not section:
                continue
            if section[0] == "refscale":
                if "Runs\tTime(ns)" in line:
                    in_table = True
                    continue
                m = REFSCALE_RUN.match(line)
                if in_table and m:
                    name = key("refscale-" + section[1], callers=int(section[2]))
                    figures.setdefault(name, {})[offset + int(m.group(1))] = float(m.group(2))
                    units[name] = "ns"
                    sections[name] = " ".join(section)
                continue
            m = RESULT.search(line)
            if m:
                params = dict(p.split("=", 1) for p in m.group(2).split())
                name = key(m.group(1), **params)
                figures.setdefault(name, {})[int(m.group(3))] = float(m.group(5))
                units[name] = m.group(4)
                sections.setdefault(name, section[0])
    return figures, units, sections


class Bench:
    """The figures of every boot."""

    def __init__(self, paths):
        self.boots, self.units, self.sections = [], {}, {}
        for path in paths:
            figures, units, sections = parse(path)
            self.boots.append(figures)
            self.units.update(units)
            self.sections.update(sections)

    def has(self, name):
        return all(name in boot for boot in self.boots)

    def boot_medians(self, name):
        return [statistics.median(boot[name].values()) for boot in self.boots if name in boot]

    def median(self, name):
        meds = self.boot_medians(name)
        return statistics.median(meds) if meds else None

    def ratios(self, num, den, minus=None):
        """Per boot: (num - minus) / den, run by run where the runs pair up.

        Two figures pair up when one program timed both in the same runs:
        each of its runs times every case in turn, so run k of one and run k
        of the other were taken moments apart, and the host's drift between
        runs cancels in their difference or ratio.
        """
        out = []
        for boot in self.boots:
            if num not in boot or den not in boot or (minus and minus not in boot):
                continue

            def paired(a, b):
                return (self.sections.get(a) == self.sections.get(b) and
                        set(boot[a]) == set(boot[b]) and len(boot[a]) > 1)

            if minus is None and paired(num, den):
                out.append(statistics.median(boot[num][r] / boot[den][r] for r in boot[num]))
                continue
            if minus is None:
                top = statistics.median(boot[num].values())
            elif paired(num, minus):
                top = statistics.median(boot[num][r] - boot[minus][r] for r in boot[num])
            else:
                top = (statistics.median(boot[num].values()) -
                       statistics.median(boot[minus].values()))
            out.append(top / statistics.median(boot[den].values()))
        return out


def fmt(value, spread=None):
    if value is None:
        return "-"
    digits = 0 if value >= 1000 else 1
    text = f"{value:,.{digits}f}"
    if spread and len(spread) > 1:
        text += f" ({min(spread):,.{digits}f}-{max(spread):,.{digits}f})"
    return text


# The comparison: (label, design, case, ruler case, callers).
ROWS = [
    ("kernel child calls the bus, ops table: `reg_read`", "A", "reg-read", "bare", (1, 2)),
    ("kernel child calls the bus, ops table: 64-byte `transfer`", "A", "transfer", "bare", (1,)),
    ("the bus calls the child: protected event dispatch", "A", "protected", "bare", (1, 2)),
    ("  the same from a Rust controller (one call more)", "A", "protected-rust", "bare",
     (1, 2)),
    ("kernel child: the same transfer through the request queue, waiting", "B",
     "queue-transfer", "bare", (1,)),
    ("user-mode driver: one submit + one `read` (round trip)", "B", "round-trip", "pipe", (1,)),
] + [
    (f"user-mode driver: batch of {b}, per request", "B", f"batch batch={b}", "pipe", (1,))
    for b in BATCHES
] + [
    ("I2C through the tunnel: its frame as one child-to-bus call", "A", "i2c-direct", "bare",
     (1,)),
    ("I2C through the tunnel: kernel `i2c_transfer()`", "A", "i2c-kernel", "bare", (1,)),
    ("I2C through the tunnel: `/dev/i2c-N` `I2C_RDWR`", "A", "i2c-rdwr", "syscall", (1,)),
    ("breakdown: the bare call inside an inline `srcu-fast` pair", "", "srcu-fast", "bare",
     (1, 2)),
    ("breakdown: the bare call plus a call into `rbus_core`", "", "exported", "bare", (1, 2)),
    ("breakdown: the dispatch fast path, inlined", "", "inlined", "bare", (1, 2)),
    ("`close()` of an idle `/dev/rbus-*` fd", "B", "close-channel", "close-pipe", (1,)),
    ("`RBUS_IOC_INFO`", "B", "info-ioctl", "syscall", (1,)),
    ("`read()` with nothing ready", "B", "read-empty", "syscall", (1,)),
    ("ruler: bare indirect call", "", "bare", "bare", (1, 2)),
] + [
    (f"ruler: refscale `{t}` read-side pair", "", "refscale-" + t, "bare", (1, 2))
    for t in REFSCALE_TYPES
] + [
    ("ruler: bare syscall (`getppid()`)", "", "syscall", "syscall", (1,)),
    ("ruler: pipe `write()` + `read()`, 96 bytes", "", "pipe", "pipe", (1,)),
    ("ruler: eventfd `write()` + `read()`", "", "eventfd", "pipe", (1,)),
    ("ruler: `close()` of a pipe's last fd", "", "close-pipe", "close-pipe", (1,)),
]
RULER_NAMES = {"bare": "bare call", "pipe": "pipe", "syscall": "syscall",
               "close-pipe": "pipe close"}


SCALE_ROWS = [
    ("`new_device`, per child", "add-per-child"),
    ("controller unbind, per child", "unbind-per-child"),
]


def scale_table(bench, out):
    """Adding and removing children, and their memory."""
    if not bench.has(key("add-per-child", children=64, driver="none")):
        return
    out.append("")
    out.append("| children | " + " | ".join(f"{n:,}" for n in CHILDREN) + " |")
    out.append("| --- |" + " --- |" * len(CHILDREN))
    for driver, label in (("none", "no driver"), ("rbus_dev", "bound to `rbus_dev`")):
        for what, case in SCALE_ROWS:
            cells = []
            for n in CHILDREN:
                name = key(case, children=n, driver=driver)
                us = [m / 1000 for m in bench.boot_medians(name)]
                cells.append(fmt(statistics.median(us), us) if us else "-")
            out.append(f"| {what}, {label}, µs | " + " | ".join(cells) + " |")
        cells = [fmt(bench.median(key("memory-per-child", children=n, driver=driver,
                                      source="slab")))
                 for n in CHILDREN]
        out.append(f"| memory per child, {label}, bytes | " + " | ".join(cells) + " |")
    fw = key("firmware-enumerate", children=64)
    if bench.has(fw):
        out.append("")
        ms = [m / 1e6 for m in bench.boot_medians(fw)]
        per = bench.median(key("firmware-enumerate-per-child", children=64))
        out.append(f"Firmware enumeration of 64 children (the controller's bind from a "
                   f"generated SSDT): {fmt(statistics.median(ms), ms)} ms, "
                   f"{fmt(per / 1000)} µs per child.")


def table(bench, out):
    """The comparison table; returns the names it missed."""
    missing = []
    out.append(f"Medians over {len(bench.boots)} boot(s), ns per call (per request for a "
               "batch); in brackets the range of the boots' medians; the ratio is to the "
               "ruler measured in the same boot.")
    out.append("")
    out.append("| case | design | ns, 1 caller | ns, 2 callers | x ruler (1 / 2 callers) |")
    out.append("| --- | --- | --- | --- | --- |")
    for label, design, case, ruler, callers in ROWS:
        cells, ratios = [], []
        for n in (1, 2):
            name = key(case, callers=n) if " " not in case else case + f" callers={n}"
            ruler_name = key(ruler, callers=n)
            if n not in callers:
                cells.append("")
                continue
            if not bench.has(name):
                missing.append(name)
            cells.append(fmt(bench.median(name), bench.boot_medians(name)))
            r = bench.ratios(name, ruler_name)
            ratios.append(f"{statistics.median(r):.2f}" if r else "-")
        ratio = " / ".join(ratios) + f" {RULER_NAMES[ruler]}" if case != ruler else ""
        out.append(f"| {label} | {design} | {cells[0]} | {cells[1]} | {ratio} |")
    return missing


def target(out, results, what, values, limit, strict=False):
    """One target, judged on the median over the boots."""
    if not values:
        out.append(f"- {what}: no figure")
        results.append({"target": what, "limit": limit, "met": False, "boots": []})
        return
    value = statistics.median(values)
    met = value < limit if strict else value <= limit
    per_boot = ", ".join(f"{v:.2f}" for v in values)
    out.append(f"- {what}: **{value:.2f}** (boots: {per_boot}); target "
               f"{'<' if strict else '<='} {limit}: {'met' if met else 'MISSED'}")
    results.append({"target": what, "value": value, "limit": limit, "met": met, "boots": values})


def targets(bench, out):
    results = []
    out.append("Targets, each the median over the boots of a ratio taken within one boot:")
    out.append("")
    for n in (1, 2):
        target(out, results, f"protected call's overhead over the bare call, x refscale "
               f"`srcu-fast`, {n} caller(s)",
               bench.ratios(key("protected", callers=n), key("refscale-srcu-fast", callers=n),
                            minus=key("bare", callers=n)), 1.5)
    for n in (1, 2):
        target(out, results, f"child-to-bus `reg_read` x the protected call, {n} caller(s)",
               bench.ratios(key("reg-read", callers=n), key("protected", callers=n)), 2.0)
    for n in (1, 2):
        r = bench.ratios(key("protected-rust", callers=n), key("refscale-srcu-fast", callers=n),
                         minus=key("bare", callers=n))
        if r:
            out.append(f"- the same overhead from a Rust controller, through the exported "
                       f"helper, {n} caller(s): {statistics.median(r):.2f} x `srcu-fast` "
                       f"(the C interface is what the target judges)")
    target(out, results, "protected call x refscale `refcnt`, 2 callers",
           bench.ratios(key("protected", callers=2), key("refscale-refcnt", callers=2)), 1.0,
           strict=True)
    target(out, results, "channel round trip x pipe write+read",
           bench.ratios(key("round-trip", callers=1), key("pipe", callers=1)), 1.3)
    target(out, results, "batch of 64 x a single request, per request",
           bench.ratios("batch batch=64 callers=1", key("round-trip", callers=1)), 0.2)
    target(out, results, "`close()` of a channel x a pipe's",
           bench.ratios(key("close-channel", callers=1), key("close-pipe", callers=1)), 0.6)
    for driver, mem_target in (("none", True), ("rbus_dev", False)):
        add = {n: key("add-per-child", children=n, driver=driver) for n in (64, 1024)}
        if not bench.has(add[1024]):
            continue
        label = "unbound" if driver == "none" else "bound to rbus_dev"
        target(out, results, f"add time per child at 1,024 children x at 64, {label}",
               bench.ratios(add[1024], add[64]), 1.2)
        target(out, results, f"unbind of 1,024 children x the time to add them, {label}",
               bench.ratios(key("unbind-per-child", children=1024, driver=driver), add[1024]),
               1.0)
        mem = [m / 1024 for m in bench.boot_medians(
            key("memory-per-child", children=1024, driver=driver, source="slab"))]
        if mem_target:
            target(out, results, f"KiB per child at 1,024 children, {label}", mem, 8.0)
        elif mem:
            out.append(f"- KiB per child at 1,024 children, {label} (a char device each; "
                       f"no target): {statistics.median(mem):.2f}")
    return results


def answer(bench):
    """The answer in words, from the figures."""
    sync = bench.median(key("transfer", callers=1))
    queued = bench.median(key("queue-transfer", callers=1))
    rt = bench.median(key("round-trip", callers=1))
    syscall = bench.median(key("syscall", callers=1))
    if None in (sync, queued, rt, syscall):
        return "Not enough figures for an answer."
    per_req = {b: bench.median(f"batch batch={b} callers=1") for b in BATCHES}
    per_req = {b: v for b, v in per_req.items() if v is not None}
    below = [b for b, v in sorted(per_req.items()) if v <= sync + syscall]
    text = [
        f"For a synchronous call, use the interface: a kernel child's 64-byte transfer "
        f"costs {sync:,.0f} ns through the ops table and {queued:,.0f} ns through the "
        f"request queue ({queued / sync:.1f}x), waiting for the same answer.",
        f"For asynchronous work, use requests: the queue's extra {queued - sync:,.0f} ns "
        f"buys a caller that need not wait, cancel, and completion exactly once, which a "
        f"bus interface would have to rebuild. A user-mode driver pays {rt:,.0f} ns for "
        f"one request and its record, a system call each way.",
    ]
    cross = (f"The crossover: an operation the device takes longer than about "
             f"{queued - sync:,.0f} ns to finish is better submitted than waited for, since "
             f"the caller gets that time back")
    if below:
        cross += (f"; from user space, batches of {below[0]} or more bring a request "
                  f"({per_req[below[0]]:,.0f} ns) within one system call of the kernel's "
                  f"synchronous transfer.")
    else:
        cross += "."
    text.append(cross)
    return " ".join(text)


def plots(bench, outdir):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def spread(name):
        meds = bench.boot_medians(name)
        med = statistics.median(meds)
        return med, med - min(meds), max(meds) - med

    written = []

    def finish(fig, ax, title, png):
        ax.set_title(title)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(f"{outdir}/{png}", dpi=100)
        written.append(png)
        plt.close(fig)

    # Cost per request against batch size.
    bs = [b for b in BATCHES if bench.has(f"batch batch={b} callers=1")]
    if bs:
        fig, ax = plt.subplots(figsize=(7, 4.5))
        pts = [spread(f"batch batch={b} callers=1") for b in bs]
        ax.errorbar(bs, [p[0] for p in pts], yerr=[[p[1] for p in pts], [p[2] for p in pts]],
                    marker="o", capsize=3, label="user-mode driver: batch, per request")
        for name, label, style in (("pipe", "pipe write+read", "--"),
                                   ("syscall", "bare syscall", ":"),
                                   ("queue-transfer", "kernel child: queue, waiting", "-."),
                                   ("transfer", "kernel child: ops table transfer", "-")):
            med = bench.median(key(name, callers=1))
            if med is not None:
                ax.axhline(med, linestyle=style, color="gray", linewidth=1)
                ax.annotate(label, (bs[-1], med), fontsize=8, ha="right", va="bottom")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("requests per submit")
        ax.set_ylabel("ns per request (TCG)")
        finish(fig, ax, "Request channel: cost per request against batch size", "batch.png")
    # Per-call cost of each protection, 1 and 2 callers, against the rulers.
    cases = [("bare", "bare call"), ("srcu-fast", "inline\nsrcu-fast"),
             ("inlined", "inlined\nfast path"),
             ("protected", "protected\ncall"), ("reg-read", "child-to-bus\nreg_read"),
             ("refscale-srcu-fast", "refscale\nsrcu-fast"), ("refscale-srcu", "refscale\nsrcu"),
             ("refscale-refcnt", "refscale\nrefcnt"), ("refscale-rwsem", "refscale\nrwsem")]
    cases = [c for c in cases if bench.has(key(c[0], callers=1))]
    if cases:
        fig, ax = plt.subplots(figsize=(9, 4.5))
        for i, n in enumerate((1, 2)):
            xs, ys, lo, hi = [], [], [], []
            for j, (case, _) in enumerate(cases):
                name = key(case, callers=n)
                if bench.has(name):
                    med, down, up = spread(name)
                    xs.append(j + (i - 0.5) * 0.38)
                    ys.append(med)
                    lo.append(down)
                    hi.append(up)
            ax.bar(xs, ys, width=0.38, yerr=[lo, hi], capsize=2, label=f"{n} caller(s)")
        ax.set_xticks(range(len(cases)), [c[1] for c in cases], fontsize=8)
        ax.set_ylabel("ns per call (TCG)")
        finish(fig, ax, "Per-call cost of each protection against refscale's rulers",
               "per-call.png")
    # Add and remove time against the number of children.
    if bench.has(key("add-per-child", children=64, driver="none")):
        fig, ax = plt.subplots(figsize=(7, 4.5))
        for case, driver, label in (
                ("add-per-child", "none", "new_device, per child"),
                ("unbind-per-child", "none", "controller unbind, per child"),
                ("add-per-child", "rbus_dev", "new_device, per child bound to rbus_dev"),
                ("unbind-per-child", "rbus_dev", "unbind, per child bound to rbus_dev")):
            ns = [n for n in CHILDREN if bench.has(key(case, children=n, driver=driver))]
            pts = [spread(key(case, children=n, driver=driver)) for n in ns]
            if pts:
                ax.errorbar(ns, [p[0] / 1000 for p in pts],
                            yerr=[[p[1] / 1000 for p in pts], [p[2] / 1000 for p in pts]],
                            marker="o", capsize=3, label=label)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("children on the controller")
        ax.set_ylabel("us per child (TCG)")
        ax.set_ylim(bottom=0)
        finish(fig, ax, "Adding and removing children", "children.png")
    return written


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("logs", nargs="+", help="results.log of each boot")
    parser.add_argument("--json", help="write every figure and target here")
    parser.add_argument("--plots", help="write the PNG plots into this directory")
    args = parser.parse_args()
    bench = Bench(args.logs)

    out = []
    missing = table(bench, out)
    scale_table(bench, out)
    out.append("")
    results = targets(bench, out)
    out.append("")
    words = answer(bench)
    out.append(words)
    print("\n".join(out))

    if args.json:
        figures = {}
        for name in sorted({n for boot in bench.boots for n in boot}):
            meds = bench.boot_medians(name)
            figures[name] = {
                "unit": bench.units[name], "median": statistics.median(meds),
                "min": min(meds), "max": max(meds), "boot_medians": meds,
                "runs": [sorted(boot[name].values()) for boot in bench.boots if name in boot],
            }
        with open(args.json, "w") as f:
            json.dump({"boots": len(bench.boots), "figures": figures, "targets": results,
                       "answer": words}, f, indent=1)
    if args.plots:
        for png in plots(bench, args.plots):
            print(f"plot: {args.plots}/{png}")
    if missing:
        print("missing: " + ", ".join(missing))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
