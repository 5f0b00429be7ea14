"""--resume: a run made of shards whose parts survive a kill; the finished output equals an uninterrupted run.

Chunks are made small (as in test_shards.py), so the small test files give several parts.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from chunk_sizes import small_chunks_program
from test_shards import OUTPUT_OPTIONS, RUNS, TINY, small_chunks  # noqa: F401 (small_chunks: a fixture)

from conftest import TEST_DATA

# A 41-bp window keeps the indels' pseudo-log-likelihoods (one pass per base) quick.
RUNS = {**RUNS, "variants_vcf": (RUNS["variants_vcf"][0] + ["--window", "41"], RUNS["variants_vcf"][1])}
VCF_RUN = RUNS["variants_vcf"][0]

# A dnalens process with the chunks of small_chunks and a pause after each shard job, so a test can kill it
# between parts and inside one; the code under test is the installed package's, unchanged.
SLOW_CLI = small_chunks_program(cases=2, setup="""
import time
from dnalens.jobs import variants as variant_job
score = variant_job.score_variants
def slow(*args, **kwargs):
    result = score(*args, **kwargs)
    time.sleep(0.4)
    return result
variant_job.score_variants = slow""")


def _outputs(tmp_path: Path, name: str, tag: str) -> tuple[dict[str, Path], list]:
    _, formats = RUNS[name]
    paths = {ext: tmp_path / f"{name}.{tag}.{ext}" for ext in formats}
    return paths, [a for ext in formats for a in (OUTPUT_OPTIONS[ext], paths[ext])]


def _run(run_cli, tmp_path: Path, name: str, tag: str, *extra) -> dict[str, Path]:
    paths, options = _outputs(tmp_path, name, tag)
    result = run_cli(*RUNS[name][0], *options, "--model", TINY, "--quiet", *extra)
    assert result.code == 0, result.err
    return paths


def _work(output: Path) -> Path:
    return output.with_name(f".{output.name}.dnalens-resume")


@pytest.mark.parametrize("name", sorted(RUNS))
def test_a_resumable_run_equals_the_normal_run(run_cli, tmp_path, small_chunks, name):  # noqa: F811
    whole = _run(run_cli, tmp_path, name, "whole")
    resumable = _run(run_cli, tmp_path, name, "resumable", "--resume")
    for ext, path in whole.items():
        assert resumable[ext].read_bytes() == path.read_bytes()
    assert not _work(resumable["tsv"]).exists(), "the work folder is removed once merged"


def _interrupted(run_cli, tmp_path: Path, monkeypatch, *extra, model: Path = TINY) -> dict[str, Path]:
    """A resumable variants run that wrote every part and then failed (as if killed before its merge)."""
    from dnalens.jobs import resume

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(resume, "write_merged", killed)
        paths, options = _outputs(tmp_path, "variants_vcf", "resumed")
        result = run_cli(*extra or VCF_RUN, *options, "--model", model, "--quiet", "--resume")
    assert result.code == 130
    assert not paths["tsv"].exists() and (_work(paths["tsv"]) / "manifest.json").is_file()
    return paths


def test_resume_continues_and_a_run_without_it_ignores_the_work_folder(run_cli, tmp_path, small_chunks,  # noqa: F811
                                                                        monkeypatch):
    paths = _interrupted(run_cli, tmp_path, monkeypatch)
    work = _work(paths["tsv"])
    manifest = json.loads((work / "manifest.json").read_text())
    assert manifest["command"] == "variants" and manifest["segments"] == 3  # 11 alleles in chunks of 4
    assert set(manifest["inputs"]) == {"vcf", "reference"} and manifest["parameters"]["window"] == 41
    parts = sorted(p.name for p in work.iterdir() if p.name.startswith("part-"))
    assert parts == [f"part-000{k}-of-0003.{ext}" for k in (1, 2, 3) for ext in ("tsv", "vcf")]
    plain = _run(run_cli, tmp_path, "variants_vcf", "resumed")  # opt-in: no --resume, no work folder used
    expected = {ext: path.read_bytes() for ext, path in plain.items()}
    assert work.is_dir() and len(list(work.iterdir())) == 7
    for path in paths.values():
        path.unlink()
    result = run_cli(*VCF_RUN, *_outputs(tmp_path, "variants_vcf", "resumed")[1], "--model", TINY, "--resume")
    assert result.code == 0, result.err
    assert "3 part(s), 3 done by the interrupted run, 11 data line(s)" in result.err
    assert {ext: path.read_bytes() for ext, path in paths.items()} == expected
    assert not work.exists()


def _snv_vcf(path: Path, count: int) -> Path:
    """SNVs of the test genome's chr20 excerpt (one forward pass each: the killed runs stay quick)."""
    genome = "".join(line.strip() for line in (TEST_DATA / "chr20_excerpt.fa").read_text().splitlines()[1:])
    lines = ["##fileformat=VCFv4.2", "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    for number in range(count):
        position = 200 + 400 * number
        ref = genome[position - 1].upper()
        alt = "ACGT"[("ACGT".index(ref) + 1) % 4]
        lines.append(f"20\t{position}\tsnv{number}\t{ref}\t{alt}\t50\tPASS\t.")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_resume_after_sigkill_at_several_points_equals_an_uninterrupted_run(run_cli, tmp_path, monkeypatch):
    from dnalens.ops import variant_inputs, variants

    for module, name in ((variant_inputs, "CASES_PER_CHUNK"), (variants, "CHUNK")):
        monkeypatch.setattr(module, name, 2)  # as in SLOW_CLI: 6 parts of 2 SNVs
    run = ["variants", "--vcf", _snv_vcf(tmp_path / "snvs.vcf", 12), "--reference", TEST_DATA / "chr20_excerpt.fa",
           "--window", "41", "--scores", "llr", "--model", TINY]
    expected = {ext: tmp_path / f"whole.{ext}" for ext in ("tsv", "vcf")}
    assert run_cli(*run, "-o", expected["tsv"], "--vcf-out", expected["vcf"], "--quiet").code == 0
    # Parts done before the kill, and seconds after it: between two parts, or inside a shard job.
    for done, extra in ((1, 0.0), (3, 0.2), (5, 0.0)):
        paths = {ext: tmp_path / f"killed{done}.{ext}" for ext in ("tsv", "vcf")}
        options = ["-o", paths["tsv"], "--vcf-out", paths["vcf"]]
        process = subprocess.Popen([sys.executable, "-c", SLOW_CLI, *map(str, run + options), "--quiet", "--resume"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        work = _work(paths["tsv"])
        deadline = time.monotonic() + 60
        while len(list(work.glob("part-*.vcf"))) < done and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(extra)
        process.send_signal(signal.SIGKILL)
        _, error = process.communicate()
        assert process.returncode == -signal.SIGKILL, error.decode()
        finished = len(list(work.glob("part-*.vcf")))
        assert done <= finished < 6 and not paths["tsv"].exists(), f"killed after {finished} parts"
        result = run_cli(*run, *options, "--resume")
        assert result.code == 0, result.err
        assert f"6 part(s), {finished} done by the interrupted run" in result.err
        for ext, path in expected.items():
            assert paths[ext].read_bytes() == path.read_bytes(), f"killed after {finished} parts: {ext} differs"
        assert not work.exists()


def test_resume_refuses_another_parameter_input_or_model(run_cli, tmp_path, small_chunks, monkeypatch):  # noqa: F811
    vcf = tmp_path / "in.vcf"
    shutil.copy(TEST_DATA / "variants.vcf", vcf)
    model = tmp_path / "model"
    shutil.copytree(TINY, model)
    run = ["variants", "--vcf", vcf, "--reference", TEST_DATA / "chr20_excerpt.fa", "--window", "41"]
    paths = _interrupted(run_cli, tmp_path, monkeypatch, *run, model=model)
    options = _outputs(tmp_path, "variants_vcf", "resumed")[1]

    def refusal(*extra) -> str:
        result = run_cli(*run, *options, "--model", model, "--resume", *extra)
        assert result.code == 1 and len(result.err.strip().splitlines()) == 1, result.err
        assert not paths["tsv"].exists()
        return result.err

    assert "parameter --window changed (41 then, 101 now)" in refusal("--window", "101")
    assert "parameter --scores changed (not given then, llr now)" in refusal("--scores", "llr")
    assert "its outputs were --output, --vcf-out, these are --output" in run_cli(
        *run, "-o", paths["tsv"], "--model", model, "--resume").err
    from safetensors.torch import load_file, save_file

    weights = load_file(model / "model.safetensors")
    original = (model / "model.safetensors").read_bytes()
    first = next(iter(weights))
    weights[first] = weights[first] + 1
    save_file(weights, model / "model.safetensors", metadata={"format": "pt"})
    assert "the model weights changed" in refusal()
    (model / "model.safetensors").write_bytes(original)
    vcf.write_text(vcf.read_text().replace("DP=30", "DP=31", 1))  # the same size, another content
    assert f"input file {vcf} (--vcf) changed since the interrupted run" in refusal()
    shutil.copy(TEST_DATA / "variants.vcf", vcf)
    assert run_cli(*run, *options, "--model", model, "--resume").code == 0  # the same run again: continued


@pytest.mark.parametrize("arguments, message", [
    (["--shard", "1/2"], "--resume with --shard: a resumable run runs every shard itself"),
    (["--vcf-out", "out.vcf.gz"], "out.vcf.gz: a resumable run merges plain-text VCF"),
])
def test_resume_refuses_shards_and_compressed_vcf_before_any_work(run_cli, tmp_path, arguments, message):
    output = tmp_path / "out.tsv"
    arguments = [tmp_path / a if a.endswith(".gz") else a for a in arguments]
    result = run_cli(*VCF_RUN, "-o", output, "--model", TINY, "--resume", *arguments)
    assert result.code == 1 and message in result.err and len(result.err.strip().splitlines()) == 1
    assert not _work(output).exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command, option", [
    (["embed", TEST_DATA / "sequences.fa"], "--heatmap"), (["embed", TEST_DATA / "sequences.fa"], "--npz"),
    (["predict", TEST_DATA / "sequences.fa", "--positions", "5"], "--plot"),
    (["mutagenesis", "--reference", TEST_DATA / "chr20_excerpt.fa", "--region", "chr20:1001-1010"], "--heatmap"),
])
def test_resume_refuses_outputs_that_need_every_record(run_cli, tmp_path, command, option):
    suffix = ".npz" if option == "--npz" else ".png"
    result = run_cli(*command, "-o", tmp_path / "out.tsv", option, tmp_path / f"plot{suffix}", "--model", TINY,
                     "--resume")
    assert result.code == 1 and f"{option}: needs every record in one run" in result.err
    assert list(tmp_path.iterdir()) == []


def test_bad_input_keeps_its_one_line_error_and_leaves_no_work_folder(run_cli, tmp_path):
    bad = tmp_path / "bad.fa"
    bad.write_text(">a\nACGT\n>a\nACGT\n")
    result = run_cli("embed", bad, "-o", tmp_path / "out.tsv", "--model", TINY, "--resume")
    assert result.code == 1 and "duplicate record id 'a'" in result.err, result.err
    assert len(result.err.strip().splitlines()) == 1 and not _work(tmp_path / "out.tsv").exists()


def test_resume_refuses_an_output_it_could_not_publish_before_any_work(run_cli, tmp_path):
    folder_output = tmp_path / "out.tsv"
    folder_output.mkdir()
    for output, message in ((folder_output, "exists and is not a regular file"),
                            (tmp_path / "missing" / "out.tsv", "does not exist")):
        result = run_cli("embed", TEST_DATA / "sequences.fa", "-o", output, "--model", TINY, "--resume")
        assert result.code == 1 and message in result.err and len(result.err.strip().splitlines()) == 1
        assert not _work(output).exists()
