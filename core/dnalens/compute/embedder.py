"""Sequence embeddings: hidden states of chosen layers, pooled over real bases only, windowed when long."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ..choices import POOLINGS
from ..errors import DNALensError
from ..model import LanguageModel
from ..runner import Progress, Runner
from ..sequence import reverse_complement


@dataclass(frozen=True)
class EmbeddingOptions:
    pooling: str = "mean"
    layer: str = "-1"
    window: int | None = None  # bases per window; default: the model's limit
    stride: int | None = None  # bases between window starts; default: the window (no overlap)
    rc_average: bool = False

    def describe(self) -> str:
        return (f"hidden states of layer(s) {self.layer}, {self.pooling}-pooled over sequence tokens "
                "(attention mask applied; special tokens and padding excluded)"
                + ("; averaged with the reverse complement" if self.rc_average else ""))


def parse_layers(spec: str, num_layers: int) -> list[int]:
    """Indices into hidden_states (0 = token embeddings, num_layers = last layer).

    '-1' last; 'N'; 'A:B' mean of layers A..B inclusive; 'all-mean' mean of layers 1..num_layers.
    """
    spec = str(spec).strip()

    def index(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise DNALensError(f"--layer {spec}: expected -1, N, A:B or all-mean") from None
        value = value + num_layers + 1 if value < 0 else value
        if not 0 <= value <= num_layers:
            raise DNALensError(f"--layer {spec}: the model has layers 0 (embeddings) to {num_layers}")
        return value

    if spec == "all-mean":
        return list(range(1, num_layers + 1))
    if ":" in spec:
        start_text, end_text = spec.split(":", 1)
        start, end = index(start_text), index(end_text)
        if start > end:
            raise DNALensError(f"--layer {spec}: the first layer must not come after the last")
        return list(range(start, end + 1))
    return [index(spec)]


def window_starts(length: int, window: int, stride: int) -> list[int]:
    """Where the windows of a sequence longer than the window start; the last one is aligned to the end so no base
    is left out."""
    starts = list(range(0, length - window + 1, stride))
    if starts[-1] + window < length:
        starts.append(length - window)
    return starts


def windows_of(sequence: str, window: int, stride: int) -> list[str]:
    """Windows covering the whole sequence (one, the sequence, when it is no longer than the window)."""
    if len(sequence) <= window:
        return [sequence]
    return [sequence[start : start + window] for start in window_starts(len(sequence), window, stride)]


def window_stretches(length: int, window: int, stride: int, limit: int) -> list[tuple[int, int]]:
    """(start, end) of consecutive stretches of at most `limit` bases, each cut at the sequence's window starts,
    whose own windows (windows_of) are together exactly the sequence's. So their embeddings, combined by
    Embedder.embed_weighted's weights, are the sequence's embedding (forward strand only)."""
    if length <= limit:
        return [(0, length)]
    if window > limit:
        raise ValueError(f"a window of {window} bp does not fit in {limit} bp")
    starts = window_starts(length, window, stride)
    per_stretch = (limit - window) // stride + 1  # windows whose span fits in `limit`
    stretches = []
    for first in range(0, len(starts), per_stretch):
        last = min(first + per_stretch, len(starts)) - 1
        stretches.append((starts[first], starts[last] + window))
    return stretches


class Embedder:
    """Turns sequences into one vector each with the options given."""

    def __init__(self, model: LanguageModel, options: EmbeddingOptions, runner: Runner):
        if options.pooling not in POOLINGS:
            raise DNALensError(f"--pooling {options.pooling}: expected one of {', '.join(POOLINGS)}")
        cls_id = model.tokenizer.cls_token_id
        if options.pooling == "cls" and (cls_id is None or model.encode(["A"])[0][0] != cls_id):
            raise DNALensError(f"--pooling cls: model '{model.id}' does not start sequences with a [CLS] token; "
                               "use mean or max")
        self.model = model
        self.options = options
        self.runner = runner
        self.layers = parse_layers(options.layer, model.num_layers)
        if not getattr(model, "exact_layers", True) and self.layers != [model.num_layers]:
            raise DNALensError(f"--layer {options.layer}: model '{model.id}' gives only its last layer's states "
                               "(no per-layer output and no layer list to read them from), so only --layer -1 is "
                               "exact")
        self.window = options.window or model.max_bp
        if self.window > model.max_bp:
            raise DNALensError(f"--window {self.window}: longer than the model's limit of {model.max_bp} bp")
        self.stride = options.stride or self.window
        if not 0 < self.stride <= self.window:
            raise DNALensError(f"--stride {self.stride}: must be between 1 and the window ({self.window})")
        self._special_ids = torch.tensor(sorted(set(model.tokenizer.all_special_ids)), device=model.device)
        self.windowed_sequences = 0

    @property
    def dimension(self) -> int:
        return self.model.hidden_size

    def _pool_batch(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, _indices) -> list:
        return self.pool(self.model.hidden_states(input_ids, attention_mask), input_ids, attention_mask)

    def fits_one_window(self, sequences: Sequence[str]) -> bool:
        """True when every sequence is embedded from one window of one strand, i.e. from a single pass."""
        return not self.options.rc_average and all(len(s) <= self.window for s in sequences)

    def pool(self, states: tuple[torch.Tensor, ...], input_ids: torch.Tensor, attention_mask: torch.Tensor) -> list:
        """(vector, number of pooled tokens) per row, from the hidden states of one batch."""
        if len(self.layers) == 1:  # the usual case: no stacked copy of the hidden states
            hidden = states[self.layers[0]].float()
        else:
            hidden = torch.stack([states[i] for i in self.layers]).float().mean(dim=0)
        special = self._special_ids.to(input_ids.device)  # the runner may have moved to the CPU
        content = (attention_mask.bool() & ~torch.isin(input_ids, special)).unsqueeze(-1)
        counts = content.sum(dim=1).clamp(min=1)
        if self.options.pooling == "mean":
            pooled = (hidden * content).sum(dim=1) / counts
        elif self.options.pooling == "max":
            pooled = hidden.masked_fill(~content, float("-inf")).amax(dim=1)
        else:
            pooled = hidden[:, 0]
        return list(zip(pooled.cpu().numpy(), counts.squeeze(-1).cpu().numpy()))

    def embed(self, sequences: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """(len(sequences), hidden_size) float32."""
        return self.embed_weighted(sequences, progress)[0]

    def embed_weighted(self, sequences: Sequence[str],
                       progress: Progress | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The embeddings, and each one's weight: what its windows were combined by (pooled tokens for mean
        pooling, windows for cls and max; of the forward strand). Embeddings of consecutive stretches of one
        sequence, each cut at the sequence's window starts, combine with these weights into the sequence's
        embedding (a server's client sends a record too long for one request that way, remote/embed.py)."""
        variants = [sequences]
        if self.options.rc_average:
            variants.append([reverse_complement(s) for s in sequences])
        result = np.zeros((len(sequences), self.dimension), dtype=np.float32)
        for strand in variants:
            owners, pieces = [], []
            for owner, sequence in enumerate(strand):
                windows = windows_of(sequence, self.window, self.stride)
                if len(windows) > 1 and strand is sequences:
                    self.windowed_sequences += 1
                owners.extend([owner] * len(windows))
                pieces.extend(windows)
            pooled = self.runner.map(self.model.encode(pieces), self._pool_batch)
            each = self._each_window_weight(pooled)
            if strand is sequences:
                weights = np.bincount(np.asarray(owners, dtype=int), weights=each, minlength=len(sequences))
            result += self._aggregate(owners, pooled, each, len(sequences)) / len(variants)
        if progress is not None:
            progress.advance(len(sequences))
        return result, weights

    def _each_window_weight(self, pooled: list) -> np.ndarray:
        """Token-weighted mean for mean pooling; each window alike for cls (and max, where weights do not count)."""
        if self.options.pooling == "mean":
            return np.array([float(tokens) for _, tokens in pooled])
        return np.ones(len(pooled))

    def _aggregate(self, owners: list[int], pooled: list, weights: np.ndarray, count: int) -> np.ndarray:
        """Combine windows: token-weighted mean for mean pooling, element-wise max for max, mean for cls."""
        if not pooled:
            return np.zeros((count, self.dimension), dtype=np.float32)
        vectors = np.stack([vector for vector, _ in pooled])
        if len(owners) == count:  # every sequence has a window, so this is one each, in order
            return vectors.astype(np.float32, copy=False)
        vectors = vectors.astype(np.float64)
        owner_index = np.asarray(owners)
        if self.options.pooling == "max":
            out = np.full((count, self.dimension), -np.inf)
            np.maximum.at(out, owner_index, vectors)
            return out.astype(np.float32)
        out = np.zeros((count, self.dimension))
        np.add.at(out, owner_index, weights[:, None] * vectors)
        out /= np.bincount(owner_index, weights=weights, minlength=count)[:, None]
        return out.astype(np.float32)
