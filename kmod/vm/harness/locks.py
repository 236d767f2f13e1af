"""Exclusive flock(2) locks on files, compatible with flock(1) on the same files in bash scripts."""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def exclusive(lockfile: Path) -> Iterator[None]:
    """Holds an exclusive lock on LOCKFILE (created with its directory) for the with-block; the
    same lock as lib.sh's with_lock, so that bash and Python builds of one artefact serialise."""
    lockfile.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lockfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
