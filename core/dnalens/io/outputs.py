"""All-or-nothing outputs: every file of a run is written to a temporary name and renamed at the end.

A failed, cancelled or interrupted run leaves none of its outputs behind, not even a partial one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from ..errors import InputError


class OutputSet:
    """Context manager handing out temporary paths; on success they are renamed to their final names."""

    def __init__(self) -> None:
        self._pending: list[tuple[Path, Path]] = []
        self._handles: list[IO] = []

    def path(self, final: str | Path) -> Path:
        """A temporary path in the same folder as `final` (so the rename is atomic)."""
        final = Path(final)
        folder = final.parent if str(final.parent) else Path(".")
        if not folder.is_dir():
            raise InputError(f"{final}: the output folder {folder} does not exist")
        # The temporary name keeps the final suffix, so writers that choose a format by name still can.
        descriptor, temporary = tempfile.mkstemp(prefix=f".{final.name}.", suffix=f".part{final.suffix}",
                                                 dir=folder)
        os.close(descriptor)
        self._pending.append((Path(temporary), final))
        return Path(temporary)

    def open_text(self, final: str | Path) -> IO[str]:
        handle = open(self.path(final), "w", encoding="utf-8", newline="\n")
        self._handles.append(handle)
        return handle

    def __enter__(self) -> OutputSet:
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        for handle in self._handles:
            handle.close()
        if exc_type is None:
            for temporary, final in self._pending:
                os.chmod(temporary, 0o644)
                os.replace(temporary, final)
        else:
            for temporary, _ in self._pending:
                temporary.unlink(missing_ok=True)


def write_tsv_header(handle: IO[str], provenance_lines: Iterable[str], columns: list[str]) -> None:
    for line in provenance_lines:
        handle.write(f"# {line}\n")
    handle.write("\t".join(columns) + "\n")


def format_value(value) -> str:
    """Numbers with enough digits for a round trip of float32 results, empty for missing."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.7g}"
    return str(value)
