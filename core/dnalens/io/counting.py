"""Cheap pre-pass counts, so progress bars can show a total and the time left."""

from __future__ import annotations

from pathlib import Path

from .fasta import open_text


def count_lines_starting(path: str | Path, prefix: str, skip: str | None = None) -> int:
    count = 0
    with open_text(path) as handle:
        for line in handle:
            if line.startswith(prefix) and not (skip and line.startswith(skip)):
                count += 1
    return count


def count_fasta_records(path: str | Path) -> int:
    return count_lines_starting(path, ">")
