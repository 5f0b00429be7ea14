"""The embed operation computed by a server: ops/embed.Embed's interface and records (Embedding), so
jobs/embed.py writes the same files from either."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from ..compute.embedder import EmbeddingOptions, window_stretches
from ..errors import RemoteError
from ..io.fasta import SequenceRecord
from ..ops.embed import Embedding, windowed_warning
from ..runner import Progress
from .requests import answered, bases_per_request, batched, malformed, text_bytes
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
        parts: list[tuple[np.ndarray, float]] = []  # the answered stretches of the record being joined
        for batch in batched(self._stretches(sequences), self.server, lambda s: (1, text_bytes(s.id, s.text)),
                             self.cancel_event):
            answer = self.server.post(ROUTE, {"sequences": [s.text for s in batch], "ids": [s.id for s in batch],
                                              **self.options})
            for stretch, item in zip(batch, answered(answer, "embeddings", len(batch), self.server, ROUTE)):
                parts.append((self._vector(item, stretch.id), self._weight(item, stretch)))
                if stretch.last:
                    yield Embedding(stretch.id, self._joined(parts))
                    parts = []
                    self.windowed_sequences += stretch.record_length > self.window  # as the Embedder counts
                    if progress is not None:
                        progress.advance(1)

    def _stretches(self, sequences: Iterable[SequenceRecord]) -> Iterator[Stretch]:
        """Each record whole, or, when it is longer than one request may carry, in stretches cut at its window
        starts (window_stretches), whose embeddings join exactly into the record's."""
        for record in sequences:
            length = len(record.sequence)
            limit = bases_per_request(self.server, record.id)
            if length > limit and (self.options["rc_average"] or self.window > limit):
                why = ("with --rc-average it is not sent in stretches" if self.options["rc_average"]
                       else f"its {self.window}-bp windows do not fit either")
                raise RemoteError(f"record '{record.id}': {length} bp, more than one request to {self.server.url} "
                                  f"carries ({limit} bp), and {why}: run it locally, or raise the server's limits "
                                  "(dnalens serve --max-length, --max-body-bytes)")
            cuts = window_stretches(length, self.window, self.stride, limit)
            for index, (start, end) in enumerate(cuts):
                yield Stretch(record.id, record.sequence[start:end], index == len(cuts) - 1, length)

    def _joined(self, parts: list[tuple[np.ndarray, float]]) -> np.ndarray:
        """One stretch's vector as it is; several combined as the Embedder combines windows."""
        if len(parts) == 1:
            return parts[0][0]
        vectors = np.stack([vector for vector, _ in parts]).astype(np.float64)
        if self.options["pooling"] == "max":
            return vectors.max(axis=0).astype(np.float32)
        weights = np.array([weight for _, weight in parts])
        return ((weights[:, None] * vectors).sum(axis=0) / weights.sum()).astype(np.float32)

    def _vector(self, item: dict, name: str) -> np.ndarray:
        """The answered vector, checked: a number per dimension the server described."""
        try:
            vector = np.asarray(item["vector"], dtype=np.float32)
        except (KeyError, TypeError, ValueError):
            vector = None
        if vector is None or vector.shape != (self.dimension,):
            raise malformed(self.server, ROUTE, f"record '{name}'")
        return vector

    def _weight(self, item: dict, stretch: Stretch) -> float:
        """A stretch's weight, needed only where a record was sent in stretches: positive and finite."""
        if len(stretch.text) == stretch.record_length:
            return 1.0  # the whole record in one piece
        weight = item.get("weight")
        if not isinstance(weight, (int, float)) or isinstance(weight, bool) or not 0 < weight < float("inf"):
            raise malformed(self.server, ROUTE, f"record '{stretch.id}' (no weight to join its stretches by: is "
                                                "the server as new as this dnalens?)")
        return float(weight)

    def warnings(self) -> list[str]:
        return windowed_warning(self.windowed_sequences, self.window, self.stride)


@dataclass(frozen=True)
class Stretch:
    """A record, or a stretch of one (remote/embed.py sends a record longer than a request may carry that way)."""

    id: str
    text: str
    last: bool  # the record's last (or only) stretch
    record_length: int
