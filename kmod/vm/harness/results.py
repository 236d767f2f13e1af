"""One result format for every suite of the matrix, and one summary.

A row is one guest (or host step): PASS only when the command exited 0, printed a counts line
"N passed, M failed" with N > 0 and M = 0, and the kernel log had no splat (kmod/vm/boot's exit
status). The run's rows are written as JSON lines (results.jsonl) next to a summary table whose
last line "N passed, M failed" counts the tests and checks of all rows; a row that failed without
a failure count of its own counts as one failure.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

COUNTS_RE = re.compile(r"^([0-9]+) passed, ([0-9]+) failed$")
# Maven Surefire/Failsafe per-module result lines.
SUREFIRE_RE = re.compile(r"^\[(?:INFO|WARNING|ERROR)\] Tests run: ([0-9]+), Failures: ([0-9]+), "
                         r"Errors: ([0-9]+), Skipped: ([0-9]+)$")
ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")

# kmod/vm/boot's own exit statuses (its usage text).
BOOT_EXIT_NOTES = {
    123: "kernel splat",
    124: "timeout",
    125: "guest died (panic?) or init failed",
    2: "usage or harness error",
}


def lines(text: str) -> list[str]:
    return [ANSI_RE.sub("", ln.rstrip("\r")) for ln in text.splitlines()]


def last_counts(text: str) -> tuple[int, int] | None:
    """(passed, failed) of the last "N passed, M failed" line, or None."""
    found = None
    for ln in lines(text):
        m = COUNTS_RE.match(ln)
        if m:
            found = (int(m.group(1)), int(m.group(2)))
    return found


def first_counts(text: str) -> tuple[int, int] | None:
    for ln in lines(text):
        m = COUNTS_RE.match(ln)
        if m:
            return int(m.group(1)), int(m.group(2))
    return None


def surefire_counts(text: str) -> tuple[int, int] | None:
    """(passed, failed) summed over Maven's per-module result lines (skipped tests neither)."""
    run = bad = skipped = n = 0
    for ln in lines(text):
        m = SUREFIRE_RE.match(ln)
        if m:
            r, f, e, s = map(int, m.groups())
            run, bad, skipped, n = run + r, bad + f + e, skipped + s, n + 1
    return (run - bad - skipped, bad) if n else None


def exit_note(rc: int, timeout: int | None = None) -> str:
    if rc == 0:
        return ""
    note = BOOT_EXIT_NOTES.get(rc, f"exit {rc}")
    if rc == 124 and timeout:
        note += f" after {timeout} s"
    return note


@dataclass
class Result:
    stage: str
    name: str                      # row name, e.g. "kmod 6.1.0-57-amd64 plain"
    passed: int | None             # None: no count
    failed: int | None
    seconds: int
    ok: bool
    note: str = ""
    kernel: str = ""
    variant: str = ""
    out: str = ""                  # file paths of its output and its guest's log
    log: str = ""
    details: dict = field(default_factory=dict)

    @property
    def checks_failed(self) -> int:
        if self.failed:
            return self.failed
        return 0 if self.ok else 1


def judge(stage: str, name: str, rc: int, counts: tuple[int, int] | None, seconds: int, *,
          timeout: int | None = None, note: str = "", **kw) -> Result:
    """The common verdict: exit 0, a counts line, N > 0, M = 0."""
    why = exit_note(rc, timeout)
    if counts is None:
        why = f"{why}; no 'N passed, N failed' line" if why else "no 'N passed, N failed' line"
    elif counts[0] == 0 and rc == 0:
        why = "no test ran"
    ok = rc == 0 and counts is not None and counts[0] > 0 and counts[1] == 0
    if not ok and not why:
        why = "tests failed"
    p, f = counts if counts else (None, None)
    full = note if ok else "; ".join(x for x in (why, note, kw.get("log") and f"log {kw['log']}") if x)
    return Result(stage, name, p, f, seconds, ok, full, **kw)


def write_jsonl(results: list[Result], path: Path) -> None:
    with path.open("w") as f:
        for r in results:
            f.write(json.dumps(asdict(r), sort_keys=True) + "\n")


def summary(results: list[Result], header: list[str], total_seconds: int) -> str:
    """The table and the totals, stage by stage in the order of RESULTS."""
    width = max([len(r.name) for r in results] + [10])
    out = [*header, f"{'SUITE':<{width}} {'RESULT':<6} {'PASSED':>7} {'FAILED':>7} {'SECONDS':>8}  NOTE"]
    for r in results:
        p = "-" if r.passed is None else r.passed
        f = "-" if r.failed is None else r.failed
        out.append(f"{r.name:<{width}} {'PASS' if r.ok else 'FAIL':<6} {p:>7} {f:>7} {r.seconds:>8}  {r.note}")
    stages: dict[str, list[Result]] = {}
    for r in results:
        stages.setdefault(r.stage, []).append(r)
    out.append("")
    out.append(f"{'STAGE':<12} {'SUITES':>7} {'FAILED':>7} {'PASSED':>8} {'FAILED':>7}")
    for st, rows in stages.items():
        out.append(f"{st:<12} {len(rows):>7} {sum(not r.ok for r in rows):>7} "
                   f"{sum(r.passed or 0 for r in rows):>8} {sum(r.checks_failed for r in rows):>7}")
    n_bad = sum(not r.ok for r in results)
    out.append(f"total {total_seconds} s")
    out.append(f"suites: {len(results) - n_bad} passed, {n_bad} failed")
    out.append(f"{sum(r.passed or 0 for r in results)} passed, {sum(r.checks_failed for r in results)} failed")
    return "\n".join(out)
