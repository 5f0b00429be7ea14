"""Arguments out of range, pipes and FIFOs, IUPAC codes in a reference: clear errors or the right answer."""

import os
import subprocess
import sys
import time

import pytest

from conftest import TEST_DATA
from dnalens.io.reference import Reference

TINY = str(TEST_DATA / "tiny-model")
SEQUENCES = str(TEST_DATA / "sequences.fa")
LABELLED = str(TEST_DATA / "prom_core_subset.tsv")


@pytest.mark.parametrize("arguments", [
    ["embed", SEQUENCES, "--threads", "-2"],
    ["embed", SEQUENCES, "--window", "0"],
    ["embed", SEQUENCES, "--window", "-5"],
    ["embed", SEQUENCES, "--stride", "0"],
    ["embed", SEQUENCES, "--batch-tokens", "-1"],
    ["variants", "--vcf", str(TEST_DATA / "variants.vcf"), "--reference", str(TEST_DATA / "chr20_excerpt.fa"),
     "--window", "0"],
    ["classify", "train", LABELLED, "--cv", "1"],
    ["classify", "train", LABELLED, "--cv", "0"],
    ["classify", "train", LABELLED, "--seed", "-1"],
    ["classify", "train", LABELLED, "--seed", str(2**32)],
])
def test_out_of_range_numbers_are_usage_errors_naming_the_option(run_cli, tmp_path, arguments):
    with pytest.raises(SystemExit) as stop:
        run_cli(*arguments, "-o", tmp_path / "out", "--model", TINY)
    assert stop.value.code == 2 and not list(tmp_path.iterdir())


def test_the_window_error_names_the_window(tmp_path):
    result = subprocess.run([sys.executable, "-m", "dnalens.cli", "embed", SEQUENCES, "-o", str(tmp_path / "o"),
                             "--window", "-5"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--window" in result.stderr and "--stride" not in result.stderr


def test_a_fifo_input_is_refused_at_once_instead_of_hanging(tmp_path):
    fifo = tmp_path / "input.fa"
    os.mkfifo(fifo)
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "dnalens.cli", "embed", str(fifo), "-o", str(tmp_path / "o.tsv"),
                             "--model", TINY], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "not a regular file" in result.stderr and "Traceback" not in result.stderr
    assert time.monotonic() - started < 120 and not (tmp_path / "o.tsv").exists()


def test_iupac_codes_in_a_reference_reach_the_model_as_n(tmp_path, monkeypatch):
    monkeypatch.setenv("DNALENS_CACHE", str(tmp_path / "cache"))
    genome = tmp_path / "genome.fa"
    genome.write_text(">c\nACGTRYKMSWBDHVNacgtr\n")
    reference = Reference(genome)
    assert reference.fetch("c", 0, 20) == "ACGTNNNNNNNNNNNACGTN"
    reference.close()


def test_a_tab_in_a_header_never_adds_a_column(run_cli, tmp_path):
    fasta = tmp_path / "tab.fa"
    fasta.write_text(">left\tright\nACGTACGTACGTAAGGCT\n>plain\nACGTACGTACGTAAGGCA\n")
    out = tmp_path / "tokens.tsv"
    assert run_cli("predict", fasta, "--positions", "3", "-o", out, "--model", TINY, "--quiet").code == 0
    rows = [line.split("\t") for line in out.read_text().splitlines() if not line.startswith("#")]
    assert {len(row) for row in rows} == {len(rows[0])} and rows[1][0] == "left"


@pytest.fixture(scope="module")
def nan_model(tmp_path_factory):
    """The tiny model with one weight matrix set to NaN: every output is NaN, as after an fp16 overflow."""
    import shutil

    from safetensors.numpy import load_file, save_file

    folder = tmp_path_factory.mktemp("nan") / "model"
    shutil.copytree(TINY, folder)
    tensors = load_file(folder / "model.safetensors")
    name = next(n for n in sorted(tensors) if "layers.0" in n and tensors[n].ndim == 2)
    tensors[name][:] = float("nan")
    save_file(tensors, folder / "model.safetensors")
    return str(folder)


@pytest.mark.parametrize("command", [["embed", SEQUENCES], ["predict", SEQUENCES, "--positions", "2"]])
def test_nan_from_a_model_is_an_error_not_a_result(run_cli, tmp_path, nan_model, command):
    out = tmp_path / "out.tsv"
    result = run_cli(*command, "-o", out, "--model", nan_model)
    assert result.code == 1 and "not finite numbers" in result.err and result.err.count("\n") == 1
    assert not out.exists()


def test_nan_variant_scores_get_a_status_and_no_score(run_cli, tmp_path, nan_model):
    out = tmp_path / "v.tsv"
    result = run_cli("variants", "--ref-fasta", TEST_DATA / "exon_ref.fa", "--alt-fasta", TEST_DATA / "exon_alt.fa",
                     "-o", out, "--model", nan_model, "--quiet")
    assert result.code == 0, result.err
    rows = [line.split("\t") for line in out.read_text().splitlines() if not line.startswith("#")]
    header, body = rows[0], rows[1:]
    assert body and {row[header.index("status")] for row in body} == {"model_output_not_finite"}
    assert all(row[header.index(score)] == "" for row in body for score in ("l2", "cosine", "llr"))


def test_a_repeated_vcf_record_is_scored_once(run_cli, tmp_path):
    vcf = tmp_path / "dup.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                   "20\t1500\ta\tA\tG\t.\t.\t.\n20\t1500\tb\tA\tG\t.\t.\t.\n20\t1500\tc\tA\tT\t.\t.\t.\n")
    out = tmp_path / "v.tsv"
    assert run_cli("variants", "--vcf", vcf, "--reference", TEST_DATA / "chr20_excerpt.fa", "-o", out,
                   "--model", TINY, "--quiet").code == 0
    rows = [line.split("\t") for line in out.read_text().splitlines() if not line.startswith("#")]
    status = [row[rows[0].index("status")] for row in rows[1:]]
    assert status == ["ok", "duplicate_record(first on line 3)", "ok"]


def test_a_weights_file_missing_tensors_is_refused(run_cli, tmp_path):
    import shutil

    from safetensors.numpy import load_file, save_file

    folder = tmp_path / "model"
    shutil.copytree(TINY, folder)
    tensors = load_file(folder / "model.safetensors")
    del tensors["model.layers.1.mlp.Wi.weight"]
    save_file(tensors, folder / "model.safetensors")
    result = run_cli("embed", SEQUENCES, "-o", tmp_path / "e.tsv", "--model", folder)
    assert result.code == 1 and "model.layers.1.mlp.Wi.weight" in result.err and "random" in result.err
    assert result.err.count("\n") == 1 and not (tmp_path / "e.tsv").exists()


def test_tables_with_their_own_group_column_may_share_a_file_name(run_cli, tmp_path):
    for folder, group in (("a", "exon"), ("b", "intron")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "scores.tsv").write_text("group\tllr\n" + "".join(f"{group}\t{v}\n" for v in (1, 2, 3, 4)))
    result = run_cli("compare", tmp_path / "a" / "scores.tsv", tmp_path / "b" / "scores.tsv", "--value", "llr",
                     "-o", tmp_path / "summary.tsv")
    assert result.code == 0, result.err
