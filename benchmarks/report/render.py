#!/usr/bin/env python3
"""Render benchmarks/results/results.md and the PNG plots from results/data/.

usage: render.py [--readme BENCH_README] [--summary-readme README] RESULTS_DIR
  --readme:         also put the headline and Java tables into BENCH_README (benchmarks/README.md)
                    between its HEADLINE markers
  --summary-readme: put the headline and the Java rows measured on real CPUs (not the emulated
                    bandwidth rows) into README (the project's README.md) between the same markers

Inputs (all optional, sections without data say so):
  data/kernel-<kver>-<mem>.csv   allocation sweep rows (benchmarks/tools/allocbench.c)
  data/env-<kver>-<mem>.txt      guest set-up
  data/splats-<kver>-<mem>.txt   kernel warnings / OOM lines seen in the guest console
  data/iommu-map-<setup>-<kver>-<mem>.csv      IOMMU part: MAP + UNMAP cost (tools/iommubench.c)
  data/iommu-largest-<setup>-<kver>-<mem>.csv  IOMMU part: largest buffer bisection
  data/iommu-env-*.txt, iommu-splats-*.txt, iommu-run.txt   its guest set-up, console lines, run time
  data/java-*.json, data/java-*.csv   Java side (benchmarks/jmh/run-java)
  data/run-*.txt                 run metadata
Only reports figures: nothing here passes or fails a run.
"""
import csv
import glob
import json
import math
import os
import re
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402

STRATEGY_ORDER = ["seed", "seed-orig", "auto", "buddy", "contig", "contig-kernel", "contig-module", "grab"]
STRATEGY_LABEL = {
    "seed": "seed 2009 (baseline)",
    "seed-orig": "seed 2009, plain GFP_KERNEL",
    "auto": "bigbuf auto",
    "buddy": "bigbuf buddy",
    "contig": "bigbuf contig",
    "contig-kernel": "contig, kernel's search only",
    "contig-module": "contig, module's scan only",
    "grab": "bigbuf grab",
}
# Drawn in STRATEGY_ORDER with shrinking markers, so that coinciding points stay visible as
# concentric markers.
STYLE = {
    "seed": dict(color="black", marker="s", linestyle="--", markersize=11),
    "seed-orig": dict(color="grey", marker="s", linestyle=":", markersize=10),
    "auto": dict(color="tab:blue", marker="o", linestyle="-", linewidth=2.5, markersize=9),
    "buddy": dict(color="tab:green", marker="^", linestyle="-", markersize=7.5),
    "contig": dict(color="tab:orange", marker="v", linestyle="-", markersize=6),
    "contig-kernel": dict(color="tab:purple", marker="<", linestyle="-.", markersize=5.5),
    "contig-module": dict(color="tab:brown", marker=">", linestyle=":", markersize=5),
    "grab": dict(color="tab:red", marker="D", linestyle="-", markersize=4.5),
}
STATES = ["clean", "fragmented"]
BASELINE = "seed"
MAIN = "auto"


def short_kernel(kver):
    m = re.match(r"(\d+\.\d+)", kver)
    return m.group(1) if m else kver


def mem_mib(mem):
    m = re.match(r"(\d+)([MG]?)", mem)
    if not m:
        return 0
    return int(m.group(1)) * (1024 if m.group(2) == "G" else 1)


def mem_label(mem):
    return "1 GiB" if mem == "1G" else mem.replace("M", " MiB").replace("G", " GiB")


def fmt_ms(us):
    if us is None:
        return "–"
    ms = us / 1000.0
    if ms >= 100:
        return f"{ms:.0f} ms"
    if ms >= 10:
        return f"{ms:.1f} ms"
    return f"{ms:.2f} ms"


def fmt_ratio(x):
    if x is None or math.isnan(x):
        return "–"
    return f"{x:.2f}×" if x < 10 else f"{x:.0f}×"


def load_sweep(data_dir):
    rows = []
    for path in sorted(glob.glob(os.path.join(data_dir, "kernel-*.csv"))):
        with open(path, newline="") as f:
            for r in csv.DictReader(f):
                r["ok"] = r["ok"] == "1"
                for k in ("size_mib", "try", "err", "oom_kill", "pswpout", "pgsteal",
                          "compact_stall", "pgmigrate", "frag_killed", "free_mib",
                          "maxorder_free_mib"):
                    r[k] = int(r[k])
                for k in ("alloc_us", "free_us", "kernel_us", "peak_mib", "kept_mib"):
                    r[k] = float(r[k])
                rows.append(r)
    return rows


class Cell:
    """All tries of one (kernel, mem, state, strategy, size)."""

    def __init__(self, rows):
        self.rows = rows
        self.n = len(rows)
        self.ok = sum(r["ok"] for r in rows)
        ok_times = [r["alloc_us"] for r in rows if r["ok"]]
        self.median_us = statistics.median(ok_times) if ok_times else None
        size = rows[0]["size_mib"]
        self.peak_ratio = max(r["peak_mib"] for r in rows) / size
        self.oom = sum(r["oom_kill"] + r["frag_killed"] for r in rows)
        self.swap = sum(r["pswpout"] for r in rows)

    @property
    def rate(self):
        return self.ok / self.n if self.n else float("nan")


def group(rows):
    cells = {}
    for r in rows:
        key = (r["kernel"], r["mem"], r["state"], r["strategy"], r["size_mib"])
        cells.setdefault(key, []).append(r)
    return {k: Cell(v) for k, v in cells.items()}


def combos(rows):
    """(kernel, mem) pairs, kernels by version, memory ascending."""
    ks = sorted({(r["kernel"], r["mem"]) for r in rows},
                key=lambda km: ([int(x) for x in re.findall(r"\d+", short_kernel(km[0]))], mem_mib(km[1])))
    return ks


def strategies_in(rows):
    present = {r["strategy"] for r in rows}
    return [s for s in STRATEGY_ORDER if s in present]


def sizes_in(rows):
    return sorted({r["size_mib"] for r in rows})


