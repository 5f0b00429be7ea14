"""Streaming FASTA reading (plain or gzip) with validation that names the offending record."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..sequence import normalise


@dataclass(frozen=True)
class SequenceRecord:
    id: str
    sequence: str
    description: str = ""


def require_regular_file(path: str | Path) -> Path:
    """The path, if it is a readable regular file; a one-line error otherwise."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a file")
    if not path.is_file():  # opening a FIFO would wait for ever, and a pipe cannot be read twice
        raise InputError(f"{path}: is not a regular file (a pipe, FIFO or device); DNALens reads its inputs "
                         "more than once: save it to a file first")
    return path


def open_text(path: str | Path):
    """Open a possibly gzip-compressed text file; the content, not the name, decides."""
    path = require_regular_file(path)
    with open(path, "rb") as probe:
        magic = probe.read(2)
    # utf-8-sig: a byte-order mark (Windows editors) is not part of the first line.
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rt", encoding="utf-8-sig", errors="replace", newline=None)
    return open(path, encoding="utf-8-sig", errors="replace", newline=None)


def text_lines(path: str | Path) -> Iterator[str]:
    """Lines of a (possibly gzip-compressed) text file; a truncated or corrupt stream is an InputError."""
    try:
        with open_text(path) as handle:
            yield from handle
    except (EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise InputError(f"{path}: the compressed file is truncated or corrupt ({error})") from None


def _parse_header(line: str, path, line_number: int) -> tuple[str, str]:
    """The id and description of a '>' line."""
    header = line[1:].strip()
    if not header:
        raise InputError(f"{path}: line {line_number}: header without an id")
    # Any whitespace ends the id: a tab in a header must not become a column of the output.
    record_id, *rest = header.split(None, 1)
    return record_id, rest[0] if rest else ""


def _remember_unique(seen: set[str], record_id: str, path, line_number: int) -> None:
    if record_id in seen:
        raise InputError(f"{path}: duplicate record id '{record_id}' (line {line_number})")
    seen.add(record_id)


def read_fasta(path: str | Path, *, unique_ids: bool = True) -> Iterator[SequenceRecord]:
    """Yield records one at a time, so memory does not grow with the file.

    Raises InputError for an empty file, text before the first header, an empty record, a header without
    an id, duplicate ids (when `unique_ids`), non-DNA letters and truncated gzip streams.
    """
    seen: set[str] = set()
    record_id: str | None = None
    description = ""
    chunks: list[str] = []
    count = 0

    def finish() -> SequenceRecord:
        sequence = "".join(chunks)
        if not sequence:
            raise InputError(f"{path}: record '{record_id}' has no sequence")
        try:
            return SequenceRecord(record_id, normalise(sequence, record_id), description)
        except InputError as error:
            raise InputError(f"{path}: {error}") from None

    for line_number, line in enumerate(text_lines(path), start=1):
        line = line.strip()
        if not line:
            continue
        if line.startswith(">"):
            if record_id is not None:
                yield finish()
            record_id, description = _parse_header(line, path, line_number)
            if unique_ids:
                _remember_unique(seen, record_id, path, line_number)
            chunks = []
            count += 1
        elif record_id is None:
            raise InputError(f"{path}: line {line_number}: sequence before the first '>' header; "
                             "is this a FASTA file?")
        else:
            chunks.append(line.replace(" ", ""))
    if record_id is not None:
        yield finish()
    if count == 0:
        raise InputError(f"{path}: no FASTA records found (empty file?)")
