"""All-or-nothing outputs: every file of a run is written to a temporary name and renamed at the end.

A failed, cancelled or interrupted run leaves none of its outputs behind, not even a partial one, and a
run never writes over one of its own inputs, a device, a FIFO or through a symbolic link.
"""

from __future__ import annotations

import contextlib
import glob
import os
import socket
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from ..errors import InputError

# Temporary names carry the host and process, so a later run can remove what a killed one (SIGKILL, power
# loss) left behind without touching a run still in progress.
_OWNER = f"{socket.gethostname().split('.')[0]}-{os.getpid()}"


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


# Published files get the permissions the user's umask gives new files (mkstemp makes them 0600).
_FILE_MODE = 0o666 & ~_umask()


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def check_output_paths(inputs: Iterable[str | Path | None], outputs: Iterable[str | Path | None]) -> None:
    """Refuse, before any work, an output that is an input or is named twice (one would be lost)."""
    inputs = [Path(p) for p in inputs if p]
    seen: list[Path] = []
    for output in (Path(p) for p in outputs if p):
        for source in inputs:
            if _same_file(output, source):
                raise InputError(f"{output}: this output is also an input ({source}); choose another output name")
        for other in seen:
            if _same_file(output, other):
                raise InputError(f"{output}: named for two outputs; each output needs its own file")
        seen.append(output)


def _check_target(final: Path) -> None:
    if final.is_symlink():
        raise InputError(f"{final}: is a symbolic link; DNALens writes only regular files (give the real path)")
    if final.exists() and not stat.S_ISREG(final.stat().st_mode):
        raise InputError(f"{final}: exists and is not a regular file (a folder, device or FIFO); choose another "
                         "output name")


def check_output_target(final: str | Path) -> None:
    """What OutputSet.path refuses about an output, for a run that opens its OutputSet only at its end (--resume)."""
    final = Path(final)
    folder = final.parent if str(final.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"{final}: the output folder {folder} does not exist")
    _check_target(final)


def _remove_stale_parts(folder: Path, final: Path) -> None:
    """Temporary files of this output left by dead processes on this host."""
    host = _OWNER.rsplit("-", 1)[0]
    for leftover in folder.glob(f"{glob.escape(f'.{final.name}.{host}-')}*.part*"):
        pid = leftover.name[len(f".{final.name}.{host}-"):].split(".", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            leftover.unlink(missing_ok=True)
        except OSError:  # alive, owned by someone else
            pass


class OutputSet:
    """Context manager handing out temporary paths; on success they are renamed to their final names."""

    def __init__(self, inputs: Iterable[str | Path | None] = ()) -> None:
        self._inputs = [Path(p) for p in inputs if p]
        self._pending: list[tuple[Path, Path]] = []
        self._handles: list[IO] = []
        self._stale: list[Path] = []

    def path(self, final: str | Path) -> Path:
        """A temporary path in the same folder as `final` (so the rename is atomic)."""
        final = Path(final)
        folder = final.parent if str(final.parent) else Path(".")
        if not folder.is_dir():
            raise InputError(f"{final}: the output folder {folder} does not exist")
        check_output_paths(self._inputs, [*(f for _, f in self._pending), final])
        _check_target(final)
        _remove_stale_parts(folder, final)
        # The temporary name keeps the final suffix, so writers that choose a format by name still can.
        descriptor, temporary = tempfile.mkstemp(prefix=f".{final.name}.{_OWNER}.", suffix=f".part{final.suffix}",
                                                 dir=folder)
        os.close(descriptor)
        self._pending.append((Path(temporary), final))
        return Path(temporary)

    def remove_on_success(self, path: str | Path) -> None:
        """A file left by an earlier run that would now mislead (an index of a previous output)."""
        path = Path(path)
        check_output_paths(self._inputs, [path])
        self._stale.append(path)

    def open_text(self, final: str | Path) -> IO[str]:
        handle = open(self.path(final), "w", encoding="utf-8", newline="\n")
        self._handles.append(handle)
        return handle

    def __enter__(self) -> OutputSet:
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        try:
            for handle in self._handles:
                handle.close()  # a full disk shows here, when the last buffer is flushed
            if exc_type is None:
                self._publish()
        except BaseException:
            self._discard()
            raise
        if exc_type is not None:
            self._discard()

    def _discard(self) -> None:
        for handle in self._handles:
            with contextlib.suppress(OSError):
                handle.close()
        for temporary, _ in self._pending:
            temporary.unlink(missing_ok=True)

    def _publish(self) -> None:
        """Rename every temporary file into place, or none: a failed rename restores what was there."""
        backups: list[tuple[Path, Path]] = []
        published: list[Path] = []
        try:
            for temporary, final in self._pending:
                if final.exists():
                    backup = final.with_name(f".{final.name}.{_OWNER}.part.old")
                    os.replace(final, backup)
                    backups.append((backup, final))
                os.chmod(temporary, _FILE_MODE)
                os.replace(temporary, final)
                published.append(final)
        except BaseException:
            for final in published:
                final.unlink(missing_ok=True)
            for backup, final in backups:
                os.replace(backup, final)
            raise
        for backup, _ in backups:
            backup.unlink(missing_ok=True)
        for stale in self._stale:
            if stale.is_file() and not stale.is_symlink():
                stale.unlink()
