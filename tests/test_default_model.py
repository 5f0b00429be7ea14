"""The shipped default model: where it is, what it is, that it loads offline, and that it predicts DNA."""

import json
from pathlib import Path

import pytest

from dnalens.model.source import DEFAULT_MODEL_DIR

CHRX = Path("/usr/share/doc/smalt/test/data/hs37chrXtrunc.fa.gz")
CHR20 = Path("/usr/share/doc/vt/examples/ref/20.fa.gz")


def test_info_reports_the_packaged_folder(run_cli):
    result = run_cli("info")
    info = json.loads(result.out)
    assert Path(info["path"]) == DEFAULT_MODEL_DIR
    assert (info["id"], info["family"], info["tokenizer"]) == ("dnalens-default", "masked", "nucleotide")
    assert info["max_bp"] >= 512


def test_folder_loads_with_plain_transformers_offline():
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    model = AutoModelForMaskedLM.from_pretrained(DEFAULT_MODEL_DIR, local_files_only=True)
    tokenizer = AutoTokenizer.from_pretrained(DEFAULT_MODEL_DIR, local_files_only=True)
    assert tokenizer.is_fast
    encoded = tokenizer("ACGTn", return_offsets_mapping=True)
    assert tokenizer.convert_ids_to_tokens(encoded["input_ids"])[1:-1] == ["A", "C", "G", "T", "N"]
    assert encoded["offset_mapping"][1:-1] == [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]
    assert model.config.model_type == "modernbert"


def test_weights_are_safetensors_and_small():
    weights = DEFAULT_MODEL_DIR / "model.safetensors"
    assert weights.stat().st_size <= 25 * 2**20
    assert not list(DEFAULT_MODEL_DIR.glob("*.bin"))


def test_model_card_reports_the_measured_evaluation():
    card = (DEFAULT_MODEL_DIR / "README.md").read_text()
    evaluation = json.loads((DEFAULT_MODEL_DIR / "evaluation.json").read_text())
    assert f"{evaluation['model_bits_per_nt']:.4f}" in card
    assert "not for clinical decisions" in card


@pytest.mark.skipif(not (CHRX.exists() and CHR20.exists()), reason="Debian vt-examples/smalt-examples not installed")
def test_beats_short_context_baselines_on_held_out_chrx():
    """A quick check on 400 sites against k ≤ 3; evaluation.json holds the full 20,000-site comparison (k ≤ 6)."""
    from dnalens_training.evaluate import evaluate

    result = evaluate(DEFAULT_MODEL_DIR, windows=40, max_k=3, seed=1, log=lambda _: None)
    assert result["model_bits_per_nt"] < result["best_baseline"]["bits_per_nt"]


@pytest.mark.skipif(not CHRX.exists(), reason="Debian smalt-examples not installed")
def test_recorded_evaluation_is_of_the_shipped_weights_and_beats_every_kmer_baseline():
    """The first windows of the recorded evaluation's very sites (seed 0), scored now by the shipped weights:
    their mean bits/nt agrees with evaluation.json within sampling error, so its claims are about these weights."""
    import numpy as np
    from transformers import AutoModelForMaskedLM

    from dnalens_training.evaluate import choose_sites, model_bits
    from dnalens_training.genome import read_chromosome, sample_windows
    from dnalens_training.train import TEST_REGION

    evaluation = json.loads((DEFAULT_MODEL_DIR / "evaluation.json").read_text())
    rng = np.random.default_rng(0)  # as `evaluate` drew them: windows, then the sites inside them
    chrx = read_chromosome(CHRX)
    windows, _ = sample_windows(chrx, evaluation["windows"], 512, rng, within=TEST_REGION, max_n_fraction=0.0,
                                annotation=np.arange(len(chrx), dtype=np.int64))
    sites = choose_sites(evaluation["windows"], 512, rng)
    bits = model_bits(AutoModelForMaskedLM.from_pretrained(DEFAULT_MODEL_DIR), windows[:32], sites[:32])
    spread = evaluation["model_bits_per_nt_sem"] * evaluation["sites"] ** 0.5  # per-site standard deviation
    assert abs(bits.mean() - evaluation["model_bits_per_nt"]) < 4 * spread / bits.size ** 0.5
    assert evaluation["sites"] >= 20_000 and len(evaluation["kmer_baseline_bits_per_nt"]) == 6
    assert evaluation["model_bits_per_nt"] < min(evaluation["kmer_baseline_bits_per_nt"].values())
