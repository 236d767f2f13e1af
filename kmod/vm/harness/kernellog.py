"""The guest's kernel log: /dev/kmsg records, and the scan for kernel splats.

Everything here works on bytes: the console carries whatever the kernel and the command print.
"""

from __future__ import annotations

import re

# Kernel-log lines that fail a run even when the command passed. Besides oopses, WARN and BUG
# (which cover KASAN "BUG: KASAN:", KFENCE "BUG: KFENCE:", DEBUG_ATOMIC_SLEEP "BUG: sleeping
# function called from invalid context", lockdep's "WARNING: possible ... locking ..." and
# DEBUG_LIST/DMA_API_DEBUG reports): UBSAN, kmemleak, SLUB debug ("BUG kmalloc-64 (Not
# tainted): ..."), DEBUG_VM's dump_page(), lockdep's uninitialised lock and its switching off,
# and debugging that switched itself off for lack of memory (kmemleak, DMA API debugging).
SPLAT_RE = re.compile(
    rb"Oops|WARNING:|BUG:|KASAN|kernel BUG|Call Trace|possible circular locking|unreferenced object"
    rb"|Kernel panic|UBSAN:|general protection fault|blocked for more than|soft lockup|hard LOCKUP"
    rb"|detected stalls|self-detected stall|Bad page state|pagealloc: "
    rb"|BUG [^ ]+ \((Not t|T)ainted\)|page dumped because|INFO: trying to register non-static key"
    rb"|turning off the locking correctness validator"
    rb"|kmemleak: (Kernel memory leak detector disabled|Memory pool empty|Cannot allocate)"
    rb"|DMA-API: debugging out of memory")
# Fault injection (kmod/tests/reliability/failinj.c) fails allocations on purpose; the kernel then
# prints allocation-failure reports with a stack dump (warn_alloc: "page allocation failure",
# "vmalloc error"; fault injection's own "FAULT_INJECTION: forcing a failure" at verbose=2). Their
# "Call Trace:" lines are not splats between the markers the test writes to /dev/kmsg; every
# other line still counts (a WARN or KASAN report during injection fails the run as anywhere).
FAILINJ_ON_RE = re.compile(rb"bigbuf-failinj: injection on")
FAILINJ_OFF_RE = re.compile(rb"bigbuf-failinj: injection off")
FAILINJ_REPORT_RE = re.compile(
    rb"page allocation failure: order:|vmalloc error: size|FAULT_INJECTION: forcing a failure")
# Lines that start another report than an allocation failure's: its "Call Trace:" counts again.
OTHER_REPORT_RE = re.compile(rb"cut here|WARNING:|BUG|Oops|KASAN|UBSAN|INFO:|lockdep")
CALL_TRACE_RE = re.compile(rb"^Call Trace:")
TRACE_END_RE = re.compile(rb"</TASK>")
# Console lines that come from the kernel (printk.time=1): "[    1.234567] ...".
KERNEL_LINE_RE = re.compile(rb"^\[ *[0-9]+\.[0-9]+\] ")
# A section the harness appends to the console log ("---- guest dmesg ...").
SECTION_RE = re.compile(rb"^---- ")
# A /dev/kmsg record: "level,sequence,microseconds,flags;text".
KMSG_RECORD_RE = re.compile(rb"^[0-9]+,[0-9]+,[0-9]+,")


def lines_of(data: bytes) -> list[bytes]:
    """DATA's lines as line-based tools see them: a last line without newline counts."""
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return lines


def kmsg_to_log(stream: bytes) -> bytes:
    """The /dev/kmsg stream (records "6,339,3340170,-;text", from the second serial port) as
    dmesg lines "[    3.340170] text". Continuation lines (" KEY=value") are left out."""
    out = []
    for line in lines_of(stream.replace(b"\r", b"")):
        if not KMSG_RECORD_RE.match(line):
            continue
        prefix, _, text = line.partition(b";")
        usec = int(prefix.split(b",")[2])
        out.append(b"[%5d.%06d] %s\n" % (usec // 1000000, usec % 1000000, text))
    return b"".join(out)


def _without_timestamp(line: bytes) -> bytes:
    return KERNEL_LINE_RE.sub(b"", line, count=1)


def drop_injected_traces(lines: list[bytes]) -> list[bytes]:
    """LINES without the "Call Trace:" lines of allocation-failure reports between the fault
    injection markers (see FAILINJ_*). The console part and each appended kernel log section
    ("---- " lines) are windows of their own."""
    kept = []
    in_window = False        # between "injection on" and "injection off"
    in_report = False        # in an allocation-failure report of the window
    for line in lines:
        if SECTION_RE.match(line):
            in_window = in_report = False
        text = _without_timestamp(line)
        if FAILINJ_ON_RE.search(text):
            in_window = True
        if FAILINJ_OFF_RE.search(text):
            in_window = in_report = False
        if OTHER_REPORT_RE.search(text):
            in_report = False
        if in_window and FAILINJ_REPORT_RE.search(text):
            in_report = True
        if in_report and CALL_TRACE_RE.search(text):
            continue
        if TRACE_END_RE.search(text):
            in_report = False
        kept.append(line)
    return kept


def splats(console_log: bytes, kmemleak: bytes | None) -> list[bytes]:
    """The splat lines of a run: kernel lines of the console log (with the kernel log appended
    to it) and the lines of the kmemleak report, each text once (the first of the lines that
    differ only in their timestamp). The command's own output is not scanned (the JVM prints
    "WARNING: ..." lines, for instance)."""
    candidates = [ln for ln in drop_injected_traces(lines_of(console_log)) if KERNEL_LINE_RE.search(ln)]
    if kmemleak is not None:
        candidates += lines_of(kmemleak)
    found, seen = [], set()
    for line in candidates:
        if not SPLAT_RE.search(line):
            continue
        text = _without_timestamp(line)
        if text not in seen:
            seen.add(text)
            found.append(line)
    return found
