"""A FASTA index (.fai) is checked against its FASTA before use, and our own indexes live in a private cache.

A stale index beside a genome, or one planted in a shared cache, shifts every window: most variants would
then fail the REF check, but about a quarter would pass it by chance and be scored from the wrong sequence.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from ..errors import InputError

# How far back from a record's first base its header line is looked for (headers can be long).
HEADER_BYTES = 1 << 16
_BASE_BYTES = frozenset(b"ACGTNacgtnRYSWKMBDHVryswkmbdhv*-.")


class IndexMismatch(Exception):
    """The index does not describe the FASTA file; the message says where."""


def _entries(fai: Path) -> list[tuple[str, int, int, int, int]]:
    entries = []
    names = set()
    for number, line in enumerate(fai.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        fields = line.split("\t")
        if len(fields) < 5:
            raise IndexMismatch(f"line {number} has {len(fields)} columns, not 5")
        try:
            length, offset, bases, width = (int(v) for v in fields[1:5])
        except ValueError:
            raise IndexMismatch(f"line {number} is not numeric") from None
        if fields[0] in names or length < 0 or offset < 0 or bases <= 0 or width < bases or width > bases + 2:
            raise IndexMismatch(f"line {number} ('{fields[0]}') is not a valid index entry")
        names.add(fields[0])
        entries.append((fields[0], length, offset, bases, width))
    if not entries:
        raise IndexMismatch("it is empty")
    return entries


def _check_record(handle, size: int, name: str, length: int, offset: int, bases: int, width: int) -> None:
    # The header line just before the sequence must name this record.
    handle.seek(max(0, offset - HEADER_BYTES))
    before = handle.read(offset - max(0, offset - HEADER_BYTES))
    header = before.rstrip(b"\r\n").rsplit(b"\n", 1)[-1]
    if not before.endswith(b"\n") or header.split()[0:1] != [b">" + name.encode()]:
        raise IndexMismatch(f"record '{name}' does not start at byte {offset}")
    if length == 0:
        return
    last = offset + (length - 1) // bases * width + (length - 1) % bases
    if last >= size:
        raise IndexMismatch(f"record '{name}' would end at byte {last}, past the end of the file ({size} bytes)")
    # The first line is `bases` letters (or the whole record), then its line ending; the last base is a
    # letter followed by a line ending or the end of the file.
    handle.seek(offset)
    first = handle.read(min(bases, length) + (width - bases))
    body = first[:min(bases, length)]
    if not set(body) <= _BASE_BYTES or (length > bases and first[bases:] not in (b"\n", b"\r\n")):
        raise IndexMismatch(f"the lines of record '{name}' are not {bases} bases long")
    handle.seek(last)
    end = handle.read(2)
    if end[:1] not in {bytes([c]) for c in _BASE_BYTES} or end[1:2] not in (b"", b"\n", b"\r"):
        raise IndexMismatch(f"record '{name}' does not end where the index says ({length:,} bases)")


def check_fai(fasta: Path, fai: Path) -> None:
    """Raise IndexMismatch if `fai` does not describe the uncompressed FASTA `fasta`: every record's header,
    first line and last base are checked (a few small reads each), and records must not overlap."""
    entries = sorted(_entries(fai), key=lambda entry: entry[2])
    size = fasta.stat().st_size
    with open(fasta, "rb") as handle:
        end = 0
        for name, length, offset, bases, width in entries:
            if offset < end:
                raise IndexMismatch(f"record '{name}' overlaps the record before it")
            _check_record(handle, size, name, length, offset, bases, width)
            end = offset + (length - 1) // bases * width + (length - 1) % bases + 1 if length else offset


def private_cache_dir() -> Path:
    """A cache folder only this user can write: DNALENS_CACHE, or a per-user folder in the temp dir (0700)."""
    folder = Path(os.environ.get("DNALENS_CACHE") or Path(tempfile.gettempdir()) / f"dnalens-cache-{os.getuid()}")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = folder.lstat()
    if stat.S_ISLNK(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022:
        raise InputError(f"{folder}: the DNALens cache folder is not private to you (owner, permissions or a "
                         "link); remove it or set DNALENS_CACHE to a folder only you can write")
    return folder


def owned_by_me(path: Path) -> bool:
    info = path.lstat()
    return not stat.S_ISLNK(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o022
