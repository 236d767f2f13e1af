"""The guest's initramfs: static busybox, kmod/vm/guest-init as /init, and the kernel modules
that mount the 9p shares, with their dependencies from modules.dep (dependencies first).

Cached per kernel in build/vm/<kver>/initramfs.cpio.gz and rebuilt when an input changes
(initramfs.digest: a SHA-256 over the inputs as sha256sum(1) and stat(1) describe them).
"""

from __future__ import annotations

import gzip
import hashlib
import lzma
import os
import re
import subprocess
import time
from pathlib import Path
from typing import Callable

from . import cpio
from .locks import exclusive

# Modules needed to mount the 9p shares (the ones built in or absent for a kernel are skipped).
GUEST_MODULES = ("virtio_ring", "virtio", "virtio_pci_legacy_dev", "virtio_pci_modern_dev",
                 "virtio_pci", "netfs", "fscache", "9pnet", "9pnet_virtio", "9p")
# Bump when the initramfs layout changes in a way its inputs do not capture.
INITRAMFS_FORMAT = 1
# Directories of the initramfs root besides those that hold files: guest-init's mount points.
ROOT_DIRS = ("bin", "dev", "proc", "sys", "modules", "newroot", "ctl")
# The kernel opens /dev/console for init's stdio (character device 5:1; the archive carries the
# node whoever builds it, no mknod needed). Without it init would still work: it mounts
# devtmpfs and redirects to /dev/console itself.
CONSOLE_DEVICE = (5, 1)
# The compression level of gzip(1)'s default: the archive is built on every input change.
GZIP_LEVEL = 6
MODULE_SUFFIX_RE = re.compile(r"\.ko(\.(xz|zst|gz))?$")


class ModuleDeps:
    """A kernel's modules.dep: lines "kernel/fs/9p/9p.ko.xz: kernel/net/9p/9pnet.ko.xz ...",
    module paths relative to the module directory."""

    def __init__(self, moddir: Path):
        self.deps: dict[str, list[str]] = {}
        self.by_name: dict[str, str] = {}
        for line in (moddir / "modules.dep").read_text(errors="surrogateescape").splitlines():
            fields = line.split(":")
            path = fields[0]
            deps = fields[1].split() if len(fields) > 1 else []
            self.deps.setdefault(path, deps)           # the first line of a path counts
            # '-' and '_' are interchangeable in module names.
            name = MODULE_SUFFIX_RE.sub("", path.rsplit("/", 1)[-1]).replace("-", "_")
            self.by_name.setdefault(name, path)

    def path_of(self, name: str) -> str | None:
        """The module file of module NAME, or None: built into the kernel or absent."""
        return self.by_name.get(name.replace("-", "_"))

    def load_order(self, names: tuple[str, ...]) -> list[str]:
        """The module paths of NAMES and their dependencies, depth-first post-order:
        dependencies before the modules that need them."""
        ordered: list[str] = []
        visited: set[str] = set()

        def visit(path: str) -> None:
            if path in visited:
                return
            visited.add(path)
            for dep in self.deps.get(path, []):
                visit(dep)
            ordered.append(path)

        for name in names:
            path = self.path_of(name)
            if path is not None:    # built in (virtio on 6.12) or gone (fscache went into netfs)
                visit(path)
        return ordered


def _sha256_line(path: str) -> str:
    """A line of sha256sum(1)'s output for PATH."""
    with open(path, "rb") as f:
        return f"{hashlib.file_digest(f, 'sha256').hexdigest()}  {path}\n"


def _stat_line(path: str) -> str:
    """A line of `stat -c '%n %s %Y'` for PATH (the link itself, not its target)."""
    st = os.lstat(path)
    return f"{path} {st.st_size} {st.st_mtime_ns // 10**9}\n"


def inputs_digest(kver: str, guest_init: str, busybox: str, moddir: str, modules: list[str]) -> str:
    """The digest over everything the archive is made of: the format, the kernel, guest-init's
    and busybox's contents, and the module files' sizes and modification times."""
    text = f"format={INITRAMFS_FORMAT} kver={kver}\n"
    text += _sha256_line(guest_init) + _sha256_line(busybox)
    text += "".join(_stat_line(f"{moddir}/{p}") for p in modules)
    return hashlib.sha256(text.encode(errors="surrogateescape")).hexdigest()


def _module_elf(path: Path) -> bytes:
    """The module file PATH uncompressed: busybox insmod passes the file to init_module(),
    which needs a plain ELF."""
    name = path.name
    if name.endswith(".ko.xz"):
        return lzma.decompress(path.read_bytes())
    if name.endswith(".ko.zst"):     # no zstd in the standard library
        return subprocess.run(["zstd", "-qdc", str(path)], stdout=subprocess.PIPE, check=True).stdout
    if name.endswith(".ko.gz"):
        return gzip.decompress(path.read_bytes())
    if name.endswith(".ko"):
        return path.read_bytes()
    raise ValueError(f"unexpected module file {path}")


def _entries(busybox: str, guest_init: str, moddir: Path, modules: list[str]) -> list[cpio.Entry]:
    entries = [cpio.directory(d) for d in ROOT_DIRS]
    entries.append(cpio.regular("bin/busybox", Path(busybox).read_bytes(), 0o755))
    entries.append(cpio.regular("init", Path(guest_init).read_bytes(), 0o755))
    entries.append(cpio.char_device("dev/console", *CONSOLE_DEVICE))
    names = []
    for p in modules:
        name = p.rsplit("/", 1)[-1].split(".ko", 1)[0]
        entries.append(cpio.regular(f"modules/{name}.ko", _module_elf(moddir / p)))
        names.append(name)
    entries.append(cpio.regular("modules/load-order", "".join(n + "\n" for n in names).encode()))
    # Parents before their contents: in byte order.
    return sorted(entries, key=lambda e: e.name.encode())


def ensure(kver: str, moddir: str, busybox: str, guest_init: str, kbuild_dir: Path,
           info: Callable[[str], None]) -> Path:
    """Builds KBUILD_DIR/initramfs.cpio.gz for kernel KVER unless the cached one is up to date
    (concurrent boots of one kernel build it once); returns its path."""
    initramfs = kbuild_dir / "initramfs.cpio.gz"
    stamp = kbuild_dir / "initramfs.digest"
    modules = ModuleDeps(Path(moddir)).load_order(GUEST_MODULES)
    with exclusive(kbuild_dir / "initramfs.lock"):
        digest = inputs_digest(kver, guest_init, busybox, moddir, modules)
        if (initramfs.exists() and initramfs.stat().st_size > 0 and stamp.exists()
                and stamp.read_text().rstrip("\n") == digest):
            return initramfs
        info(f"building initramfs for {kver} ({initramfs})")
        archive = cpio.archive(_entries(busybox, guest_init, Path(moddir), modules), int(time.time()))
        tmp = initramfs.with_name(initramfs.name + ".tmp")
        tmp.write_bytes(gzip.compress(archive, compresslevel=GZIP_LEVEL, mtime=0))
        tmp.replace(initramfs)
        stamp.write_text(digest + "\n")
    return initramfs
