"""Streaming VCF reading: header, and one record per ALT allele (multi-allelic sites are split)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from .fasta import text_lines


@dataclass(frozen=True)
class Variant:
    chrom: str
    pos: int  # 1-based, as in the VCF
    id: str
    ref: str
    alt: str
    line: int  # line number in the VCF, for messages
    fields: tuple[str, ...] = field(repr=False, default=())  # the original columns, for the annotated VCF

    @property
    def is_snv(self) -> bool:
        return len(self.ref) == 1 and len(self.alt) == 1

    @property
    def is_symbolic(self) -> bool:
        return self.alt.startswith("<") or self.alt in {"*", "."} or "[" in self.alt or "]" in self.alt


@dataclass
class VcfFile:
    path: Path
    header: list[str]  # the ## meta lines and the #CHROM line, without newlines

    def variants(self) -> Iterator[Variant]:
        yield from _records(self.path)


def read_vcf(path: str | Path) -> VcfFile:
    """Read and check the header; records are streamed by `VcfFile.variants()`."""
    path = Path(path)
    header: list[str] = []
    for line in text_lines(path):
        line = line.rstrip("\r\n")
        if line.startswith("##"):
            header.append(line)
            continue
        if line.startswith("#CHROM"):
            header.append(line)
            break
        if not line.strip():
            continue
        raise InputError(f"{path}: the VCF header (a '#CHROM POS ID REF ALT …' line) is missing")
    if not header or not header[-1].startswith("#CHROM"):
        raise InputError(f"{path}: not a VCF file: no '#CHROM' header line" + (" (empty file)" if not header else ""))
    if not header[0].startswith("##fileformat=VCF"):
        raise InputError(f"{path}: the first line must be '##fileformat=VCFv4.x'")
    return VcfFile(path, header)


def _records(path: Path) -> Iterator[Variant]:
    for line_number, line in enumerate(text_lines(path), start=1):
        line = line.rstrip("\r\n")
        if not line.strip() or line.startswith("#"):
            continue
        columns = line.split("\t")
        if len(columns) < 5:
            raise InputError(f"{path}: line {line_number}: expected at least 5 tab-separated columns "
                             f"(CHROM POS ID REF ALT), found {len(columns)}")
        chrom, pos_text, variant_id, ref, alts = columns[:5]
        try:
            pos = int(pos_text)
        except ValueError:
            raise InputError(f"{path}: line {line_number}: POS '{pos_text}' is not a number") from None
        if pos < 1:
            raise InputError(f"{path}: line {line_number}: POS {pos} must be 1 or more")
        ref = ref.upper()
        if not ref or set(ref) - set("ACGTN"):
            raise InputError(f"{path}: line {line_number}: REF '{columns[3]}' is not a DNA allele")
        for alt in alts.split(","):
            yield Variant(chrom, pos, variant_id, ref, alt.upper(), line_number, tuple(columns))
