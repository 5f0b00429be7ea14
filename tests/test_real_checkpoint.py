"""The real Mistral-DNA checkpoint (../shared, not shipped): loads as a base model, embeds, refuses scoring."""

import json

import pytest

from conftest import SHARED, TEST_DATA

CHECKPOINT = SHARED / "models" / "mistral-dna-1m-prom"
pytestmark = pytest.mark.skipif(not CHECKPOINT.exists(), reason="../shared/models is not present")


def test_mistral_dna_checkpoint_loads_and_embeds(run_cli, tmp_path):
    info = json.loads(run_cli("info", "--model", CHECKPOINT).out)
    assert (info["family"], info["tokenizer"], info["model_type"]) == ("base", "bpe", "mixtral")
    assert info["hidden_size"] == 64 and info["layers"] == 4 and info["max_tokens"] == 256
    result = run_cli("embed", TEST_DATA / "sequences.fa", "-o", tmp_path / "e.tsv", "--model", CHECKPOINT)
    assert result.code == 0, result.err
    rows = [line for line in (tmp_path / "e.tsv").read_text().splitlines() if not line.startswith("#")]
    assert len(rows) == 13 and len(rows[0].split("\t")) == 65


def test_mistral_dna_checkpoint_refuses_llr(run_cli, tmp_path):
    result = run_cli("variants", "--ref-fasta", TEST_DATA / "exon_ref.fa", "--alt-fasta", TEST_DATA / "exon_alt.fa",
                     "-o", tmp_path / "v.tsv", "--model", CHECKPOINT, "--scores", "llr")
    assert result.code == 1 and "language-model head" in result.err
    assert not (tmp_path / "v.tsv").exists()
