"""Writing the tab-separated tables of DNALens: '#' provenance lines, a header row, then one row per record.

The file is one of an `OutputSet`'s temporary files, so it appears under its name only when the whole run
succeeds (outputs.py). Values are formatted once, here, for every table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO

from .outputs import OutputSet


def format_value(value) -> str:
    """Numbers with enough digits for a round trip of float32 results, empty for missing."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.7g}"
    return str(value)


def format_row(values: Iterable) -> str:
    return "\t".join(format_value(value) for value in values) + "\n"


class TsvWriter:
    """Rows of one table, given as mappings (by column name) or as sequences in column order."""

    def __init__(self, handle: IO[str], header_lines: Iterable[str], columns: Sequence[str]):
        self.handle = handle
        self.columns = list(columns)
        self.rows = 0
        for line in header_lines:
            handle.write(f"# {line}\n")
        handle.write("\t".join(self.columns) + "\n")

    @classmethod
    def open(cls, outputs: OutputSet, path: str | Path, header_lines: Iterable[str],
             columns: Sequence[str]) -> TsvWriter:
        return cls(outputs.open_text(path), header_lines, columns)

    def write(self, row: Mapping | Sequence) -> None:
        values = [row[column] for column in self.columns] if isinstance(row, Mapping) else row
        self.handle.write(format_row(values))
        self.rows += 1

    def write_all(self, rows: Iterable[Mapping | Sequence]) -> None:
        for row in rows:
            self.write(row)
