"""The mutagenesis operation: every possible single-base substitution of a region, scored zero-shot.

At each position the model gives log P(base) for A, C, G and T by the exact method its family allows
(compute/scoring.py: one masked pass per position for masked models with one-nucleotide or k-mer tokens, all
three alternatives read from it; the four candidate windows scored whole for BPE and causal models).
llr(alt) = log P(alt) − log P(ref) is the same number `variants` gives that SNV in VCF mode with the same window
(without --rc-average; the normalising constant cancels), and log P(ref) is how expected the reference base is
(low: the model finds it surprising).

Regions are read and scored in chunks, so memory stays flat in the region's length.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from ..compute.scoring import BASES, Scorer
from ..errors import InputError
from ..finite import require_finite
from ..io.reference import Reference
from ..model import LanguageModel
from ..runner import Progress, Runner
from .variant_inputs import centred_window_start

COLUMNS = ["id", "position", "ref", "alt", "llr", "p_ref"]
POSITIONS_PER_CHUNK = 512  # positions fetched and scored together: memory stays flat in the region's length
_REGION = re.compile(r"^([^:\s]+):([\d,]+)-([\d,]+)$")


@dataclass(frozen=True)
class Region:
    """1-based, inclusive, as people write them (chr20:31,000,001-31,000,200)."""

    chrom: str
    start: int
    end: int

    def __str__(self) -> str:
        return f"{self.chrom}:{self.start}-{self.end}"


def parse_region(text: str) -> Region:
    match = _REGION.match(text.strip())
    if not match:
        raise InputError(f"--region '{text}': expected CHROM:START-END, 1-based and inclusive (e.g. chr20:1001-1200)")
    start, end = (int(match.group(i).replace(",", "")) for i in (2, 3))
    if start < 1 or end < start:
        raise InputError(f"--region '{text}': START must be 1 or more and END at least START")
    return Region(match.group(1), start, end)


def window_start(position0: int, length: int, window: int) -> int:
    """The window `variants` gives an SNV at this 0-based position (the same function places both)."""
    return centred_window_start(position0, 1, length, window)


@dataclass(frozen=True)
class Target:
    """A stretch to mutate: `fetch(start, end)` reads 0-based half-open bases of a sequence of `length` bp."""

    id: str
    length: int
    first: int  # 1-based, inclusive
    last: int
    fetch: Callable[[int, int], str]

    def __len__(self) -> int:
        return self.last - self.first + 1


@dataclass(frozen=True)
class MutatedPosition:
    """One position: its reference base and log P of each base there (NaN for an N reference: not scored)."""

    id: str
    position: int  # 1-based, in the target's own coordinates (the chromosome's for a region)
    ref: str
    log_probs: np.ndarray  # A, C, G, T

    @property
    def scored(self) -> bool:
        return self.ref in BASES

    @property
    def ref_log_prob(self) -> float:
        return float(self.log_probs[BASES.index(self.ref)])

    def llr(self, alt: str) -> float:
        return float(self.log_probs[BASES.index(alt)] - self.log_probs[BASES.index(self.ref)])

    def llr_row(self) -> np.ndarray:
        """llr of A, C, G, T here; NaN for the reference base itself (not a substitution) and at an N."""
        if not self.scored:
            return np.full(4, np.nan)
        row = self.log_probs - self.ref_log_prob
        row[BASES.index(self.ref)] = np.nan
        return row

    def rows(self) -> list[list]:
        """The three substitutions (COLUMNS)."""
        p_ref = math.exp(self.ref_log_prob)
        return [[self.id, self.position, self.ref, alt, self.llr(alt), p_ref] for alt in BASES if alt != self.ref]


class Mutagenesis:
    def __init__(self, model: LanguageModel, runner: Runner, window: int):
        self.scorer = Scorer(model, runner)
        self.method = self.scorer.method
        self.window = window
        self.unscored: int = 0  # N positions (no reference base to substitute)

    def describe(self) -> str:
        return (f"llr = log P(alt) - log P(ref) at the position ({self.method}; {self.window}-bp window centred on "
                "it, as variants scores that SNV in VCF mode); p_ref = P(reference base), normalised over A, C, G, T")

    def records(self, target: Target, progress: Progress | None = None) -> Iterator[MutatedPosition]:
        for chunk_first in range(target.first, target.last + 1, POSITIONS_PER_CHUNK):
            chunk_last = min(target.last, chunk_first + POSITIONS_PER_CHUNK - 1)
            yield from self._chunk(target, chunk_first, chunk_last)
            if progress is not None:
                progress.advance(chunk_last - chunk_first + 1)

    def _chunk(self, target: Target, first: int, last: int) -> Iterator[MutatedPosition]:
        window = min(self.window, target.length)
        span_start = window_start(first - 1, target.length, window)
        span_end = window_start(last - 1, target.length, window) + window
        span = target.fetch(span_start, span_end)
        positions = range(first, last + 1)
        scorable = [p for p in positions if span[p - 1 - span_start] in BASES]
        requests = []
        for position in scorable:
            start = window_start(position - 1, target.length, window) - span_start
            requests.append((span[start : start + window], position - 1 - span_start - start))
        log_probs = dict(zip(scorable, self.scorer.site_log_probs(requests))) if requests else {}
        require_finite([log_probs[p] for p in scorable], [f"{target.id}:{p}" for p in scorable], "probabilities")
        self.unscored += len(positions) - len(scorable)
        for position in positions:
            ref = span[position - 1 - span_start]
            yield MutatedPosition(target.id, position, ref, log_probs.get(position, np.full(4, np.nan)))

    def warnings(self) -> list[str]:
        return unscored_warning(self.unscored)


def unscored_warning(unscored: int) -> list[str]:
    """The warning of a run with N positions (local or remote/mutagenesis.py alike)."""
    if not unscored:
        return []
    return [f"{unscored} position(s) are N (no reference base): no substitutions scored there"]


def region_target(genome: Reference, region: Region) -> Target:
    """A region of an opened reference (io/reference.py); the chromosome keeps the reference's name."""
    chrom = genome.resolve(region.chrom)
    if chrom is None:
        raise InputError(f"--region {region}: no sequence '{region.chrom}' in the reference (it has "
                         f"{', '.join(list(genome.lengths)[:5])}…)")
    length = genome.lengths[chrom]
    if region.end > length:
        raise InputError(f"--region {region}: {chrom} has {length:,} bp")
    return Target(chrom, length, region.start, region.end, lambda start, end: genome.fetch(chrom, start, end))


def sequence_target(record_id: str, sequence: str, span: tuple[int, int] | None = None) -> Target:
    """A FASTA record, whole or its 1-based inclusive `span`."""
    first, last = span or (1, len(sequence))
    if last > len(sequence):
        raise InputError(f"record '{record_id}': --range {first}-{last} goes beyond its {len(sequence)} bp")
    return Target(record_id, len(sequence), first, last, lambda start, end: sequence[start:end])


def parse_span(text: str) -> tuple[int, int]:
    """'START-END', 1-based inclusive."""
    match = re.match(r"^([\d,]+)-([\d,]+)$", text.strip())
    if not match:
        raise InputError(f"--range '{text}': expected START-END, 1-based and inclusive (e.g. 101-300)")
    first, last = (int(match.group(i).replace(",", "")) for i in (1, 2))
    if first < 1 or last < first:
        raise InputError(f"--range '{text}': START must be 1 or more and END at least START")
    return first, last
