"""Read a chromosome into a compact code array and sample training windows from it."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Codes used throughout training: A C G T N. Anything else (IUPAC) becomes N.
NUCLEOTIDE_CODES = {"A": 0, "C": 1, "G": 2, "T": 3}
N_CODE = 4
_COMPLEMENT = np.array([3, 2, 1, 0, 4], dtype=np.uint8)

_LOOKUP = np.full(256, N_CODE, dtype=np.uint8)
for _letter, _code in NUCLEOTIDE_CODES.items():
    _LOOKUP[ord(_letter)] = _code
    _LOOKUP[ord(_letter.lower())] = _code


def encode(sequence: bytes | str) -> np.ndarray:
    """Nucleotide letters (any case) to codes 0-4; soft-masked repeats are kept, not dropped."""
    if isinstance(sequence, str):
        sequence = sequence.encode("ascii")
    return _LOOKUP[np.frombuffer(sequence, dtype=np.uint8)]


def reverse_complement_codes(codes: np.ndarray) -> np.ndarray:
    return _COMPLEMENT[codes[..., ::-1]]


def read_chromosome(path: str | Path, name: str | None = None) -> np.ndarray:
    """Codes of one record of a (gzipped) FASTA file: the first, or the one called `name`."""
    opener = gzip.open if str(path).endswith(".gz") else open
    chunks: list[bytes] = []
    selected = False
    with opener(path, "rb") as handle:
        for line in handle:
            if line.startswith(b">"):
                if selected:
                    break
                record = line[1:].split()[0].decode()
                selected = name is None or record == name
                continue
            if selected:
                chunks.append(line.rstrip())
    if not chunks:
        raise ValueError(f"{path}: no sequence found for record {name or '(first)'}")
    return encode(b"".join(chunks))


@dataclass(frozen=True)
class Region:
    start: int  # 0-based, inclusive
    end: int  # exclusive

    def overlaps(self, start: int, end: int) -> bool:
        return start < self.end and end > self.start


def sample_windows(
    codes: np.ndarray,
    count: int,
    length: int,
    rng: np.random.Generator,
    *,
    within: Region | None = None,
    exclude: Region | None = None,
    max_n_fraction: float = 0.05,
    reverse_complement_rate: float = 0.0,
    annotation: np.ndarray | None = None,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """`count` windows of `length` codes; mostly-N windows are skipped, some windows are reverse-complemented.

    With `annotation` (one flag per base, e.g. the repeat mask), also returns the windows' flags, cut and
    flipped exactly as the codes are; the random draws are the same either way.
    """
    lo = within.start if within else 0
    hi = (within.end if within else len(codes)) - length
    windows = np.empty((count, length), dtype=np.uint8)
    flags = None if annotation is None else np.empty((count, length), dtype=annotation.dtype)
    filled = 0
    while filled < count:
        starts = rng.integers(lo, hi, size=4 * (count - filled))
        for start in starts:
            if exclude is not None and exclude.overlaps(start, start + length):
                continue
            window = codes[start : start + length]
            if np.count_nonzero(window == N_CODE) > max_n_fraction * length:
                continue
            flipped = bool(reverse_complement_rate and rng.random() < reverse_complement_rate)
            windows[filled] = reverse_complement_codes(window) if flipped else window
            if flags is not None:
                window_flags = annotation[start : start + length]
                flags[filled] = window_flags[::-1] if flipped else window_flags
            filled += 1
            if filled == count:
                break
    return windows if flags is None else (windows, flags)
