"""Runs a model over many token sequences: length-bucketed batches, dynamic padding, inference mode,
out-of-memory back-off, progress and cancellation."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import torch

from .cancel import check_cancelled, current_cancel_event
from .device import emulated_bf16_warning
from .errors import Cancelled, DNALensError
from .messages import warn_on_stderr

T = TypeVar("T")
R = TypeVar("R")

# Tokens per forward pass. On the CPU, matmuls are already efficient at a few thousand tokens, and bigger
# batches only add cache misses (bench/harness.py: 4,096 was 10-20 % faster than 32,768 at 201 bp).
DEFAULT_TOKEN_BUDGET = {"cpu": 4_096, "cuda": 262_144, "mps": 65_536}
MAX_BATCH = 1024
# A batch's shortest sequence is at least this fraction of its longest: padding wastes at most 10 % of the
# work (mixed lengths up to 512 bp ran 1.45x faster than with one bucket padded to the longest).
PADDING_SLACK = 0.9


class Progress:
    """Counts finished items; draws a tqdm bar on stderr and/or calls `callback(done, total)`."""

    def __init__(self, total: int | None, description: str = "", *, quiet: bool = False,
                 callback: Callable[[int, int | None], None] | None = None,
                 cancel_event: threading.Event | None = None):
        self.total = total
        self.done = 0
        self.callback = callback
        self.cancel_event = cancel_event
        self._bar = None
        if not quiet and sys.stderr is not None:
            from tqdm import tqdm

            # disable=None: draw only on a terminal, so logs and Galaxy's stderr stay clean.
            self._bar = tqdm(total=total, desc=description, unit="seq", file=sys.stderr, leave=False,
                             dynamic_ncols=True, mininterval=0.5, disable=None)

    def check_cancelled(self) -> None:
        if self.cancel_event is not None and self.cancel_event.is_set():
            raise Cancelled("cancelled")

    def advance(self, count: int) -> None:
        self.done += count
        if self._bar is not None:
            self._bar.update(count)
        if self.callback is not None:
            self.callback(self.done, self.total)
        self.check_cancelled()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of at most `size` items: the unit of streaming (memory stays flat)."""
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def length_buckets(lengths: Sequence[int], token_budget: int, max_batch: int = MAX_BATCH,
                   equal: bool = False) -> list[list[int]]:
    """Indices grouped into batches of similar length whose padded size fits the token budget; `equal`: of one
    length only (models that padding would change, forward.py)."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i], reverse=True)
    batches: list[list[int]] = []
    current: list[int] = []
    for index in order:
        longest = lengths[current[0]] if current else lengths[index]
        full = (len(current) + 1) * longest > token_budget or len(current) == max_batch
        slack = 1.0 if equal else PADDING_SLACK
        if current and (full or lengths[index] < slack * longest):
            batches.append(current)
            current = []
        current.append(index)
    if current:
        batches.append(current)
    return batches


def pad(token_lists: Sequence[Sequence[int]], pad_id: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded input ids and the attention mask that keeps padding out of every result."""
    lengths = [len(tokens) for tokens in token_lists]
    width = max(lengths)
    # One numpy conversion of the padded rows: a tensor per row costs more than the model on a GPU.
    rows = [[*tokens, *[pad_id] * (width - length)] for tokens, length in zip(token_lists, lengths)]
    input_ids = torch.from_numpy(np.array(rows, dtype=np.int64).reshape(len(rows), width))
    attention_mask = (torch.arange(width) < torch.tensor(lengths).unsqueeze(1)).long()
    return input_ids.to(device), attention_mask.to(device)


@dataclass
class Runner:
    """Maps a batch function over token sequences and returns per-item results in input order."""

    device: torch.device
    pad_id: int
    token_budget: int = 0
    warn: Callable[[str], None] = field(default=warn_on_stderr)
    # Called once when a single sequence does not fit on the GPU: moves the model to the CPU.
    move_to_cpu: Callable[[], None] | None = None
    # The model cannot ignore padding (no attention mask, or one it ignores): batches of one length only.
    equal_lengths: bool = False
    # Set: the next batch raises Cancelled. By default the event of the run in progress (cancel.py), so every
    # operation's runner honours the GUI's Cancel within one batch.
    cancel_event: threading.Event | None = field(default_factory=current_cancel_event)

    def __post_init__(self) -> None:
        if not self.token_budget:
            self.token_budget = DEFAULT_TOKEN_BUDGET.get(self.device.type, 32_768)

    @classmethod
    def for_model(cls, model, warn: Callable[[str], None] | None = None, token_budget: int = 0,
                  cancel_event: threading.Event | None = None) -> Runner:
        """`cancel_event`: by default the event of the run in progress (cancel.py)."""
        runner = cls(model.device, model.pad_id, token_budget, move_to_cpu=lambda: model.move_to("cpu"),
                     equal_lengths=not getattr(model, "pads_safely", True),
                     cancel_event=cancel_event or current_cancel_event())
        if warn is not None:
            runner.warn = warn
            slow = emulated_bf16_warning(model.device, model.dtype)
            if slow:
                warn(slow)
        return runner

    def map(self, token_lists: Sequence[Sequence[int]],
            compute: Callable[[torch.Tensor, torch.Tensor, list[int]], Sequence[R]]) -> list[R]:
        """`compute(input_ids, attention_mask, indices)` returns one result per row of the batch."""

        def padded(batch: list[int]) -> Sequence[R]:
            input_ids, attention_mask = pad([token_lists[i] for i in batch], self.pad_id, self.device)
            return compute(input_ids, attention_mask, batch)

        return self.map_items([len(t) for t in token_lists], padded)

    def map_items(self, sizes: Sequence[int], compute: Callable[[list[int]], Sequence[R]]) -> list[R]:
        """Like `map` for work that builds its own tensors: `sizes` are the tokens each item puts through the
        model, and `compute(indices)` returns one result per item of a batch (on `self.device`). The cancel
        event is checked before every batch, so Cancel stops the run within one batch."""
        results: list = [None] * len(sizes)
        pending = length_buckets(list(sizes), self.token_budget, equal=self.equal_lengths)
        with torch.inference_mode():
            while pending:
                batch = pending.pop(0)
                check_cancelled(self.cancel_event)
                try:
                    outputs = compute(batch)
                except torch.OutOfMemoryError:
                    if self.device.type == "cuda":
                        torch.cuda.empty_cache()
                    if len(batch) == 1:
                        if self.device.type == "cpu" or self.move_to_cpu is None:
                            raise DNALensError("out of memory on a single sequence; use a smaller --window") from None
                        self.warn("GPU out of memory even for one sequence: continuing on the CPU (slower)")
                        self.move_to_cpu()
                        self.device = torch.device("cpu")
                        self.token_budget = DEFAULT_TOKEN_BUDGET["cpu"]
                        pending.insert(0, batch)
                        continue
                    self.token_budget = max(1, self.token_budget // 2)
                    self.warn(f"out of memory: retrying with batches of at most {self.token_budget} tokens")
                    half = len(batch) // 2
                    pending[:0] = [batch[:half], batch[half:]]
                    continue
                for index, output in zip(batch, outputs):
                    results[index] = output
        return results
