"""Prefix sharing for causal models: the same numbers as separate full passes, from fewer tokens."""

import numpy as np
import pytest
import torch

from conftest import random_dna
from dnalens.compute.causal_likelihood import (
    PrefixSharedPass,
    causal_log_likelihoods,
    shared_prefix_length,
    supports_prefix_sharing,
)
from dnalens.compute.embedder import Embedder, EmbeddingOptions
from dnalens.runner import Runner, pad


def test_shared_prefix_stops_at_the_first_difference_and_leaves_each_member_a_token():
    assert shared_prefix_length([[1, 2, 3, 4], [1, 2, 9, 4]]) == 2
    assert shared_prefix_length([[1, 2, 3], [1, 2, 3, 4]]) == 2  # the shorter keeps one token of its own
    assert shared_prefix_length([[5, 2], [6, 2]]) == 0
    assert shared_prefix_length([[1, 2, 3], [1, 2, 7], [1, 8, 3]]) == 1


def test_only_attention_decoders_share_prefixes(loaded):
    assert supports_prefix_sharing(loaded("causal_moe"))
    assert not supports_prefix_sharing(loaded("masked_nucleotide"))


def full_passes(model, embedder, token_lists):
    """What every member gets from its own full forward pass."""
    with torch.inference_mode():
        input_ids, attention_mask = pad(token_lists, model.pad_id, model.device)
        output = model.model(input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True)
        likelihoods = causal_log_likelihoods(output.logits, input_ids, attention_mask)
        pooled = embedder.pool(output.hidden_states, input_ids, attention_mask)
    return likelihoods, [vector for vector, _ in pooled]


def variant_groups(model):
    """REF with one or two ALT alleles: SNVs, an insertion, a deletion, sites near either end."""
    groups = []
    for n, (length, site) in enumerate([(60, 30), (90, 3), (120, 110), (45, 20), (75, 40)]):
        ref = random_dna(length, seed=70 + n)
        other = "A" if ref[site] != "A" else "C"
        alts = [ref[:site] + other + ref[site + 1:]]
        if n == 1:
            alts.append(ref[:site] + "GGT" + ref[site:])  # insertion
        if n == 3:
            alts.append(ref[:site] + ref[site + 4:])  # deletion
        groups.append(model.encode([ref, *alts]))
    return groups


@pytest.mark.parametrize("pooling,layer", [("mean", "-1"), ("max", "1:2"), ("mean", "0")])
def test_shared_pass_equals_separate_full_passes(loaded, pooling, layer):
    model = loaded("causal_moe")
    embedder = Embedder(model, EmbeddingOptions(pooling=pooling, layer=layer), Runner(model.device, model.pad_id))
    groups = variant_groups(model)
    shared = PrefixSharedPass(model, Runner(model.device, model.pad_id, token_budget=200), embedder).run(groups)
    expected_ll, expected_vectors = full_passes(model, embedder, [t for g in groups for t in g])
    got = [member for group in shared for member in group]
    assert [len(group) for group in shared] == [len(group) for group in groups]
    for (likelihood, (vector, _)), want_ll, want_vector in zip(got, expected_ll, expected_vectors):
        assert likelihood == pytest.approx(want_ll, abs=1e-4)
        np.testing.assert_allclose(vector, want_vector, atol=1e-5)


def test_groups_without_a_common_first_token_are_scored_whole(loaded):
    model = loaded("causal_moe")
    ids = model.encode([random_dna(40, seed=90)])[0][1:]  # no [CLS]: the change at the first token leaves no prefix
    group = [ids, [ids[0] + 1 if ids[0] + 1 < len(model.tokenizer) else ids[0] - 1] + ids[1:]]
    (got,) = PrefixSharedPass(model, Runner(model.device, model.pad_id)).run([group])
    with torch.inference_mode():
        input_ids, attention_mask = pad(group, model.pad_id, model.device)
        want = causal_log_likelihoods(model.model(input_ids=input_ids, attention_mask=attention_mask).logits,
                                      input_ids, attention_mask)
    assert [likelihood for likelihood, _ in got] == pytest.approx(want, abs=1e-4)


def test_the_shared_prefix_goes_through_the_model_once(loaded):
    model = loaded("causal_moe")
    groups = variant_groups(model)
    seen = []
    hook = model.model.get_input_embeddings().register_forward_hook(
        lambda _module, inputs, _output: seen.append(inputs[0].numel()))
    try:
        PrefixSharedPass(model, Runner(model.device, model.pad_id)).run(groups)
    finally:
        hook.remove()
    separate = sum(len(tokens) for group in groups for tokens in group)
    unshared = sum(len(tokens) - shared_prefix_length(group) for group in groups for tokens in group)
    shared = sum(shared_prefix_length(group) for group in groups)
    assert sum(seen) < separate
    # Padding aside, the model saw each prefix once and each member's own tokens once.
    assert unshared + shared <= sum(seen) <= 1.25 * (unshared + shared)


def test_sequences_longer_than_a_sliding_window_are_scored_whole(loaded, monkeypatch):
    model = loaded("causal_moe")
    long_groups = [g for g in variant_groups(model) if max(map(len, g)) > 20]
    monkeypatch.setattr(model.model.config, "sliding_window", 20)
    cached = []
    hook = model.model.register_forward_pre_hook(
        lambda _module, _args, kwargs: cached.append(bool(kwargs.get("use_cache"))), with_kwargs=True)
    try:
        PrefixSharedPass(model, Runner(model.device, model.pad_id)).run(long_groups)
    finally:
        hook.remove()
    assert cached and not any(cached)  # plain full passes only: nothing cached, nothing shared
