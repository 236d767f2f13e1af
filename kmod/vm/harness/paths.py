"""Where the harness's parts and outputs are, relative to this checkout (as kmod/vm/lib.sh has it).

The repository is the directory two levels above kmod/vm, wherever the checkout is: nothing
hard-codes a checkout path.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
VM_DIR = REPO / "kmod" / "vm"
BUILD = REPO / "build" / "vm"


def ensure_build_dir() -> None:
    """build/vm, with build/ ignored by git (lib.sh's ensure_build_dir)."""
    ignore = REPO / "build" / ".gitignore"
    ignore.parent.mkdir(parents=True, exist_ok=True)
    if not ignore.exists():
        ignore.write_text("*\n!.gitignore\n")
    BUILD.mkdir(parents=True, exist_ok=True)
