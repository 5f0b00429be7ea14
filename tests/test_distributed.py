"""torchrun: 2 processes with the gloo backend on the CPU give the 1-process run's bytes; a failure on one rank
stops both with one line, no output and no work folder.

The small-chunk runs use a launcher script that sets the chunk sizes of test_shards.small_chunks in each rank
(and the 1-process reference uses the same fixture), so both ranks hold work on the small test files.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from chunk_sizes import small_chunks_program
from test_shards import TINY, small_chunks  # noqa: F401 (small_chunks: a fixture)

from conftest import TEST_DATA

distributed = pytest.importorskip("torch.distributed")
pytestmark = pytest.mark.skipif(not (distributed.is_available() and distributed.is_gloo_available()),
                                reason="torch.distributed with gloo is not available")

GENOME = TEST_DATA / "chr20_excerpt.fa"
# The chunk sizes of test_shards.small_chunks, set in each rank before the command runs.
SMALL_CHUNKS = small_chunks_program()


def _torchrun(tmp_path: Path, program: list[str], *arguments) -> subprocess.CompletedProcess:
    """2 CPU processes under torchrun (--standalone: a free port of its own, so parallel runs do not meet)."""
    environment = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", *program,
               *[str(a) for a in arguments]]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path, env=environment)


def _small_chunks_program(tmp_path: Path) -> list[str]:
    script = tmp_path / "small_chunks_dnalens.py"
    script.write_text(SMALL_CHUNKS)
    return [str(script)]


@pytest.mark.usefixtures("small_chunks")
def test_two_ranks_equal_one_process_for_vcf_variants(run_cli, tmp_path):
    common = ["variants", "--vcf", TEST_DATA / "variants.vcf", "--reference", GENOME, "--window", "41",
              "--model", TINY]
    one = run_cli(*common, "-o", tmp_path / "one.tsv", "--vcf-out", tmp_path / "one.vcf", "--quiet")
    assert one.code == 0, one.err
    done = _torchrun(tmp_path, _small_chunks_program(tmp_path), *common, "-o", tmp_path / "two.tsv",
                     "--vcf-out", tmp_path / "two.vcf")
    assert done.returncode == 0, done.stderr
    assert "variants: 2 ranks, 11 data line(s)" in done.stderr
    assert "is empty" not in done.stderr  # both ranks scored alleles (3 chunks of 4 and less)
    assert (tmp_path / "two.tsv").read_bytes() == (tmp_path / "one.tsv").read_bytes()
    assert (tmp_path / "two.vcf").read_bytes() == (tmp_path / "one.vcf").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no work folder left


def test_python_m_dnalens_under_torchrun_embeds_as_one_process(run_cli, tmp_path):
    common = ["embed", TEST_DATA / "sequences.fa", "--model", TINY]
    one = run_cli(*common, "-o", tmp_path / "one.tsv", "--quiet")
    assert one.code == 0, one.err
    done = _torchrun(tmp_path, ["-m", "dnalens"], *common, "-o", tmp_path / "two.tsv", "--quiet")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "two.tsv").read_bytes() == (tmp_path / "one.tsv").read_bytes()


@pytest.mark.usefixtures("small_chunks")
def test_bad_record_on_one_rank_stops_both_with_one_line(run_cli, tmp_path):
    records = (TEST_DATA / "sequences.fa").read_text()
    bad = tmp_path / "bad.fa"
    bad.write_text(records + ">broken\nACGT!ACGT\n")  # the last record: only rank 1's shard reads it
    expected = run_cli("embed", bad, "-o", tmp_path / "one.tsv", "--model", TINY, "--quiet")
    assert expected.code != 0 and expected.err.count("\n") == 1 and "broken" in expected.err
    done = _torchrun(tmp_path, _small_chunks_program(tmp_path), "embed", bad, "-o", tmp_path / "two.tsv",
                     "--model", TINY, "--quiet")
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if line.startswith("dnalens:")]
    assert lines == [expected.err.strip()]  # the rank's one line, printed once (by rank 0)
    # No traceback from DNALens's code (torchrun adds its own report). Its package's files only: a checkout folder
    # may itself be called dnalens.
    assert not re.search(r"(core|site-packages)/dnalens/\S*\.py", done.stderr), done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.fa", "small_chunks_dnalens.py"]


# Rank 1 dies inside its shard (as after SIGKILL or the kernel's out-of-memory kill), after a pause that lets
# rank 0 finish its own shard and wait for it.
DYING_RANK = small_chunks_program(setup="""import os, time
from dnalens.jobs import embed
real = embed.embed_fasta
def dying(*args, shard=None, **kwargs):
    if shard is not None and shard.index == 2:
        time.sleep(2)
        os._exit(137)
    return real(*args, shard=shard, **kwargs)
