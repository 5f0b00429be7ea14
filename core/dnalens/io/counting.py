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


def count_vcf_alleles(path: str | Path) -> int:
    """ALT alleles on a VCF's data lines: the records the reader yields (blank lines left out, as it does)."""
    return sum(len(line.split("\t", 5)[4].split(",")) if line.count("\t") >= 4 else 1
               for line in text_lines(path) if line.strip() and not line.startswith("#"))


def vcf_chromosomes(path: str | Path):
    """The CHROM of each tab-separated data line, in order (nothing else is parsed; the reader judges the rest)."""
    return (line.split("\t", 1)[0] for line in text_lines(path) if "\t" in line and not line.startswith("#"))
