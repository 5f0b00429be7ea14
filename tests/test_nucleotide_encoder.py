"""The table-lookup tokenizer for one-nucleotide models gives exactly the tokenizer's ids, or steps aside."""

import numpy as np

from dnalens.model.nucleotide_encoder import NucleotideEncoder, tokenize


def _sequences(seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    lengths = [0, 1, 2, 7, 64, 201, 333] + list(rng.integers(1, 300, 20))
    return ["".join(rng.choice(list("ACGTN"), int(n), p=[0.24, 0.24, 0.24, 0.24, 0.04])) for n in lengths]


def test_same_ids_as_the_tokenizer_for_the_default_and_the_test_models(loaded):
    from dnalens.model import load_model

    for model in (load_model("default", device="cpu"), loaded("masked_nucleotide")):
        encoder = NucleotideEncoder.for_tokenizer(model.tokenizer)
        assert encoder is not None
        for seed in range(3):
            sequences = _sequences(seed)
            assert encoder.encode(sequences) == tokenize(model.tokenizer, sequences)
        same_length = [s for s in _sequences(9) if len(s) == 201] * 5  # the reshape path
        assert encoder.encode(same_length) == tokenize(model.tokenizer, same_length)
        assert model.encode(_sequences(4)) == tokenize(model.tokenizer, _sequences(4))


def test_steps_aside_for_letters_it_does_not_know(loaded):
    model = loaded("masked_nucleotide")
    encoder = NucleotideEncoder.for_tokenizer(model.tokenizer)
    assert encoder.encode(["ACGT", "AC[MASK]GT"]) is None
    assert encoder.encode(["acgt"]) is None
    assert encoder.encode(["ACGTÄ"]) is None
    mixed = ["ACGT", f"AC{model.tokenizer.mask_token}GT"]
    assert model.encode(mixed) == tokenize(model.tokenizer, mixed)  # the tokenizer takes over


def test_no_table_for_k_mer_or_bpe_tokenizers(loaded):
    for family in ("masked_kmer", "causal_moe"):
        assert NucleotideEncoder.for_tokenizer(loaded(family).tokenizer) is None
