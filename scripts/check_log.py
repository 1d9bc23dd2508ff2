#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Judge a guest run of `make check`.

Reads the three logs scripts/run-guest.sh writes (results.log: KTAP from the
kselftest runner and the extra tests; dmesg.log: dmesg and the kmemleak
report; console.log: the serial console) and prints one line per test, then
exactly `N passed, N failed` (`, N skipped` when some skipped) as the last line.

A test that did not report is a failure, and so is a kernel splat anywhere in
the logs: the splat check counts as one more test.

The detectors must also prove they were armed, each as a test of its own:
the canary module (selftests/modules/rbus_canary.c) leaks tagged objects and
raises a tagged WARN at the start of the run. The final kmemleak report must
list a tagged object and end in its completion marker; the log must hold the
tagged WARNING; lockdep must have announced itself at boot and still report
`debug_locks 1` at the end. The canaries' own reports are not splats.

  check_log.py --expect LIST [--extra NAME ...] OUTDIR
  check_log.py --self-test CASES_DIR
"""

import argparse
import os
import re
import sys

# One pattern per splat class `make check` must catch.
SPLATS = [
    # Specific classes first: their reports also carry a generic "WARNING:" or
    # "BUG:" line, and each line is attributed to the first class it matches.
    ("lockdep", re.compile(r"possible (circular|recursive) locking|"
                           r"inconsistent lock state|bad unlock balance|"
                           r"possible irq lock inversion|DEBUG_LOCKS_WARN_ON|"
                           r"lock held when returning to user space|"
                           r"held lock freed|INFO: lockdep is turned off")),
    ("suspicious RCU usage", re.compile(r"suspicious RCU usage")),
    ("sleeping in atomic context",
     re.compile(r"sleeping function called from invalid context")),
    ("KFENCE", re.compile(r"\bKFENCE: ")),
    ("hung task", re.compile(r"blocked for more than \d+ seconds")),
    ("soft lockup", re.compile(r"soft lockup|hard LOCKUP")),
    # The report's entries, not kmemleak's count of them: the canary is in both.
    ("kmemleak", re.compile(r"unreferenced object 0x")),
    ("Rust panic", re.compile(r"rust_kernel: panicked|panicked at ")),
    ("general protection fault", re.compile(r"general protection fault")),
    ("Oops", re.compile(r"\bOops\b")),
    ("BUG", re.compile(r"\bBUG: ")),
    ("WARNING", re.compile(r"\bWARNING: ")),
    ("kernel panic", re.compile(r"Kernel panic")),
    ("call trace", re.compile(r"^\s*(\[[ \d.]+\]\s*)?Call Trace:")),
]

TOP = re.compile(r"^(not )?ok \d+ selftests: (\S+): (\S+)(.*)$")
HEADER = re.compile(r"^# selftests: (\S+): (\S+)$")
LEAF = re.compile(r"^# (not )?ok \d+ (.*?)(\s+#\s*(SKIP|skip).*)?$")
PLAN = re.compile(r"^# 1\.\.(\d+)$")
EXTRA = re.compile(r"^(not )?ok \d+ extra:(\S+)(.*)$")

# The canaries' tags, as selftests/modules/rbus_canary.c writes them.
CANARY_WARN = "rbus-canary: WARN is armed"
CANARY_LEAK = "RBUS-CANARY-LEAK"
CUT_HERE = "------------[ cut here ]------------"
END_TRACE = re.compile(r"---\[ end trace [0-9a-f]+ \]---")
WARNING = re.compile(r"\bWARNING: ")
LEAK_ENTRY = re.compile(r"^unreferenced object")
KMEMLEAK_SCANNED = "RBUS-KMEMLEAK-SCANNED"
LOCKDEP_BANNER = "Lock dependency validator:"
LOCKDEP_ON = re.compile(r"^RBUS-LOCKDEP debug_locks 1\s*$")


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def strip_canaries(lines):
    """Splits the canaries' reports off a log.

    Returns the lines without them, the number of canary WARNINGs (a block from
    "cut here" to "end trace" holding a WARNING and the canary's message) and
    the number of canary leaks (a kmemleak entry whose hex dump holds the tag).
    """
    out, warns, leaks = [], 0, 0
    i = 0
    while i < len(lines):
        if CUT_HERE in lines[i]:
            end = next((j for j in range(i + 1, min(len(lines), i + 400))
                        if END_TRACE.search(lines[j])), None)
            block = lines[i:end + 1] if end is not None else []
            if any(CANARY_WARN in l for l in block) and any(WARNING.search(l) for l in block):
                warns += 1
                i = end + 1
                continue
        if LEAK_ENTRY.search(lines[i]):
            end = i + 1
            while end < len(lines) and lines[end][:1] in (" ", "\t"):
                end += 1
            if any(CANARY_LEAK in l for l in lines[i:end]):
                leaks += 1
                i = end
                continue
        out.append(lines[i])
        i += 1
    return out, warns, leaks


class Verdict:
    def __init__(self):
        self.results = []  # (status, name, note); status is ok, fail or skip

    def add(self, status, name, note=""):
        self.results.append((status, name, note))

    def count(self, status):
        return sum(1 for r in self.results if r[0] == status)

    def red(self):
        return self.count("fail") > 0


def judge(outdir, expected, extras):
    v = Verdict()
    results = read(os.path.join(outdir, "results.log"))
    dmesg = read(os.path.join(outdir, "dmesg.log"))
    console = read(os.path.join(outdir, "console.log"))

    programs = {}  # name -> {"top": status or None, "plan": n, "leaves": [...]}
    current = None
    for line in results:
        m = HEADER.match(line)
        if m:
            current = programs.setdefault(m.group(2), {"top": None, "plan": None, "leaves": []})
            continue
        m = TOP.match(line)
        if m:
            prog = programs.setdefault(m.group(3), {"top": None, "plan": None, "leaves": []})
            skip = "# SKIP" in m.group(4)
            prog["top"] = "skip" if skip else ("fail" if m.group(1) else "ok")
            prog["note"] = m.group(4).strip()
            current = None
            continue
        if current is None:
            continue
        m = PLAN.match(line)
        if m and current["plan"] is None:
            current["plan"] = int(m.group(1))
            continue
        m = LEAF.match(line)
        if m:
            status = "skip" if m.group(3) else ("fail" if m.group(1) else "ok")
            current["leaves"].append((status, m.group(2)))

    for name in expected:
        prog = programs.get(name)
        if prog is None or prog["top"] is None:
            v.add("fail", name, "did not report")
            continue
        for status, leaf in prog["leaves"]:
            v.add(status, "%s: %s" % (name, leaf))
        missing = (prog["plan"] or 0) - len(prog["leaves"])
        for i in range(missing):
            v.add("fail", "%s: result %d of %d" % (name, len(prog["leaves"]) + i + 1,
                                                   prog["plan"]), "did not report")
        if prog["top"] == "skip" and not prog["leaves"]:
            v.add("skip", name, prog.get("note", ""))
        elif prog["top"] == "fail" and not any(s == "fail" for s, _ in prog["leaves"]):
            v.add("fail", name, "exited non-zero " + prog.get("note", ""))
        elif prog["top"] == "ok" and not prog["leaves"]:
            v.add("ok", name)

    seen_extra = {}
    for line in results:
        m = EXTRA.match(line)
        if m:
            status = "skip" if "# SKIP" in m.group(3) else ("fail" if m.group(1) else "ok")
            seen_extra[m.group(2)] = (status, m.group(3).strip())
    for name in extras:
        status, note = seen_extra.get(name, ("fail", "did not report"))
        v.add(status, "extra: " + name, note)

    if "RBUS-RESULTS-END" not in results:
        v.add("fail", "guest finished the test run", "no end marker: hung, crashed or timed out")

    # The detectors were armed: each proof is a test of its own.
    # The console has the whole kernel log; dmesg's ring may have lost the
    # canary's WARNING under a flood of others.
    dmesg, warns, leaks = strip_canaries(dmesg)
    console, console_warns, _ = strip_canaries(console)
    warns += console_warns
    proofs = (
        ("kmemleak scan completed", KMEMLEAK_SCANNED in dmesg, "no completion marker"),
        ("kmemleak is armed: it reported the canary's leak", leaks > 0,
         "no tagged object in the report"),
        ("WARN is armed: the canary's WARNING was logged", warns > 0, "no tagged WARNING"),
        ("lockdep is armed: on at boot, still on at the end",
         any(LOCKDEP_BANNER in l for l in dmesg + console)
         and any(LOCKDEP_ON.match(l) for l in dmesg),
         "no lockdep banner, or debug_locks is not 1"),
    )
    for name, ok, why in proofs:
        v.add("ok" if ok else "fail", name, "" if ok else why)

    splats = []
    for source, lines in (("dmesg", dmesg), ("console", console)):
        for line in lines:
            for cls, rx in SPLATS:
                if rx.search(line):
                    splats.append((cls, "%s: [%s] %s" % (source, cls, line.strip())))
                    break
    if "RBUS-DMESG-END" not in dmesg:
        v.add("fail", "kernel log collected", "dmesg.log incomplete")
    if splats:
        v.add("fail", "kernel log has no splat", "%d splat lines" % len(splats))
    else:
        v.add("ok", "kernel log has no splat")
    return v, splats


def report(v, splats, out=sys.stdout):
    for status, name, note in v.results:
        tag = {"ok": "PASS", "fail": "FAIL", "skip": "SKIP"}[status]
        print("%s  %s%s" % (tag, name, ("  (" + note + ")") if note else ""), file=out)
    for _, line in splats[:40]:
        print("  splat  " + line, file=out)


def summary(passed, failed, skipped):
    line = "%d passed, %d failed" % (passed, failed)
    if skipped:
        line += ", %d skipped" % skipped
    return line


def self_test(cases_dir):
    """Run the detector on canned logs: each case must turn the colour it names."""
    v = Verdict()
    clean = os.path.join(cases_dir, "clean")
    for case in sorted(os.listdir(cases_dir)):
        path = os.path.join(cases_dir, case)
        # "green", "red result" (a test failed or did not report) or
        # "red <splat class>" (the splat check caught that class).
        with open(os.path.join(path, "expect")) as f:
            want = f.read().strip()
        expected = read(os.path.join(path, "tests")) or read(os.path.join(clean, "tests"))
        expected = [l.split(":", 1)[1] for l in expected if ":" in l]
        # A case holds only what differs from the clean run: a whole log,
        # LOG.inject, lines injected before that log's end marker, or
        # LOG.drop, lines dropped from the clean log.
        merged = os.path.join("/tmp", "rbus-logcheck-%d-%s" % (os.getpid(), case))
        os.makedirs(merged, exist_ok=True)
        for log, end in (("results.log", "RBUS-RESULTS-END"), ("dmesg.log", "RBUS-DMESG-END"),
                         ("console.log", "RBUS-GUEST-DONE")):
            text = "\n".join(read(os.path.join(clean, log))) + "\n"
            if os.path.exists(os.path.join(path, log)):
                text = "\n".join(read(os.path.join(path, log))) + "\n"
            elif os.path.exists(os.path.join(path, log[:-4] + ".inject")):
                # Lines injected just before the log's end marker.
                with open(os.path.join(path, log[:-4] + ".inject")) as f:
                    text = text.replace(end + "\n", f.read() + end + "\n", 1)
            elif os.path.exists(os.path.join(path, log[:-4] + ".drop")):
                # Lines dropped: each line of LOG.drop is a string whose lines
                # go, or "A ... B", a range from a line holding A through the
                # next one holding B.
                kept, until = [], None
                drops = [d.split(" ... ", 1) for d in read(os.path.join(path, log[:-4] + ".drop"))]
                for l in text.splitlines():
                    if until is not None:
                        until = None if until in l else until
                        continue
                    hit = next((d for d in drops if d[0] in l), None)
                    if hit is None:
                        kept.append(l)
                    elif len(hit) == 2:
                        until = hit[1]
                text = "".join(l + "\n" for l in kept)
            with open(os.path.join(merged, log), "w") as g:
                g.write(text)
        got, splats = judge(merged, expected, [])
        if not got.red():
            colour = "green"
        elif splats:
            colour = "red " + " / ".join(sorted({c for c, _ in splats}))
        else:
            colour = "red result"
        ok = colour == want or (want.startswith("red ") and want[4:] in colour[4:].split(" / ")
                                and want != "red result")
        v.add("ok" if ok else "fail", "log checker: %s case is %s" % (case, want),
              "" if ok else "got " + colour)
        for log in ("results.log", "dmesg.log", "console.log"):
            os.unlink(os.path.join(merged, log))
        os.rmdir(merged)
    return v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--expect", help="kselftest-list.txt of the run")
    ap.add_argument("--extra", action="append", default=[])
    ap.add_argument("--self-test", metavar="CASES_DIR")
    ap.add_argument("--prior", help="file of earlier PASS/FAIL lines to include in the count")
    ap.add_argument("outdir", nargs="?")
    args = ap.parse_args()

    if args.self_test:
        v = self_test(args.self_test)
        report(v, [])
        sys.exit(1 if v.red() else 0)

    expected = [l.split(":", 1)[1] for l in read(args.expect) if ":" in l]
    v, splats = judge(args.outdir, expected, args.extra)
    report(v, splats)
    passed, failed, skipped = v.count("ok"), v.count("fail"), v.count("skip")
    for line in read(args.prior) if args.prior else []:
        passed += line.startswith("PASS")
        failed += line.startswith("FAIL")
        skipped += line.startswith("SKIP")
    print(summary(passed, failed, skipped))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
