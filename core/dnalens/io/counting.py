"""Cheap pre-pass counts, so progress bars can show a total and the time left."""

from __future__ import annotations

from pathlib import Path

from .fasta import text_lines


def count_lines_starting(path: str | Path, prefix: str, skip: str | None = None) -> int:
    return sum(1 for line in text_lines(path) if line.startswith(prefix) and not (skip and line.startswith(skip)))


def count_fasta_records(path: str | Path) -> int:
    return count_lines_starting(path, ">")


def fasta_lengths(path: str | Path) -> list[int]:
    """Bases per record (letters on sequence lines, whitespace left out), without validating them."""
    lengths: list[int] = []
    for line in text_lines(path):
        if line.startswith(">"):
            lengths.append(0)
        elif lengths:
            lengths[-1] += len("".join(line.split()))
    return lengths
