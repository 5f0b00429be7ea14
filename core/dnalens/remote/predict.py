"""The predict operation computed by a server: ops/predict.Predict's interface and records (BaseProbabilities),
so jobs/predict.py writes the same files from either. The wanted sites are worked out here, as Predict does
(a shard's range of them included); each request names every record's own positions.

A record longer than the model's window is not sent whole: each request carries the stretch of it that the
windows of its positions read (from the first one's window start to the last one's window end), with the
positions counted within the stretch. Windows are shifted inwards at the stretch's ends exactly where they are
at the record's (context_window is monotonic in the site), so the numbers are the local ones, and a record
longer than the server's length limit can be scored too."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from itertools import groupby, islice

from ..io.fasta import SequenceRecord
from ..ops.predict import SITES_PER_BATCH, BaseProbabilities, context_start, long_sequences_warning, record_positions
from ..positions import Positions
from ..runner import Progress
from .requests import answered, bases_per_request, batched, check_length, malformed, plain_text, text_bytes
from .server import Server

ROUTE = "/dnalens/predict"
BASES = ("A", "C", "G", "T")
POSITIONS_BYTES = 64  # a request's room for a stretch's positions text
Entry = tuple[SequenceRecord, list[int], int]  # what one request sends of a record, its positions there, offset


class RemotePredict:
    """`positions` None means every position of every sequence."""

    def __init__(self, server: Server, positions: Positions | None, cancel_event: threading.Event | None = None):
        self.server, self.cancel_event = server, cancel_event
        self.positions = positions
        self.method: str = server.describe_operation({"operation": "predict"})["method"]
        self.windowed: list[str] = []
        # Sites per request: within the server's limit, and half a local batch (as mutagenesis sends 512 positions):
        # progress moves every few seconds, and a client that stops leaves the server at most one request's work.
        self.sites_per_request = max(1, min(server.limits.max_sites, SITES_PER_BATCH // 2))

    def parameters(self, input_name: str) -> dict:
        return {"positions": "all" if self.positions is None else self.positions.describe(), "input": input_name}

    def records(self, sequences: Iterable[SequenceRecord], progress: Progress | None = None,
                sites: tuple[int, int] | None = None) -> Iterator[BaseProbabilities]:
        """sites: only these of all the wanted sites in order (0-based, half-open: a shard)."""
        wanted = islice(self._sites(sequences), *sites) if sites else self._sites(sequences)
        for request in self._requests(wanted):
            answer = self.server.post(ROUTE, {"sequences": [record.sequence for record, _, _ in request],
                                              "ids": [record.id for record, _, _ in request],
                                              "positions_each": [_ranges(positions) for _, positions, _ in request]})
            asked = [(record.id, position, offset) for record, positions, offset in request for position in positions]
            for (name, position, offset), row in zip(asked, answered(answer, "predictions", len(asked), self.server,
                                                                     ROUTE)):
                yield self._probabilities(row, name, position, offset)
            count = len(asked)
            if progress is not None:
                progress.advance(count)

    def _probabilities(self, row: dict, name: str, position: int, offset: int) -> BaseProbabilities:
        """The row of the site asked for (at `position` of the stretch sent, `offset` bases into the record),
        checked: the server's answers are in request order."""
        try:
            if row["id"] != name or int(row["position"]) != position or len(plain_text(row["ref"])) != 1:
                raise ValueError(row)
            return BaseProbabilities(name, offset + position, row["ref"],
                                     {base: float(row[base]) for base in BASES}, self.method)
        except (KeyError, TypeError, ValueError):
            raise malformed(self.server, ROUTE, f"record '{name}' position {offset + position}") from None

    def warnings(self) -> list[str]:
        return long_sequences_warning(len(self.windowed), self.server.max_bp)

    def _sites(self, sequences: Iterable[SequenceRecord]) -> Iterator[tuple[int, SequenceRecord, int]]:
        """(record number, record, 1-based position) of every wanted site, lazily."""
        for number, record in enumerate(sequences):
            wanted = record_positions(record, self.positions)
            if len(record.sequence) > self.server.max_bp:
                self.windowed.append(record.id)
                if self.server.max_bp > bases_per_request(self.server, record.id, POSITIONS_BYTES):  # no window fits
                    check_length(self.server, record.id, record.sequence)
            else:
                check_length(self.server, record.id, record.sequence)
            for position in wanted:
                yield number, record, position

    def _requests(self, sites: Iterable[tuple[int, SequenceRecord, int]]) -> Iterator[list[Entry]]:
        """Requests of (record, its positions) entries, at most sites_per_request sites each."""
        def entries() -> Iterator[Entry]:
            per = self.sites_per_request
            for _, group in groupby(enumerate(sites), key=lambda item: (item[0] // per, item[1][0])):
                found = [site for _, site in group]
                yield from self._sent(found[0][1], [position for _, _, position in found])

        def size(entry: Entry) -> tuple[int, int]:
            record, positions, _ = entry
            return 1, text_bytes(record.id, record.sequence, _ranges(positions))

        # An entry never spans two request-sized groups of sites, so a request holds at most sites_per_request.
        for request in batched(entries(), self.server, size, self.cancel_event):
            yield from _split_by_sites(request, self.sites_per_request)

    def _sent(self, record: SequenceRecord, positions: list[int]) -> Iterator[Entry]:
        """The record and its positions as sent: whole when it fits the model's window, else as the stretches
        the positions' windows read, each within the request limits."""
        width, length = self.server.max_bp, len(record.sequence)
        if length <= width:
            yield record, positions, 0
            return
        limit = bases_per_request(self.server, record.id, POSITIONS_BYTES)

        def start(position: int) -> int:  # where the window of this 1-based position starts
            return context_start(position - 1, length, width)

        group: list[int] = []
        for position in positions:
            if group and start(position) + width - start(group[0]) > limit:
                yield self._stretch(record, group, start(group[0]), start(group[-1]) + width)
                group = []
            group.append(position)
        if group:
            yield self._stretch(record, group, start(group[0]), start(group[-1]) + width)

    @staticmethod
    def _stretch(record: SequenceRecord, positions: list[int], begin: int, end: int) -> Entry:
        return SequenceRecord(record.id, record.sequence[begin:end]), [p - begin for p in positions], begin


def _split_by_sites(request: list, most: int) -> Iterator[list]:
    part, count = [], 0
    for entry in request:
        if part and count + len(entry[1]) > most:
            yield part
            part, count = [], 0
        part.append(entry)
        count += len(entry[1])
    if part:
        yield part


def _ranges(positions: list[int]) -> str:
    """Sorted 1-based positions as ranges: [1, 2, 3, 7] → '1-3,7'."""
    runs = [[positions[0], positions[0]]]
    for position in positions[1:]:
        if position == runs[-1][1] + 1:
            runs[-1][1] = position
        else:
            runs.append([position, position])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)
