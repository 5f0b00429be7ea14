"""Outputs never replace an input, a device, a FIFO or a link, and a run publishes all its files or none."""

import errno
import os
import shutil

import pytest

from conftest import TEST_DATA
from dnalens.errors import InputError
from dnalens.io import outputs as outputs_module
from dnalens.io.outputs import OutputSet

TINY = str(TEST_DATA / "tiny-model")


@pytest.fixture
def inputs(tmp_path):
    """Copies of test-data files, so that a failure of these tests can never damage test-data/."""
    names = ["sequences.fa", "exon_ref.fa", "exon_alt.fa", "variants.vcf", "chr20_excerpt.fa", "exon_scores.tsv",
             "intron_scores.tsv", "sequence_labels.tsv", "prom_core_classifier.json", "prom_core_heldout.fa"]
    for name in names:
        shutil.copy(TEST_DATA / name, tmp_path / name)
    return {name: tmp_path / name for name in names}


# (arguments, which input the output collides with); {name} is replaced by that copy's path.
COLLISIONS = [
    (["embed", "{sequences.fa}", "-o", "{sequences.fa}"], "sequences.fa"),
    (["embed", "{sequences.fa}", "-o", "{tmp}/e.tsv", "--npz", "{sequences.fa}"], "sequences.fa"),
    (["embed", "{sequences.fa}", "-o", "{sequence_labels.tsv}", "--labels", "{sequence_labels.tsv}",
      "--projection", "{tmp}/p.png"], "sequence_labels.tsv"),
    (["predict", "{sequences.fa}", "--positions", "1", "-o", "{tmp}/p.tsv", "--plot", "{sequences.fa}"],
     "sequences.fa"),
    (["variants", "--ref-fasta", "{exon_ref.fa}", "--alt-fasta", "{exon_alt.fa}", "-o", "{exon_alt.fa}"],
     "exon_alt.fa"),
    (["variants", "--vcf", "{variants.vcf}", "--reference", "{chr20_excerpt.fa}", "-o", "{tmp}/v.tsv",
      "--vcf-out", "{variants.vcf}"], "variants.vcf"),
    (["variants", "--vcf", "{variants.vcf}", "--reference", "{chr20_excerpt.fa}", "-o", "{chr20_excerpt.fa}"],
     "chr20_excerpt.fa"),
    (["compare", "{exon_scores.tsv}", "{intron_scores.tsv}", "--value", "llr", "-o", "{intron_scores.tsv}"],
     "intron_scores.tsv"),
    (["classify", "predict", "{prom_core_classifier.json}", "{prom_core_heldout.fa}", "-o",
      "{prom_core_classifier.json}"], "prom_core_classifier.json"),
    (["tokenize", "{sequences.fa}", "-o", "{tmp}/t.tsv", "--one-hot", "{sequences.fa}"], "sequences.fa"),
]


def _fill(arguments, inputs, tmp_path):
    filled = []
    for argument in arguments:
        argument = argument.replace("{tmp}", str(tmp_path))
        for name, path in inputs.items():
            argument = argument.replace("{" + name + "}", str(path))
        filled.append(argument)
    return filled


@pytest.mark.parametrize(("arguments", "victim"), COLLISIONS, ids=[" ".join(c[0][:2]) + f"->{c[1]}"
                                                                    for c in COLLISIONS])
def test_an_output_that_is_an_input_is_refused_and_the_input_kept(run_cli, inputs, tmp_path, arguments, victim):
    before = inputs[victim].read_bytes()
    model = [] if arguments[0] == "compare" else ["--model", TINY]
    result = run_cli(*_fill(arguments, inputs, tmp_path), *model)
    assert result.code == 1 and "is also an input" in result.err and result.err.count("\n") == 1
    assert inputs[victim].read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(inputs)


def test_the_same_file_by_another_name_is_caught(run_cli, inputs, tmp_path):
    alias = tmp_path / "alias.fa"
    os.link(inputs["sequences.fa"], alias)
    result = run_cli("embed", inputs["sequences.fa"], "-o", alias, "--model", TINY)
    assert result.code == 1 and "is also an input" in result.err


def test_the_reference_index_is_an_input_too(run_cli, inputs, tmp_path):
    index = tmp_path / "chr20_excerpt.fa.fai"
    result = run_cli("variants", "--vcf", inputs["variants.vcf"], "--reference", inputs["chr20_excerpt.fa"],
                     "-o", index, "--model", TINY)
    assert result.code == 1 and "is also an input" in result.err and not index.exists()


