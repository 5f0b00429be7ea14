"""The cancel event of the run in progress on this thread.

A GUI run sets it once (`cancellable`), and every Runner built during that run, whichever operation builds
it and however deep, checks it between model batches; loops that are not model batches (cross-validation,
bootstrap) call `check_cancelled`. The CLI sets none (Ctrl-C interrupts it).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from .errors import Cancelled

_EVENT: ContextVar[threading.Event | None] = ContextVar("dnalens_cancel_event", default=None)


def current_cancel_event() -> threading.Event | None:
    return _EVENT.get()


@contextmanager
def cancellable(event: threading.Event | None) -> Iterator[None]:
    """Within this block (on this thread), `event` being set cancels the run at its next check."""
    token = _EVENT.set(event)
    try:
        yield
    finally:
        _EVENT.reset(token)


def check_cancelled(event: threading.Event | None = None) -> None:
    """Raises Cancelled when `event` (by default the current run's) is set."""
    event = event if event is not None else _EVENT.get()
    if event is not None and event.is_set():
        raise Cancelled("cancelled")
