"""A writer of cpio archives in the "newc" format (SVR4 without CRC), the format the kernel
unpacks as an initramfs; what `cpio -o -H newc -R 0:0` writes, owned by root."""

from __future__ import annotations

import stat
from dataclasses import dataclass

NEWC_MAGIC = b"070701"
TRAILER_NAME = "TRAILER!!!"
# GNU cpio pads the archive to whole blocks of this size; the kernel does not need it.
ARCHIVE_BLOCK = 512


@dataclass(frozen=True)
class Entry:
    """One archive member. NAME is relative, without "./" (as GNU cpio stores it)."""
    name: str
    mode: int               # file type and permission bits, as st_mode
    data: bytes = b""
    rdev: tuple[int, int] = (0, 0)   # (major, minor) of a device node
    nlink: int = 1


def directory(name: str, perm: int = 0o755) -> Entry:
    return Entry(name, stat.S_IFDIR | perm, nlink=2)


def regular(name: str, data: bytes, perm: int = 0o644) -> Entry:
    return Entry(name, stat.S_IFREG | perm, data)


def char_device(name: str, major: int, minor: int, perm: int = 0o600) -> Entry:
    return Entry(name, stat.S_IFCHR | perm, rdev=(major, minor))


def _pad4(n: int) -> bytes:
    return b"\0" * (-n % 4)


def _member(ino: int, name: str, mode: int, nlink: int, mtime: int, data: bytes,
            rdev: tuple[int, int]) -> bytes:
    encoded = name.encode() + b"\0"
    fields = (ino, mode, 0, 0, nlink, mtime, len(data), 0, 0, rdev[0], rdev[1], len(encoded), 0)
    header = NEWC_MAGIC + b"".join(b"%08X" % f for f in fields) + encoded
    return header + _pad4(len(header)) + data + _pad4(len(data))


def archive(entries: list[Entry], mtime: int) -> bytes:
    """The archive of ENTRIES in their order (parents before their contents), all owned by
    0:0 with modification time MTIME, then the trailer."""
    parts = [_member(ino, e.name, e.mode, e.nlink, mtime, e.data, e.rdev)
             for ino, e in enumerate(entries, start=1)]
    parts.append(_member(0, TRAILER_NAME, 0, 1, 0, b"", (0, 0)))
    out = b"".join(parts)
    return out + b"\0" * (-len(out) % ARCHIVE_BLOCK)
