"""What each stage builds on the host, runs in its guests, and how it judges their output.

The machine shapes and kernels are in matrix.py; booting is kmod/vm/boot's; this module holds
the stage-specific parts only: host preparation, the guest command line and the verdict.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import locks, results
from .matrix import TRANSLATED, Guest
from .paths import BUILD, REPO, VM_DIR

KMOD_SRC = Path(os.environ.get("BIGBUF_KMOD_DIR") or REPO / "kmod").resolve()


class SetupError(Exception):
    """A host step every guest of a stage needs failed: the stage cannot run."""


def host_lock(name: str):
    """An exclusive lock on build/vm/NAME.lock, for a with-block: concurrent runs (other
    checkouts' CI, an engineer beside it) must not rewrite test binaries under each other."""
    return locks.exclusive(BUILD / f"{name}.lock")


def run_host(cmd: list[str], what: str, lock: str | None = None, **kw) -> None:
    print(f"suite: == host: {' '.join(map(str, cmd))}", flush=True)
    with host_lock(lock) if lock else contextlib.nullcontext():
        if subprocess.run(cmd, stdout=2, **kw).returncode != 0:   # build chatter to stderr
            raise SetupError(f"{what} failed")


@dataclass
class Options:
    """The run's options that stages read (kmod/vm/suite's command line)."""
    long: bool = False
    seed: int = 0
    dma_size: str = "16M"
    timeout: int | None = None
    guest_env: list[str] = field(default_factory=list)
    extra_args: list[str] = field(default_factory=list)
    slub_debug: bool = True


@dataclass
class Prepared:
    """What a stage's host preparation produced for its guests."""
    command: Callable[[Guest, str], list[str]]          # (guest, bigbuf.ko) -> guest argv
    judge: Callable[[Guest, int, str, Path, Path, int, int], results.Result]
    env: list[str] = field(default_factory=list)
    cleanup: Callable[[], None] = lambda: None
    drop_boot_args: tuple[str, ...] = ()


def judge_counts(g: Guest, rc: int, text: str, out: Path, log: Path, secs: int, timeout: int,
                 note: str = "") -> results.Result:
    return results.judge(g.stage.name, g.name, rc, results.last_counts(text), secs,
                         timeout=timeout, note=note, kernel=g.kernel, variant=g.variant.name,
                         out=str(out), log=str(log))


# --- kmod: the module's C suite --------------------------------------------------------------
def prepare_kmod(opts: Options) -> Prepared:
    tests = KMOD_SRC / "tests"
    if not (tests / "Makefile").is_file():
        raise SetupError(f"{tests}/Makefile not found (the module's test suite)")
    run_host(["make", "-C", str(tests), f"-j{os.cpu_count()}"], "building the userspace tests",
             lock="host-tests")
    # Inside the guest the path must be the same, and lie under the repository (its cwd).
    run_in_guest = str((tests / "run-in-guest").resolve())
    return Prepared(command=lambda g, ko: [run_in_guest, ko, *opts.extra_args],
                    judge=judge_counts,
                    drop_boot_args=() if opts.slub_debug else ("--slub-debug", "--page-poison"))


def host_unit() -> results.Result:
    """The module's ASan unit tests on the host (make -C kmod/tests unit), one result row."""
    import time

    t0 = time.monotonic()
    with host_lock("host-tests"):
        p = subprocess.run(["make", "-C", str(KMOD_SRC / "tests"), "unit"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, errors="replace")
    print(p.stdout, end="", flush=True)
    r = results.judge("kmod", "kmod host-unit", p.returncode, results.last_counts(p.stdout),
                      int(time.monotonic() - t0))
    if p.returncode:
        r.note = f"make unit exit {p.returncode}" + (f"; {r.note}" if r.note else "")
    return r


# --- e2e: the Java kernel backend in the guest -----------------------------------------------
E2E_DIR = REPO / "tests-e2e"
TIMELINE_RE = re.compile(r"^\[e2e\] (hot swap|kill -9)")


def prepare_e2e(opts: Options) -> Prepared:
    for need in ("test-classes", "e2e.classpath", "bundles/io.bigbuf.kmod.jar"):
        if not (E2E_DIR / "target" / need).exists():
            raise SetupError(f"{E2E_DIR}/target/{need} missing; run ./mvnw -B verify first")
    reader = BUILD / "e2e" / "bigbuf_e2e_reader"
    reader.parent.mkdir(parents=True, exist_ok=True)
    run_host(["gcc", "-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror", "-o", str(reader),
              str(E2E_DIR / "src/test/c/bigbuf_e2e_reader.c")], "building the C reader")

    def judge(g, rc, text, out, log, secs, timeout):
        r = judge_counts(g, rc, text, out, log, secs, timeout)
        r.details["timeline"] = [ln for ln in results.lines(text) if TIMELINE_RE.match(ln)]
        return r

    return Prepared(command=lambda g, ko: [str(E2E_DIR / "run-in-guest"), ko, str(reader)],
                    judge=judge)


# --- reliability: fuzzing, load, fault injection ---------------------------------------------
REL_DIR = REPO / "kmod" / "tests" / "reliability"
TOTALS_RE = re.compile(r"^reliability totals \([^)]*\): (.*)$")
INJECTED_RE = re.compile(r"^INJECTED ([a-z_]+) ([0-9]+)$")


def prepare_reliability(opts: Options) -> Prepared:
    bin_dir = BUILD / "reliability"
    run_host(["make", "-C", str(REL_DIR), f"OUT={bin_dir}", f"-j{os.cpu_count()}"],
             "building the reliability programs")
    run_in_guest = str((REL_DIR / "run-in-guest").resolve())
    args = ["--long"] if opts.long else []
    args += ["--seed", str(opts.seed)]

    def judge(g, rc, text, out, log, secs, timeout):
        totals = ""
        injected = []
        for ln in results.lines(text):
            if m := TOTALS_RE.match(ln):
                totals = m.group(1)
            elif m := INJECTED_RE.match(ln):
                injected.append(f"{m.group(1)} {m.group(2)}")
        if injected:
            totals = f"{totals}; " if totals else ""
            totals += "injected failures: " + ", ".join(injected)
        return judge_counts(g, rc, text, out, log, secs, timeout, note=totals)

    return Prepared(
        command=lambda g, ko: [run_in_guest, *args, *g.variant.guest_args, ko, str(bin_dir)],
        judge=judge)


# --- edu: DMA through QEMU's edu device --------------------------------------------------------
RUNTIME = REPO / "launcher" / "target" / "runtime"
EDU_BUNDLES = ("io.bigbuf.kmod", "io.bigbuf.examples.edu")
WAIT_FOR_KMOD = 60     # seconds edu:dmatest waits for the kmod backend to replace the mock


def prepare_edu(opts: Options) -> Prepared:
    def complete() -> bool:
        return all((RUNTIME / "bundles" / f"{b}.jar").is_file() for b in EDU_BUNDLES)

    if not complete():
        print(f"suite: runtime incomplete (needs {' '.join(EDU_BUNDLES)}); building it", flush=True)
        run_host([str(REPO / "bigbuf"), "build"], "building the runtime")
        if not complete():
            raise SetupError(f"{RUNTIME}/bundles lacks {EDU_BUNDLES} after the build")
    run_host(["make", "-C", str(REPO / "kmod" / "tests"), f"-j{os.cpu_count()}"],
             "building the userspace tests", lock="host-tests")
    devmap = REPO / "kmod" / "tests" / "build" / "bigbuf_devmap_test"
    if not os.access(devmap, os.X_OK):
        raise SetupError(f"{devmap} missing after make -C kmod/tests")
    # The guests read the runtime live over 9p: they get a private copy, so that a build in this
    # checkout meanwhile cannot swap jars under a running JVM.
    BUILD.mkdir(parents=True, exist_ok=True)
    copy = Path(tempfile.mkdtemp(prefix="edu-runtime.", dir=BUILD))
    shutil.copytree(RUNTIME, copy, symlinks=True, dirs_exist_ok=True)

    def command(g: Guest, ko: str) -> list[str]:
        cmds = f"bigbuf:backend; edu:devices; edu:dmatest --wait {WAIT_FOR_KMOD} {opts.dma_size}"
        if g.variant.machine in TRANSLATED:
            cmds += "; edu:iommutest"
        return [str(VM_DIR / "edu-in-guest"), ko, str(devmap), cmds]

    return Prepared(command=command, judge=lambda *a: judge_edu(opts, *a),
                    env=[f"BIGBUF_RUNTIME={copy}"],
                    cleanup=lambda: shutil.rmtree(copy, ignore_errors=True))


def judge_edu(opts: Options, g: Guest, rc: int, text: str, out: Path, log: Path, secs: int,
              timeout: int) -> results.Result:
    """The edu stage's checks on one guest's output and kernel log, one line each."""
    out_lines = results.lines(text)
    log_text = log.read_text(errors="replace") if log.exists() else ""
    translated = g.variant.machine in TRANSLATED
    mode = "translated" if translated else "direct"
    checks: list[tuple[str, bool, str]] = []

    def has(pattern: str, where: list[str] = out_lines) -> bool:
        rx = re.compile(pattern)
        return any(rx.search(ln) for ln in where)

    def check(what: str, ok: bool, detail: str = "") -> None:
        checks.append((what, ok, detail))

    check("guest, suite and runtime exit 0", rc == 0, results.exit_note(rc, timeout) or f"exit {rc}")
    # The C suite: it must see the mode this machine was built for, run tests and pass them all.
    seen = next((ln for ln in out_lines if re.match(r"^== [0-9a-f:.]+: DMA", ln)), "")
    check(f"the suite sees DMA {mode}", has(rf"^== [0-9a-f:.]+: DMA {mode}, node"), seen)
    suite = results.first_counts(text)
    if translated:
        check("DMA to an unmapped IOVA faults (suite)", has(r"^ok +iommu_fault "))
    else:
        check("no device-contiguous buffer without an IOMMU", has(r"^ok +scatter_refused "))
    if g.variant.machine == "numa2":
        check("edu is on node 1 of 2", has(r"^== [0-9a-f:.]+: DMA direct, node 1, 2 online node"))
        check("buffers land on the device's node, or the one asked for", has(r"^ok +numa "))
    check("nothing held after the suite (rmmod succeeded)",
          "edu-in-guest: module unloaded after the device-mapping suite" in out_lines)
    # The Java runtime on the module.
    check("kmod backend serves the runtime", has(r"^name +kmod$"))
    check(f"edu:devices reports DMA {mode}", has(rf"^[0-9a-f]{{4}}:[0-9a-f:.]+ +DMA {mode}:"))
    check(f"edu:dmatest uses DMA {mode}", has(rf"^edu DMA round trip through .* DMA {mode}\)"))
    check(f"{opts.dma_size} round trip verified", has(r"^  verified  .* identical to the random pattern"))
    want = 2 if translated else 1
    got = sum(ln == "PASSED" for ln in out_lines)
    check(f"{want} command(s) PASSED", got == want, f"{got} PASSED lines")
    if translated:
        check("edu:iommutest: DMA to an unmapped IOVA does not reach memory",
              has(r"^  unmapped   write to IOVA 0x[0-9a-f]+ did not reach the buffer"))
        check("edu:iommutest: a read-only mapping is not written", has(r"^  read-only  write to IOVA"))
        faults = len(re.findall(r"DMAR: \[DMA (?:Write|Read)[^]]*\] Request device \[[0-9a-f:.]+\] fault addr",
                                log_text))
        if g.variant.machine.startswith("intel"):
            # VT-d reports each blocked DMA (the suite's and edu:iommutest's) in the kernel log.
            check("the IOMMU logged the blocked DMA (DMAR faults)", faults >= 2, f"{faults} faults")
        else:
            # QEMU 7.2's AMD-Vi model blocks such DMA (memory checked above) but logs no event.
            amd = log_text.count("AMD-Vi: Event logged [IO_PAGE_FAULT")
            print(f"suite: {g.name}: AMD-Vi fault events in the log: {amd} (QEMU 7.2 logs none)")
    check("all buffers returned (rmmod succeeded)",
          "edu-in-guest: module unloaded after the runtime" in out_lines)

    for what, ok, detail in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {g.name}: {what}" + ("" if ok or not detail else f" ({detail})"))
    passed = sum(ok for _, ok, _ in checks)
    failed = len(checks) - passed
    if suite and suite[0] > 0 and suite[1] == 0:
        passed += suite[0]
        print(f"PASS  {g.name}: device-mapping suite, {suite[0]} tests")
    else:
        failed += suite[1] if suite and suite[1] else 1
        print(f"FAIL  {g.name}: device-mapping suite ({suite[0] if suite else '-'} passed, "
              f"{suite[1] if suite else '-'} failed)")
    ok = failed == 0
    bad = [w for w, k, _ in checks if not k]
    note = "" if ok else "; ".join([*bad[:3], f"log {log}"])
    return results.Result(g.stage.name, g.name, passed, failed, secs, ok, note, kernel=g.kernel,
                          variant=g.variant.name, out=str(out), log=str(log))


PREPARE: dict[str, Callable[[Options], Prepared]] = {
    "kmod": prepare_kmod,
    "e2e": prepare_e2e,
    "edu": prepare_edu,
    "reliability": prepare_reliability,
}
