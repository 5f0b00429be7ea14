"""Dynamic batching: one worker thread owns the model; requests of the same kind that arrive within a short wait
run as one operation call, and a bounded queue refuses the rest (503) instead of growing without end.

A request whose handler was cancelled before the worker took it is skipped (its future is cancelled); `abort()`
stops the operation in progress at its next forward batch (the runner checks `cancel`) and fails what waits."""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

from ..errors import Cancelled

# handler(key, items of all requests in the batch, concatenated) → one result per item
Handler = Callable[[Hashable, list], Sequence]


class QueueFull(Exception):
    """The server has as many requests waiting as it accepts."""


class ShuttingDown(Exception):
    """The server is stopping: the request was not run, or was stopped between forward batches."""


@dataclass
class _Job:
    key: Hashable
    items: list
    future: Future = field(default_factory=Future)


class BatchQueue:
    def __init__(self, handler: Handler, capacity: int, max_wait_s: float, cancel: threading.Event | None = None):
        """cancel: the event the handler's runner checks between forward batches (work.Work.cancel)."""
        self.handler = handler
        self.capacity = capacity
        self.max_wait_s = max_wait_s
        self.cancel = cancel or threading.Event()
        self.batches = 0  # operation calls made (each one batch of requests)
        self.skipped = 0  # requests whose client went away before the worker took them
        self._jobs: collections.deque[_Job] = collections.deque()
        self._ready = threading.Condition()
        self._stopping = False
        self._running = 0  # requests in the operation call in progress
        self._thread = threading.Thread(target=self._work, name="dnalens-model", daemon=True)
        self._thread.start()

    def submit(self, key: Hashable, items: list) -> Future:
        job = _Job(key, items)
        with self._ready:
            if self._stopping:
                raise ShuttingDown("the server is shutting down")
            if len(self._jobs) >= self.capacity:
                raise QueueFull(f"{len(self._jobs)} requests are waiting for the model")
            self._jobs.append(job)
            self._ready.notify()
        return job.future

    def abort(self) -> int:
        """Stops the operation in progress at its next forward batch and fails every waiting request
        (ShuttingDown); refuses new ones. Returns how many requests it stopped or failed. Does not wait."""
        with self._ready:
            self._stopping = True
            waiting, running = list(self._jobs), self._running
            self._jobs.clear()
            self.cancel.set()
            self._ready.notify()
        for job in waiting:
            if job.future.set_running_or_notify_cancel():
                job.future.set_exception(ShuttingDown("the server is shutting down"))
        return len(waiting) + running

    def stop(self) -> None:
        """Ends the worker: what the graceful shutdown left running or waiting is stopped (abort)."""
        self.abort()
        self._thread.join(timeout=60)

    def _work(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            if batch:
                self._run(batch)
            self._running = 0

    def _next_batch(self) -> list[_Job] | None:
        """The oldest job and every job of its kind that arrives within the wait bound."""
        with self._ready:
            while not self._jobs:
                if self._stopping:
                    return None
                self._ready.wait()
            first = self._jobs.popleft()
            if not first.future.set_running_or_notify_cancel():  # its client is gone: skip it
                self.skipped += 1
                return []
            batch = [first]
            deadline = time.monotonic() + self.max_wait_s
            while True:
                batch += self._take_same(first.key)
                left = deadline - time.monotonic()
                if left <= 0 or self._stopping:
                    self._running = len(batch)
                    return batch
                self._ready.wait(left)

    def _take_same(self, key: Hashable) -> list[_Job]:
        same = [job for job in self._jobs if job.key == key]
        for job in same:
            self._jobs.remove(job)
        live = [job for job in same if job.future.set_running_or_notify_cancel()]
        self.skipped += len(same) - len(live)
        return live

    def _run(self, batch: list[_Job]) -> None:
        items = [item for job in batch for item in job.items]
        self.batches += 1
        try:
            results = list(self.handler(batch[0].key, items))
        except Cancelled:  # abort(): the server is stopping
            for job in batch:
                job.future.set_exception(ShuttingDown("the server is shutting down"))
            return
        except Exception as error:  # one request's bad input must not fail the others: retry them one by one
            if len(batch) > 1:
                for job in batch:
                    self._run([job])
                return
            batch[0].future.set_exception(error)
            return
        start = 0
        for job in batch:
            job.future.set_result(results[start : start + len(job.items)])
            start += len(job.items)
