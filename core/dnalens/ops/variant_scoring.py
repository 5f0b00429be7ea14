"""Zero-shot effect scores of WT/mutant window pairs: l2 and cosine distances of pooled embeddings, and llr
by the method each model family allows (llr_method says which, in words that go into every output).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..choices import SCORES
from ..compute.causal_likelihood import PrefixSharedPass
from ..compute.embedder import Embedder, EmbeddingOptions
from ..compute.scoring import BASES, Scorer
from ..errors import InputError
from ..model import BASE, CAUSAL, LanguageModel
from ..model.tokens import BPE, NUCLEOTIDE
from ..runner import Runner
from . import variant_status as status
from .variant_inputs import VariantCase, minimal_difference, reverse_complement_case
from .variant_status import VariantStatus

PLL_TOKENS = 1 << 22  # masked tokens held at once for indel pseudo-log-likelihoods (about 100 windows of 201 bp)


def supported_scores(model: LanguageModel) -> list[str]:
    if model.family == BASE:
        return ["l2", "cosine"]
    return list(SCORES)


def parse_scores(text: str | None, model: LanguageModel) -> list[str]:
    if not text:
        return supported_scores(model)
    wanted = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in SCORES]
    if unknown:
        raise InputError(f"--scores {text}: unknown score '{unknown[0]}'; choose from {', '.join(SCORES)}")
    if "llr" in wanted:
        model.require_lm_head("--scores llr")
    return wanted


def scores_indels_by_pseudo_likelihood(model: LanguageModel) -> bool:
    """Masked models with one token per base: a base-by-base pseudo-log-likelihood is defined on both windows."""
    return model.family != CAUSAL and model.tokens.kind == NUCLEOTIDE


def llr_method(model: LanguageModel, rc_average: bool = False) -> str:
    strands = ("; averaged over both strands: (llr of the windows + llr of their reverse complements, alleles "
               "complemented) / 2" if rc_average else "; forward strand only")
    if model.family == CAUSAL:
        return ("causal: log P(alt sequence) - log P(ref sequence), full-sequence likelihood (the tokens before "
                "the change computed once for both)" + strands)
    if model.tokens.kind == BPE:
        return ("masked BPE: SNVs: PLL(alt window) - PLL(ref window), PLL = sum of log P(token | all other tokens), "
                "each token masked in turn (a base is not a token; the two windows may differ in their number of "
                "tokens); indels and multi-base changes: not defined (left empty)" + strands)
    snvs = "masked: SNVs: log P(alt) - log P(ref) at the masked site, one forward pass per site"
    if not scores_indels_by_pseudo_likelihood(model):
        return snvs + "; indels and multi-base changes: not defined for k-mer tokens (left empty)" + strands
    return (snvs + "; indels and multi-base changes: pseudo-log-likelihood difference over aligned positions, "
            "sum of log P(base | rest of the alt window) - log P(base | rest of the ref window), each base masked in "
            "turn; aligned = every position for same-length changes, the shared flanks around an indel (the "
            "inserted or deleted bases have no counterpart, and whole windows of different lengths would differ "
            "by about 1.3 nats per base); len(ref window) + len(alt window) forward passes per variant" + strands)


@dataclass(frozen=True)
class ScoredVariant:
    """One variant allele: its case (identity, windows), its scores (None where not computed) and status."""

    case: VariantCase
    scores: dict[str, float | None]
    status: VariantStatus


class VariantScorer:
    def __init__(self, model: LanguageModel, scores: list[str], embedding: EmbeddingOptions, runner: Runner,
                 share_prefixes: bool = True):
        self.model = model
        self.runner = runner
        self.share_prefixes = share_prefixes
        self.scores = scores
        # One option for every score: embedding.rc_average also makes llr strand-averaged.
        self.rc_average = embedding.rc_average
        self.embedder = Embedder(model, embedding, runner) if {"l2", "cosine"} & set(scores) else None
        self.scorer = Scorer(model, runner) if "llr" in scores else None
        self.max_bp = model.max_bp

    def score(self, cases: list[VariantCase]) -> list[ScoredVariant]:
        """Scores of each case and its final status; the cases themselves are not changed."""
        statuses = [self._status(case) for case in cases]
        results = [dict.fromkeys(self.scores) for _ in cases]
        ok = [i for i, case_status in enumerate(statuses) if case_status.ok]
        if ok:
            self._score_into([cases[i] for i in ok], [results[i] for i in ok])
        for i in ok:
            if not all(value is None or math.isfinite(value) for value in results[i].values()):
                # A NaN or an infinity from the model (damaged weights, fp16 overflow) is never a score.
                statuses[i] = VariantStatus(status.NOT_FINITE)
                results[i] = dict.fromkeys(self.scores)
        return [ScoredVariant(case, result, case_status)
                for case, result, case_status in zip(cases, results, statuses)]

    def _score_into(self, chosen: list[VariantCase], results: list[dict]) -> None:
        sequences = [c.ref_sequence for c in chosen] + [c.alt_sequence for c in chosen]
        embedder = self.embedder if self.embedder and self.embedder.fits_one_window(sequences) else None
        llrs, vectors = self._llrs_and_vectors(chosen, embedder)
        if self.rc_average and llrs is not None:
            reverse, _ = self._llrs_and_vectors([reverse_complement_case(c) for c in chosen], None)
            llrs = [None if a is None or b is None else (a + b) / 2 for a, b in zip(llrs, reverse)]
        if vectors is None and self.embedder is not None:
            vectors = self.embedder.embed(sequences)  # both strands averaged here when rc_average
        for row, result in enumerate(results):
            if llrs is not None:
                result["llr"] = llrs[row]
            if vectors is not None:
                result.update(self._distances(vectors[row], vectors[len(chosen) + row]))

    def _status(self, case: VariantCase) -> VariantStatus:
        if case.status.ok:
            longest = max(len(case.ref_sequence), len(case.alt_sequence))
            if longest > self.max_bp:
                return VariantStatus(status.TOO_LONG, f"{longest}bp>{self.max_bp}bp")
        return case.status

    def _llrs_and_vectors(self, cases: list[VariantCase], embedder: Embedder | None) -> tuple[list | None, object]:
        """llr per case (None where undefined) when llr is wanted, and the pooled REF then ALT vectors when a
        causal pass could compute them on the way (embedder given); None for what was not computed."""
        # Causal models: REF and ALT share every token before the change, and a causal model's states there
        # do not depend on what follows, so that part runs once, for the embeddings and the likelihoods alike.
        if self.model.family == CAUSAL and (self.scorer is not None or embedder is not None):
            likelihoods, pooled = self._causal_pass(cases, embedder)
            llrs = [likelihoods[c.alt_sequence] - likelihoods[c.ref_sequence] for c in cases] if self.scorer else None
            sequences = [c.ref_sequence for c in cases] + [c.alt_sequence for c in cases]
            vectors = np.array([pooled[s][0] for s in sequences], dtype=np.float32) if embedder else None
            return llrs, vectors
        return (self._masked_llrs(cases) if self.scorer is not None else None), None

    def _distances(self, wt: np.ndarray, mutant: np.ndarray) -> dict:
        wt, mutant = wt.astype(np.float64), mutant.astype(np.float64)
        out = {}
        if "l2" in self.scores:
            out["l2"] = float(np.linalg.norm(wt - mutant))
        if "cosine" in self.scores:
            norms = np.linalg.norm(wt) * np.linalg.norm(mutant)
            out["cosine"] = float(1 - wt @ mutant / norms) if norms else None
        return out

    def _causal_pass(self, cases: list[VariantCase], embedder: Embedder | None) -> tuple[dict, dict]:
        """Log-likelihood (and pooled states) of every REF and ALT sequence. All alleles of one site form a group
        whose common start runs once (causal_likelihood.PrefixSharedPass)."""
        alleles: dict[str, list[str]] = {}
        for case in cases:
            group = alleles.setdefault(case.ref_sequence, [case.ref_sequence])
            if case.alt_sequence not in group:
                group.append(case.alt_sequence)
        groups = list(alleles.values())
        scored = PrefixSharedPass(self.model, self.runner, embedder, self.share_prefixes).run(
            [self.model.encode(group) for group in groups])
        likelihoods, pooled = {}, {}
        for group, values in zip(groups, scored):
            for sequence, (likelihood, vector) in zip(group, values):
                likelihoods[sequence], pooled[sequence] = likelihood, vector
        return likelihoods, pooled

    def _masked_llrs(self, cases: list[VariantCase]) -> list[float | None]:
        """SNVs: all ALT alleles of one site share one masked pass. Other changes: pseudo-log-likelihoods."""
        if self.model.tokens.kind == BPE:
            return self._bpe_snv_llrs(cases)
        llrs: list[float | None] = [None] * len(cases)
        sites = sorted({(c.ref_sequence, c.site) for c in cases if c.site is not None})
        # No SNV in the chunk: no masked pass (the tokenizer refuses an empty batch).
        log_probs = dict(zip(sites, self.scorer.site_raw_log_probs(sites))) if sites else {}
        for row, case in enumerate(cases):
            if case.site is None:
                continue
            values = log_probs[(case.ref_sequence, case.site)]
            ref_base, alt_base = case.ref_sequence[case.site], case.alt_sequence[case.site]
            if ref_base in BASES and alt_base in BASES:
                llr = values[BASES.index(alt_base)] - values[BASES.index(ref_base)]
                llrs[row] = float(llr)
        if scores_indels_by_pseudo_likelihood(self.model):
            self._pseudo_likelihood_llrs(cases, llrs)
        return llrs

    def _bpe_snv_llrs(self, cases: list[VariantCase]) -> list[float | None]:
        """Masked BPE models (DNABERT-2, GENA-LM): a base is not a token, so no masked pass reads an allele.
        SNVs: PLL(alt window) - PLL(ref window), every token masked in turn: the same quantity `predict` uses to
        rank the four bases (log P(alt) - log P(ref) of its normalised candidates). Indels: left empty."""
        llrs: list[float | None] = [None] * len(cases)
        rows = [row for row, case in enumerate(cases) if case.site is not None]
        windows = sorted({w for row in rows for w in (cases[row].ref_sequence, cases[row].alt_sequence)})
        pll = dict(zip(windows, self.scorer.pseudo_log_likelihoods(windows))) if windows else {}
        for row in rows:
            llrs[row] = pll[cases[row].alt_sequence] - pll[cases[row].ref_sequence]
        return llrs

    def _pseudo_likelihood_llrs(self, cases: list[VariantCase], llrs: list[float | None]) -> None:
        rows = [row for row, case in enumerate(cases) if case.site is None]
        windows = sorted({w for row in rows for w in (cases[row].ref_sequence, cases[row].alt_sequence)})
        if not windows:
            return
        per_base: dict[str, np.ndarray] = {}
        for group in _bounded_groups(windows, PLL_TOKENS):
            per_base.update(zip(group, self.scorer.masked_token_log_probs(group)))
        for row in rows:
            llrs[row] = aligned_pll_difference(cases[row].ref_sequence, cases[row].alt_sequence,
                                               per_base[cases[row].ref_sequence], per_base[cases[row].alt_sequence])


def aligned_pll_difference(ref: str, alt: str, ref_log_probs: np.ndarray, alt_log_probs: np.ndarray) -> float | None:
    """Σ over aligned positions of log P(base | rest of the ALT window) − log P(base | rest of the REF window).

    Aligned positions: every position when the windows have the same length (an MNV: its changed bases count,
    as the SNV llr does); otherwise only the flanks both windows share around the change. Summing whole windows
    of different lengths would add about 1.3 nats per deleted base (one term fewer) whatever the variant does.
    """
    if len(ref_log_probs) != len(ref) or len(alt_log_probs) != len(alt):
        return None  # not one token per base
    if len(ref) == len(alt):
        return float(alt_log_probs.sum() - ref_log_probs.sum())
    start, ref_part, alt_part = minimal_difference(ref, alt)
    ref_flanks = ref_log_probs[:start].sum() + ref_log_probs[start + len(ref_part):].sum()
    alt_flanks = alt_log_probs[:start].sum() + alt_log_probs[start + len(alt_part):].sum()
    return float(alt_flanks - ref_flanks)


def _bounded_groups(windows: list[str], budget: int) -> Iterator[list[str]]:
    """Consecutive groups whose masked copies (len(window) copies of len(window) tokens each) stay within
    `budget` tokens, so memory does not grow with the number of indels in a chunk."""
    group: list[str] = []
    used = 0
    for window in windows:
        if group and used + len(window) ** 2 > budget:
            yield group
            group, used = [], 0
        group.append(window)
        used += len(window) ** 2
    if group:
        yield group
