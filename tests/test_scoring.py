"""Nucleotide probabilities and log-likelihood ratios equal what is read from the model by hand."""

import numpy as np
import pytest
import torch

from conftest import random_dna
from dnalens.compute.scoring import CAUSAL_LIKELIHOOD, MASKED_KMER, MASKED_TOKEN, Scorer
from dnalens.errors import ModelError
from dnalens.runner import Runner


def scorer(model) -> Scorer:
    return Scorer(model, Runner(model.device, model.pad_id))


def logits_for(model, ids: list[int]) -> torch.Tensor:
    with torch.inference_mode():
        return model.model(input_ids=torch.tensor([ids])).logits[0].float()


def test_masked_nucleotide_probabilities_equal_a_direct_softmax(loaded):
    model = loaded("masked_nucleotide")
    sequence = random_dna(50, seed=11)
    s = scorer(model)
    assert s.method == MASKED_TOKEN
    sites = [0, 17, 49]
    got = s.site_log_probs([(sequence, site) for site in sites])
    base_ids = [model.base_token_ids()[b] for b in "ACGT"]
    for site, log_probs in zip(sites, got):
        ids = model.encode([sequence])[0]
        ids[site + 1] = model.mask_id  # +1: the [CLS] token
        expected = torch.softmax(logits_for(model, ids)[site + 1, base_ids], dim=-1).numpy()
        np.testing.assert_allclose(np.exp(log_probs), expected, atol=1e-6)
        assert np.isclose(np.exp(log_probs).sum(), 1.0)


def test_masked_kmer_scores_the_token_holding_the_site(loaded):
    model = loaded("masked_kmer")
    sequence = random_dna(36, seed=12)  # six 6-mers
    site = 15  # inside the third 6-mer (bases 12-17), at offset 3
    s = scorer(model)
    assert s.method == MASKED_KMER
    raw = s.site_raw_log_probs([(sequence, site)])[0]
    ids = model.encode([sequence])[0]
    token_index = 1 + 2  # [CLS], then the third k-mer
    ids[token_index] = model.mask_id
    log_probs = torch.log_softmax(logits_for(model, ids)[token_index], dim=-1)
    vocab = model.tokenizer.get_vocab()
    kmer = sequence[12:18]
    expected = [float(log_probs[vocab[kmer[:3] + base + kmer[4:]]]) for base in "ACGT"]
    np.testing.assert_allclose(raw, expected, atol=1e-6)


def test_causal_log_likelihood_is_the_sum_of_next_token_log_probs(loaded):
    model = loaded("causal_moe")
    sequences = [random_dna(40, seed=13), random_dna(25, seed=14)]
    got = scorer(model).sequence_log_likelihoods(sequences)
    for sequence, value in zip(sequences, got):
        ids = model.encode([sequence])[0]
        log_probs = torch.log_softmax(logits_for(model, ids), dim=-1)
        expected = sum(float(log_probs[t - 1, ids[t]]) for t in range(1, len(ids)))
        assert value == pytest.approx(expected, abs=1e-4)


def test_causal_site_probabilities_normalise_four_candidate_likelihoods(loaded):
    model = loaded("causal_moe")
    sequence = random_dna(30, seed=15)
    s = scorer(model)
    assert s.method == CAUSAL_LIKELIHOOD
    got = np.exp(s.site_log_probs([(sequence, 10)])[0])
    candidates = [sequence[:10] + b + sequence[11:] for b in "ACGT"]
    likelihoods = np.array(s.sequence_log_likelihoods(candidates))
    expected = np.exp(likelihoods - np.logaddexp.reduce(likelihoods))
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_base_model_refuses_scoring_with_a_clear_message(loaded):
    with pytest.raises(ModelError, match=r"no language-model head|without one"):
        scorer(loaded("base_no_head"))
