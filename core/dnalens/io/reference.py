"""Reference genome access by chromosome and coordinates, with `chr1`/`1` naming reconciled."""

from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
from pathlib import Path

from ..errors import InputError
from .fasta import read_fasta


def _cache_dir() -> Path:
    folder = Path(os.environ.get("DNALENS_CACHE", Path(tempfile.gettempdir()) / "dnalens-cache"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _fingerprint(path: Path) -> str:
    stat = path.stat()
    return hashlib.sha256(f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:24]


class Reference:
    """Random access to a reference FASTA.

    Uses an indexed reader (pyfaidx: plain or bgzip with .fai) when it can; otherwise (plain gzip) it reads
    the sequences into memory once.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._indexed = None
        self._in_memory: dict[str, str] | None = None
        try:
            import pyfaidx

            # Never write next to the user's genome: use its .fai if it has one, else index into a cache.
            beside = Path(f"{self.path}.fai")
            index = beside if beside.exists() else _cache_dir() / f"{_fingerprint(self.path)}.fai"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._indexed = pyfaidx.Fasta(str(self.path), indexname=str(index), as_raw=True,
                                              sequence_always_upper=True, read_ahead=10_000, rebuild=False,
                                              build_index=True)
            self.lengths = {name: len(record) for name, record in self._indexed.items()}
        except Exception:  # not indexable (plain gzip, odd line lengths…): read it whole instead
            self._indexed = None
            self._in_memory = {record.id: record.sequence for record in read_fasta(self.path)}
            self.lengths = {name: len(seq) for name, seq in self._in_memory.items()}
        if not self.lengths:
            raise InputError(f"{self.path}: the reference has no sequences")

    def resolve(self, chrom: str) -> str | None:
        """The reference's name for `chrom`, trying with and without a 'chr' prefix (chrM ↔ MT too)."""
        if chrom in self.lengths:
            return chrom
        candidates = [chrom[3:]] if chrom.startswith("chr") else ["chr" + chrom]
        if chrom in {"chrM", "MT"}:
            candidates.append("MT" if chrom == "chrM" else "chrM")
        return next((name for name in candidates if name in self.lengths), None)

    def fetch(self, chrom: str, start: int, end: int) -> str:
        """Sequence of `chrom` (a resolved name) in 0-based half-open [start, end), upper-case."""
        if self._indexed is not None:
            return str(self._indexed[chrom][start:end]).upper()
        return self._in_memory[chrom][start:end]

    def close(self) -> None:
        if self._indexed is not None:
            self._indexed.close()
