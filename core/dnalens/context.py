"""How a run reports to its caller: progress, warnings and cancellation (the CLI and the GUI differ here only)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field

from .cancel import cancellable
from .messages import warn_on_stderr
from .runner import Progress, Runner


@dataclass
class RunContext:
    quiet: bool = False
    progress_callback: Callable[[int, int | None], None] | None = None
    cancel_event: threading.Event | None = None
    warn: Callable[[str], None] = field(default=warn_on_stderr)
    # Called with a stage's name when work of another kind starts (learning: embed, cross-validation,
    # bootstrap intervals, final fit), so a time estimate is made per stage, never across unlike steps.
    stage_callback: Callable[[str], None] | None = None

    def runner(self, model, token_budget: int = 0) -> Runner:
        """The runner of this run: its batches check this run's cancel event."""
        return Runner.for_model(model, self.warn, token_budget, self.cancel_event)

    def cancellable(self) -> AbstractContextManager:
        """Makes this run's cancel event the one loops outside the runner check (cancel.check_cancelled)."""
        return cancellable(self.cancel_event) if self.cancel_event is not None else nullcontext()

    def progress(self, total: int | None, description: str) -> Progress:
        if self.stage_callback is not None:
            self.stage_callback(description)
        return Progress(total, description, quiet=self.quiet, callback=self.progress_callback,
                        cancel_event=self.cancel_event)
