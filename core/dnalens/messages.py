"""The one-line messages users read, in one wording for every face: the CLI prints them on stderr, the desktop
app shows them (and Galaxy matches 'dnalens: warning:' in a job's stderr, galaxy_tools/dnalens/macros.xml).

Imports nothing heavy: the CLI formats its errors even when torch never loaded.
"""

from __future__ import annotations

import sys

from .errors import DNALensError

PROGRAM = "dnalens"
OUT_OF_MEMORY = "out of memory; try a smaller input, fewer positions, --batch-tokens or a smaller --window"


def warning_line(message: str) -> str:
    return f"{PROGRAM}: warning: {message}"


def error_line(message: str) -> str:
    return f"{PROGRAM}: error: {message}"


def internal_error_line(error: BaseException) -> str:
    """A bug, not bad input: still one line, naming the exception."""
    return f"{PROGRAM}: internal error: {type(error).__name__}: {error}"


def is_bug(error: BaseException) -> bool:
    """False for what a user can act on: DNALens's own errors, files that cannot be read or written, memory."""
    return not isinstance(error, (DNALensError, OSError, MemoryError))


def describe(error: BaseException) -> str:
    """The one line for any exception a run raised."""
    if isinstance(error, MemoryError):
        return error_line(OUT_OF_MEMORY)
    if is_bug(error):
        return internal_error_line(error)
    return error_line(str(error))


def error_report(error: BaseException) -> str:
    """describe(), and for a bug (not bad input) a way to see more."""
    hint = " (rerun with --debug for details and please report it)" if is_bug(error) else ""
    return describe(error) + hint


def warn_on_stderr(message: str) -> None:
    print(warning_line(message), file=sys.stderr)
