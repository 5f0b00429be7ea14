"""--shard K/N and dnalens merge: shards concatenated (and merged) equal the unsharded run byte for byte.

The operations' chunks are made small here, so three shards of the small test files each hold work; shards end
on the chunk grid, where every batch of a shard is a batch of the unsharded run.
"""

from __future__ import annotations

import shutil
from itertools import pairwise
from pathlib import Path

import pytest
from chunk_sizes import set_small_chunks

from conftest import TEST_DATA

TINY = TEST_DATA / "tiny-model"
GENOME = TEST_DATA / "chr20_excerpt.fa"

RUNS = {
    "embed": (["embed", TEST_DATA / "sequences.fa"], ["tsv"]),
    "predict": (["predict", TEST_DATA / "sequences.fa", "--positions", "5,17,30-40"], ["tsv"]),
    "variants_pairs": (["variants", "--ref-fasta", TEST_DATA / "exon_ref.fa", "--alt-fasta",
                        TEST_DATA / "exon_alt.fa"], ["tsv"]),
    "variants_vcf": (["variants", "--vcf", TEST_DATA / "variants.vcf", "--reference", GENOME],
                     ["tsv", "vcf"]),
    "mutagenesis": (["mutagenesis", "--reference", GENOME, "--region", "chr20:1001-1060", "--window", "51"],
                    ["tsv", "bedgraph"]),
}
OUTPUT_OPTIONS = {"tsv": "-o", "vcf": "--vcf-out", "bedgraph": "--bedgraph"}


@pytest.fixture
def small_chunks(monkeypatch):
    set_small_chunks(monkeypatch.setattr)


def _run(run_cli, tmp_path: Path, name: str, tag: str, *extra) -> dict[str, Path]:
    """One run of RUNS[name]; its outputs by format."""
    arguments, formats = RUNS[name]
    paths = {ext: tmp_path / f"{name}.{tag}.{ext}" for ext in formats}
    outputs = [a for ext in formats for a in (OUTPUT_OPTIONS[ext], paths[ext])]
    result = run_cli(*arguments, *outputs, "--model", TINY, "--quiet", *extra)
    assert result.code == 0, result.err
    return paths


def _is_provenance_parameters(line: str) -> bool:
    return line.startswith(("# parameters: ", "##dnalens_provenance=parameters: "))


def _header_length(lines: list[str]) -> int:
    for number, line in enumerate(lines):
        if line.startswith("#CHROM") or not line.startswith("#"):
            return number + 1
    return len(lines)


@pytest.mark.parametrize("name", sorted(RUNS))
def test_shards_concatenated_and_merged_equal_the_unsharded_run(run_cli, tmp_path, small_chunks, name):
    whole = _run(run_cli, tmp_path, name, "whole")
    shards = [_run(run_cli, tmp_path, name, f"s{k}", "--shard", f"{k}/3") for k in (1, 2, 3)]
    for ext, path in whole.items():
        expected = path.read_text().splitlines(keepends=True)
        parts = [shard[ext].read_text().splitlines(keepends=True) for shard in shards]
        assert all(len(part) > _header_length(part) for part in parts), "each shard holds work"
        joined = parts[0] + [line for part in parts[1:] for line in part[_header_length(part):]]
        assert [line for line in joined if not _is_provenance_parameters(line)] == \
               [line for line in expected if not _is_provenance_parameters(line)]
        assert any('"shard": "2/3"' in line for line in parts[1] if _is_provenance_parameters(line))
        merged = tmp_path / f"{name}.merged.{ext}"
        result = run_cli("merge", shards[2][ext], shards[0][ext], shards[1][ext], "-o", merged)
        assert result.code == 0, result.err
        assert merged.read_bytes() == path.read_bytes()


def test_an_empty_shard_is_a_header_and_a_warning(run_cli, tmp_path, small_chunks):
    # 12 records in chunks of 4: of 5 shards, some are empty.
    whole = _run(run_cli, tmp_path, "embed", "whole")["tsv"]
    shards = []
    for k in range(1, 6):
        out = tmp_path / f"e{k}.tsv"
        result = run_cli("embed", TEST_DATA / "sequences.fa", "-o", out, "--model", TINY, "--shard", f"{k}/5")
        assert result.code == 0, result.err
        shards.append(out)
    empty = [out for out in shards if len(out.read_text().splitlines()) == _header_length(out.read_text().splitlines())]
    assert empty
    merged = tmp_path / "merged.tsv"
    assert run_cli("merge", *shards, "-o", merged).code == 0
    assert merged.read_bytes() == whole.read_bytes()
    result = run_cli("embed", TEST_DATA / "sequences.fa", "-o", tmp_path / "x.tsv", "--model", TINY, "--shard", "1/5")
    assert "shard 1/5 is empty" in result.err


