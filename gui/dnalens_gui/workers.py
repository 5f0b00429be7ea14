"""Background work: operations run in Qt's thread pool and report back through signals.

The GUI thread only receives signals, so it stays responsive; cancellation sets an event that the core
runner checks between batches, and the core's output sets leave no half-written files behind.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable

from PySide6.QtCore import QObject, QRunnable, Signal

from dnalens.cancel import cancellable
from dnalens.context import RunContext
from dnalens.errors import Cancelled
from dnalens.messages import describe


class WorkerSignals(QObject):
    progress = Signal(int, int)  # done, total (0 when unknown)
    stage = Signal(str)  # a new kind of work starts (its own count and time estimate)
    warning = Signal(str)
    succeeded = Signal(object)
    failed = Signal(str, str)  # the one-line message (as the CLI prints it), details
    cancelled = Signal()
    done = Signal()


class Worker(QRunnable):
    """Runs `job(context)` once; `job` is a call into the core (an operation, or loading a model)."""

    def __init__(self, job: Callable[[RunContext], object]):
        super().__init__()
        self.job = job
        self.signals = WorkerSignals()
        self.cancel_event = threading.Event()

    def cancel(self) -> None:
        self.cancel_event.set()

    def run(self) -> None:
        context = RunContext(quiet=True, cancel_event=self.cancel_event,
                             progress_callback=lambda done, total: self.signals.progress.emit(done, total or 0),
                             warn=self.signals.warning.emit, stage_callback=self.signals.stage.emit)
        try:
            with cancellable(self.cancel_event):  # every runner of this run checks it between batches
                result = self.job(context)
        except Cancelled:
            self.signals.cancelled.emit()
        except Exception as error:  # the CLI's one line; the traceback under "details" (a bug needs it)
            self.signals.failed.emit(describe(error), traceback.format_exc())
        else:
            self.signals.succeeded.emit(result)
        finally:
            self.signals.done.emit()
