"""Guest kernel lookups: where kernels are found and resolved is kmod/vm/lib.sh's, for every
harness script alike (bash and Python); this module calls its functions."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

from .paths import VM_DIR


class KernelLookupError(Exception):
    """A lib.sh lookup failed; it said why on stderr. STATUS is its exit status."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def lib_sh(script: str, *args: str, prog: str = "suite") -> str:
    """Runs SCRIPT with kmod/vm/lib.sh sourced and ARGS as its $1...; returns its stdout, its
    stderr passes through. PROG is the name lib.sh's messages (die, warn) start with."""
    p = subprocess.run(["bash", "-c", f'source "{VM_DIR}/lib.sh"; {script}', prog, *args],
                       stdout=subprocess.PIPE, text=True)
    if p.returncode:
        raise KernelLookupError(f"kernel lookup failed ({script.split()[0]} {' '.join(args)})",
                                p.returncode)
    return p.stdout


def debian_kernels() -> list[str]:
    """The tested Debian kernels (lib.sh list_kernels)."""
    return lib_sh("list_kernels").split()


def resolve(kernel: str) -> tuple[str, bool, bool]:
    """(full version, is a debug kernel (KASAN), has fault injection) of a --kernel value."""
    out = lib_sh('k=$(resolve_kernel "$1") && echo "$k" && '
                 'for c in KASAN FAIL_PAGE_ALLOC; do kernel_has_config "$k" "$c" && echo "$c" || :; done',
                 kernel).split()
    return out[0], "KASAN" in out[1:], "FAIL_PAGE_ALLOC" in out[1:]


@dataclass(frozen=True)
class BootKernel:
    """What kmod/vm/boot needs to know of a kernel."""
    version: str        # full version, e.g. 6.1.0-57-amd64
    boot: str           # the kernel cache's build.conf BOOT= ("bzimage": no PVH vmlinux) or ""
    cmdline: str        # build.conf CMDLINE=: words the kernel always needs, or ""
    image: str          # the bzImage to boot (or to extract the vmlinux from)
    modules_base: str   # the directory holding lib/modules/<version>: / or the cache dir
    config: str         # its .config, or ""


def boot_kernel(kernel: str, prog: str) -> BootKernel:
    """Resolves a --kernel value (6.1, debug, a full version) and looks up its parts, in one
    lib.sh call. Raises KernelLookupError (lib.sh printed why, prefixed with PROG)."""
    out = lib_sh('k=$(resolve_kernel "$1") || exit; '
                 'printf "%s\\0" "$k" "$(kernel_conf "$k" BOOT)" "$(kernel_conf "$k" CMDLINE)" '
                 '"$(kernel_image "$k")" "$(kernel_modules_dir "$k")" "$(kernel_config "$k")"',
                 kernel, prog=prog)
    return BootKernel(*out.split("\0")[:6])