@pytest.fixture
def embed_shards(run_cli, tmp_path, small_chunks) -> list[Path]:
    return [_run(run_cli, tmp_path, "embed", f"s{k}", "--shard", f"{k}/3")["tsv"] for k in (1, 2, 3)]


def _one_line_error(result, *words: str) -> None:
    assert result.code != 0
    assert len(result.err.strip().splitlines()) == 1, result.err
    for word in words:
        assert word in result.err, result.err


def test_merge_refuses_a_missing_a_repeated_or_a_foreign_shard(run_cli, tmp_path, embed_shards):
    first, second, third = embed_shards
    out = tmp_path / "merged.tsv"
    _one_line_error(run_cli("merge", first, third, "-o", out), "shard 2/3 missing")
    _one_line_error(run_cli("merge", first, second, second, third, "-o", out), "shard 2/3 is given twice")
    other_model = tmp_path / "other-model"
    shutil.copytree(TINY, other_model)
    foreign = tmp_path / "foreign.tsv"
    assert run_cli("embed", TEST_DATA / "sequences.fa", "-o", foreign, "--model", other_model, "--quiet",
                   "--shard", "2/3").code == 0
    _one_line_error(run_cli("merge", first, foreign, third, "-o", out), "model differs")
    other_parameters = _run(run_cli, tmp_path, "embed", "max", "--shard", "2/3", "--pooling", "max")["tsv"]
    _one_line_error(run_cli("merge", first, other_parameters, third, "-o", out), "parameters differ", "pooling")
    other_split = _run(run_cli, tmp_path, "embed", "of4", "--shard", "2/4")["tsv"]
    _one_line_error(run_cli("merge", first, other_split, third, "-o", out), "different splits")
    unsharded = _run(run_cli, tmp_path, "embed", "whole")["tsv"]
    _one_line_error(run_cli("merge", unsharded, second, third, "-o", out), "not a shard")
    _one_line_error(run_cli("merge", first, second, third, "-o", first), "also an input")
    _one_line_error(run_cli("merge", first, second, third, "-o", tmp_path / "merged.vcf.gz"), "plain text")
    assert not out.exists()


@pytest.mark.parametrize("value", ["0/3", "4/3", "a/b", "3", "1/0"])
def test_bad_shards_get_one_line(run_cli, tmp_path, value):
    result = run_cli("embed", TEST_DATA / "sequences.fa", "-o", tmp_path / "x.tsv", "--model", TINY,
                     "--shard", value)
    _one_line_error(result, "--shard", value)
    assert result.code == 1
    assert not (tmp_path / "x.tsv").exists()


@pytest.mark.parametrize("arguments", [
    ["embed", TEST_DATA / "sequences.fa", "--npz", "x.npz"],
    ["predict", TEST_DATA / "sequences.fa", "--positions", "5", "--plot", "x.png"],
    ["mutagenesis", "--reference", GENOME, "--region", "chr20:1001-1010", "--heatmap", "x.png"],
])
def test_outputs_that_need_every_record_are_refused_with_a_shard(run_cli, tmp_path, arguments):
    arguments = [tmp_path / a if str(a).startswith("x.") else a for a in arguments]
    result = run_cli(*arguments, "-o", tmp_path / "x.tsv", "--model", TINY, "--shard", "1/2")
    _one_line_error(result, "needs every record")
    assert not (tmp_path / "x.tsv").exists()


def test_shard_bounds_cover_the_input_once_on_the_chunk_grid():
    from dnalens.shards import Shard

    for total in (0, 1, 5, 12, 300, 1000):
        for count in (1, 3, 4, 7):
            for chunk in (1, 4, 128):
                bounds = [Shard(k, count).bounds(total, chunk) for k in range(1, count + 1)]
                assert bounds[0][0] == 0 and bounds[-1][1] == total
                assert all(a[1] == b[0] for a, b in pairwise(bounds))
                assert all(start % chunk == 0 or start == total for start, _ in bounds)
    assert [Shard(k, 4).bounds(10) for k in (1, 2, 3, 4)] == [(0, 2), (2, 5), (5, 7), (7, 10)]