# --- headline ---------------------------------------------------------------------------------
def headline(rows, cells):
    out = []
    out.append("| kernel | guest | memory | success: bigbuf auto vs seed | sizes where auto < seed "
               "| peak grabbed / requested, max: auto (worst forced strategy) vs seed | alloc time, median: auto / seed "
               "| OOM kills / pages swapped out: auto vs seed |")
    out.append("|---|---|---|---|---|---|---|---|")
    for kernel, mem in combos(rows):
        for state in STATES:
            sizes = sorted({s for (k, m, st, strat, s) in cells if (k, m, st) == (kernel, mem, state)})
            if not sizes:
                continue
            a = [cells.get((kernel, mem, state, MAIN, s)) for s in sizes]
            b = [cells.get((kernel, mem, state, BASELINE, s)) for s in sizes]
            a_ok, a_n = sum(c.ok for c in a if c), sum(c.n for c in a if c)
            b_ok, b_n = sum(c.ok for c in b if c), sum(c.n for c in b if c)
            worse = [s for s, ca, cb in zip(sizes, a, b) if ca and cb and ca.rate < cb.rate]
            a_peak = max((c.peak_ratio for c in a if c), default=float("nan"))
            b_peak = max((c.peak_ratio for c in b if c), default=float("nan"))
            # The worst of bigbuf's forced strategies (auto can fall through to any of them).
            forced = [(c.peak_ratio, strat) for (k, m, st, strat, sz), c in cells.items()
                      if (k, m, st) == (kernel, mem, state) and strat in ("buddy", "contig", "grab")]
            w_peak, w_strat = max(forced) if forced else (float("nan"), "")
            # Time: geometric mean over sizes where both succeeded at least once.
            logs = [math.log(ca.median_us / cb.median_us) for ca, cb in zip(a, b)
                    if ca and cb and ca.median_us and cb.median_us]
            t_ratio = math.exp(sum(logs) / len(logs)) if logs else None
            a_oom, b_oom = sum(c.oom for c in a if c), sum(c.oom for c in b if c)
            a_sw, b_sw = sum(c.swap for c in a if c), sum(c.swap for c in b if c)
            ratio = (a_ok / a_n) / (b_ok / b_n) if b_ok and a_n and b_n else None
            succ = f"{a_ok}/{a_n} vs {b_ok}/{b_n}"
            succ += f" ({fmt_ratio(ratio)})" if ratio is not None else (" (seed: none)" if a_ok else "")
            out.append(
                f"| {short_kernel(kernel)} | {mem_label(mem)} | {state} | {succ} | "
                f"{', '.join(f'{s} MiB' for s in worse) if worse else 'none'} | "
                f"{fmt_ratio(a_peak)} ({fmt_ratio(w_peak)} {w_strat}) vs {fmt_ratio(b_peak)} | "
                f"{fmt_ratio(t_ratio) if t_ratio else '–'} "
                f"({len(logs)} size{'s' if len(logs) != 1 else ''}) | "
                f"{a_oom} / {a_sw} vs {b_oom} / {b_sw} |")
    return out


def contig_search_table(rows, cells):
    """CONTIG's two searches alone, where the kernel exports its own (7.x): kernel / module."""
    out = []
    for kernel, mem in combos(rows):
        for state in STATES:
            sizes = sorted({s for (k, m, st, strat, s) in cells
                            if (k, m, st, strat) == (kernel, mem, state, "contig-kernel")})
            if not sizes:
                continue
            kc = [cells.get((kernel, mem, state, "contig-kernel", s)) for s in sizes]
            mc = [cells.get((kernel, mem, state, "contig-module", s)) for s in sizes]
            k_ok, k_n = sum(c.ok for c in kc if c), sum(c.n for c in kc if c)
            m_ok, m_n = sum(c.ok for c in mc if c), sum(c.n for c in mc if c)
            worse = [s for s, a, b in zip(sizes, kc, mc) if a and b and a.rate < b.rate]
            better = [s for s, a, b in zip(sizes, kc, mc) if a and b and a.rate > b.rate]
            logs = [math.log(a.median_us / b.median_us) for a, b in zip(kc, mc)
                    if a and b and a.median_us and b.median_us]
            t_ratio = math.exp(sum(logs) / len(logs)) if logs else None
            ratio = (k_ok / k_n) / (m_ok / m_n) if m_ok and k_n and m_n else None
            out.append(f"| {short_kernel(kernel)} | {mem_label(mem)} | {state} | {k_ok}/{k_n} vs {m_ok}/{m_n} "
                       f"({fmt_ratio(ratio)}) | {', '.join(f'{s} MiB' for s in worse) or 'none'} | "
                       f"{', '.join(f'{s} MiB' for s in better) or 'none'} | "
                       f"{fmt_ratio(t_ratio) if t_ratio else '–'} ({len(logs)} size{'s' if len(logs) != 1 else ''}) |")
    if not out:
        return []
    return (["### CONTIG: the kernel's search against the module's scan", "",
             "Where the kernel exports `alloc_contig_pages()` (7.x), CONTIG runs the module's own zone scan and, "
             "when it finds nothing, asks the kernel's search for the requests it can express (a power-of-two size "
             "of at least a pageblock, no limit inside a zone; `contig_search=auto`, the `contig` column). Here each search alone on the same layouts "
             "(`contig_search=kernel`, `contig_search=module`), tries interleaved. Time ratio: geometric mean over "
             "the sizes where both succeeded of median kernel / median module (below 1: the kernel's search is "
             "faster).", "",
             "| kernel | guest | memory | success: kernel's search vs module's scan | sizes where kernel < module "
             "| sizes where kernel > module | alloc time, median: kernel / module |",
             "|---|---|---|---|---|---|---|"] + out + [""])


def detail_tables(rows, cells):
    out = []
    strats = strategies_in(rows)
    for kernel, mem in combos(rows):
        for state in STATES:
            sizes = sorted({s for (k, m, st, strat, s) in cells if (k, m, st) == (kernel, mem, state)})
            if not sizes:
                continue
            sub = [r for r in rows if (r["kernel"], r["mem"], r["state"]) == (kernel, mem, state)]
            free = [r["free_mib"] for r in sub]
            maxo = [r["maxorder_free_mib"] for r in sub]
            out.append(f"#### {short_kernel(kernel)} ({kernel}), {mem_label(mem)} guest, {state} memory")
            out.append("")
            out.append(f"Free before each try: {min(free)}–{max(free)} MiB, of it in free 4 MiB blocks: "
                       f"{min(maxo)}–{max(maxo)} MiB.")
            out.append("")
            out.append("| size | " + " | ".join(STRATEGY_LABEL[s] for s in strats) + " |")
            out.append("|---:|" + "---|" * len(strats))
            for size in sizes:
                line = [f"{size} MiB"]
                for s in strats:
                    c = cells.get((kernel, mem, state, s, size))
                    if not c:
                        line.append("n/a")
                        continue
                    txt = f"{c.ok}/{c.n}"
                    if c.ok:
                        txt += f" · {fmt_ms(c.median_us)}"
                    txt += f" · {fmt_ratio(c.peak_ratio)}"
                    if c.oom:
                        txt += f" · **{c.oom} OOM**"
                    if c.swap:
                        txt += f" · {c.swap} swap-outs"
                    line.append(txt)
                out.append("| " + " | ".join(line) + " |")
            out.append("")
    return out


