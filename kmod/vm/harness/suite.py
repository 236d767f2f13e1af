"""kmod/vm/suite: run the test matrix (matrix.py) and print one summary.

The host stage (maven) runs first: it builds what the guests run. Then every guest of the
selected stages, kernels and variants is one job; jobs run side by side, up to --jobs at a time,
longest first, so that the short ones fill the gaps at the end (kmod/vm/boot queues guests beyond
the host's slots, so concurrent runs of other checkouts are safe too).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import datetime, timezone
from pathlib import Path

from . import kernels, matrix, results, stages
from .matrix import ALL_STAGES, DEBUG, MAVEN, STAGES, Guest
from .stages import BUILD, REPO, VM_DIR, Options, SetupError

PRINT_LOCK = threading.Lock()


def say(msg: str) -> None:
    with PRINT_LOCK:
        print(f"suite: {msg}", file=sys.stderr, flush=True)


# --- kernels -------------------------------------------------------------------------------------
def stage_kernel_names(stage: matrix.Stage, cli_kernels: list[str]) -> list[str]:
    if cli_kernels:
        return cli_kernels
    names: list[str] = []
    if matrix.DEBIAN in stage.kernels:
        names += kernels.debian_kernels()
    if DEBUG in stage.kernels:
        names.append(DEBUG)
    return names


# --- one guest -------------------------------------------------------------------------------------
def boot_args(g: Guest, prep: stages.Prepared, opts: Options, timeout: int, log: Path) -> list[str]:
    args = [a for a in g.stage.boot_args if a not in prep.drop_boot_args]
    args += list(matrix.MACHINES[g.variant.machine])
    for kv in (*prep.env, *g.variant.env, *opts.guest_env):
        args += ["--env", kv]
    return ["--kernel", g.kernel, "--mem", g.stage.mem, "--timeout", str(timeout), "--log", str(log), *args]


def guest_timeout(g: Guest, opts: Options) -> int:
    t = opts.timeout
    if t is None:
        t = matrix.RELIABILITY_LONG_TIMEOUT if (opts.long and g.stage.name == "reliability") else g.stage.timeout
    return t * matrix.DEBUG_KERNEL_TIMEOUT_FACTOR if g.debug_kernel else t


def tee(cmd: list[str], out: Path, live: bool, cwd: Path | None = None) -> int:
    """Runs CMD (stdout and stderr) into file OUT, line by line, and to stdout when LIVE."""
    with out.open("wb") as f:
        p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL)
        assert p.stdout is not None
        for chunk in iter(p.stdout.readline, b""):
            f.write(chunk)
            f.flush()
            if live:
                sys.stdout.buffer.write(chunk)
                sys.stdout.flush()
        return p.wait()


def run_guest(g: Guest, prep: stages.Prepared, opts: Options, run_dir: Path, live: bool) -> results.Result:
    t0 = time.monotonic()
    out = run_dir / f"{g.file_stem}.out"
    log = run_dir / f"{g.file_stem}.log"
    timeout = guest_timeout(g, opts)
    say(f"== {g.name}: build-module")
    b = subprocess.run([str(VM_DIR / "build-module"), g.kernel], stdout=subprocess.PIPE, text=True,
                       env={**os.environ, "BIGBUF_KMOD_DIR": str(stages.KMOD_SRC)})
    if b.returncode:
        return results.Result(g.stage.name, g.name, None, None, int(time.monotonic() - t0), False,
                              "module build failed", kernel=g.kernel, variant=g.variant.name)
    ko = b.stdout.strip().splitlines()[-1]
    command = prep.command(g, ko)
    say(f"== {g.name}: boot and run {' '.join(command)}")
    rc = tee([str(VM_DIR / "boot"), *boot_args(g, prep, opts, timeout, log), "--", *command], out, live)
    text = out.read_text(errors="replace")
    return prep.judge(g, rc, text, out, log, int(time.monotonic() - t0), timeout)


def harness_unit(run_dir: Path) -> results.Result:
    """The harness's own unit tests (kmod/vm/harness/tests: verdicts, result format, matrix), in
    this process: a verdict that passes broken output would make every guest row worthless."""
    import io
    import unittest

    t0 = time.monotonic()
    stream = io.StringIO()
    suite = unittest.TestLoader().discover(str(Path(__file__).parent / "tests"), top_level_dir=str(VM_DIR))
    r = unittest.TextTestRunner(stream=stream, verbosity=2).run(suite)
    failed = len(r.failures) + len(r.errors) + len(r.unexpectedSuccesses)
    passed = r.testsRun - failed - len(r.skipped)
    out = run_dir / "harness-unit.out"
    out.write_text(stream.getvalue() + f"{passed} passed, {failed} failed\n")
    if failed:
        sys.stdout.write(stream.getvalue())
    say(f"harness unit tests: {passed} passed, {failed} failed")
    return results.judge("harness", "harness unit", 0 if r.wasSuccessful() else 1, (passed, failed),
                         int(time.monotonic() - t0), out=str(out))


def run_maven(run_dir: Path) -> results.Result:
    """./mvnw -B verify, live: unit tests, embedded-Felix ITs, ABI mirror, p2 install."""
    say("== stage maven: ./mvnw -B verify")
    t0 = time.monotonic()
    out = run_dir / "maven.out"
    rc = tee(["./mvnw", "-B", "verify"], out, live=True, cwd=REPO)
    counts = results.surefire_counts(out.read_text(errors="replace"))
    return results.judge(MAVEN, "maven", rc, counts, int(time.monotonic() - t0), out=str(out))


# --- the run -----------------------------------------------------------------------------------------
def parse(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="kmod/vm/suite", formatter_class=argparse.RawDescriptionHelpFormatter,
        description=__doc__, epilog=stages_help())
    ap.add_argument("action", choices=("run", "plan"), help="run the guests, or only list them")
    ap.add_argument("--stage", action="append", default=[], choices=(*ALL_STAGES, "all"), metavar="S",
                    help=f"only stage S ({', '.join(ALL_STAGES)}), or all of them; repeatable; "
                         "default: all but maven")
    ap.add_argument("--skip", action="append", default=[], choices=ALL_STAGES, metavar="S",
                    help="leave stage S out; repeatable")
    ap.add_argument("--kernel", action="append", default=[], metavar="K",
                    help="only kernel K (6.1, 6.12, 7.3, debug or a full version); repeatable; "
                         "default: each stage's own")
    ap.add_argument("--variant", action="append", default=None, metavar="V",
                    help=f"only machine variant V ({', '.join(matrix.known_variants())}) on every "
                         "selected kernel; repeatable")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                    help="guests side by side (default: the host's CPUs)")
    ap.add_argument("--timeout", type=int, metavar="SEC", help="per-guest timeout (default: the stage's)")
    ap.add_argument("--env", action="append", default=[], metavar="NAME=VAL",
                    help="environment of the guest command; repeatable")
    ap.add_argument("--no-debug", action="store_true",
                    help="kmod: boot without slub_debug/page_poison (faster, fewer checks)")
    ap.add_argument("--no-host-unit", action="store_true", help="kmod: skip the host's ASan unit tests")
    ap.add_argument("--long", action="store_true",
                    help="reliability: 10^5 fuzz calls, 120 s of load per thread, more faults")
    ap.add_argument("--seed", type=int, help="reliability: fuzzer seed (default: random, printed)")
    ap.add_argument("--size", default="16M", help="edu: buffer size of edu:dmatest (default 16M)")
    ap.add_argument("extra", nargs="*", help="kmod: extra arguments of kmod/tests/run-in-guest (after --)")
    a = ap.parse_args(argv)
    if "all" in a.stage:
        a.stage = list(ALL_STAGES)
    if a.jobs < 1:
        ap.error("--jobs needs a positive number")
    for kv in a.env:
        if "=" not in kv or not kv.split("=", 1)[0].isidentifier():
            ap.error(f"--env expects NAME=VALUE, got '{kv}'")
    if a.variant:
        bad = [v for v in a.variant if v not in matrix.known_variants()]
        if bad:
            ap.error(f"unknown variant {bad[0]} (variants: {', '.join(matrix.known_variants())})")
    return a


def stages_help() -> str:
    rows = ["stages (guests: kernels x variants):"]
    rows.append(f"  {MAVEN:<12} ./mvnw -B verify on the host (unit, embedded-Felix ITs, ABI mirror, p2 install)")
    for s in STAGES.values():
        var = ", ".join(v.name + ("" if v.on == "every" else f" ({v.on.replace('_', ' ')})") for v in s.variants)
        rows.append(f"  {s.name:<12} {s.doc}; kernels: {' + '.join(s.kernels)}; variants: {var}")
    rows += ["", "Logs: build/vm/suite/<UTC time>-<pid>/ (build/vm/suite/latest: the newest): per guest",
             "STAGE-KVER-VARIANT.out (output) and .log (console + dmesg), results.jsonl (one JSON row",
             "per suite), summary. The last line of the summary is \"N passed, M failed\": the tests and",
             "checks of all suites; exit 1 if any suite failed or none ran."]
    return "\n".join(rows)


def plan(a: argparse.Namespace) -> tuple[list[str], list[Guest]]:
    selected = [s for s in ALL_STAGES if (s in a.stage if a.stage else s != MAVEN) and s not in a.skip]
    guests: list[Guest] = []
    resolved: dict[str, tuple[str, bool, bool]] = {}
    for name in selected:
        if name == MAVEN:
            continue
        stage = STAGES[name]
        ks = []
        for k in stage_kernel_names(stage, a.kernel):
            if k not in resolved:
                resolved[k] = kernels.resolve(k)
            ks.append(resolved[k])
        guests += matrix.guests_of(stage, ks, a.variant)
    return selected, guests


def main(argv: list[str]) -> int:
    a = parse(argv)
    start = time.monotonic()
    opts = Options(long=a.long, seed=a.seed if a.seed is not None else random.getrandbits(32),
                   dma_size=a.size, timeout=a.timeout, guest_env=a.env, extra_args=a.extra,
                   slub_debug=not a.no_debug)
    try:
        if a.action == "run" and [s for s in (a.stage or STAGES) if s in STAGES and s not in a.skip]:
            say("== setup")
            if subprocess.run([str(VM_DIR / "setup")], stdout=subprocess.DEVNULL).returncode:
                raise SetupError("kmod/vm/setup failed")
        selected, guests = plan(a)
    except (SetupError, kernels.KernelLookupError) as e:
        say(f"error: {e}")
        return 2
    if a.action == "plan":
        for g in guests:
            print(f"{g.stage.name:<12} {g.kernel:<32} {g.variant.name:<14} timeout {guest_timeout(g, opts)} s")
        return 0

    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    run_dir = BUILD / "suite" / f"{stamp}-{os.getpid()}"
    run_dir.mkdir(parents=True)
    latest = BUILD / "suite" / "latest"
    latest.unlink(missing_ok=True)
    latest.symlink_to(run_dir.name)

    rows: list[results.Result] = [harness_unit(run_dir)]
    if MAVEN in selected:
        rows.append(run_maven(run_dir))
        if not rows[-1].ok and guests:
            say("maven failed: the guest stages need its build, not starting them")
            guests = []

    # Host preparation, once per stage, before any of its guests starts.
    prepared: dict[str, stages.Prepared] = {}
    for name in dict.fromkeys(g.stage.name for g in guests):
        try:
            prepared[name] = stages.PREPARE[name](opts)
        except SetupError as e:
            rows.append(results.Result(name, f"{name} host setup", None, None, 0, False, str(e)))
    guests = [g for g in guests if g.stage.name in prepared]

    jobs: list[tuple[int, str, object]] = [(g.estimate, g.name, g) for g in guests]
    if "kmod" in prepared and not a.no_host_unit:
        jobs.append((60, "kmod host-unit", None))
    jobs.sort(key=lambda j: -j[0])
    live = a.jobs == 1 or len(jobs) <= 1
    if not live and jobs:
        say(f"{len(jobs)} jobs, {a.jobs} at a time, longest first; each one's output follows when "
            f"it ends (live: {run_dir}/*.out)")

    def run(job: Guest | None) -> results.Result:
        if job is None:
            return stages.host_unit()
        return run_guest(job, prepared[job.stage.name], opts, run_dir, live)

    done: list[results.Result] = []
    try:
        with ThreadPoolExecutor(max_workers=a.jobs) as pool:
            futures = {pool.submit(run, j[2]): j[1] for j in jobs}
            for fut in as_completed(futures):
                try:
                    r = fut.result()
                except Exception as e:          # a harness bug must not lose the other rows
                    r = results.Result("?", futures[fut], None, None, 0, False, f"harness error: {e!r}")
                done.append(r)
                with PRINT_LOCK:
                    print(f"==== suite: {r.name} finished after {r.seconds} s: "
                          f"{'PASS' if r.ok else 'FAIL'}", flush=True)
                    if not live and r.out and Path(r.out).exists():
                        sys.stdout.write(Path(r.out).read_text(errors="replace"))
                        sys.stdout.flush()
    finally:
        for p in prepared.values():
            p.cleanup()
    # Rows in the plan's order: stage by stage, kernel by kernel, variant by variant.
    planned = (["kmod host-unit"] if "kmod" in prepared and not a.no_host_unit else []) + [g.name for g in guests]
    order = {n: (ALL_STAGES.index(n.split()[0]), i) for i, n in enumerate(planned)}
    rows += sorted(done, key=lambda r: order.get(r.name, (len(ALL_STAGES), 0)))

    header = ["", f"results: {run_dir}"]
    timeline = [f"  {r.kernel} {ln}" for r in rows for ln in r.details.get("timeline", [])]
    if timeline:
        header += ["hot swap and kill -9 timeline (e2e):", *timeline]
    if any(r.stage == "reliability" for r in rows):
        header.append(f"reliability seed {opts.seed}{', long mode' if opts.long else ''} "
                      f"(--seed {opts.seed} replays it)")
    text = results.summary(rows, header, int(time.monotonic() - start))
    print(text, flush=True)
    (run_dir / "summary").write_text(text + "\n")
    results.write_jsonl(rows, run_dir / "results.jsonl")
    return 0 if rows and all(r.ok for r in rows) else 1
