"""Bidirectional k-mer context baseline: P(centre base | k bases left, k bases right), add-one smoothing.

Counted on the same training data as the language model (both strands), so the comparison is fair.
"""

from __future__ import annotations

import numpy as np

from .genome import N_CODE, reverse_complement_codes


def context_index(codes: np.ndarray, centres: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Index in [0, 4^(2k)) of the 2k flanking bases of each centre, and whether all of them are A/C/G/T."""
    index = np.zeros(len(centres), dtype=np.int64)
    valid = np.ones(len(centres), dtype=bool)
    for offset in list(range(-k, 0)) + list(range(1, k + 1)):
        flank = codes[centres + offset].astype(np.int64)
        valid &= flank != N_CODE
        index = index * 4 + np.where(flank == N_CODE, 0, flank)
    return index, valid


class KmerContextModel:
    def __init__(self, k: int):
        self.k = k
        self.counts = np.zeros((4 ** (2 * k), 4), dtype=np.int64)

    def fit(self, codes: np.ndarray, exclude: tuple[int, int] | None = None, block: int = 5_000_000) -> None:
        """Count every position of both strands (outside `exclude`), in blocks to bound memory."""
        k = self.k
        for strand in (codes, reverse_complement_codes(codes)):
            for start in range(k, len(strand) - k, block):
                centres = np.arange(start, min(start + block, len(strand) - k))
                if exclude is not None:
                    lo, hi = exclude if strand is codes else (len(codes) - exclude[1], len(codes) - exclude[0])
                    centres = centres[(centres < lo - k) | (centres >= hi + k)]
                centre = strand[centres]
                index, valid = context_index(strand, centres, k)
                keep = valid & (centre != N_CODE)
                flat = index[keep] * 4 + centre[keep].astype(np.int64)
                self.counts += np.bincount(flat, minlength=self.counts.size).reshape(self.counts.shape)

    def log2_prob(self, codes: np.ndarray, centres: np.ndarray) -> np.ndarray:
        """log2 P(true base) at each centre; contexts with N fall back to the add-one uniform 1/4."""
        index, valid = context_index(codes, centres, self.k)
        row = self.counts[index]
        row = np.where(valid[:, None], row, 0)
        truth = codes[centres].astype(np.int64)
        return np.log2((row[np.arange(len(centres)), truth] + 1) / (row.sum(axis=1) + 4))
