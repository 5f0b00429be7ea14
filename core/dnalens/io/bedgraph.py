"""bedGraph: one value per base, which genome browsers (UCSC, IGV, JBrowse) draw as a track.

Coordinates are 0-based and half-open (a 1-based position p is `p-1 p`); '#' lines carry the provenance and
a `track` line names the track.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO

from .tsv import format_value


class BedGraphWriter:
    def __init__(self, handle: IO[str], name: str, description: str, comments: Iterable[str] = ()):
        self.handle = handle
        for line in comments:
            handle.write(f"# {line}\n")
        handle.write(f'track type=bedGraph name="{_quoted(name)}" description="{_quoted(description)}"\n')

    def write(self, chrom: str, position: int, value: float) -> None:
        """The value of the base at 1-based `position`."""
        self.handle.write(f"{chrom}\t{position - 1}\t{position}\t{format_value(value)}\n")


def _quoted(text: str) -> str:
    return text.replace('"', "'")
