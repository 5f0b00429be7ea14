"""The embed operation: sequences in, one embedding per sequence out, as records (jobs/embed.py writes them)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from ..compute.embedder import Embedder, EmbeddingOptions
from ..finite import require_finite
from ..io.fasta import SequenceRecord
from ..model import LanguageModel
from ..runner import Progress, Runner, chunked

CHUNK = 256  # sequences embedded at a time: memory stays flat however long the input


@dataclass(frozen=True)
class Embedding:
    id: str
    vector: np.ndarray  # float32, one value per hidden dimension
    weight: float = 1.0  # what its windows were combined by (Embedder.embed_weighted); for a server's answers


class Embed:
    """Embeds sequences chunk by chunk; afterwards `warnings()` says what the caller should know."""

    def __init__(self, model: LanguageModel, options: EmbeddingOptions, runner: Runner):
        self.options = options
        self.embedder = Embedder(model, options, runner)
        self.dimension = self.embedder.dimension

    @property
    def method(self) -> str:
        return self.options.describe()

    def parameters(self, input_name: str) -> dict:
        return {"pooling": self.options.pooling, "layer": self.options.layer, "window": self.embedder.window,
                "stride": self.embedder.stride, "rc_average": self.options.rc_average, "input": input_name}

    def records(self, sequences: Iterable[SequenceRecord], progress: Progress | None = None) -> Iterator[Embedding]:
        for chunk in chunked(sequences, CHUNK):
            embedded, weights = self.embedder.embed_weighted([r.sequence for r in chunk], progress)
            require_finite(embedded, [r.id for r in chunk], "embeddings")
            yield from (Embedding(r.id, vector, float(weight)) for r, vector, weight in zip(chunk, embedded, weights))

    @property
    def windowed_sequences(self) -> int:
        return self.embedder.windowed_sequences

    def warnings(self) -> list[str]:
        return windowed_warning(self.embedder.windowed_sequences, self.embedder.window, self.embedder.stride)


def windowed_warning(windowed: int, window: int, stride: int) -> list[str]:
    if not windowed:
        return []
    return [f"{windowed} sequence(s) longer than {window} bp were embedded in windows (stride {stride}) and the "
            "windows averaged"]
