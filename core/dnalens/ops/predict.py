"""The predict operation: the probability of A, C, G and T at chosen positions of each sequence, as records
(jobs/predict.py writes them)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

import numpy as np

from ..compute.scoring import BASES, Scorer
from ..errors import InputError
from ..finite import require_finite
from ..io.fasta import SequenceRecord
from ..model import LanguageModel
from ..positions import Positions, parse_positions
from ..runner import Progress, Runner, chunked

COLUMNS = ["id", "position", "ref", "A", "C", "G", "T", "method"]
# Positions scored together: memory stays flat however long the sequence or range.
SITES_PER_BATCH = 1024

__all__ = ["COLUMNS", "BaseProbabilities", "Predict", "context_window", "parse_positions"]


def context_start(site: int, length: int, width: int) -> int:
    """Where the `width`-base window around 0-based `site` of a longer sequence starts: centred, shifted inwards
    at the ends. Monotonic in the site (remote/predict.py relies on it to send stretches)."""
    return min(max(0, site - width // 2), length - width)


def context_window(sequence: str, site: int, width: int) -> tuple[str, int]:
    """A window of at most `width` bases around `site` (shifted inwards at the ends) and the site within it."""
    if len(sequence) <= width:
        return sequence, site
    start = context_start(site, len(sequence), width)
    return sequence[start : start + width], site - start


@dataclass(frozen=True)
class BaseProbabilities:
    """One position: its reference base and the model's probability of each base there."""

    id: str
    position: int  # 1-based
    ref: str
    probabilities: dict[str, float]  # A, C, G, T
    method: str

    def row(self) -> dict:
        return {"id": self.id, "position": self.position, "ref": self.ref, **self.probabilities,
                "method": self.method}


@dataclass(frozen=True)
class _Site:
    id: str
    position: int  # 1-based
    ref: str
    window: str
    site: int  # 0-based, within the window


class Predict:
    """`positions` None means every position of every sequence."""

    def __init__(self, model: LanguageModel, positions: Positions | None, runner: Runner):
        self.model = model
        self.positions = positions
        self.scorer = Scorer(model, runner)
        self.method = self.scorer.method
        self.windowed: list[str] = []  # ids of sequences longer than the model's limit

    def parameters(self, input_name: str) -> dict:
        return {"positions": "all" if self.positions is None else self.positions.describe(), "input": input_name}

    def records(self, sequences: Iterable[SequenceRecord], progress: Progress | None = None,
                sites: tuple[int, int] | None = None) -> Iterator[BaseProbabilities]:
        """sites: only these of all the wanted sites in order (0-based, half-open: a shard)."""
        wanted = islice(self._sites(sequences), *sites) if sites else self._sites(sequences)
        yield from self._scored(wanted, progress)

    def records_at(self, requests: Iterable[tuple[SequenceRecord, Positions]]) -> Iterator[BaseProbabilities]:
        """Each record at its own positions (the server batches requests that ask for different sites)."""
        yield from self._scored(self._sites_of(requests))

    def _scored(self, wanted: Iterable[_Site], progress: Progress | None = None) -> Iterator[BaseProbabilities]:
        for batch in chunked(wanted, SITES_PER_BATCH):
            log_probs = self.scorer.site_log_probs([(site.window, site.site) for site in batch])
            require_finite(log_probs, [f"{site.id}:{site.position}" for site in batch], "probabilities")
            for site, site_log_probs in zip(batch, log_probs):
                probabilities = {base: float(p) for base, p in zip(BASES, np.exp(site_log_probs))}
                yield BaseProbabilities(site.id, site.position, site.ref, probabilities, self.method)
            if progress is not None:
                progress.advance(len(batch))

    def warnings(self) -> list[str]:
        return long_sequences_warning(len(self.windowed), self.model.max_bp)

    def _sites(self, sequences: Iterable[SequenceRecord]) -> Iterator[_Site]:
        """Every wanted position of every record, lazily, each with the window the model sees."""
        return self._sites_of((rec, self.positions) for rec in sequences)

    def _sites_of(self, requests: Iterable[tuple[SequenceRecord, Positions | None]]) -> Iterator[_Site]:
        max_bp = self.model.max_bp
        for rec, positions in requests:
            wanted = record_positions(rec, positions)
            if len(rec.sequence) > max_bp:
                self.windowed.append(rec.id)
            for position in wanted:
                window, site = context_window(rec.sequence, position - 1, max_bp)
                yield _Site(rec.id, position, rec.sequence[position - 1], window, site)


def record_positions(record: SequenceRecord, positions: Positions | None) -> Positions | range:
    """The 1-based positions wanted of one record (None: all of them); refused when beyond its end."""
    length = len(record.sequence)
    if positions is not None and positions.last > length:
        raise InputError(f"record '{record.id}': position {positions.last} is beyond its length ({length} bp)")
    return positions if positions is not None else range(1, length + 1)


def long_sequences_warning(windowed: int, max_bp: int) -> list[str]:
    if not windowed:
        return []
    return [f"{windowed} sequence(s) are longer than the model's {max_bp} bp: each position was scored in a "
            "window of that size centred on it"]
