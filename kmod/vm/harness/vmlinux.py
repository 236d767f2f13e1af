"""The uncompressed kernel (vmlinux) from a bzImage, for QEMU to boot through its PVH entry.

QEMU boots an ELF vmlinux with a PVH entry note directly. That skips the decompression of the
bzImage, which under TCG costs about 2.5 s per boot for the xz-compressed 6.1 image. The
extraction works like the kernel's scripts/extract-vmlinux: every place where a compressed
stream's magic occurs is tried until one decompresses to an ELF with that note. Cached per
kernel in build/vm/<kver>/vmlinux, with the source image's name, size and mtime in
vmlinux.source (as `stat -c '%n %s %Y'` prints them).
"""

from __future__ import annotations

import lzma
import os
import struct
import subprocess
import zlib
from pathlib import Path
from typing import Callable, Iterator

from .locks import exclusive

# XEN_ELFNOTE_PHYS32_ENTRY: the 32-bit PVH entry point QEMU looks for (readelf -n calls it
# "Unknown note type: (0x00000012)").
PVH_NOTE_TYPE = 0x12
# Magic bytes of the compressed streams a bzImage can hold, in the order they are tried (the
# Debian kernels are xz-compressed).
XZ_MAGIC = b"\xfd7zXZ\x00"
ZSTD_MAGIC = b"(\xb5/\xfd"
GZIP_MAGIC = b"\x1f\x8b\x08"
# Input fed to a decompressor at a time: the output grows to the size of the kernel (~60 MB).
CHUNK = 1 << 20

ELF_MAGIC = b"\x7fELF"
ELFCLASS64 = 2
SHT_NOTE = 7
PT_NOTE = 4


def _offsets(data: bytes, magic: bytes) -> Iterator[int]:
    pos = data.find(magic)
    while pos >= 0:
        yield pos
        pos = data.find(magic, pos + 1)


def _stream_decompress(decompressor, data: bytes, pos: int, out) -> None:
    """Writes what DECOMPRESSOR (lzma or zlib) makes of DATA from POS up to the end of its
    stream; like `tail -c+POS | xz -dc`, what came out before an error is kept."""
    try:
        while pos < len(data) and not decompressor.eof:
            out.write(decompressor.decompress(data[pos:pos + CHUNK]))
            pos += CHUNK
    except (lzma.LZMAError, zlib.error):
        pass


def _decompress(kind: str, data: bytes, pos: int, target: Path) -> None:
    with target.open("wb") as out:
        if kind == "xz":
            _stream_decompress(lzma.LZMADecompressor(lzma.FORMAT_XZ), data, pos, out)
        elif kind == "gzip":
            _stream_decompress(zlib.decompressobj(wbits=16 + zlib.MAX_WBITS), data, pos, out)
        else:   # zstd: not in the standard library
            subprocess.run(["zstd", "-dc"], input=data[pos:], stdout=out, stderr=subprocess.DEVNULL)


def _note_types(elf: bytes, offset: int, size: int) -> Iterator[int]:
    """The types of the ELF notes in ELF[offset:offset+size] (namesz, descsz, type, name, desc;
    name and desc padded to 4 bytes)."""
    end = min(offset + size, len(elf))
    while offset + 12 <= end:
        namesz, descsz, ntype = struct.unpack_from("<III", elf, offset)
        yield ntype
        offset += 12 + (namesz + 3) // 4 * 4 + (descsz + 3) // 4 * 4


def has_pvh_note(path: Path) -> bool:
    """Is PATH a 64-bit little-endian ELF with a PVH entry note (in a note section or
    segment, whichever readelf -n would show)?"""
    try:
        elf = path.read_bytes()
        if elf[:4] != ELF_MAGIC or elf[4] != ELFCLASS64:
            return False
        phoff, shoff = struct.unpack_from("<QQ", elf, 0x20)
        phentsize, phnum, shentsize, shnum = struct.unpack_from("<HHHH", elf, 0x36)
        notes = []
        for i in range(shnum):
            sh_type, = struct.unpack_from("<I", elf, shoff + i * shentsize + 4)
            sh_offset, sh_size = struct.unpack_from("<QQ", elf, shoff + i * shentsize + 0x18)
            if sh_type == SHT_NOTE:
                notes.append((sh_offset, sh_size))
        for i in range(phnum):
            p_type, = struct.unpack_from("<I", elf, phoff + i * phentsize)
            p_offset, = struct.unpack_from("<Q", elf, phoff + i * phentsize + 8)
            p_filesz, = struct.unpack_from("<Q", elf, phoff + i * phentsize + 0x20)
            if p_type == PT_NOTE:
                notes.append((p_offset, p_filesz))
        return any(t == PVH_NOTE_TYPE for off, size in notes for t in _note_types(elf, off, size))
    except (OSError, struct.error, IndexError):
        return False


def _image_stamp(image: str) -> str:
    """`stat -c '%n %s %Y'` of the image: name, size and mtime."""
    st = os.lstat(image)
    return f"{image} {st.st_size} {st.st_mtime_ns // 10**9}"


def _extract(image: str, vmlinux: Path) -> bool:
    data = Path(image).read_bytes()
    tmp = vmlinux.with_name(vmlinux.name + ".tmp")
    for kind, magic in (("xz", XZ_MAGIC), ("zstd", ZSTD_MAGIC), ("gzip", GZIP_MAGIC)):
        for pos in _offsets(data, magic):
            _decompress(kind, data, pos, tmp)
            if has_pvh_note(tmp):
                tmp.replace(vmlinux)
                return True
    tmp.unlink(missing_ok=True)
    return False


def ensure(image: str, kbuild_dir: Path) -> Path | None:
    """KBUILD_DIR/vmlinux extracted from bzImage IMAGE (once, and again when the image
    changes), or None if the image holds no PVH-bootable vmlinux."""
    vmlinux = kbuild_dir / "vmlinux"
    stamp = kbuild_dir / "vmlinux.source"
    with exclusive(kbuild_dir / "vmlinux.lock"):
        want = _image_stamp(image)
        if (vmlinux.exists() and vmlinux.stat().st_size > 0 and stamp.exists()
                and stamp.read_text().rstrip("\n") == want):
            return vmlinux
        vmlinux.unlink(missing_ok=True)
        stamp.unlink(missing_ok=True)
        if not _extract(image, vmlinux):
            return None
        stamp.write_text(want + "\n")
    return vmlinux
