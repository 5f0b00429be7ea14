"""Cancel reaches every operation through the runner of the run in progress (the GUI's Cancel button)."""

import threading
import time

import numpy as np
import pytest
import torch

from conftest import TEST_DATA
from dnalens.cancel import cancellable, current_cancel_event
from dnalens.context import RunContext
from dnalens.errors import Cancelled
from dnalens.runner import Runner

TINY_MODEL = TEST_DATA / "tiny-model"


@pytest.fixture(scope="module")
def tiny():
    from dnalens.model import load_model

    return load_model(str(TINY_MODEL), device="cpu")


def test_a_runner_made_during_a_run_carries_its_cancel_event_and_stops_before_the_next_batch():
    event = threading.Event()
    calls = []

    def compute(ids, mask, indices):
        calls.append(indices)
        event.set()  # Cancel pressed while the first batch runs
        return [0] * len(indices)

    with cancellable(event):
        runner = Runner(torch.device("cpu"), pad_id=0, token_budget=4)
        assert runner.cancel_event is event
        with pytest.raises(Cancelled):
            runner.map([[1, 2, 3, 4]] * 5, compute)
    assert len(calls) == 1  # four more batches were never run
    assert current_cancel_event() is None
    assert Runner(torch.device("cpu"), pad_id=0).cancel_event is None  # the CLI: no event


def _cancel_after(event: threading.Event, seconds: float) -> list[float]:
    pressed: list[float] = []

    def press():
        time.sleep(seconds)
        pressed.append(time.monotonic())
        event.set()

    threading.Thread(target=press, daemon=True).start()
    return pressed


def test_predict_every_position_of_one_long_sequence_stops_within_a_second(tiny, tmp_path):
    from dnalens.jobs.predict import predict_fasta

    rng = np.random.default_rng(1)
    fasta = tmp_path / "long.fa"
    fasta.write_text(">long\n" + "".join(rng.choice(list("ACGT"), 5_000)) + "\n")
    event = threading.Event()
    pressed = _cancel_after(event, 0.5)
    with cancellable(event), pytest.raises(Cancelled):
        predict_fasta(tiny, fasta, tmp_path / "out.tsv", plot=tmp_path / "out.png",
                      context=RunContext(quiet=True, cancel_event=event))
    latency = time.monotonic() - pressed[0]
    print(f"predict cancel latency {latency:.2f} s")
    assert latency < 2.0, f"predict took {latency:.2f} s to stop"
    assert not list(tmp_path.glob("out*"))


def test_learning_stops_in_cross_validation_and_writes_nothing(tiny, tmp_path):
    from dnalens.jobs.learn import train_to_files
    from dnalens.learn import read_labelled

    data = read_labelled(TEST_DATA / "prom_core_subset.tsv")
    event = threading.Event()
    reached = []

    def progress(done, total):  # embedding finished: what remains is cross-validation and the bootstrap
        if done == total:
            reached.append(done)
            event.set()

    context = RunContext(quiet=True, cancel_event=event, progress_callback=progress)
    with cancellable(event), pytest.raises(Cancelled):
        train_to_files(tiny, data, tmp_path / "m.json", task="classification", kind="logistic", cv=3,
                       report=tmp_path / "r.tsv", plot=tmp_path / "p.png", context=context)
    assert reached == [len(data.sequences)]
    assert not list(tmp_path.iterdir())


def test_the_bootstrap_checks_between_resamples():
    from dnalens.learn import paired_bootstrap

    targets = np.array([0, 1] * 20)
    predictions = {"a": np.column_stack([1 - targets, targets]).astype(float)}
    event = threading.Event()
    event.set()
    with cancellable(event), pytest.raises(Cancelled):
        paired_bootstrap(targets, predictions, "classification", seed=0)
    assert paired_bootstrap(targets, predictions, "classification", seed=0)["a"]["accuracy"] == [1.0, 1.0]


def _one_batch_then_cancel(monkeypatch) -> list[int]:
    """Every batch any runner computes is counted; Cancel is pressed while the first one runs."""
    batches: list[int] = []
    real = Runner.map_items

    def counting(self, sizes, compute):
        def first_sets_cancel(indices):
            batches.append(len(indices))
            self.cancel_event.set()
            return compute(indices)

        return real(self, sizes, first_sets_cancel)

    monkeypatch.setattr(Runner, "map_items", counting)
    return batches


def _run_embed(model, context, runner, out):
    from dnalens.jobs.embed import embed_fasta

    embed_fasta(model, TEST_DATA / "sequences.fa", out / "e.tsv", context=context, runner=runner)


def _run_predict_all_positions(model, context, runner, out):
    from dnalens.jobs.predict import predict_fasta

    fasta = out / "long.fa"
    fasta.write_text(">long\n" + "".join(np.random.default_rng(2).choice(list("ACGT"), 3_000)) + "\n")
    predict_fasta(model, fasta, out / "p.tsv", context=context, runner=runner)


def _run_variants(model, context, runner, out):
    from dnalens.jobs.variants import score_variants

    score_variants(model, out / "v.tsv", vcf=TEST_DATA / "variants.vcf", reference=TEST_DATA / "chr20_excerpt.fa",
                   vcf_out=out / "v.vcf", context=context, runner=runner)


def _run_classify_train(model, context, runner, out):
    from dnalens.jobs.learn import train_to_files
    from dnalens.learn import read_labelled

    train_to_files(model, read_labelled(TEST_DATA / "prom_core_subset.tsv"), out / "m.json",
                   task="classification", kind="logistic", cv=3, report=out / "r.tsv", context=context,
                   runner=runner)


def _run_mutagenesis(model, context, runner, out):
    from dnalens.jobs.mutagenesis import mutagenesis

    mutagenesis(model, out / "m.tsv", reference=TEST_DATA / "chr20_excerpt.fa", region="20:1-6000",
                bedgraph=out / "m.bedgraph", context=context, runner=runner)


@pytest.mark.parametrize("run", [_run_embed, _run_predict_all_positions, _run_variants, _run_classify_train,
                                 _run_mutagenesis],
                         ids=["embed", "predict-all-positions", "variants", "classify-train", "mutagenesis"])
def test_cancel_stops_each_operation_within_one_batch_and_writes_nothing(tiny, tmp_path, monkeypatch, run):
    batches = _one_batch_then_cancel(monkeypatch)
    event = threading.Event()
    context = RunContext(quiet=True, cancel_event=event)
    runner = context.runner(tiny, token_budget=256)  # small batches: every input here needs several
    assert runner.cancel_event is event
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(Cancelled):
        run(tiny, context, runner, out)
    assert len(batches) == 1, f"{len(batches)} batches ran after Cancel"
    assert not [p for p in out.iterdir() if p.suffix != ".fa"]
