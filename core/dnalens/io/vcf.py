"""VCF reading (streamed: the header, then one record per ALT allele, multi-allelic sites split) and writing
(the annotated VCF: plain text, or BGZF with a tabix index)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from ..errors import InputError
from .bgzf import BgzfWriter, TabixIndexer
from .fasta import text_lines
from .outputs import OutputSet


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


class AnnotatedVcfWriter:
    """The input VCF's records with added INFO fields, one line per ALT allele (so sample columns are dropped).

    A name ending in .gz (or .bgz) gives BGZF, which bcftools and tabix read, and a tabix index beside it
    (NAME.tbi) when the records are sorted; otherwise plain text. Files come from an `OutputSet`, so a failed run
    leaves neither.
    """

    def __init__(self, outputs: OutputSet, final: str | Path, header: list[str], info: list[tuple[str, str, str]],
                 provenance: list[str], warn: Callable[[str], None]):
        """`header`: the input's meta lines and #CHROM line; `info`: (ID, Type, Description) of the added fields."""
        self._outputs, self._final, self._warn = outputs, Path(final), warn
        self._compressed = self._final.suffix in (".gz", ".bgz")
        self.paths = [self._final]
        if self._compressed:
            self._handle: IO = open(outputs.path(final), "wb")  # closed by finish(); OutputSet removes it on failure
            self._bgzf: BgzfWriter | None = BgzfWriter(self._handle)
            self._index: TabixIndexer | None = TabixIndexer()
        else:
            self._handle, self._bgzf, self._index = outputs.open_text(final), None, None
        lines = header[:-1] + [f'##INFO=<ID={name},Number=1,Type={kind},Description="{text}">'
                               for name, kind, text in info]
        lines += [f"##dnalens_provenance={line}" for line in provenance]
        lines.append("\t".join(header[-1].split("\t")[:8]))
        self._write("".join(line + "\n" for line in lines))

    def _write(self, text: str) -> None:
        if self._bgzf is None:
            self._handle.write(text)
        else:
            self._bgzf.write(text.encode("utf-8"))

    def write(self, variant: Variant, values: dict[str, float | str | None]) -> None:
        """One record for `variant`'s ALT allele; None values are left out, text is made INFO-safe."""
        fields = list(variant.fields[:8]) + ["."] * (8 - len(variant.fields[:8]))
        fields[4] = variant.alt
        info = [] if fields[7] in ("", ".") else [fields[7]]
        for name, value in values.items():
            if isinstance(value, str):
                info.append(f"{name}={value.replace(';', ',').replace('=', ':').replace(' ', '_')}")
            elif value is not None:
                info.append(f"{name}={float(value):.6g}")
        fields[7] = ";".join(info) or "."
        start = self._bgzf.tell() if self._bgzf else 0
        self._write("\t".join(fields) + "\n")
        if self._index is not None and self._bgzf is not None:
            begin = variant.pos - 1
            self._index.add(variant.chrom, begin, _record_end(variant, begin), start, self._bgzf.tell())

    def finish(self) -> list[Path]:
        """Ends the file (and writes its index); the paths that will exist once the output set succeeds."""
        if self._bgzf is None or self._index is None:
            return self.paths
        self._bgzf.close()
        self._handle.close()
        index = self._final.with_name(self._final.name + ".tbi")
        if self._index.sorted:
            with open(self._outputs.path(index), "wb") as handle:
                self._index.write(handle)
            self.paths.append(index)
        else:
            self._outputs.remove_on_success(index)  # an earlier run's index would point into the old file
            self._warn(f"{self._final}: no tabix index written: the VCF is not sorted ({self._index.problem}); "
                       f"sort it (bcftools sort -Oz) and index it (tabix -p vcf) to query regions")
        return self.paths


def _record_end(variant: Variant, begin: int) -> int:
    """End of the record for the index, as tabix computes it: from REF, or INFO END= (symbolic alleles)."""
    for entry in (variant.fields[7] if len(variant.fields) > 7 else "").split(";"):
        if entry.startswith("END="):
            try:
                return max(int(entry[4:]), begin + 1)
            except ValueError:
                break
    return begin + len(variant.ref)