def _pairs_files(tmp_path: Path, mismatched: int, ok: int) -> tuple[Path, Path]:
    """`mismatched` pairs that are not variants of each other (40 bp, all bases changed), then `ok` SNV pairs."""
    import random

    rng = random.Random(7)
    ref, alt = [], []
    for number in range(mismatched + ok):
        wt = "".join(rng.choice("ACGT") for _ in range(40))
        mutant = ("".join({"A": "C", "C": "G", "G": "T", "T": "A"}[b] for b in wt) if number < mismatched
                  else wt[:20] + ("A" if wt[20] != "A" else "C") + wt[21:])
        ref.append(f">p{number}\n{wt}\n")
        alt.append(f">p{number}\n{mutant}\n")
    paths = tmp_path / "ref.fa", tmp_path / "alt.fa"
    for path, records in zip(paths, (ref, alt)):
        path.write_text("".join(records))
    return paths


def test_whole_run_pair_check_is_made_on_the_whole_not_on_a_shard(run_cli, tmp_path, small_chunks):
    """A shard made only of mismatched pairs is not an error when most of the run's pairs are fine; when most of
    the run's are mismatched, merge gives the unsharded run's one-line error over all pairs (not a shard's)."""
    for mismatched, ok, refused in ((4, 8, False), (8, 4, True)):
        ref, alt = _pairs_files(tmp_path, mismatched, ok)
        whole = run_cli("variants", "--ref-fasta", ref, "--alt-fasta", alt, "-o", tmp_path / "whole.tsv",
                        "--model", TINY, "--quiet")
        shards = [tmp_path / f"s{k}.tsv" for k in (1, 2, 3)]
        for k, shard in enumerate(shards, start=1):
            result = run_cli("variants", "--ref-fasta", ref, "--alt-fasta", alt, "-o", shard, "--model", TINY,
                             "--quiet", "--shard", f"{k}/3")
            assert result.code == 0, result.err  # shard 1 is all mismatched pairs either way
        merged = tmp_path / f"merged{mismatched}.tsv"
        result = run_cli("merge", *shards, "-o", merged)
        if refused:
            _one_line_error(whole, "do not correspond", "8 of 12 pairs")
            _one_line_error(result, "do not correspond", "8 of 12 pairs", "first: pair 1 'p0'")
            assert not merged.exists()
        else:
            assert whole.code == 0 and result.code == 0, result.err
            assert merged.read_bytes() == (tmp_path / "whole.tsv").read_bytes()


def test_a_vcf_of_another_assembly_is_refused_by_every_shard_and_a_shard_of_unknown_chromosomes_is_not(
        run_cli, tmp_path, small_chunks):
    lines = (TEST_DATA / "variants.vcf").read_text().splitlines(keepends=True)
    data = [i for i, line in enumerate(lines) if not line.startswith("#")]

    def renamed(count: int) -> Path:  # the first `count` data lines on a chromosome the reference lacks
        path = tmp_path / f"renamed{count}.vcf"
        path.write_text("".join("chrUn" + line[line.index("\t"):] if i in data[:count] else line
                                for i, line in enumerate(lines)))
        return path

    everything = renamed(len(data))
    for extra in ([], ["--shard", "3/3"]):
        _one_line_error(run_cli("variants", "--vcf", everything, "--reference", GENOME, "-o", tmp_path / "x.tsv",
                                "--model", TINY, *extra), "none of the VCF's chromosomes are in the reference")
    assert not (tmp_path / "x.tsv").exists()
    first_shard = tmp_path / "s1.tsv"  # the first 4 alleles (one chunk) are all on chrUn
    result = run_cli("variants", "--vcf", renamed(3), "--reference", GENOME, "-o", first_shard, "--model", TINY,
                     "--quiet", "--shard", "1/3")
    assert result.code == 0, result.err
    statuses = [line.rstrip("\n").split("\t")[-1] for line in first_shard.read_text().splitlines(keepends=True)
                if not line.startswith("#")][1:]
    assert statuses == ["chrom_not_in_reference"] * 4
