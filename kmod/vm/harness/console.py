"""Running qemu: the guest's console live on stdout and into the log, and the timeout.

The timeout behaves like timeout(1) with -k: SIGTERM after the timeout, SIGKILL if qemu still
runs the grace period later; the status is then 124 (or 137 after SIGKILL), as timeout(1)'s. A
batch qemu runs in a process group of its own, which the signals go to (timeout(1) signals its
group too); an interactive one stays in the terminal's foreground group (timeout --foreground).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

# Exit statuses of timeout(1): the command timed out, and it had to be killed with SIGKILL.
TIMED_OUT = 124
KILLED = 128 + signal.SIGKILL
# Console markers guest-init prints: the command starts, ends, and init's exit status line.
START_MARKER_RE = re.compile(rb"^BIGBUF-VM-START uptime=")
END_MARKER_RE = re.compile(rb"^BIGBUF-VM-(END uptime=[0-9.]+|EXIT=[0-9]+)$")


def status_of(returncode: int) -> int:
    """A Popen returncode as the shell reports it (128 + N for a death by signal N)."""
    return 128 - returncode if returncode < 0 else returncode


def send(process: subprocess.Popen, sig: int) -> None:
    """Sends SIG to PROCESS, and to its process group if it leads one of its own."""
    if process.poll() is not None:
        return
    try:
        if os.getpgid(process.pid) == process.pid:
            os.killpg(process.pid, sig)
        else:
            process.send_signal(sig)
    except ProcessLookupError:
        pass


def end(process: subprocess.Popen, grace: int) -> None:
    """Ends PROCESS if it still runs: SIGTERM, and SIGKILL if it runs GRACE seconds later."""
    send(process, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        send(process, signal.SIGKILL)
        process.wait()


class Watchdog:
    """Ends PROCESS after TIMEOUT seconds (0: never): SIGTERM, then SIGKILL after GRACE."""

    def __init__(self, process: subprocess.Popen, timeout: int, grace: int):
        self.process = process
        self.timed_out = False
        self.killed = False
        self._ended = threading.Event()
        self._timeout, self._grace = timeout, grace
        self._thread = threading.Thread(target=self._watch, daemon=True)
        if timeout > 0:
            self._thread.start()

    def _watch(self) -> None:
        if self._ended.wait(self._timeout):
            return
        self.timed_out = True
        send(self.process, signal.SIGTERM)
        try:
            self.process.wait(timeout=self._grace)
        except subprocess.TimeoutExpired:
            self.killed = True
            send(self.process, signal.SIGKILL)

    def status(self) -> int:
        """The process's status once it ended, with timeout(1)'s for a timeout."""
        rc = status_of(self.process.wait())
        self._ended.set()
        if self.killed:
            return KILLED
        return TIMED_OUT if self.timed_out else rc


def run_batch(argv: list[str], log_file: Path, verbose: bool, start_stamp: Path,
              timeout: int, grace: int, pass_fds: tuple[int, ...], started: list) -> int:
    """Runs qemu with its output (console and qemu's messages) going to LOG_FILE, line by line
    and without carriage returns, and to stdout between the start and exit markers (the
    command's output plus kernel warnings), or all of it when VERBOSE. At the start marker the
    host's time (ns) is written to START_STAMP. STARTED gets the process (for the caller's
    cleanup). Returns qemu's status."""
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, pass_fds=pass_fds, process_group=0)
    started.append(process)
    watchdog = Watchdog(process, timeout, grace)
    shown = False
    assert process.stdout is not None
    with log_file.open("ab") as log:
        for raw in iter(process.stdout.readline, b""):
            line = raw.removesuffix(b"\n").removesuffix(b"\r")
            log.write(line + b"\n")
            log.flush()
            if END_MARKER_RE.match(line):
                shown = False
            if shown or verbose:
                sys.stdout.buffer.write(line + b"\n")
                sys.stdout.flush()
            if START_MARKER_RE.match(line):
                shown = True
                start_stamp.write_text(f"{time.time_ns()}\n")
    return watchdog.status()


def run_interactive(argv: list[str], timeout: int, grace: int, started: list) -> int:
    """Runs qemu on this terminal (its console logs itself); returns its status."""
    process = subprocess.Popen(argv)
    started.append(process)
    return Watchdog(process, timeout, grace).status()