embed.embed_fasta = dying""")


def test_a_killed_rank_leaves_no_output_and_no_waiting_rank(tmp_path):
    script = tmp_path / "dying_rank_dnalens.py"
    script.write_text(DYING_RANK)
    done = _torchrun(tmp_path, [str(script)], "embed", TEST_DATA / "sequences.fa", "-o", tmp_path / "two.tsv",
                     "--model", TINY, "--quiet")  # the timeout of _torchrun: no rank may wait for ever
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if line.startswith("dnalens:")]
    # Rank 0 notices the lost rank in its gather (one line) unless torchrun stopped it first (no line).
    assert len(lines) <= 1 and all("lost contact with the other processes" in line for line in lines)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dying_rank_dnalens.py"]


@pytest.mark.parametrize(("extra", "expected"), [
    (["--shard", "1/2"], "--shard under torchrun"),
    (["--resume"], "--resume under torchrun"),
    (["--npz", "out.npz"], "--npz: needs every record in one process"),
    # merge writes plain text: the merged VCF would be plain text named .gz, with no index
    (["--vcf", str(TEST_DATA / "variants.vcf"), "--reference", str(GENOME), "--vcf-out", "out.vcf.gz"],
     "--vcf-out out.vcf.gz: a torchrun run merges plain-text VCF"),
])
def test_refused_under_torchrun_before_any_work(run_cli, tmp_path, monkeypatch, extra, expected):
    monkeypatch.chdir(tmp_path)
    for name, value in {"WORLD_SIZE": "2", "RANK": "0", "LOCAL_RANK": "0", "LOCAL_WORLD_SIZE": "2"}.items():
        monkeypatch.setenv(name, value)
    command = ["variants"] if "--vcf" in extra else ["embed", TEST_DATA / "sequences.fa"]
    result = run_cli(*command, "-o", "out.tsv", "--model", TINY, *extra)
    assert result.code == 1
    assert result.err.count("\n") == 1 and expected in result.err
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setenv("RANK", "1")  # another rank meets the same refusal and leaves the line to rank 0
    assert run_cli(*command, "-o", "out.tsv", "--model", TINY, *extra).err == ""


def test_commands_without_shards_refuse_torchrun(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "0")
    result = run_cli("tokenize", TEST_DATA / "sequences.fa", "-o", tmp_path / "t.tsv", "--model", TINY)
    assert result.code == 1 and "tokenize runs in one process" in result.err
    assert not (tmp_path / "t.tsv").exists()


class _LosingSession:
    """Rank 0 of 2 whose contact with rank 1 is lost at the given step (0: after the shards, 1: after the merge)."""

    def __init__(self, lost_at: int):
        from dnalens.distributed import World

        self.world, self.lost_at, self.steps = World(0, 2, 0, 2), lost_at, 0

    def step(self, work):
        from dnalens.distributed import RanksFailed

        result = work()
        if self.steps == 0:  # rank 1's part, as it would have written it
            (self.folder / "part-0002-of-0002.tsv").write_text("# shard 2 of 2\n")
        self.steps += 1
        if self.steps - 1 == self.lost_at:
            raise RanksFailed("dnalens: error: lost contact with the other processes of this torchrun run", -1)
        return result


@pytest.mark.parametrize("lost_at", [0, 1])
def test_rank_0_keeps_a_merge_it_published_when_contact_is_lost_after_it(tmp_path, monkeypatch, lost_at):
    """Lost before the merge: nothing is published and the line is raised. Lost after rank 0 published the
    merged outputs: they are complete, so the run succeeds (the line would say 'no output was written')."""
    from dnalens.distributed import RanksFailed
    from dnalens.jobs import distributed

    output = tmp_path / "out.tsv"
    session = _LosingSession(lost_at)
    session.folder = distributed.work_folder(output)
    monkeypatch.setattr(distributed, "publish_merged", lambda parts, outputs, inputs: (output.write_text("m\n"), 7)[1])
    run = lambda shard, paths: paths["output"].write_text(f"# shard {shard}\n")  # noqa: E731
    if lost_at == 0:
        with pytest.raises(RanksFailed):
            distributed.run_distributed(session, {"output": output}, {}, run)
        assert not output.exists()
    else:
        assert distributed.run_distributed(session, {"output": output}, {}, run).lines == 7
        assert output.read_text() == "m\n"
    assert not session.folder.exists()


@pytest.mark.parametrize(("gpus", "device", "galaxy", "expected"), [
    (2, "auto", None, ["cuda:0", "cuda:1"]),  # a GPU of its own for each rank
    (4, "cuda", None, ["cuda:0", "cuda:1"]),
    (0, "auto", None, ["auto", "auto"]),  # no GPU: the CPU (gloo)
    (2, "auto", "false", ["auto", "auto"]),  # Galaxy gave this job no GPU
    (2, "cpu", None, ["cpu", "cpu"]),
])
def test_each_rank_gets_its_own_gpu_or_none(monkeypatch, gpus, device, galaxy, expected):
    import torch

    from dnalens.distributed import World, rank_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: gpus > 0)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: gpus)
    if galaxy is None:
        monkeypatch.delenv("GALAXY_GPU_ENABLED", raising=False)
    else:
        monkeypatch.setenv("GALAXY_GPU_ENABLED", galaxy)
    assert [rank_device(World(rank, 2, rank, 2), device) for rank in (0, 1)] == expected


@pytest.mark.parametrize(("gpus", "device"), [(1, "auto"), (0, "cuda"), (2, "cuda:1")])
def test_fewer_gpus_than_ranks_or_one_named_gpu_is_refused(monkeypatch, gpus, device):
    import torch

    from dnalens.distributed import World, rank_device
    from dnalens.errors import InputError

    monkeypatch.setattr(torch.cuda, "is_available", lambda: gpus > 0)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: gpus)
    monkeypatch.delenv("GALAXY_GPU_ENABLED", raising=False)
    with pytest.raises(InputError, match="GPU"):
        rank_device(World(0, 2, 0, 2), device)
