"""The mutagenesis operation computed by a server: ops/mutagenesis.Mutagenesis' interface and records
(MutatedPosition), so jobs/mutagenesis.py writes the same table, bedGraph and heatmap from either.

Each request sends one stretch of the target: the bases the local operation would read for those positions (from
the first position's window start to the last one's window end), with the positions as its `range`. Windows clamp
at the ends of that stretch exactly where they clamp at the ends of the whole sequence, because the stretch itself
starts and ends on clamped windows; so a region near a chromosome's end is scored as locally."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator

import numpy as np

from ..cancel import check_cancelled
from ..compute.scoring import BASES
from ..errors import RemoteError
from ..ops.mutagenesis import POSITIONS_PER_CHUNK, MutatedPosition, Target, unscored_warning, window_start
from ..runner import Progress
from .requests import BODY_MARGIN, answered, malformed
from .server import Server

ROUTE = "/dnalens/mutagenesis"


class RemoteMutagenesis:
    def __init__(self, server: Server, window: int | None, cancel_event: threading.Event | None = None):
        self.server, self.cancel_event = server, cancel_event
        # The server checks the window and its model's head, and says the method, before any work.
        described = server.describe_operation({"operation": "mutagenesis", "window": window})
        self.window: int = described["window"]
        self._method: str = described["method"]
        self.method: str = described["scoring"]
        self.unscored = 0
        limits = server.limits
        # Positions per request: the local chunk, within the server's positions, length and body limits.
        self.positions_per_request = max(1, min(POSITIONS_PER_CHUNK, limits.max_positions,
                                                limits.max_length - self.window + 1,
                                                limits.max_body_bytes - BODY_MARGIN - self.window))

    def describe(self) -> str:
        return self._method

    def records(self, target: Target, progress: Progress | None = None) -> Iterator[MutatedPosition]:
        window = min(self.window, target.length)
        limit = self.server.limits.max_length
        if window > limit:  # each request carries at least one window
            raise RemoteError(f"--window {window}: longer than the {limit} bp per sequence the server at "
                              f"{self.server.url} takes (dnalens serve --max-length); give a smaller --window")
        for first in range(target.first, target.last + 1, self.positions_per_request):
            last = min(target.last, first + self.positions_per_request - 1)
            start = window_start(first - 1, target.length, window)
            stretch = target.fetch(start, window_start(last - 1, target.length, window) + window)
            yield from self._stretch(target.id, stretch, start, first, last)
            if progress is not None:
                progress.advance(last - first + 1)

    def _stretch(self, name: str, stretch: str, start: int, first: int, last: int) -> Iterator[MutatedPosition]:
        refs = [stretch[p - 1 - start] for p in range(first, last + 1)]
        scorable = sum(ref in BASES for ref in refs)
        self.unscored += len(refs) - scorable
        rows: list = []
        if scorable:
            check_cancelled(self.cancel_event)
            answer = self.server.post(ROUTE, {"sequences": [stretch], "ids": [name], "window": self.window,
                                              "range": f"{first - start}-{last - start}"})
            rows = answered(answer, "mutations", 3 * scorable, self.server, ROUTE)
        next_row = 0
        for position, ref in zip(range(first, last + 1), refs):
            log_probs = np.full(4, np.nan)
            if ref in BASES:
                log_probs = self._log_probs(rows[next_row : next_row + 3], name, position - start, position, ref)
                next_row += 3
            yield MutatedPosition(name, position, ref, log_probs)

    def _log_probs(self, rows: list, name: str, sent: int, position: int, ref: str) -> np.ndarray:
        """log P of A, C, G, T from the position's three rows (llr = log P(alt) - log P(ref), p_ref), checked: the
        rows of the position asked for, in the stretch's coordinates, with finite numbers."""
        try:
            log_probs = np.full(4, np.nan)
            log_ref = math.log(float(rows[0]["p_ref"]))
            log_probs[BASES.index(ref)] = log_ref
            for row in rows:
                if row["id"] != name or int(row["position"]) != sent or row["ref"] != ref or row["alt"] == ref:
                    raise ValueError(row)
                log_probs[BASES.index(row["alt"])] = float(row["llr"]) + log_ref
            if not np.isfinite(log_probs).all():
                raise ValueError(rows)
            return log_probs
        except (KeyError, TypeError, ValueError, IndexError):
            raise malformed(self.server, ROUTE, f"record '{name}' position {position}") from None

    def warnings(self) -> list[str]:
        return unscored_warning(self.unscored)