# --- plots ------------------------------------------------------------------------------------
def plot_metric(rows, cells, kernel, metric, path):
    mems = [m for (k, m) in combos(rows) if k == kernel]
    strats = strategies_in(rows)
    fig, axes = plt.subplots(len(STATES), len(mems), figsize=(max(9.0, 5.4 * len(mems)), 7.6),
                             squeeze=False, sharex="col")
    titles = {
        "success": "success rate",
        "time": "allocation time, median of the successful tries",
        "peak": "peak memory grabbed / requested",
    }
    ylabels = {"success": "success rate (%)", "time": "median time (ms, log)",
               "peak": "grabbed / requested"}
    for i, state in enumerate(STATES):
        for j, mem in enumerate(mems):
            ax = axes[i][j]
            sizes = sorted({s for (k, m, st, strat, s) in cells if (k, m, st) == (kernel, mem, state)})
            for s in strats:
                xs, ys = [], []
                for size in sizes:
                    c = cells.get((kernel, mem, state, s, size))
                    if not c:
                        continue
                    if metric == "success":
                        y = c.rate * 100
                    elif metric == "time":
                        if c.median_us is None:
                            continue
                        y = c.median_us / 1000
                    else:
                        if c.peak_ratio == 0:
                            continue
                        y = c.peak_ratio
                    xs.append(size)
                    ys.append(y)
                if xs:
                    ax.plot(xs, ys, label=STRATEGY_LABEL[s], **STYLE[s])
            ax.set_xscale("log", base=2)
            ax.set_xticks(sizes)
            ax.set_xticklabels([str(s) for s in sizes])
            ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
            if metric == "success":
                ax.set_ylim(-5, 105)
            elif metric == "time":
                ax.set_yscale("log")
            else:
                ax.axhline(1.5, color="tab:purple", linewidth=1, linestyle=":", label="target 1.5×")
                ax.set_ylim(bottom=0)
            ax.set_title(f"{mem_label(mem)} guest, {state} memory", fontsize=10)
            ax.grid(True, which="both", alpha=0.3)
            if i == len(STATES) - 1:
                ax.set_xlabel("buffer size (MiB)")
            if j == 0:
                ax.set_ylabel(ylabels[metric])
    handles, labels = [], []
    for ax in axes.flat:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.legend(handles, labels, loc="lower center", ncol=min(3, len(labels)), fontsize=9)
    fig.suptitle(f"Linux {short_kernel(kernel)} ({kernel}): {titles[metric]}", fontsize=12)
    fig.tight_layout(rect=(0, 0.09, 1, 0.95))
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --- Java side --------------------------------------------------------------------------------
def load_jmh(path):
    """{(benchmark method, frozenset(params)): (score, error, unit)} from a JMH JSON file."""
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        runs = json.load(f)
    out = {}
    for r in runs:
        name = r["benchmark"].rsplit(".", 2)
        key = (name[-2] + "." + name[-1], frozenset((r.get("params") or {}).items()))
        m = r["primaryMetric"]
        out[key] = (m["score"], m.get("scoreError", float("nan")), m["scoreUnit"])
    return out


def jmh_get(results, bench, **params):
    want = frozenset((k, str(v)) for k, v in params.items())
    for (name, ps), val in results.items():
        if name == bench and want <= ps:
            return val, dict(ps)
    return None, None


def fmt_us(v):
    if v is None:
        return "–"
    if v >= 1000:
        return f"{v / 1000:.2f} ms"
    return f"{v:.1f} µs" if v < 100 else f"{v:.0f} µs"


def fmt_gbs(size, ms):
    return size / (ms * 1e-3) / 1e9


def fmt_size(b):
    b = int(b)
    return f"{b >> 20} MiB" if b >= 1 << 20 else f"{b >> 10} KiB"


def spread(result):
    """' (±N %)': JMH's 99.9 % confidence half-width relative to the score, if it has one."""
    score = result[0]
    try:
        err = float(result[1])
    except (TypeError, ValueError):
        return ""
    if math.isnan(err) or not score:
        return ""
    return f" (±{100 * err / score:.0f} %)"


def bandwidth_rows(results, where, note):
    rows = []
    for op, java, c, what in (("write", "writeJava", "writeC", "`MemorySegment.fill` vs `memset`"),
                              ("copy", "copyJava", "copyC", "`MemorySegment.copy` vs `memcpy`"),
                              ("read", "readJava", "readC", "`getAtIndex` loop vs C loop")):
        j, params = jmh_get(results, "BandwidthBenchmark." + java)
        c_, _ = jmh_get(results, "BandwidthBenchmark." + c)
        if not j or not c_:
            continue
        size = int(params["size"])
        gj, gc = fmt_gbs(size, j[0]), fmt_gbs(size, c_[0])
        rows.append(f"| sequential {op}, {fmt_size(size)}: {what} | {where} | {gj:.2f} GB/s{spread(j)} | "
                    f"{gc:.2f} GB/s{spread(c_)} | {fmt_ratio(gj / gc)} | {note} |")
    return rows


def java_section(data):
    out = []
    host = load_jmh(os.path.join(data, "java-jmh-host.json"))
    rows = []
    for size in sorted({int(dict(ps).get("size", 0)) for (n, ps) in host if n.startswith("MockAlloc")}):
        m, _ = jmh_get(host, "MockAllocBenchmark.mockAllocClose", size=size)
        a, _ = jmh_get(host, "MockAllocBenchmark.arenaAllocClose", size=size)
        if m and a:
            rows.append(f"| mock backend allocate + close, {fmt_size(size)} | host | {fmt_us(m[0])}{spread(m)} | "
                        f"{fmt_us(a[0])}{spread(a)} (FFM `Arena.ofShared().allocate` + close) | "
                        f"{fmt_ratio(m[0] / a[0])} | "
                        "time: lower is better |")
    rows += bandwidth_rows(host, "host, mock buffers", "bandwidth: Java / C, 1 = parity")
    for path in sorted(glob.glob(os.path.join(data, "c-roundtrip-*.txt"))):
        kver = os.path.basename(path)[len("c-roundtrip-"):-4]
        with open(path) as f:
            kv = dict(tok.split("=", 1) for tok in f.read().split() if "=" in tok)
        vm = load_jmh(os.path.join(data, f"java-jmh-vm-{kver}.json"))
        j, params = jmh_get(vm, "KmodRoundTripBenchmark.allocClose")
        c_us = float(kv["mean_us"])
        rows.append(f"| kmod backend allocate + close, {fmt_size(kv['size'])} | VM, Linux {short_kernel(kver)} | "
                    f"{(fmt_us(j[0]) + spread(j)) if j else 'failed'} | {fmt_us(c_us)} (same syscalls from C, mean of "
                    f"{kv['iters']}) | {fmt_ratio(j[0] / c_us) if j else '–'} | open, ALLOC, mmap, FREE, close, munmap; "
                    "the same JNA calls from Java, plus closing the buffer's shared arena (next row) |")
        a, _ = jmh_get(vm, "KmodRoundTripBenchmark.sharedArenaClose")
        if a:
            share = f"{100 * a[0] / j[0]:.0f} % of the Java round trip" if j else "–"
            rows.append(f"| of which: `Arena.ofShared().close()` | VM, Linux {short_kernel(kver)} | "
                        f"{fmt_us(a[0])}{spread(a)} | – | – | {share}: the price of a use after close "
                        "throwing instead of crashing (a handshake with every Java thread; far cheaper "
                        "on real CPUs) |")
        vmbw = load_jmh(os.path.join(data, f"java-jmh-vm-bw-{kver}.json"))
        rows += bandwidth_rows(vmbw, f"VM, Linux {short_kernel(kver)}, /dev/bigbuf mapping",
                               "emulated CPU (TCG): shows that Java works on a real bigbuf mapping; the "
                               "ratio reflects how TCG runs each instruction mix, not hardware")
    hs = os.path.join(data, "java-hotswap.csv")
    if os.path.exists(hs):
        with open(hs, newline="") as f:
            rs = list(csv.DictReader(f))
        for col, what in (("register_to_rebound_us", "backend registered → consumer rebound"),
                          ("unregister_to_rebound_us", "backend unregistered → consumer rebound")):
            v = [float(r[col]) for r in rs]
            if v:
                rows.append(f"| hot swap: {what} | host, embedded Felix | median {fmt_us(statistics.median(v))}, "
                            f"max {fmt_us(max(v))} | – | – | {len(v)} repetitions |")
    if not rows:
        out.append("No Java-side results in this run (see `benchmarks/README.md`, Java side).")
        return out
    out.append("| benchmark | where | bigbuf | baseline | ratio | note |")
    out.append("|---|---|---:|---:|---:|---|")
    out += rows
    return out


