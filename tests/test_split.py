"""dnalens split: the plan a workflow engine maps a tool over (one job per part file, each its --shard K/N)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import TEST_DATA, CliResult
from dnalens.cli import main
from dnalens.ops import variant_inputs

TINY = TEST_DATA / "tiny-model"
VCF = TEST_DATA / "variants.vcf"  # 11 ALT alleles on its data lines


def _one_line_error(result, *words: str) -> None:
    assert result.code != 0
    assert len(result.err.strip().splitlines()) == 1, result.err
    for word in words:
        assert word in result.err, result.err


def _plan(folder: Path) -> dict[str, str]:
    return {path.name: path.read_text() for path in sorted(folder.iterdir())}


def test_a_plan_is_one_file_per_part_named_in_order(run_cli, tmp_path):
    result = run_cli("split", "--parts", "3", "--out-dir", tmp_path / "plan")
    assert result.code == 0, result.err
    assert _plan(tmp_path / "plan") == {"part_01_of_03.txt": "1/3\n", "part_02_of_03.txt": "2/3\n",
                                        "part_03_of_03.txt": "3/3\n"}
    run_cli("split", "--parts", "120", "--out-dir", tmp_path / "wide")
    names = [path.name for path in sorted((tmp_path / "wide").iterdir())]
    assert names[:2] == ["part_001_of_120.txt", "part_002_of_120.txt"] and names[-1] == "part_120_of_120.txt"


def test_parts_are_capped_at_the_vcf_chunks_with_a_warning(run_cli, tmp_path, monkeypatch):
    monkeypatch.setattr(variant_inputs, "CASES_PER_CHUNK", 4)  # 11 alleles: 3 chunks
    result = run_cli("split", "--parts", "8", "--out-dir", tmp_path / "plan", "--vcf", VCF)
    assert result.code == 0, result.err
    assert "3 chunk(s)" in result.err and "into 3 part(s), not 8" in result.err
    assert _plan(tmp_path / "plan") == {f"part_0{k}_of_03.txt": f"{k}/3\n" for k in (1, 2, 3)}
    result = run_cli("split", "--parts", "2", "--out-dir", tmp_path / "two", "--vcf", VCF)
    assert "warning" not in result.err and len(_plan(tmp_path / "two")) == 2


def test_the_planned_shards_merged_equal_the_unsharded_run(run_cli, tmp_path, monkeypatch):
    """What the Galaxy workflow does: split, one variants job per part file, merge."""
    monkeypatch.setattr(variant_inputs, "CASES_PER_CHUNK", 4)
    common = ["variants", "--vcf", VCF, "--reference", TEST_DATA / "chr20_excerpt.fa", "--window", "41",
              "--model", TINY, "--scores", "l2,llr", "--quiet"]
    assert run_cli(*common, "-o", tmp_path / "whole.tsv", "--vcf-out", tmp_path / "whole.vcf").code == 0
    assert run_cli("split", "--parts", "5", "--out-dir", tmp_path / "plan", "--vcf", VCF).code == 0
    parts = sorted((tmp_path / "plan").iterdir())
    for number, part in enumerate(parts):
        result = run_cli(*common, "--shard", part.read_text().strip(), "-o", tmp_path / f"s{number}.tsv",
                         "--vcf-out", tmp_path / f"s{number}.vcf")
        assert result.code == 0, result.err
    for suffix in ("tsv", "vcf"):
        shards = [tmp_path / f"s{number}.{suffix}" for number in range(len(parts))]
        assert run_cli("merge", "-o", tmp_path / f"merged.{suffix}", *shards).code == 0
        assert (tmp_path / f"merged.{suffix}").read_bytes() == (tmp_path / f"whole.{suffix}").read_bytes()
    assert len(parts) == 3


@pytest.mark.parametrize("parts, words", [("0", ["--parts", "1 or more"]), ("x", ["--parts", "whole number"]),
                                          ("1001", ["--parts 1001", "1 to 1000"])])
def test_a_bad_number_of_parts_is_one_line_and_writes_nothing(capsys, tmp_path, parts, words):
    try:  # argparse's refusals exit from inside main
        code = main(["split", "--parts", parts, "--out-dir", str(tmp_path / "plan")])
    except SystemExit as stop:
        code = stop.code
    _one_line_error(CliResult(code, "", capsys.readouterr().err), *words)
    assert not (tmp_path / "plan").exists()


def test_a_folder_holding_files_is_refused_and_left_alone(run_cli, tmp_path):
    (tmp_path / "plan").mkdir()
    (tmp_path / "plan" / "part_01_of_02.txt").write_text("1/2\n")
    _one_line_error(run_cli("split", "--parts", "3", "--out-dir", tmp_path / "plan"), "not an empty folder")
    assert _plan(tmp_path / "plan") == {"part_01_of_02.txt": "1/2\n"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan"]  # no staging folder left behind
    (tmp_path / "empty").mkdir()
    assert run_cli("split", "--parts", "2", "--out-dir", tmp_path / "empty").code == 0
    assert len(_plan(tmp_path / "empty")) == 2


def test_a_bad_vcf_is_one_line(run_cli, tmp_path):
    _one_line_error(run_cli("split", "--parts", "2", "--out-dir", tmp_path / "plan", "--vcf", tmp_path / "no.vcf"),
                    "no.vcf")
    assert not (tmp_path / "plan").exists()
