"""Reading the outputs of `--shard K/N` runs for `dnalens merge`: the header (provenance, columns) apart from
the data lines, in the two layouts DNALens writes.

- Tables (TSV, bedGraph): `# ` provenance lines, then one line that is not a comment (the column header, or a
  bedGraph's `track` line), then data.
- Annotated VCF: `##` meta lines with `##dnalens_provenance=` lines among them, the `#CHROM` line, then data.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path

from ..errors import InputError
from ..provenance import PARAMETERS
from .fasta import text_lines

TABLE_PREFIX = "# "
VCF_PREFIX = "##dnalens_provenance="


@dataclass
class ShardFile:
    path: Path
    format: str  # "table" or "VCF"
    header: list[str]  # every line before the data, with its newline
    parameters_at: int  # index of the provenance parameters line in `header`
    parameters: dict

    @property
    def prefix(self) -> str:
        return VCF_PREFIX if self.format == "VCF" else TABLE_PREFIX

    def data(self) -> Iterator[str]:
        """The data lines, read again from the file (streamed)."""
        return islice(text_lines(self.path), len(self.header), None)


def read_shard_file(path: str | Path) -> ShardFile:
    path = Path(path)
    lines = text_lines(path)
    first = next(lines, "")
    vcf = first.startswith("##fileformat=VCF")
    header = _header(chain([first], lines), vcf)
    if not header or not _ends_header(header[-1], vcf):
        raise InputError(f"{path}: not a DNALens table or annotated VCF (its header does not end)")
    prefix = (VCF_PREFIX if vcf else TABLE_PREFIX) + PARAMETERS
    found = [i for i, line in enumerate(header) if line.startswith(prefix)]
    if not found:
        raise InputError(f"{path}: no DNALens provenance ('{prefix.strip()}' line): not an output of a dnalens run")
    try:
        parameters = json.loads(header[found[0]][len(prefix):])
    except ValueError:
        parameters = None
    if not isinstance(parameters, dict):
        raise InputError(f"{path}: its provenance parameters line is not a JSON object")
    return ShardFile(path, "VCF" if vcf else "table", header, found[0], parameters)


def _ends_header(line: str, vcf: bool) -> bool:
    """A VCF's #CHROM line; a table's first line that is not a comment (its columns, or bedGraph's track)."""
    return line.startswith("#CHROM") if vcf else not line.startswith("#")


def _header(lines: Iterable[str], vcf: bool) -> list[str]:
    header: list[str] = []
    for line in lines:
        if not line:
            break
        header.append(line)
        if _ends_header(line, vcf):
            break
    return header