# --- IOMMU part -------------------------------------------------------------------------------
IOMMU_SETUPS = ["lazy", "strict", "direct"]
IOMMU_SETUP_LABEL = {
    "lazy": "Intel IOMMU, translated, lazy invalidation",
    "strict": "Intel IOMMU, translated, strict (`iommu.strict=1`)",
    "direct": "none (direct)",
}
IOMMU_NAME_RE = re.compile(r"iommu-(map|largest)-(lazy|strict|direct)-(.+)-(\d+[MG])\.csv$")
FTRACE_NAME_RE = re.compile(r"iommu-ftrace-(lazy|strict|direct)-(.+)-(\d+[MG])\.txt$")
# function_graph lines: " 1) ! 300.2 us    |      dma_map_sgtable();" or "... |    } /* name */"
FTRACE_LINE_RE = re.compile(r"^\s*(\d+)\)\s+(?:[+!#*@$]\s*)?([\d.]+) us\s+\|\s+(.*)$")
FTRACE_OPEN_RE = re.compile(r"^\s*(\d+)\)\s+\|\s+(\S.*?)\(\) \{\s*$")


def strip_mod(name):
    return re.sub(r"\s*\[\w+\]$", "", name.strip())


def load_ftrace(path):
    """{"map"|"unmap": {function: [durations, one per call]}} from a function_graph trace.

    Calls are attributed to the bb_ioctl call they ran in: a MAP if bb_devmap_add ran inside it,
    else an UNMAP if bb_devmap_del did. Durations include function_graph's own overhead."""
    out = {"map": {}, "unmap": {}}
    stacks = {}     # cpu -> list of {name, calls: [(name, us)]}
    with open(path, errors="replace") as f:
        for line in f:
            mo = FTRACE_OPEN_RE.match(line)
            if mo:
                stacks.setdefault(mo.group(1), []).append({"name": strip_mod(mo.group(2)), "calls": []})
                continue
            m = FTRACE_LINE_RE.match(line)
            if not m:
                continue
            cpu, us, rest = m.group(1), float(m.group(2)), m.group(3).strip()
            st = stacks.setdefault(cpu, [])
            if rest.startswith("}"):
                mc = re.match(r"\}\s*/\*\s*(.*?)\s*\*/", rest)
                name = strip_mod(mc.group(1)) if mc else (st[-1]["name"] if st else "?")
                frame = None
                while st:
                    fr = st.pop()
                    if fr["name"] == name:
                        frame = fr
                        break
                calls = (frame["calls"] if frame else []) + [(name, us)]
            elif rest.endswith("();"):
                calls = [(strip_mod(rest[:-3]), us)]
            else:
                continue
            if st:
                st[-1]["calls"].extend(calls)
            elif name_of(calls) == "bb_ioctl":
                names = {n for n, _ in calls}
                kind = "map" if "bb_devmap_add" in names else "unmap" if "bb_devmap_del" in names else None
                if kind:
                    for n, d in calls:
                        out[kind].setdefault(n, []).append(d)
    return out


def name_of(calls):
    return calls[-1][0] if calls else None



