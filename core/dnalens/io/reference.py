"""Reference genome access by chromosome and coordinates, with `chr1`/`1` naming reconciled."""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

from ..errors import InputError
from ..sequence import IUPAC_TO_N
from .fasta import read_fasta, require_regular_file
from .fasta_index import IndexMismatch, check_fai, owned_by_me, private_cache_dir


def _fingerprint(path: Path) -> str:
    stat = path.stat()
    key = f"{path.resolve()}:{stat.st_dev}:{stat.st_ino}:{stat.st_size}:{stat.st_mtime_ns}"
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(2) == b"\x1f\x8b"


def _index_for(path: Path) -> Path:
    """The .fai to use: the user's own beside the genome if it matches it, else ours in the private cache."""
    beside = Path(f"{path}.fai")
    if beside.exists():
        try:
            check_fai(path, beside)
        except (IndexMismatch, OSError, UnicodeError) as problem:
            raise InputError(f"{beside} does not match {path} ({problem}): it is stale or belongs to another "
                             "file; delete it or rebuild it (samtools faidx)") from None
        return beside
    cached = private_cache_dir() / f"{_fingerprint(path)}.fai"
    if cached.exists():
        try:
            if not owned_by_me(cached):
                raise IndexMismatch("not written by you")
            check_fai(path, cached)
        except (IndexMismatch, OSError, UnicodeError):
            cached.unlink()  # ours to rebuild
    return cached


def reference_files(path: str | Path | None) -> list[Path]:
    """The genome and the index files read with it: none of them may be an output."""
    return [Path(path), Path(f"{path}.fai"), Path(f"{path}.gzi")] if path else []


class Reference:
    """Random access to a reference FASTA.

    Uses an indexed reader (pyfaidx: plain or bgzip with .fai) when it can; otherwise (plain gzip) it reads
    the sequences into memory once.
    """

    def __init__(self, path: str | Path):
        self.path = require_regular_file(path)
        self._indexed = None
        self._in_memory: dict[str, str] | None = None
        # Never write next to the user's genome: use its .fai if it has one, else index into a private cache.
        # Compressed genomes are read whole: their byte offsets cannot be checked without decompressing.
        index = None if _is_gzip(self.path) else _index_for(self.path)
        try:
            import pyfaidx

            if index is None:
                raise ValueError("compressed")
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
        if self._indexed is not None:  # IUPAC codes become N, as in FASTA input
            return str(self._indexed[chrom][start:end]).upper().translate(IUPAC_TO_N)
        return self._in_memory[chrom][start:end]

    def close(self) -> None:
        if self._indexed is not None:
            self._indexed.close()
