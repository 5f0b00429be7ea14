"""Labelled examples: sequences with a class or a number each, read from a TSV or a FASTA plus a label table."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..io.fasta import read_fasta
from ..io.tables import parse_number, read_labels, read_table
from ..sequence import normalise


@dataclass
class Labelled:
    ids: list[str]
    sequences: list[str]
    targets: list[str]
    source: str = "labels"  # the file the labels came from, for messages
    files: tuple[str, ...] = ()  # every file read (the FASTA too), which no output may replace


def read_labelled(path: str | Path, labels: str | Path | None = None) -> Labelled:
    """A TSV with `sequence` and `label` columns (and optionally `id`), or a FASTA plus an id→label table."""
    if labels is not None:
        label_map = read_labels(labels)
        records = list(read_fasta(path))
        missing = [r.id for r in records if r.id not in label_map]
        if missing:
            raise InputError(f"{labels}: no label for sequence '{missing[0]}' ({len(missing)} missing)")
        return Labelled([r.id for r in records], [r.sequence for r in records], [label_map[r.id] for r in records],
                        str(labels), (str(path), str(labels)))
    columns, rows = read_table(path)
    for needed in ("sequence", "label"):
        if needed not in columns:
            raise InputError(f"{path}: needs columns 'sequence' and 'label' (found: {', '.join(columns)}); "
                             "or give a FASTA file with --labels")
    ids = [row.get("id") or f"row{i}" for i, row in enumerate(rows, start=1)]
    sequences = [normalise(row["sequence"], ids[i]) for i, row in enumerate(rows)]
    if not sequences:
        raise InputError(f"{path}: no rows")
    return Labelled(ids, sequences, [row["label"] for row in rows], str(path), (str(path),))


def targets_of(raw: list[str], task: str, source: str) -> np.ndarray:
    """The labels as classes (at least two, none empty) or as finite numbers, for `task`."""
    if task == "classification":
        empty = sum(not label.strip() for label in raw)
        if empty:
            raise InputError(f"{source}: {empty} example(s) have an empty label; label every example")
        if len(set(raw)) < 2:
            raise InputError(f"{source}: classification needs at least two different labels")
        return np.array(raw)
    values = []
    for value in raw:
        try:
            values.append(parse_number(value))
        except ValueError:
            raise InputError(f"{source}: regression needs finite numeric targets; found '{value}'") from None
    return np.array(values)
