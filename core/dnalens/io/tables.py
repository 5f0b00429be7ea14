"""Reading the tab-separated tables DNALens writes or takes: '#' lines are provenance, then a header row."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from .fasta import text_lines


def read_table(path: str | Path) -> tuple[list[str], list[dict[str, str]]]:
    """Columns and rows of a TSV, skipping leading '#' lines."""
    columns: list[str] | None = None
    rows: list[dict[str, str]] = []
    for line_number, line in enumerate(text_lines(path), start=1):
        line = line.rstrip("\r\n")
        if not line.strip() or (columns is None and line.startswith("#")):
            continue
        cells = line.split("\t")
        if columns is None:
            columns = cells
            continue
        if len(cells) != len(columns):
            raise InputError(f"{path}: line {line_number} has {len(cells)} columns, the header has {len(columns)}")
        rows.append(dict(zip(columns, cells)))
    if columns is None:
        raise InputError(f"{path}: empty table (no header row)")
    return columns, rows


def read_labels(path: str | Path) -> dict[str, str]:
    """Sequence id → label, from a two-column TSV (id, label); a header row is allowed."""
    labels: dict[str, str] = {}
    for line_number, line in enumerate(text_lines(path), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.rstrip("\r\n").split("\t")
        if len(cells) < 2:
            raise InputError(f"{path}: line {line_number}: expected 'id<TAB>label'")
        labels[cells[0]] = cells[1]
    if not labels:
        raise InputError(f"{path}: no labels found")
    return labels