@pytest.mark.parametrize("second", ["--npz", "--heatmap"])
def test_one_path_for_two_outputs_is_refused(run_cli, inputs, tmp_path, second):
    out = tmp_path / "both.out"
    result = run_cli("embed", inputs["sequences.fa"], "-o", out, second, out, "--model", TINY)
    assert result.code == 1 and "named for two outputs" in result.err and not out.exists()


def test_a_symbolic_link_or_fifo_at_the_output_is_left_alone(run_cli, inputs, tmp_path):
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep me")
    link = tmp_path / "link.tsv"
    link.symlink_to(target)
    fifo = tmp_path / "fifo.tsv"
    os.mkfifo(fifo)
    for out in (link, fifo):
        result = run_cli("embed", inputs["sequences.fa"], "-o", out, "--model", TINY)
        assert result.code == 1 and result.err.count("\n") == 1, result.err
    assert link.is_symlink() and target.read_text() == "keep me"
    assert fifo.is_fifo()


class _FullDisk:
    """A file whose last buffer cannot be flushed: what a full disk looks like at close()."""

    def __init__(self, handle):
        self.handle = handle

    def close(self):
        self.handle.close()
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_at_the_last_flush_leaves_nothing(tmp_path):
    with pytest.raises(OSError, match="No space"), OutputSet() as outputs:
        outputs.open_text(tmp_path / "a.tsv").write("written\n")
        outputs.open_text(tmp_path / "b.tsv").write("written\n")
        outputs._handles[1] = _FullDisk(outputs._handles[1])
    assert list(tmp_path.iterdir()) == []


def test_an_error_after_some_outputs_leaves_nothing(tmp_path):
    with pytest.raises(OSError), OutputSet() as outputs:
        outputs.open_text(tmp_path / "a.tsv").write("written\n")
        outputs.path(tmp_path / "b.npz")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_rename_publishes_nothing_and_restores_the_old_files(tmp_path, monkeypatch):
    first, second = tmp_path / "a.tsv", tmp_path / "b.tsv"
    first.write_text("old a\n")
    real_replace = os.replace
    calls = []

    def failing_replace(source, destination):
        calls.append(destination)
        if str(destination) == str(second):
            raise OSError(errno.EIO, "Input/output error")
        return real_replace(source, destination)

    monkeypatch.setattr(outputs_module.os, "replace", failing_replace)
    with pytest.raises(OSError), OutputSet() as outputs:
        outputs.open_text(first).write("new a\n")
        outputs.open_text(second).write("new b\n")
    assert str(second) in map(str, calls)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.tsv"] and first.read_text() == "old a\n"


def test_leftovers_of_a_killed_run_are_removed_by_the_next(tmp_path):
    host = outputs_module._OWNER.rsplit("-", 1)[0]
    dead = tmp_path / f".out.tsv.{host}-999999999.abc.part.tsv"  # no such process
    alive = tmp_path / f".out.tsv.{host}-{os.getppid()}.abc.part.tsv"  # a running process's file stays
    dead.write_text("partial")
    alive.write_text("in progress")
    with OutputSet() as outputs:
        outputs.open_text(tmp_path / "out.tsv").write("done\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([alive.name, "out.tsv"])


def test_check_output_paths_allows_distinct_files(tmp_path):
    outputs_module.check_output_paths([tmp_path / "in.fa"], [tmp_path / "a.tsv", tmp_path / "b.tsv"])
    with pytest.raises(InputError):
        outputs_module.check_output_paths([], [tmp_path / "a.tsv", tmp_path / "./a.tsv"])


def test_outputs_follow_the_users_umask(tmp_path):
    old = os.umask(0o077)
    try:
        import importlib

        module = importlib.reload(outputs_module)
        with module.OutputSet() as outputs:
            outputs.open_text(tmp_path / "private.tsv").write("patient data\n")
    finally:
        os.umask(old)
        importlib.reload(outputs_module)
    assert (tmp_path / "private.tsv").stat().st_mode & 0o777 == 0o600


def test_an_earlier_runs_index_does_not_outlive_an_unsorted_vcf(run_cli, tmp_path):
    vcf = tmp_path / "unsorted.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                   "20\t2500\tb\tG\tA\t.\t.\t.\n20\t1500\ta\tA\tG\t.\t.\t.\n")
    out = tmp_path / "annotated.vcf.gz"
    stale = tmp_path / "annotated.vcf.gz.tbi"
    stale.write_bytes(b"an index of another file")
    result = run_cli("variants", "--vcf", vcf, "--reference", TEST_DATA / "chr20_excerpt.fa", "-o", tmp_path / "v.tsv",
                     "--vcf-out", out, "--model", TINY)
    assert result.code == 0 and "not sorted" in result.err
    assert out.exists() and not stale.exists()
