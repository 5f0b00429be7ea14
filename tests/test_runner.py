"""The runner: batches by length, keeps input order, backs off on out-of-memory, falls back to the CPU."""

import pytest
import torch

from dnalens.errors import Cancelled, DNALensError
from dnalens.runner import Runner, length_buckets


def test_length_buckets_respect_the_token_budget_and_cover_every_item():
    lengths = [5, 100, 7, 50, 50, 3, 99]
    batches = length_buckets(lengths, token_budget=150)
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    for batch in batches:
        assert len(batch) * max(lengths[i] for i in batch) <= 150 or len(batch) == 1


def test_length_buckets_keep_padding_under_ten_percent():
    lengths = [100, 95, 91, 89, 50, 48, 46, 10]
    batches = length_buckets(lengths, token_budget=10_000)
    assert [[lengths[i] for i in batch] for batch in batches] == [[100, 95, 91], [89], [50, 48, 46],
                                                                   [10]]
    for batch in batches:
        assert min(lengths[i] for i in batch) >= 0.9 * max(lengths[i] for i in batch)


def test_results_come_back_in_input_order():
    runner = Runner(torch.device("cpu"), pad_id=0, token_budget=10)
    items = [[1] * n for n in (3, 9, 1, 4, 4, 8)]
    sums = runner.map(items, lambda ids, mask, idx: mask.sum(dim=1).tolist())
    assert sums == [3, 9, 1, 4, 4, 8]


def test_out_of_memory_halves_the_batch_and_still_answers():
    runner = Runner(torch.device("cpu"), pad_id=0, token_budget=1000, warn=lambda m: warnings.append(m))
    warnings = []

    def compute(ids, mask, idx):
        if len(idx) > 2:
            raise torch.OutOfMemoryError("simulated")
        return ids[:, 0].tolist()

    # Equal lengths: one bucket of eight, which "does not fit" until it is halved twice.
    assert runner.map([[n] * 5 for n in range(1, 9)], compute) == list(range(1, 9))
    assert runner.token_budget < 1000 and any("out of memory" in w for w in warnings)


def test_a_sequence_too_big_for_the_gpu_moves_the_run_to_the_cpu():
    moved = []
    runner = Runner(torch.device("cpu"), pad_id=0, token_budget=100, warn=lambda m: None,
                    move_to_cpu=lambda: moved.append(True))
    runner.device = torch.device("meta")  # stands in for a GPU: anything that is not the CPU

    def compute(ids, mask, idx):
        if runner.device.type != "cpu":
            raise torch.OutOfMemoryError("simulated")
        return [int(ids.device.type == "cpu")] * len(idx)

    assert runner.map([[1, 2], [3]], compute) == [1, 1]
    assert moved == [True] and runner.device.type == "cpu"


def test_out_of_memory_on_the_cpu_for_one_sequence_is_a_clear_error():
    runner = Runner(torch.device("cpu"), pad_id=0, token_budget=100)

    def compute(ids, mask, idx):
        raise torch.OutOfMemoryError("simulated")

    with pytest.raises(DNALensError, match="out of memory on a single sequence"):
        runner.map([[1]], compute)


def test_cancellation_stops_between_batches():
    import threading

    event = threading.Event()
    batches = []

    def compute(ids, mask, idx):
        batches.append(idx)
        event.set()  # Cancel pressed during the first batch
        return [0] * len(idx)

    runner = Runner(torch.device("cpu"), pad_id=0, token_budget=2, cancel_event=event)
    with pytest.raises(Cancelled):
        runner.map([[1]] * 5, compute)
    assert len(batches) == 1


@pytest.mark.parametrize(("dtype", "native", "warned"), [(torch.bfloat16, False, True),
                                                          (torch.bfloat16, True, False),
                                                          (torch.float32, False, False)])
def test_bf16_on_a_cpu_without_bf16_units_is_warned_about(monkeypatch, dtype, native, warned):
    from types import SimpleNamespace

    import dnalens.device

    monkeypatch.setattr(dnalens.device, "cpu_has_native_bf16", lambda: native)
    model = SimpleNamespace(device=torch.device("cpu"), dtype=dtype, pad_id=0, move_to=lambda _: None)
    messages: list[str] = []
    Runner.for_model(model, messages.append)
    assert bool(messages) == warned
    assert all("slower than float32" in message for message in messages)
