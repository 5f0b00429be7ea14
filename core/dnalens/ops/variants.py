"""The variants operation: zero-shot effect scores for WT/mutant pairs (paired FASTA or VCF + reference), as
records (jobs/variants.py writes the table and the annotated VCF).

- l2, cosine: distance between the pooled hidden states of the WT and the mutant window;
- llr: log P(alt) − log P(ref). Masked models: SNVs at the masked site, one pass per site for all ALT alleles;
  indels and multi-base changes (one-nucleotide tokens) as a pseudo-log-likelihood difference over the
  positions both windows share; masked BPE models, SNVs: the difference of the two windows'
  pseudo-log-likelihoods. Causal models: full-sequence log-likelihoods. Undefined (left empty) for
  non-SNVs with masked k-mer or BPE models.
- rc_average: every score from both strands. llr is the mean of the forward llr and the llr of the
  reverse-complemented windows (alleles complemented, site mirrored); l2/cosine are distances between
  strand-averaged embeddings, exactly as `embed --rc-average` defines an embedding.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

from ..compute.embedder import EmbeddingOptions
from ..errors import InputError
from ..model import LanguageModel
from ..runner import Progress, Runner, chunked
from . import variant_status as status
from .variant_inputs import CASES_PER_CHUNK, VariantCase, VariantInput
from .variant_scoring import ScoredVariant, VariantScorer, llr_method, parse_scores
from .variant_status import VariantStatus

CHUNK = CASES_PER_CHUNK  # variants scored at a time


class ChunkedScoring:
    """Scores the cases of one input chunk by chunk (`score`, here or on a server: remote/variants.py), counting
    statuses; `finish` raises for a run whose output would mislead and returns the warnings."""

    def __init__(self) -> None:
        self._tally = _Tally()

    def score(self, cases: list[VariantCase]) -> list[ScoredVariant]:
        raise NotImplementedError

    def records(self, source: VariantInput, progress: Progress | None = None) -> Iterator[ScoredVariant]:
        for chunk in chunked(source.cases, CHUNK):
            for scored in self.score(chunk):
                self._tally.add(scored)
                yield scored
            if progress is not None:
                progress.advance(len(chunk))

    def finish(self, source: VariantInput) -> list[str]:
        self._tally.check(source)
        return self._tally.warnings(source)

    @property
    def counts(self) -> tuple[int, int, dict[str, int]]:
        """Variants seen, scored, and skipped per status code."""
        return self._tally.counted, self._tally.scored, dict(self._tally.skipped)


class Variants(ChunkedScoring):
    """The variants operation on a loaded model."""

    def __init__(self, model: LanguageModel, runner: Runner, *, scores: str | None = None,
                 embedding: EmbeddingOptions | None = None, rc_average: bool = False):
        """rc_average: every score from both strands (the embedding options' own rc_average is replaced by it)."""
        self.model = model
        self.rc_average = rc_average
        self.embedding = replace(embedding or EmbeddingOptions(), rc_average=rc_average)
        self.scores = parse_scores(scores, model)
        self.scorer = VariantScorer(model, self.scores, self.embedding, runner)
        super().__init__()

    @property
    def llr_method(self) -> str | None:
        return llr_method(self.model, self.rc_average) if "llr" in self.scores else None

    def parameters(self, source: VariantInput) -> dict:
        return {**self.option_parameters(), **source.parameters}

    def option_parameters(self) -> dict:
        """The provenance parameters the options give (a server says them to its clients before any scoring)."""
        return {"scores": ",".join(self.scores), "pooling": self.embedding.pooling, "layer": self.embedding.layer,
                "rc_average": True if self.rc_average else None}

    def method_lines(self) -> list[str]:
        """What each score column means, for the header of every output."""
        distances = self.embedding.describe()
        if self.rc_average:
            distances += (" (each embedding is the mean of its forward and reverse-complement strands' vectors, as "
                          "in embed --rc-average; l2/cosine are distances between these means)")
        lines = [f"l2/cosine method: {distances}"]
        if self.llr_method:
            lines.append(f"llr method: {self.llr_method}")
        lines.append("status: ok = scored; otherwise the reason the variant was skipped (scores left empty)")
        return lines

    def score(self, cases: list[VariantCase]) -> list[ScoredVariant]:
        return self.scorer.score(cases)


def check_scored(scored: Iterable[ScoredVariant], source: VariantInput) -> list[str]:
    """`Variants.finish` for records scored elsewhere (the server scores several requests in one call and
    checks each request's own records)."""
    tally = _Tally()
    for record in scored:
        tally.add(record)
    tally.check(source)
    return tally.warnings(source)


@dataclass
class _Tally:
    """Counts per status while rows are written; remembers the first mismatched pair for the error."""
    counted: int = 0
    scored: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    first_mismatch: tuple[dict, VariantStatus] | None = None

    def add(self, scored: ScoredVariant) -> None:
        self.add_status(scored.case.identity, scored.status)

    def add_status(self, identity: dict, variant_status: VariantStatus) -> None:
        self.counted += 1
        if variant_status.ok:
            self.scored += 1
            return
        reason = variant_status.code
        self.skipped[reason] = self.skipped.get(reason, 0) + 1
        if reason == status.MISMATCHED and self.first_mismatch is None:
            self.first_mismatch = identity, variant_status

    def check(self, source: VariantInput) -> None:
        """Errors for a run whose output would mislead (raised before the outputs are put in place). A VCF none of
        whose chromosomes the reference has was refused before any work (variant_inputs.py). A shard leaves the
        pairs' check to merge, which sees every pair: a shard's share of mismatched pairs is not the run's."""
        partial = bool(source.parameters.get("shard_of"))
        if self.counted == 0 and not partial:  # an empty shard of an input is fine
            raise InputError("no variants found in the input")
        if not partial:
            self.check_pairs_correspond()

    def check_pairs_correspond(self) -> None:
        mismatched = self.skipped.get(status.MISMATCHED, 0)
        if 2 * mismatched > self.counted:
            identity, first = self.first_mismatch
            raise InputError(
                f"the files do not correspond: {mismatched} of {self.counted} pairs are not variants of each other "
                f"(first: pair {identity['pair']} '{identity['id']}', {first}); check that the "
                "reference and mutant files hold the same loci in the same order, or raise --max-differences")

    def warnings(self, source: VariantInput) -> list[str]:
        messages = []
        if self.skipped.get(status.MISMATCHED):
            messages.append(f"{self.skipped[status.MISMATCHED]} of {self.counted} pairs differ in more places than "
                            f"--max-differences {source.parameters['max_differences']} and were not scored "
                            f"(status {status.MISMATCHED}): are they the same loci?")
        if self.skipped:
            messages.append("skipped " + ", ".join(f"{n} {reason}" for reason, n in sorted(self.skipped.items())))
        return messages


def check_merged_pairs(rows: Iterable[dict]) -> None:
    """The whole-run check of paired input on a merged table's rows (pair, id, status columns): the error the
    unsharded run gives when most pairs are not variants of each other."""
    tally = _Tally()
    for row in rows:
        tally.add_status(row, VariantStatus.parse(row["status"]))
    tally.check_pairs_correspond()
