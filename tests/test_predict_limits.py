"""predict: position ranges are never expanded up front, and long sequences are scored in bounded batches."""

import time
import tracemalloc

import pytest

from conftest import TEST_DATA, random_dna
from dnalens.errors import InputError
from dnalens.jobs.predict import predict_fasta
from dnalens.ops import predict as predict_module
from dnalens.positions import parse_positions

TINY = str(TEST_DATA / "tiny-model")


def test_a_huge_range_is_kept_as_a_range():
    tracemalloc.start()
    positions = parse_positions("1-2000000000,5,7-9")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 1_000_000 and len(positions) == 2_000_000_000 and positions.ranges == ((1, 2_000_000_000),)
    assert list(parse_positions("9,3-5,4,20")) == [3, 4, 5, 9, 20]


@pytest.mark.parametrize("text", ["1_000", "-5", "0", "20-10", "5-", "abc", "1e3", ",", "+3"])
def test_malformed_positions_are_one_line_errors(text):
    with pytest.raises(InputError):
        parse_positions(text)


def test_a_range_beyond_the_sequence_fails_at_once_and_writes_nothing(run_cli, write_fasta, tmp_path):
    fasta = write_fasta({"a": random_dna(300, 1)})
    out = tmp_path / "p.tsv"
    started = time.monotonic()
    result = run_cli("predict", fasta, "--positions", "1-2000000000", "-o", out, "--model", TINY)
    assert result.code == 1 and "beyond its length (300 bp)" in result.err
    assert time.monotonic() - started < 30 and not out.exists()


def test_every_position_of_a_long_sequence_goes_in_bounded_batches(run_cli, write_fasta, tmp_path, monkeypatch):
    fasta = write_fasta({"long": random_dna(600, 2), "short": random_dna(40, 3)})
    whole = tmp_path / "whole.tsv"
    assert run_cli("predict", fasta, "--all-positions", "-o", whole, "--model", TINY, "--quiet").code == 0
    sizes = []
    real = predict_module.Scorer.site_log_probs

    def spy(self, requests):
        sizes.append(len(requests))
        return real(self, requests)

    monkeypatch.setattr(predict_module, "SITES_PER_BATCH", 128)
    monkeypatch.setattr(predict_module.Scorer, "site_log_probs", spy)
    batched = tmp_path / "batched.tsv"
    assert run_cli("predict", fasta, "--all-positions", "-o", batched, "--model", TINY, "--quiet").code == 0
    assert max(sizes) == 128 and sum(sizes) == 640
    assert batched.read_text() == whole.read_text()


def test_progress_counts_positions_so_one_long_sequence_moves_the_bar(loaded, write_fasta, tmp_path, monkeypatch):
    from dnalens.context import RunContext

    advances = []

    class Recorder:
        def __init__(self, total, label):
            self.total = total

        def advance(self, n):
            advances.append(n)

        def close(self):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.close()

    monkeypatch.setattr(predict_module, "SITES_PER_BATCH", 50)
    context = RunContext(quiet=True)
    monkeypatch.setattr(context, "progress", lambda total, label: Recorder(total, label))
    fasta = write_fasta({"one_long": random_dna(230, 4)})
    predict_fasta(loaded("masked_nucleotide"), fasta, tmp_path / "p.tsv", context=context)
    assert advances == [50, 50, 50, 50, 30]
