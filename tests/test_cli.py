"""The command line: every command end to end, and bad input as one clear line with nothing written."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import TEST_DATA, random_dna
from dnalens.io.tables import read_table


def no_outputs(folder) -> bool:
    return not [p for p in folder.iterdir() if p.name.startswith(("out", ".out"))]


def test_embed_writes_tsv_npz_and_plots(run_cli, zoo, tmp_path):
    result = run_cli("embed", TEST_DATA / "sequences.fa", "-o", tmp_path / "out.tsv", "--model", zoo["masked_kmer"],
                     "--npz", tmp_path / "out.npz", "--heatmap", tmp_path / "out_heat.png",
                     "--projection", tmp_path / "out_pca.svg", "--labels", TEST_DATA / "sequence_labels.tsv")
    assert result.code == 0, result.err
    columns, rows = read_table(tmp_path / "out.tsv")
    assert columns[0] == "id" and len(columns) == 33 and len(rows) == 12
    saved = np.load(tmp_path / "out.npz")
    assert saved["embeddings"].shape == (12, 32) and list(saved["ids"]) == [r["id"] for r in rows]
    np.testing.assert_allclose(saved["embeddings"][0], [float(rows[0][f"e{i}"]) for i in range(32)], rtol=1e-5)
    assert (tmp_path / "out_heat.png").read_bytes()[:4] == b"\x89PNG"
    assert "<svg" in (tmp_path / "out_pca.svg").read_text()[:500]
    header = (tmp_path / "out.tsv").read_text().splitlines()[:6]
    assert any(line.startswith("# weights_sha256: ") and len(line) == 18 + 64 for line in header)


def test_predict_and_tokenize(run_cli, zoo, tmp_path, write_fasta):
    fasta = write_fasta({"s1": random_dna(40, 1), "s2": "acgt" * 10})
    result = run_cli("predict", fasta, "-o", tmp_path / "out.tsv", "--model", zoo["masked_nucleotide"],
                     "--positions", "1,20-21", "--plot", tmp_path / "out.png")
    assert result.code == 0, result.err
    columns, rows = read_table(tmp_path / "out.tsv")
    assert columns == ["id", "position", "ref", "A", "C", "G", "T", "method"]
    assert [(r["id"], r["position"]) for r in rows] == [("s1", "1"), ("s1", "20"), ("s1", "21"), ("s2", "1"),
                                                        ("s2", "20"), ("s2", "21")]
    assert rows[3]["ref"] == "A"  # soft-masked input is upper-cased
    for row in rows:
        assert sum(float(row[b]) for b in "ACGT") == pytest.approx(1.0, abs=1e-5)
        assert row["method"] == "masked-token"
    result = run_cli("tokenize", fasta, "-o", tmp_path / "tok.tsv", "--model", zoo["masked_kmer"],
                     "--one-hot", tmp_path / "tok.npz")
    assert result.code == 0, result.err
    rows = read_table(tmp_path / "tok.tsv")[1]
    assert rows[1]["tokens"].split()[:3] == ["[CLS]", "ACGTAC", "GTACGT"]
    one_hot = np.load(tmp_path / "tok.npz")["one_hot"]
    assert one_hot.shape == (2, 40, 4) and one_hot[1, 0].tolist() == [1, 0, 0, 0]


def test_info_reports_the_model(run_cli, zoo):
    result = run_cli("info", "--model", zoo["causal_moe"])
    info = json.loads(result.out)
    assert (info["family"], info["tokenizer"], info["architecture"]) == ("causal", "bpe", "MixtralForCausalLM")
    assert info["layers"] == 2 and info["hidden_size"] == 32 and len(info["weights_sha256"]) == 64
    assert "cuda" in info["devices"]


def test_same_command_twice_gives_identical_bytes(run_cli, zoo, tmp_path):
    for name in ("a.tsv", "b.tsv"):
        run_cli("variants", "--ref-fasta", TEST_DATA / "exon_ref.fa", "--alt-fasta", TEST_DATA / "exon_alt.fa",
                "-o", tmp_path / name, "--model", zoo["masked_nucleotide"], "--quiet")
    assert (tmp_path / "a.tsv").read_bytes() == (tmp_path / "b.tsv").read_bytes()


BAD_FASTA = {
    "empty.fa": "",
    "no_header.fa": "ACGTACGT\n",
    "empty_record.fa": ">a\n>b\nACGT\n",
    "protein.fa": ">p\nMKVLAAGIVELLQ\n",
    "rna.fa": ">r\nACGUACGU\n",
    "digits.fa": ">d\nACGT1234\n",
    "duplicate.fa": ">a\nACGT\n>a\nACGT\n",
}


@pytest.mark.parametrize("name", sorted(BAD_FASTA))
def test_bad_fasta_gives_one_line_and_no_output(run_cli, zoo, tmp_path, name):
    path = tmp_path / name
    path.write_text(BAD_FASTA[name])
    result = run_cli("embed", path, "-o", tmp_path / "out.tsv", "--model", zoo["masked_nucleotide"], "--quiet")
    assert result.code == 1
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dnalens: error: ") and name in lines[0]
    assert "Traceback" not in result.err
    assert no_outputs(tmp_path)


@pytest.mark.parametrize(("args", "message"), [
    (["--model", "/no/such/folder"], "not found"),
    (["--model", "not a model!"], "not a valid hub id"),
])
def test_unknown_models_fail_clearly(run_cli, tmp_path, args, message):
    result = run_cli("embed", TEST_DATA / "sequences.fa", "-o", tmp_path / "out.tsv", *args)
    assert result.code == 1 and message in result.err and len(result.err.strip().splitlines()) == 1
    assert no_outputs(tmp_path)


def test_hub_id_offline_fails_at_once_with_what_to_do(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    result = run_cli("info", "--model", "someone/some-dna-model")
    assert result.code == 1
    assert result.err.strip().splitlines() == [
        "dnalens: error: model 'someone/some-dna-model' is not in the local Hugging Face cache and the hub cannot "
        "be reached (offline?): download it where you are online and pass its folder with --model /path/to/folder"]


def test_missing_input_file(run_cli, zoo, tmp_path):
    result = run_cli("embed", tmp_path / "absent.fa", "-o", tmp_path / "out.tsv", "--model", zoo["masked_kmer"])
    assert result.code == 1 and "file not found" in result.err
    assert no_outputs(tmp_path)


def test_model_folder_without_weights_and_with_corrupt_weights(run_cli, zoo, tmp_path):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(zoo["masked_nucleotide"], broken)
    (broken / "model.safetensors").write_bytes(b"not a safetensors file")
    result = run_cli("info", "--model", broken)
    assert result.code == 1 and "corrupt" in result.err and "Traceback" not in result.err
    (broken / "model.safetensors").unlink()
    result = run_cli("info", "--model", broken)
    assert result.code == 1 and "no weights file" in result.err


def test_error_from_a_real_process_has_no_traceback(tmp_path, zoo):
    bad = tmp_path / "bad.fa"
    bad.write_text(">x\nACGTZZ\n")
    process = subprocess.run([sys.executable, "-m", "dnalens.cli", "embed", str(bad), "-o", str(tmp_path / "o.tsv"),
                              "--model", str(zoo["masked_kmer"])], capture_output=True, text=True)
    assert process.returncode == 1
    assert process.stderr.strip() == (f"dnalens: error: {bad}: record 'x': letter(s) 'Z' at position 5 are not DNA "
                                      "(A, C, G, T or IUPAC)")
    assert not (tmp_path / "o.tsv").exists()


def test_register_model_writes_a_galaxy_data_table_row(run_cli, zoo, tmp_path):
    out = tmp_path / "dm.json"
    result = run_cli("register-model", "--model", zoo["masked_kmer"], "--target-dir", tmp_path / "models",
                     "--output-json", out, "--value", "nt-like")
    assert result.code == 0, result.err
    (row,) = json.loads(out.read_text())["data_tables"]["huggingface"]
    assert (row["value"], row["pipeline_tag"], row["domain"]) == ("nt-like", "fill-mask", "sequence")
    assert (tmp_path / "models" / "nt-like" / "model.safetensors").exists()
    assert json.loads(run_cli("info", "--model", row["path"]).out)["tokenizer"] == "6-mer"
    bad = run_cli("register-model", "--model", zoo["masked_kmer"], "--target-dir", tmp_path, "--output-json", out,
                  "--value", "../escape")
    assert bad.code == 1 and "--value" in bad.err


def test_openmp_threads_wait_passively_unless_the_user_says_otherwise():
    # Spinning OpenMP threads slow every job down when others share the cores (docs/PERFORMANCE.md P11). libgomp
    # reads the policy once, as torch loads: OMP_DISPLAY_ENV=VERBOSE shows what it took (spin count 0: passive),
    # so a torch import that came before dnalens's would fail here, not only a missing setting.
    check = ("import os, dnalens_gui, torch; torch.ones(64, 64) @ torch.ones(64, 64); "
             "print(os.environ['OMP_WAIT_POLICY'])")
    env = {key: value for key, value in os.environ.items() if key != "OMP_WAIT_POLICY"}
    env["OMP_DISPLAY_ENV"] = "VERBOSE"
    for policy, spins in (("", "0"), ("ACTIVE", "30000000000")):
        run = subprocess.run([sys.executable, "-c", check], env={**env, "OMP_WAIT_POLICY": policy} if policy else env,
                             capture_output=True, text=True, check=True)
        assert run.stdout.strip() == (policy or "PASSIVE")
        if "GOMP_SPINCOUNT" in run.stderr:  # torch built with libgomp (Linux); other OpenMP runtimes say less
            assert f"GOMP_SPINCOUNT = '{spins}'" in run.stderr, run.stderr
