"""Embeddings are hidden states pooled over real bases: padding and batching never change them."""

import random

import numpy as np
import pytest
import torch

from conftest import random_dna
from dnalens.compute.embedder import Embedder, EmbeddingOptions, parse_layers, window_stretches, windows_of
from dnalens.errors import DNALensError
from dnalens.runner import Runner

FAMILIES = ["masked_nucleotide", "masked_kmer", "causal_moe", "base_no_head"]


def embedder(model, **options) -> Embedder:
    return Embedder(model, EmbeddingOptions(**options), Runner(model.device, model.pad_id))


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("pooling", ["mean", "max"])
def test_batch_of_mixed_lengths_equals_each_sequence_alone(loaded, family, pooling):
    model = loaded(family)
    sequences = [random_dna(n, seed=n) for n in (7, 60, 23, 100, 61)]
    batched = embedder(model, pooling=pooling).embed(sequences)
    alone = np.stack([embedder(model, pooling=pooling).embed([s])[0] for s in sequences])
    np.testing.assert_allclose(batched, alone, atol=1e-5)


def test_mean_pooling_matches_hidden_states_computed_by_hand(loaded):
    model = loaded("masked_nucleotide")
    sequence = random_dna(40, seed=3)
    ids = torch.tensor([model.encode([sequence])[0]])
    with torch.inference_mode():
        states = model.model.base_model(input_ids=ids, output_hidden_states=True).hidden_states
    expected = states[-1][0, 1:-1].mean(dim=0).numpy()  # [CLS] and [SEP] excluded
    got = embedder(model).embed([sequence])[0]
    np.testing.assert_allclose(got, expected, atol=1e-5)
    layer_one = embedder(model, layer="1").embed([sequence])[0]
    np.testing.assert_allclose(layer_one, states[1][0, 1:-1].mean(dim=0).numpy(), atol=1e-5)
    mean_of_layers = embedder(model, layer="1:2").embed([sequence])[0]
    np.testing.assert_allclose(mean_of_layers, (states[1] + states[2])[0, 1:-1].mean(dim=0).numpy() / 2, atol=1e-5)


def test_cls_pooling_reads_the_first_token(loaded):
    model = loaded("masked_nucleotide")
    sequence = random_dna(30, seed=4)
    with torch.inference_mode():
        states = model.model.base_model(input_ids=torch.tensor([model.encode([sequence])[0]]),
                                        output_hidden_states=True).hidden_states
    np.testing.assert_allclose(embedder(model, pooling="cls").embed([sequence])[0], states[-1][0, 0].numpy(),
                               atol=1e-5)


def test_embedding_is_the_last_hidden_state_not_the_logits(loaded):
    model = loaded("masked_nucleotide")
    sequence = random_dna(20, seed=1)
    vector = embedder(model).embed([sequence])[0]
    with torch.inference_mode():
        output = model.model(input_ids=torch.tensor([model.encode([sequence])[0]]), output_hidden_states=True)
    # The mean over real bases of the last hidden state, and nothing computed from the LM head's logits.
    np.testing.assert_allclose(vector, output.hidden_states[-1][0, 1:-1].mean(dim=0).numpy(), atol=1e-5)
    assert vector.shape == (model.hidden_size,) != output.logits.shape[-1:]


def test_long_sequences_are_windowed_and_windows_cover_every_base(loaded):
    model = loaded("masked_nucleotide")
    long = random_dna(300, seed=9)
    e = embedder(model, window=100, stride=100)
    vector = e.embed([long])[0]
    assert e.windowed_sequences == 1
    parts = [embedder(model).embed([long[i : i + 100]])[0] for i in (0, 100, 200)]
    np.testing.assert_allclose(vector, np.mean(parts, axis=0), atol=1e-5)  # equal-length windows: plain mean


def test_window_stretches_hold_exactly_the_sequences_windows():
    # A server's client sends a long record as these stretches; their windows must be the record's, no more.
    rng = random.Random(3)
    for _ in range(500):
        window = rng.randint(1, 40)
        stride, length, limit = rng.randint(1, window), rng.randint(1, 400), rng.randint(window, 150)
        sequence = random_dna(length, seed=rng.randint(0, 10**6))
        stretches = window_stretches(length, window, stride, limit)
        assert length <= limit or all(end - start <= limit for start, end in stretches)
        assert [w for start, end in stretches for w in windows_of(sequence[start:end], window, stride)] == \
            windows_of(sequence, window, stride)
    assert window_stretches(10, 4, 3, 7) == [(0, 7), (6, 10)]  # windows ABCD DEFG | GHIJ


def test_windows_of_aligns_the_last_window_to_the_end():
    assert windows_of("ABCDEFGHIJ", 4, 3) == ["ABCD", "DEFG", "GHIJ"]
    assert windows_of("ABCDEFGHIJ", 4, 4) == ["ABCD", "EFGH", "GHIJ"]
    assert windows_of("ABC", 4, 2) == ["ABC"]


def test_reverse_complement_average_is_strand_symmetric(loaded):
    model = loaded("masked_nucleotide")
    sequence = random_dna(50, seed=5)
    from dnalens.sequence import reverse_complement

    forward = embedder(model, rc_average=True).embed([sequence])[0]
    backward = embedder(model, rc_average=True).embed([reverse_complement(sequence)])[0]
    np.testing.assert_allclose(forward, backward, atol=1e-5)


def test_layer_specs():
    assert parse_layers("-1", 4) == [4]
    assert parse_layers("0", 4) == [0]
    assert parse_layers("2:3", 4) == [2, 3]
    assert parse_layers("all-mean", 3) == [1, 2, 3]
    for bad in ("5", "x", "3:1", "-6"):
        with pytest.raises(DNALensError):
            parse_layers(bad, 4)


def test_a_window_longer_than_the_model_is_refused(loaded):
    model = loaded("causal_moe")
    with pytest.raises(DNALensError, match="window"):
        embedder(model, window=10_000)


def test_moe_on_the_cpu_runs_the_expert_loop_with_the_same_embeddings(zoo):
    from dnalens.model import load_model

    model = load_model(str(zoo["causal_moe"]), device="cpu")  # its own copy: the experts are switched below
    assert model.model.config._experts_implementation == "eager"
    sequences = [random_dna(n, seed=n) for n in (20, 57, 90)]
    embedder = Embedder(model, EmbeddingOptions(), Runner.for_model(model, lambda _: None))
    looped = embedder.embed(sequences)
    model.model.set_experts_implementation("grouped_mm")
    np.testing.assert_allclose(embedder.embed(sequences), looped, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("pooling", ["mean", "max", "cls"])
def test_windows_of_several_sequences_are_combined_per_sequence(loaded, pooling):
    model = loaded("masked_nucleotide")
    sequences = [random_dna(250, seed=1), random_dna(50, seed=2), random_dna(300, seed=3)]
    vectors = embedder(model, window=100, stride=100, pooling=pooling).embed(sequences)
    single = embedder(model, pooling=pooling)
    for sequence, vector in zip(sequences, vectors):
        parts = single.embed(windows_of(sequence, 100, 100))  # all windows hold 100 bases: equal weights
        expected = parts.max(axis=0) if pooling == "max" else parts.mean(axis=0)
        np.testing.assert_allclose(vector, expected, atol=1e-5)
