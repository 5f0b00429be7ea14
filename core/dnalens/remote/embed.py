"""The embed operation computed by a server: ops/embed.Embed's interface and records (Embedding), so
jobs/embed.py writes the same files from either."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator

import numpy as np

from ..compute.embedder import EmbeddingOptions
from ..io.fasta import SequenceRecord
from ..ops.embed import Embedding, windowed_warning
from ..runner import Progress
from .requests import answered, batched, check_length, malformed, text_bytes
from .server import Server

ROUTE = "/dnalens/embed"


class RemoteEmbed:
    def __init__(self, server: Server, options: EmbeddingOptions, cancel_event: threading.Event | None = None):
        self.server, self.cancel_event = server, cancel_event
        self.options = {"pooling": options.pooling, "layer": options.layer, "window": options.window,
                        "stride": options.stride, "rc_average": options.rc_average}
        # The server's Embed checks the options and says its method, dimension and window, before any work.
        described = server.describe_operation({"operation": "embed", **self.options})
        self.method: str = described["method"]
        self.dimension: int = described["dimension"]
        self.window: int = described["window"]
        self.stride: int = described["stride"]
        self._parameters: dict = described["parameters"]
        self.windowed_sequences = 0

    def parameters(self, input_name: str) -> dict:
        return {**self._parameters, "input": input_name}

    def records(self, sequences: Iterable[SequenceRecord], progress: Progress | None = None) -> Iterator[Embedding]:
        for batch in batched(self._checked(sequences), self.server, lambda r: (1, text_bytes(r.id, r.sequence)),
                             self.cancel_event):
            answer = self.server.post(ROUTE, {"sequences": [r.sequence for r in batch], "ids": [r.id for r in batch],
                                              **self.options})
            for record, item in zip(batch, answered(answer, "embeddings", len(batch), self.server, ROUTE)):
                yield Embedding(record.id, self._vector(item, record.id))
            self.windowed_sequences += sum(len(r.sequence) > self.window for r in batch)  # as the Embedder counts
            if progress is not None:
                progress.advance(len(batch))

    def _vector(self, item: dict, name: str) -> np.ndarray:
        """The answered vector, checked: a number per dimension the server described."""
        try:
            vector = np.asarray(item["vector"], dtype=np.float32)
        except (KeyError, TypeError, ValueError):
            vector = None
        if vector is None or vector.shape != (self.dimension,):
            raise malformed(self.server, ROUTE, f"record '{name}'")
        return vector

    def warnings(self) -> list[str]:
        return windowed_warning(self.windowed_sequences, self.window, self.stride)

    def _checked(self, sequences: Iterable[SequenceRecord]) -> Iterator[SequenceRecord]:
        for record in sequences:
            check_length(self.server, record.id, record.sequence)
            yield record