def percentile(xs, q):
    xs = sorted(xs)
    if not xs:
        return None
    k = (len(xs) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def kernel_key(kver):
    return [int(x) for x in re.findall(r"\d+", short_kernel(kver))]


def load_iommu(data_dir):
    """{("map"|"largest", setup, kver, mem): [rows]}"""
    out = {}
    for path in sorted(glob.glob(os.path.join(data_dir, "iommu-*.csv"))):
        m = IOMMU_NAME_RE.search(os.path.basename(path))
        if not m:
            continue
        with open(path, newline="") as f:
            out[(m.group(1), m.group(2), m.group(3), m.group(4))] = list(csv.DictReader(f))
    return out


def read_kv(path):
    kv = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if "=" in line and not line.startswith(" "):
                    k, v = line.rstrip("\n").split("=", 1)
                    kv[k] = v
    return kv


class MapCost:
    """Per repetition: bigbuf MAP + UNMAP against the reference's map + unmap, and the steps."""

    def __init__(self, rows):
        reps = {}
        for r in rows:
            reps.setdefault(int(r["rep"]), {})[r["what"]] = (float(r["user_us"]), float(r["kernel_us"]),
                                                            r["ok"] == "1")
        full = [v for v in reps.values() if all(k in v for k in ("bigbuf_map", "bigbuf_unmap", "ref_map",
                                                                  "ref_unmap"))]
        self.n = len(full)
        self.mode = rows[0]["mode"] if rows else "?"
        self.iommu = rows[0]["iommu"] if rows else "?"
        self.size_mib = int(rows[0]["size_mib"]) if rows else 0

        def user(k):
            return [v[k][0] for v in full if k in v]

        def kern(k):
            return [v[k][1] for v in full if k in v]

        self.bb = [v["bigbuf_map"][0] + v["bigbuf_unmap"][0] for v in full]
        self.ref = [v["ref_map"][0] + v["ref_unmap"][0] for v in full]
        self.bb_map, self.bb_unmap = user("bigbuf_map"), user("bigbuf_unmap")
        self.ref_map, self.ref_unmap = user("ref_map"), user("ref_unmap")
        self.ref_kernel = [v["ref_map"][1] + v["ref_unmap"][1] for v in full]
        self.sg_map = [v["step_map_sg"][1] + v["step_unmap_sg"][1] for v in full
                       if "step_map_sg" in v and "step_unmap_sg" in v]
        self.verify = kern("step_verify")
        self.verify_ok = all(v["step_verify"][2] for v in full if "step_verify" in v)
        self.sg_build = kern("step_sg_build")
        self.mask = kern("step_mask")

    def med(self, xs):
        return statistics.median(xs) if xs else None


def fmt_t(us):
    return fmt_us(us) if us is not None else "–"


def mapcost_rows(iommu):
    """(kernel, setup, MapCost) in kernel order, then set-up order."""
    out = []
    for (part, setup, kver, mem), rows in iommu.items():
        if part == "map" and rows:
            out.append((kver, setup, mem, MapCost(rows)))
    out.sort(key=lambda t: (kernel_key(t[0]), IOMMU_SETUPS.index(t[1])))
    return out


def profile_shares(data):
    """{(setup, kver, mem): (MAP ioctl median, own time of bb_devmap_add)} from the ftrace profiles."""
    out = {}
    for path in glob.glob(os.path.join(data, "iommu-ftrace-*.txt")):
        m = FTRACE_NAME_RE.search(os.path.basename(path))
        if not m:
            continue
        d = load_ftrace(path)["map"]
        if not d.get("bb_ioctl") or not d.get("bb_devmap_add"):
            continue
        out[(m.group(1), m.group(2), m.group(3))] = (statistics.median(d["bb_ioctl"]), devmap_add_own(d))
    return out


def devmap_add_own(d):
    """Median of bb_devmap_add less its traced children (per call): its own, inlined work."""
    n = len(d["bb_devmap_add"])
    return statistics.median(d["bb_devmap_add"]) - sum(
        statistics.median(d[c]) * len(d[c]) / n for c in FTRACE_ADD_CHILDREN if c in d)


def mapcost_headline(iommu, data):
    out = ["| kernel | IOMMU | bigbuf MAP + UNMAP, median (p90) | reference `dma_map_page_attrs` + "
           "`dma_unmap_page_attrs`, median (p90) | ratio bigbuf / reference (median) | bigbuf's page-by-page "
           "verification: share of its MAP ioctl (profiled) |",
           "|---|---|---:|---:|---:|---:|"]
    shares = profile_shares(data)
    for kver, setup, mem, c in mapcost_rows(iommu):
        if not c.n:
            continue
        b, r = c.med(c.bb), c.med(c.ref)
        prof = shares.get((setup, kver, mem))
        share = f"{100 * prof[1] / prof[0]:.0f} % ({fmt_us(prof[1])} of {fmt_us(prof[0])})" if prof else "–"
        out.append(f"| {short_kernel(kver)} | {IOMMU_SETUP_LABEL[setup]} | {fmt_t(b)} ({fmt_t(percentile(c.bb, .9))}) | "
                   f"{fmt_t(r)} ({fmt_t(percentile(c.ref, .9))}) | {fmt_ratio(b / r)} | {share} |")
    return out if len(out) > 2 else []


def mapcost_detail(iommu):
    out = []
    for kver, setup, mem, c in mapcost_rows(iommu):
        if not c.n:
            continue
        b, r = c.med(c.bb), c.med(c.ref)
        extra = b - r
        verify, sg_build, mask = c.med(c.verify), c.med(c.sg_build), c.med(c.mask)
        sg_delta = c.med(c.sg_map) - c.med(c.ref_kernel) if c.sg_map else None
        parts = [x for x in (verify, sg_build, mask, sg_delta) if x is not None]
        rest = extra - sum(parts)
        out.append(f"#### {short_kernel(kver)} ({kver}), {IOMMU_SETUP_LABEL[setup]}, {mem_label(mem)} guest")
        out.append("")
        out.append(f"{c.size_mib} MiB physically contiguous buffer, mapped for edu (mode `{c.mode}`, IOMMU group type "
                   f"`{c.iommu}`), {c.n} repetitions; the reference's verification of bigbuf's check on the same "
                   f"mapping: {'every page matched' if c.verify_ok else '**mismatch**'}.")
        out.append("")
        out.append("| what | median | p90 | share of bigbuf's extra time |")
        out.append("|---|---:|---:|---:|")

        def line(what, xs=None, med=None, share=True):
            m = med if med is not None else (c.med(xs) if xs else None)
            p90 = fmt_t(percentile(xs, .9)) if xs else "–"
            sh = f"{100 * m / extra:.0f} %" if share and m is not None and extra > 0 else ""
            out.append(f"| {what} | {fmt_t(m)} | {p90} | {sh} |")

        line("bigbuf `BIGBUF_IOC_MAP` (ioctl, from user space)", c.bb_map, share=False)
        line("bigbuf `BIGBUF_IOC_UNMAP`", c.bb_unmap, share=False)
        line("**bigbuf MAP + UNMAP**", c.bb, share=False)
        line("reference map ioctl (`dma_map_page_attrs`)", c.ref_map, share=False)
        line("reference unmap ioctl (`dma_unmap_page_attrs`)", c.ref_unmap, share=False)
        line("**reference map + unmap**", c.ref, share=False)
        line("of that, the two DMA API calls themselves (in-kernel time)", c.ref_kernel, share=False)
        out.append(f"| **bigbuf's extra time** (difference of the medians) | {fmt_t(extra)} | | 100 % |")
        line("· verification: `iommu_iova_to_phys()` (translated) or `phys_to_dma()` per page", c.verify)
        out.append(f"| · `dma_map_sgtable` + `dma_unmap_sgtable` of a one-entry table instead of "
                   f"`dma_map_page_attrs` + unmap | {fmt_t(sg_delta)} | | "
                   f"{f'{100 * sg_delta / extra:.0f} %' if sg_delta is not None and extra > 0 else ''} |")
        line("· scatterlist build and free (`sg_alloc_table`, `sg_set_page`, `sg_free_table`)", c.sg_build)
        line("· DMA mask set and restored (`dma_set_mask` twice)", c.mask)
        out.append(f"| · rest, by difference: buffer lookup, PCI lookup and stub-driver checks, device lock, locks, "
                   f"mapping record, statistics, its ioctl path | {fmt_t(rest)} | | "
                   f"{f'{100 * rest / extra:.0f} %' if extra > 0 else ''} |")
        out.append("")
    return out


FTRACE_LABEL = {
    "bb_ioctl": "**bigbuf's ioctl, in all**",
    "bb_lookup": "buffer lookup (`bb_lookup`)",
    "bb_devmap_check": "request checks, `capable(CAP_SYS_RAWIO)` (`bb_devmap_check`)",
    "bb_devmap_get_pci": "PCI lookup, coherence, stub-driver binding check (`bb_devmap_get_pci`)",
    "pci_get_domain_bus_and_slot": "· `pci_get_domain_bus_and_slot`",
    "bb_devmap_add": "the mapping (`bb_devmap_add`)",
    "sg_alloc_table": "· `sg_alloc_table`",
    "dma_set_mask": "· `dma_set_mask` (set and restore)",
    "dma_map_sgtable": "· `dma_map_sgtable`",
    "dma_map_sg_attrs": "· `dma_map_sg_attrs`",
    "iommu_get_domain_for_dev": "· `iommu_get_domain_for_dev`",
    "bb_devmap_del": "unmapping (`bb_devmap_del`)",
    "bb_devmap_destroy": "· `bb_devmap_destroy`",
    "dma_unmap_sg_attrs": "· · `dma_unmap_sg_attrs`",
    "sg_free_table": "· · `sg_free_table`",
}
FTRACE_ORDER = {"map": ["bb_ioctl", "bb_devmap_check", "bb_lookup", "bb_devmap_get_pci",
                        "pci_get_domain_bus_and_slot", "bb_devmap_add", "sg_alloc_table", "dma_set_mask",
                        "dma_map_sgtable", "dma_map_sg_attrs", "iommu_get_domain_for_dev"],
                "unmap": ["bb_ioctl", "bb_devmap_check", "bb_lookup", "bb_devmap_del", "bb_devmap_destroy",
                          "dma_unmap_sg_attrs", "sg_free_table"]}
# Children of bb_devmap_add whose time is subtracted to leave its own (inlined verification loop).
FTRACE_ADD_CHILDREN = ["sg_alloc_table", "dma_set_mask", "dma_map_sgtable"]


def ftrace_detail(data):
    out = []
    found = []
    for path in glob.glob(os.path.join(data, "iommu-ftrace-*.txt")):
        m = FTRACE_NAME_RE.search(os.path.basename(path))
        if m:
            found.append((kernel_key(m.group(2)), IOMMU_SETUPS.index(m.group(1)), m.group(1), m.group(2),
                          m.group(3), path))
    for _, _, setup, kver, mem, path in sorted(found):
        prof = load_ftrace(path)
        if not prof["map"].get("bb_ioctl"):
            continue
        out.append(f"#### Profile of bigbuf's MAP and UNMAP: {short_kernel(kver)}, {IOMMU_SETUP_LABEL[setup]}")
        out.append("")
        out.append("`function_graph` tracer on bigbuf's own traceable functions and the kernel functions they "
                   "call (only those are hooked), 30 MAP + UNMAP of the same buffer. Medians per call; the "
                   "tracer adds a few µs per traced call. Functions the compiler inlined (`bb_ioctl_map`, "
                   "`bb_devmap_sgt`, `bb_devmap_verify`, `bb_pci_claim`) have no line of their own: their time "
                   "is in their caller's.")
        out.append("")
        out.append("| ioctl | function | calls per ioctl | median per call |")
        out.append("|---|---|---:|---:|")
        for kind in ("map", "unmap"):
            d = prof[kind]
            n = len(d.get("bb_ioctl", []))
            for fn in FTRACE_ORDER[kind]:
                if fn not in d:
                    continue
                out.append(f"| {kind.upper()} | {FTRACE_LABEL.get(fn, fn)} | {len(d[fn]) / n:.1f} | "
                           f"{fmt_us(statistics.median(d[fn]))} |")
            if kind == "map" and "bb_devmap_add" in d:
                own = devmap_add_own(d)
                out.append(f"| MAP | · the rest of `bb_devmap_add`: the inlined verification loop "
                           f"(`iommu_iova_to_phys` / `phys_to_dma` per page), locks, list checks | – | "
                           f"{fmt_us(own)} |")
        out.append("")
    return out


class Largest:
    """One method's bisection in one guest."""

    def __init__(self, rows):
        self.rows = rows
        res = {r["phase"]: r for r in rows if r["phase"].startswith("result")}
        self.lo = int(res["result"]["lo_mib"]) if "result" in res else None
        self.hi = int(res["result"]["hi_mib"]) if "result" in res else None
        self.lo_ns = int(res["result-noswap"]["lo_mib"]) if "result-noswap" in res else None
        self.hi_ns = int(res["result-noswap"]["hi_mib"]) if "result-noswap" in res else None
        self.probes = [r for r in rows if not r["phase"].startswith("result")]

    def at(self, size, phases):
        """Probes at @size of the given phases (repeats first, else any)."""
        return [r for r in self.probes if int(r["size_mib"]) == size and r["phase"] in phases]

    def time_us(self, size, repeat_phase, noswap=True):
        """Median time of the successful probes at @size (with @noswap: without swap-out): alloc (+ map
        for phys); the repeats, else the bisection's probes."""
        def good(r):
            return r["ok"] == "1" and not (noswap and int(r["pswpout"]))
        rs = [r for r in self.at(size, (repeat_phase,)) if good(r)]
        if not rs:
            rs = [r for r in self.at(size, ("bisect", "bisect-noswap")) if good(r)]
        ts = [float(r["alloc_us"]) + max(float(r["map_us"]), 0) for r in rs]
        return statistics.median(ts) if ts else None

    def repeats(self, size, phase, noswap=True):
        """(successes, probes) of the repeats at @size; with @noswap a swap-out is a failure."""
        rs = self.at(size, (phase,))
        return sum(r["ok"] == "1" and not (noswap and int(r["pswpout"])) for r in rs), len(rs)

    def swapouts(self, size):
        rs = [int(r["pswpout"]) for r in self.at(size, ("repeat", "bisect")) if r["ok"] == "1"]
        return int(statistics.median(rs)) if rs else None


def largest_sets(iommu):
    out = []
    for (part, setup, kver, mem), rows in iommu.items():
        if part == "largest" and rows:
            by = {}
            for r in rows:
                by.setdefault(r["method"], []).append(r)
            out.append((kver, mem, setup, {m: Largest(v) for m, v in by.items()}))
    out.sort(key=lambda t: (kernel_key(t[0]), mem_mib(t[1])))
    return out


def fmt_mib(x):
    return f"{x} MiB" if x is not None else "–"


def fmt_rep(ok_n):
    ok, n = ok_n
    return f"{ok}/{n}" if n else "–"


def largest_headline(iommu):
    out = ["| kernel | guest | free memory before | largest physically contiguous (AUTO, then MAP) | largest "
           "device-contiguous (SCATTER), no swap-out | ratio | largest device-contiguous, swapping allowed "
           "(pages swapped out; smallest size that got a process OOM-killed) | ratio | time per allocation "
           "at the largest: physically / device-contiguous "
           "(no swap-out) |",
           "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for kver, mem, setup, ms in largest_sets(iommu):
        p, s = ms.get("phys"), ms.get("scatter")
        free = [int(r["free_mib"]) for m in ms.values() for r in m.probes]
        free_txt = f"{min(free)}–{max(free)} MiB" if free else "–"
        p_lo = p.lo_ns if p and p.lo_ns is not None else (p.lo if p else None)
        s_ns = s.lo_ns if s else None
        s_any = s.lo if s else None
        r_ns = s_ns / p_lo if p_lo and s_ns is not None else None
        r_any = s_any / p_lo if p_lo and s_any is not None else None
        sw = s.swapouts(s_any) if s and s_any else None
        pt = p.time_us(p_lo, "repeat-noswap" if p.lo_ns != p.lo else "repeat") if p and p_lo else None
        st = s.time_us(s_ns, "repeat-noswap" if s.lo_ns != s.lo else "repeat") if s and s_ns else None
        prep = p.repeats(p_lo, "repeat-noswap" if p.lo_ns != p.lo else "repeat") if p and p_lo else (0, 0)
        srep = s.repeats(s_ns, "repeat-noswap" if s.lo_ns != s.lo else "repeat") if s and s_ns else (0, 0)
        ooms = sorted(int(r["size_mib"]) for r in (s.probes if s else [])
                      if r["frag_killed"] == "1" or int(r["oom_kill"]))
        oom_txt = f"; OOM kill at {ooms[0]} MiB" if ooms else ""
        out.append(f"| {short_kernel(kver)} | {mem_label(mem)} | {free_txt} | {fmt_mib(p_lo)} "
                   f"(repeats ok {fmt_rep(prep)}) | {fmt_mib(s_ns)} (repeats ok without swap-out {fmt_rep(srep)}) | "
                   f"{fmt_ratio(r_ns)} | {fmt_mib(s_any)} ({sw if sw is not None else '–'}{oom_txt}) | {fmt_ratio(r_any)} | "
                   f"{fmt_ms(pt) if pt else '–'} / {fmt_ms(st) if st else '–'} |")
    return out if len(out) > 2 else []


def largest_detail(iommu):
    out = []
    for kver, mem, setup, ms in largest_sets(iommu):
        out.append(f"#### {short_kernel(kver)} ({kver}), {mem_label(mem)} guest, {IOMMU_SETUP_LABEL[setup]}, "
                   "fragmented memory")
        out.append("")
        out.append("Every probe in order: size, result, time (allocation; for `phys` plus MAP), pages swapped out, "
                   "pages migrated, free memory before it. `bisect-noswap` probes count a swap-out as a failure; "
                   "`repeat` probes run at the largest size found, each on freshly fragmented memory.")
        out.append("")
        out.append("| method | phase | size | result | time | swap-outs | migrated | free before |")
        out.append("|---|---|---:|---|---:|---:|---:|---:|")
        for method in ("phys", "scatter"):
            m = ms.get(method)
            if not m:
                continue
            for r in m.probes:
                t = float(r["alloc_us"]) + max(float(r["map_us"]), 0)
                res = "ok" if r["ok"] == "1" else f"fail ({os.strerror(int(r['err'])) if int(r['err']) else 'OOM kill'})"
                if r["frag_killed"] == "1" or int(r["oom_kill"]):
                    res += " · **OOM kill**"
                out.append(f"| {method} | {r['phase']} | {r['size_mib']} MiB | {res} | {fmt_ms(t)} | {r['pswpout']} | "
                           f"{r['pgmigrate']} | {r['free_mib']} MiB |")
        out.append("")
    return out


def iommu_section(data):
    """(headline lines, detail lines) of the IOMMU part."""
    iommu = load_iommu(data)
    if not iommu:
        return ["No IOMMU-part results in this run (`benchmarks/run --only iommu`)."], []
    head = []
    mh = mapcost_headline(iommu, data)
    if mh:
        head += ["Cost of mapping a 64 MiB physically contiguous buffer for QEMU's edu device, bigbuf against a "
                 "reference module doing only the DMA API calls on the same pages for the same function:", ""] + mh
        head += ["", "Emulated CPU (QEMU TCG) and an emulated IOMMU: the times are not those of hardware; compare "
                 "bigbuf with the reference measured in the same guest, interleaved. Lower is better; the ratio "
                 "is median bigbuf / median reference. Verification share: `function_graph` profile of bigbuf's "
                 "MAP ioctl, the time of `bb_devmap_add` less the DMA API and other traced calls it makes (the "
                 "verification loop is inlined there); the detail tables also time each step on its own.", ""]
    lh = largest_headline(iommu)
    if lh:
        grans = [int(r["hi_mib"]) - int(r["lo_mib"]) for (part, *_), rows in iommu.items() if part == "largest"
                 for r in rows if r["phase"] == "result"]
        head += ["Largest buffer on fragmented memory behind a translating IOMMU (bisection to "
                 f"{min(grans) if grans else '?'} MiB):", ""] + lh
        head += ["", "Ratio: device-contiguous / physically contiguous (above 1: scattering gets more). Repeats: "
                 "more probes at the largest size (3 in a full run), each on freshly fragmented memory (near the limit an allocation "
                 "succeeds or not depending on where the used pages fell). Times from an emulated CPU: median of the "
                 "successful repeats (else of the bisection's probe), for the physically contiguous buffer ALLOC "
                 "plus MAP.", ""]
    detail = []
    run = read_kv(os.path.join(data, "iommu-run.txt"))
    walls = []
    for path in sorted(glob.glob(os.path.join(data, "iommu-env-*.txt"))):
        kv = read_kv(path)
        if kv.get("guest_wall_s"):
            walls.append(f"{os.path.basename(path)[len('iommu-env-'):-4]} {int(kv['guest_wall_s'])} s")
    if run.get("iommu_wall_s"):
        detail.append(f"Run time of the IOMMU part: {int(run['iommu_wall_s']) / 60:.1f} min (builds and guests, "
                      f"two at a time); per guest: {', '.join(walls)}.")
        detail.append("")
    detail += mapcost_detail(iommu) + ftrace_detail(data) + largest_detail(iommu)
    splats = []
    for path in sorted(glob.glob(os.path.join(data, "iommu-splats-*.txt"))):
        with open(path) as f:
            lines = [ln.rstrip() for ln in f if ln.strip()]
        if lines:
            splats.append(f"- `{os.path.basename(path)}`: {len(lines)} line(s), first: `{lines[0][:160]}`")
    detail.append("Kernel warnings, OOM and DMA fault messages on the IOMMU guests' consoles: " +
                  ("none." if not splats else ""))
    detail += splats
    detail.append("")
    return head, detail


def read_meta(data_dir):
    """Metadata of the full run (run-all.txt) first, then of partial re-runs (run-java.txt...)."""
    meta, partial = {}, []
    for path in sorted(glob.glob(os.path.join(data_dir, "run-*.txt"))):
        this = {}
        with open(path) as f:
            for line in f:
                if "=" in line:
                    k, v = line.rstrip("\n").split("=", 1)
                    this[k] = v
        part = os.path.basename(path)[len("run-"):-len(".txt")]
        if part != "all":
            partial.append(f"{part} side re-run on {this.get('date', '?')} (commit {this.get('commit', '?')})")
        for k, v in this.items():
            meta.setdefault(k, v)
    meta["partial"] = "; ".join(partial)
    if meta.get("wall_s", "").isdigit():
        meta["wall_min"] = f"{int(meta['wall_s']) / 60:.0f} minutes"
    return meta


README_BEGIN = "<!-- HEADLINE: generated by benchmarks/run from results/results.md; do not edit -->"
README_END = "<!-- /HEADLINE -->"


def update_readme(readme, headline_md):
    """Replace the block between the README markers with headline_md (a list of lines)."""
    with open(readme) as f:
        text = f.read()
    begin, end = text.find(README_BEGIN), text.find(README_END)
    if begin < 0 or end < begin:
        print(f"render.py: no headline markers in {readme}; not updated", file=sys.stderr)
        return
    block = README_BEGIN + "\n" + "\n".join(headline_md).strip() + "\n" + README_END
    with open(readme, "w") as f:
        f.write(text[:begin] + block + text[end + len(README_END):])


def main():
    args = sys.argv[1:]
    readme = summary_readme = None
    while len(args) > 1 and args[0] in ("--readme", "--summary-readme"):
        if args[0] == "--readme":
            readme = args[1]
        else:
            summary_readme = args[1]
        args = args[2:]
    if len(args) != 1:
        sys.exit(__doc__)
    res = args[0]
    data = os.path.join(res, "data")
    rows = load_sweep(data)
    cells = group(rows)
    meta = read_meta(data)
    for old in glob.glob(os.path.join(res, "*.png")):
        os.remove(old)

    md = ["# bigbuf benchmark results", ""]
    md.append(f"Generated by `benchmarks/run` ({meta.get('mode', '?')} mode) on {meta.get('date', '?')}, "
              f"commit {meta.get('commit', '?')}; host: {meta.get('host_cpus', '?')} CPUs "
              f"({meta.get('host_cpu', '?')})" + (f"; {meta['partial']}" if meta.get("partial") else "") +
              ". Guests run under QEMU TCG (no KVM here), so absolute "
              "times are those of an emulated CPU: compare the columns, not the numbers with real "
              "hardware. Method: `benchmarks/README.md`. Raw rows: `data/`.")
    md.append("")
    md.append("## Headline")
    md.append("")
    head_start = len(md)
    if rows:
        md += headline(rows, cells)
        md.append("")
        md.append("Targets (reported, never asserted): success ≥ seed everywhere (column *sizes where "
                  "auto < seed* empty), peak grabbed ≤ 1.5× requested, no OOM kill and no swap-out "
                  "caused by an allocation. Time ratio: geometric mean over the sizes where both "
                  "succeeded at least once of (median auto time / median seed time); below 1 means "
                  "bigbuf is faster. Success ratio in brackets: auto rate / seed rate.")
    else:
        md.append("No kernel-side results in this run.")
    md.append("")
    head_end = len(md)
    md.append("## Java side")
    md.append("")
    java = java_section(data)
    md += java
    md.append("")
    iommu_head, iommu_detail = iommu_section(data)
    md.append("## IOMMU: device mappings")
    md.append("")
    md += iommu_head
    md.append("")
    if readme:
        partial = f"; {meta['partial']}" if meta.get("partial") else ""
        update_readme(readme, [f"### Headline ({meta.get('date', '?')}, {meta.get('mode', '?')} run{partial}; "
                               "full results: [results/results.md](results/results.md))", "",
                               "Kernel side, bigbuf `auto` against the 2009 seed algorithm:", ""]
                      + md[head_start:head_end] + ["Java side:", ""] + java
                      + ["", "IOMMU part (device mappings):", ""] + iommu_head)
    if summary_readme:
        # The emulated-CPU bandwidth rows only show that Java works on a real mapping: not headline.
        java_real = [ln for ln in java if "/dev/bigbuf mapping" not in ln]
        partial = f"; {meta['partial']}" if meta.get("partial") else ""
        update_readme(summary_readme, [f"Last full run: {meta.get('date', '?')}, commit {meta.get('commit', '?')}, "
                                       f"{meta.get('wall_min', '?')} on {meta.get('host_cpus', '?')} CPUs{partial} "
                                       "([all results](benchmarks/results/results.md)). Kernel side, bigbuf "
                                       "`auto` against the 2009 seed algorithm:", ""]
                      + md[head_start:head_end] + ["Java side, each figure next to its baseline:", ""] + java_real
                      + ["", "IOMMU part (device mappings):", ""] + iommu_head)
    md.append("## Kernel side in detail")
    md.append("")
    if rows:
        md.append("Each cell: successes/tries · median time of the successful tries · peak memory "
                  "grabbed / requested (max over the tries; for contig and buddy the buffer itself, "
                  "pages migrated away are moved, not grabbed) · OOM kills and pages swapped out "
                  "during the tries, if any. `buddy` is only tried up to the largest buddy block "
                  "(4 MiB). `alloc_contig_pages()` is exported to modules from 7.x only (and Debian "
                  "builds without `CONFIG_CMA`): on 6.1 and 6.12 bigbuf's `contig` strategy is the "
                  "in-module equivalent (zone scan + the exported `alloc_contig_range()`); on 7.x it "
                  "asks the kernel's search after it where the request allows, and `contig-kernel` / "
                  "`contig-module` show each search alone.")
        md.append("")
        for kernel in sorted({k for k, _ in combos(rows)},
                             key=lambda k: [int(x) for x in re.findall(r"\d+", short_kernel(k))]):
            short = short_kernel(kernel)
            md.append(f"### Linux {short}")
            md.append("")
            for metric in ("success", "time", "peak"):
                name = f"kernel-{short}-{metric}.png"
                plot_metric(rows, cells, kernel, metric, os.path.join(res, name))
                md.append(f"![{metric}, Linux {short}]({name})")
            md.append("")
        md += contig_search_table(rows, cells)
        md += detail_tables(rows, cells)
        splats = []
        for path in sorted(glob.glob(os.path.join(data, "splats-*.txt"))):
            with open(path) as f:
                lines = [ln.rstrip() for ln in f if ln.strip()]
            if lines:
                splats.append(f"- `{os.path.basename(path)}`: {len(lines)} line(s), first: `{lines[0][:160]}`")
        md.append("Kernel warnings / OOM messages on the guest consoles: " + ("none." if not splats else ""))
        md += splats
        md.append("")
    if iommu_detail:
        md.append("## IOMMU part in detail")
        md.append("")
        md += iommu_detail
    with open(os.path.join(res, "results.md"), "w") as f:
        f.write("\n".join(md).rstrip() + "\n")


if __name__ == "__main__":
    main()
