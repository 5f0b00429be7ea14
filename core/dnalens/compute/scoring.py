"""Log-probabilities from a language model: of the four bases at a site, and of whole sequences.

Which method applies depends on the model (DESIGN.md, science rules):
- masked, one token per base: mask the site's token, read the four base tokens (exact, one pass per site);
- masked, k-mer tokens: mask the token holding the site, read the four k-mers that differ only there;
- masked, BPE tokens: score each candidate sequence by pseudo-log-likelihood, then normalise;
- causal: score each candidate sequence by its full log-likelihood, then normalise (the tokens before the
  site run once for all four candidates).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ..errors import DNALensError
from ..model import CAUSAL, MASKED, LanguageModel
from ..model.tokens import BPE, KMER, NUCLEOTIDE, token_spans
from ..runner import Runner
from .causal_likelihood import PrefixSharedPass

BASES = "ACGT"
MASKED_TOKEN = "masked-token"
MASKED_KMER = "masked-kmer-token"
PSEUDO_LIKELIHOOD = "pseudo-likelihood-of-4-candidates"
CAUSAL_LIKELIHOOD = "causal-likelihood-of-4-candidates"


def site_method(model: LanguageModel) -> str:
    model.require_lm_head("scoring")
    if model.family == CAUSAL:
        return CAUSAL_LIKELIHOOD
    if model.tokens.kind == NUCLEOTIDE:
        return MASKED_TOKEN
    if model.tokens.kind == KMER:
        return MASKED_KMER
    return PSEUDO_LIKELIHOOD


def _normalise(log_scores: np.ndarray) -> np.ndarray:
    """Log-probabilities over the four candidates (log-softmax), NaN where a candidate had no score."""
    finite = np.isfinite(log_scores)
    if not finite.any():
        return np.full(4, np.nan)
    shifted = log_scores - np.max(log_scores[finite])
    total = np.log(np.sum(np.exp(shifted[finite])))
    return np.where(finite, shifted - total, np.nan)


class Scorer:
    def __init__(self, model: LanguageModel, runner: Runner):
        self.model = model
        self.runner = runner
        self.method = site_method(model)

    # ---- the four bases at a site ------------------------------------------------------------------
    def site_log_probs(self, requests: Sequence[tuple[str, int]]) -> list[np.ndarray]:
        """For each (sequence, 0-based site): log P of A, C, G, T at the site, normalised over the four."""
        if self.method in (MASKED_TOKEN, MASKED_KMER):
            return self._masked_site_scores(requests, normalise=True)
        candidates = [_candidates(sequence, site) for sequence, site in requests]
        if self.model.family == CAUSAL:
            groups = PrefixSharedPass(self.model, self.runner).run([self.model.encode(c) for c in candidates])
            return [_normalise(np.array([likelihood for likelihood, _ in group])) for group in groups]
        flat = [c for group in candidates for c in group]
        scores = self.sequence_log_likelihoods(flat)
        return [_normalise(np.array(scores[4 * i : 4 * i + 4])) for i in range(len(requests))]

    def site_raw_log_probs(self, requests: Sequence[tuple[str, int]]) -> list[np.ndarray]:
        """Masked models only: log P of the four candidate tokens at the masked site, not renormalised."""
        return self._masked_site_scores(requests, normalise=False)

    def _masked_site_scores(self, requests, normalise: bool) -> list[np.ndarray]:
        masked_inputs, candidate_ids = [], []
        encoded = self.model.encode([sequence for sequence, _ in requests])
        for (sequence, site), ids in zip(requests, encoded):
            spans = token_spans(self.model.tokenizer, ids, sequence)
            token_index = next((i for i, (start, end) in enumerate(spans) if start <= site < end), None)
            if token_index is None:
                raise DNALensError(f"position {site + 1} is outside the sequence of length {len(sequence)}")
            start, end = spans[token_index]
            token_text = sequence[start:end]
            offset = site - start
            candidate_ids.append([self.model.token_id(token_text[:offset] + base + token_text[offset + 1 :])
                                  for base in BASES])
            masked = list(ids)
            masked[token_index] = self.model.mask_id
            masked_inputs.append((masked, token_index))

        def compute(input_ids, attention_mask, indices):
            logits = self.model.logits(input_ids, attention_mask).float()
            rows = torch.arange(len(indices), device=logits.device)
            positions = torch.tensor([masked_inputs[i][1] for i in indices], device=logits.device)
            log_probs = torch.log_softmax(logits[rows, positions], dim=-1).cpu().numpy()
            out = []
            for row, index in enumerate(indices):
                ids = candidate_ids[index]
                out.append(np.array([log_probs[row, j] if j >= 0 else -np.inf for j in ids]))
            return out

        raw = self.runner.map([m for m, _ in masked_inputs], compute)
        if normalise:
            return [_normalise(r) for r in raw]
        return [np.where(np.isfinite(r), r, np.nan) for r in raw]

    # ---- whole sequences ---------------------------------------------------------------------------
    def sequence_log_likelihoods(self, sequences: Sequence[str]) -> list[float]:
        """Causal: Σ log P(token | previous tokens). Masked BPE: pseudo-log-likelihood (each token masked once)."""
        if self.model.family == CAUSAL:
            return self._causal_log_likelihoods(sequences)
        if self.model.family == MASKED and self.model.tokens.kind == BPE:
            return self.pseudo_log_likelihoods(sequences)
        raise DNALensError("whole-sequence likelihoods are used only for causal and masked BPE models")

    def _causal_log_likelihoods(self, sequences: Sequence[str]) -> list[float]:
        # Unrelated sequences share nothing: each is its own group, run whole.
        groups = PrefixSharedPass(self.model, self.runner, share=False).run(
            [[ids] for ids in self.model.encode(list(sequences))])
        return [likelihood for ((likelihood, _),) in groups]

    def pseudo_log_likelihoods(self, sequences: Sequence[str]) -> list[float]:
        """Σ over the sequence's tokens (special tokens excluded) of log P(token | all others), each token masked
        in turn: one forward pass per token. Masked models only."""
        return [float(values.sum()) for values in self.masked_token_log_probs(sequences)]

    def masked_token_log_probs(self, sequences: Sequence[str]) -> list[np.ndarray]:
        """Per sequence, log P(token | all other tokens) of each of its tokens in order (special tokens left
        out), each token masked in turn. For one-nucleotide tokenizers: one value per base."""
        special = set(self.model.tokenizer.all_special_ids)
        jobs, owners, targets = [], [], []
        counts = [0] * len(sequences)
        for owner, ids in enumerate(self.model.encode(list(sequences))):
            for position, token in enumerate(ids):
                if token in special:
                    continue
                masked = list(ids)
                masked[position] = self.model.mask_id
                jobs.append(masked)
                owners.append(owner)
                targets.append((position, token))
                counts[owner] += 1

        def compute(input_ids, attention_mask, indices):
            logits = self.model.logits(input_ids, attention_mask).float()
            out = []
            for row, index in enumerate(indices):
                position, token = targets[index]
                out.append(float(torch.log_softmax(logits[row, position], dim=-1)[token]))
            return out

        values = [np.empty(count) for count in counts]
        filled = [0] * len(sequences)
        for owner, value in zip(owners, self.runner.map(jobs, compute)):
            values[owner][filled[owner]] = value
            filled[owner] += 1
        return values


def _candidates(sequence: str, site: int) -> list[str]:
    return [sequence[:site] + base + sequence[site + 1 :] for base in BASES]
