"""The host's guest slots: at most BIGBUF_VM_SLOTS batch guests run at once on this host.

TCG guests on a heavily oversubscribed host starve (RCU stalls, timeouts). A slot is an flock(2)
on $BIGBUF_VM_SLOT_DIR/slotN, held until the guest ends; waiting boots queue on the lock of
$BIGBUF_VM_SLOT_DIR/queue. flock(1) takes the same locks: shell scripts of other checkouts
that use this directory share the queue.
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

# Host-wide limit of concurrently running batch guests: TCG guests on a heavily oversubscribed
# host starve (RCU stalls, timeouts). Twice the CPUs keeps that in check without making short
# test runs queue for long behind benchmarks (one slot per CPU did, on the shared 2-core host).
# Slot locks live outside the checkout so that clones elsewhere (CI) share them. Interactive
# guests take no slot.
SLOTS_PER_CPU = 2
# The directory name carries the slot protocol version: runs of older harness versions (other
# checkouts) with another slot count must not hold the queue for newer ones.
DEFAULT_SLOT_DIR = "/tmp/bigbuf-vm-slots.v2"
SLOT_POLL = 1                  # seconds between attempts to get a slot


def slot_dir() -> Path:
    return Path(os.environ.get("BIGBUF_VM_SLOT_DIR") or DEFAULT_SLOT_DIR)


def slot_count() -> str:
    """BIGBUF_VM_SLOTS as given (the caller checks it), or twice the CPUs this process may use
    (what nproc(1) counts)."""
    return os.environ.get("BIGBUF_VM_SLOTS") or str(SLOTS_PER_CPU * len(os.sched_getaffinity(0)))


def _try_lock(path: Path) -> int | None:
    """An fd of PATH (opened for appending, created if missing) locked exclusively, or None if
    another process holds the lock."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def acquire(slots: int, holder: str, info: Callable[[str], None]) -> int:
    """Waits for a free slot of SLOTS and returns the fd that holds its lock: the slot is the
    caller's until that fd is closed in every process that has it (the caller passes it on to
    qemu). HOLDER (who takes the slot) is written into the slot file, for those waiting."""
    directory = slot_dir()
    directory.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    # Only the head of the queue polls the slots; the others wait in flock for the queue lock, so
    # a newcomer cannot overtake a run that has been waiting for a while.
    queue_fd = os.open(directory / "queue", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(queue_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            info(f"waiting in the guest queue (BIGBUF_VM_SLOTS={slots})")
            fcntl.flock(queue_fd, fcntl.LOCK_EX)
        waited = 0
        while True:
            for i in range(slots):
                slot = directory / f"slot{i}"
                fd = _try_lock(slot)
                if fd is None:
                    continue
                # Who holds the slot, for those waiting for it: written before the next in the
                # queue looks.
                os.ftruncate(fd, 0)
                since = datetime.now(timezone.utc).strftime("%H:%M:%S")
                os.write(fd, f"pid {os.getpid()} since {since}: {holder}\n".encode())
                os.close(queue_fd)
                queue_fd = -1
                elapsed = int(time.monotonic() - start)
                if elapsed:
                    info(f"got guest slot {i} after {elapsed} s")
                return fd
            if waited == 0:
                info(f"all {slots} guest slots of this host are busy (BIGBUF_VM_SLOTS); waiting. Held by:")
                _print_holders(directory)
            time.sleep(SLOT_POLL)
            waited += SLOT_POLL
    finally:
        if queue_fd >= 0:
            os.close(queue_fd)


def _print_holders(directory: Path) -> None:
    for slot in sorted(directory.glob("slot*")):
        try:
            text = slot.read_text(errors="replace")
        except OSError:
            continue
        for line in text.splitlines():
            print(f"    {line}", file=sys.stderr)
    sys.stderr.flush()
