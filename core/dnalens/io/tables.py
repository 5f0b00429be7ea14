"""Reading the tab-separated tables DNALens writes or takes: '#' lines are provenance, then a header row."""

from __future__ import annotations

import math
import re
from pathlib import Path

from ..errors import InputError
from .fasta import text_lines

# A decimal number as people write it in a table: no '1_000' (Python's float accepts it), no words.
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def parse_number(text: str) -> float:
    """A finite number from a table cell, or ValueError."""
    text = text.strip()
    if not _NUMBER.match(text):
        raise ValueError(f"not a number: {text!r}")
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {text!r}")
    return value


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
            repeated = sorted({c for c in cells if cells.count(c) > 1})
            if repeated:
                raise InputError(f"{path}: the header names column '{repeated[0]}' more than once")
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
        key, label = cells[0].strip(), cells[1].strip()
        if not label:
            raise InputError(f"{path}: line {line_number}: '{key}' has an empty label")
        if labels.get(key, label) != label:
            raise InputError(f"{path}: line {line_number}: '{key}' is labelled twice ('{labels[key]}', '{label}')")
        labels[key] = label
    if not labels:
        raise InputError(f"{path}: no labels found")
    return labels
