"""1-based positions chosen by a user ('5,17,101', '90-110'), kept as ranges: never expanded up front.

A form field that accepts '1-2000000000' must not become two billion integers in memory; positions are
checked against each sequence's length before any is produced.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from .errors import InputError

_PART = re.compile(r"^(\d+)(?:-(\d+))?$")  # plain digits: no signs, no '1_000', no '1e3'


@dataclass(frozen=True)
class Positions:
    ranges: tuple[tuple[int, int], ...]  # sorted, disjoint, inclusive, 1-based

    @property
    def last(self) -> int:
        return self.ranges[-1][1]

    def __len__(self) -> int:
        return sum(end - start + 1 for start, end in self.ranges)

    def __iter__(self) -> Iterator[int]:
        for start, end in self.ranges:
            yield from range(start, end + 1)

    def describe(self) -> str:
        return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in self.ranges)


def parse_positions(text: str) -> Positions:
    """'5,17,101' or ranges '10-20' → sorted, merged 1-based ranges."""
    ranges: list[tuple[int, int]] = []
    for part in str(text).replace(" ", "").split(","):
        if not part:
            continue
        match = _PART.match(part)
        if not match:
            raise InputError(f"--positions '{text}': expected numbers like 5,17,101 or a range 10-20")
        start = int(match.group(1))
        end = int(match.group(2) or start)
        if start < 1:
            raise InputError(f"--positions '{text}': positions are 1-based and must be 1 or more")
        if end < start:
            raise InputError(f"--positions '{text}': the range {part} ends before it starts")
        ranges.append((start, end))
    if not ranges:
        raise InputError(f"--positions '{text}': no positions given")
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return Positions(tuple(merged))
