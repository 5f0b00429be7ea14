"""The default model's training code, on a tiny slice: it runs, the loss falls, the folder loads offline."""

import numpy as np
import torch

from dnalens_training.genome import encode, reverse_complement_codes, sample_windows
from dnalens_training.kmer_baseline import KmerContextModel
from dnalens_training.masking import IGNORE_INDEX, mask_tokens
from dnalens_training.recipe import RECIPES
from dnalens_training.tokenizer import build_tokenizer
from dnalens_training.train import train


def test_tokenizer_is_one_token_per_base():
    tokenizer = build_tokenizer()
    tokens = tokenizer.convert_ids_to_tokens(tokenizer("acgTN")["input_ids"])
    assert tokens == ["[CLS]", "A", "C", "G", "T", "N", "[SEP]"]


def test_masking_targets_only_bases(tmp_path):
    codes = torch.from_numpy(encode("ACGTN" * 200).reshape(4, 250))
    _, labels = mask_tokens(codes, 0.5, torch.Generator().manual_seed(0))
    targets = labels != IGNORE_INDEX
    assert targets.any()
    assert not targets[:, 0].any() and not targets[:, -1].any()  # never [CLS] or [SEP]
    assert (labels[targets] != 9).all()  # never N (token id 9)


def test_windows_skip_mostly_n_and_can_be_reverse_complemented():
    codes = encode("N" * 1000 + "ACGT" * 250)
    windows = sample_windows(codes, 20, 100, np.random.default_rng(0), max_n_fraction=0.05)
    assert (windows != 4).all()
    assert (reverse_complement_codes(encode("AACG")) == encode("CGTT")).all()


def test_kmer_baseline_learns_a_periodic_sequence():
    codes = encode("ACGT" * 1000)
    model = KmerContextModel(1)
    model.fit(codes)
    centres = np.arange(10, 30)
    assert model.log2_prob(codes, centres).mean() > np.log2(0.9)  # the flanks determine the centre


def test_a_few_training_steps_lower_the_loss(tmp_path):
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    fasta = tmp_path / "slice.fa"
    rng = np.random.default_rng(0)
    motif = "".join(rng.choice(list("ACGT"), 37))
    fasta.write_text(">s\n" + "".join(motif[: rng.integers(20, 37)] for _ in range(1500)) + "\n")
    metrics = train(RECIPES["tiny"], tmp_path / "model", fasta, "cpu", log=lambda _: None)
    history = metrics["history"]
    assert history[-1]["validation_loss_bits"] < history[0]["validation_loss_bits"] - 0.1
    saved = AutoModelForMaskedLM.from_pretrained(tmp_path / "model")
    # The folder holds the recipe's architecture with the parameters the run trained and reported.
    assert saved.config.hidden_size == RECIPES["tiny"].model_config().hidden_size
    assert sum(p.numel() for p in saved.parameters()) == metrics["parameters"] > 0
    assert AutoTokenizer.from_pretrained(tmp_path / "model").is_fast


def test_recipe_chains_keep_one_architecture_and_fit_the_weight_limit():
    from transformers import ModernBertForMaskedLM

    for name, recipe in RECIPES.items():
        if recipe.then is not None:
            following = RECIPES[recipe.then]  # a KeyError names a chain that points nowhere
            assert following.model_config().to_dict() == recipe.model_config().to_dict(), (name, recipe.then)
        with torch.device("meta"):
            parameters = sum(p.numel() for p in ModernBertForMaskedLM(recipe.model_config()).parameters())
        assert parameters * 4 <= 25 * 2**20, name  # fp32 safetensors within the 25 MB the package allows


def test_bf16_autocast_on_the_cpu_only_where_a_recipe_asks_and_the_cpu_has_it(monkeypatch):
    from dataclasses import replace

    from dnalens_training import train as training

    cpu = torch.device("cpu")
    monkeypatch.setattr(training, "cpu_has_native_bf16", lambda: True)
    assert not training.uses_bf16(cpu, RECIPES["cpu"])
    assert training.uses_bf16(cpu, replace(RECIPES["cpu"], cpu_bf16=True))
    monkeypatch.setattr(training, "cpu_has_native_bf16", lambda: False)
    assert not training.uses_bf16(cpu, replace(RECIPES["cpu"], cpu_bf16=True))
