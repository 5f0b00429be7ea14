"""Dynamic batching: one worker thread owns the model; requests of the same kind that arrive within a short wait
run as one operation call, and a bounded queue refuses the rest (503) instead of growing without end."""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

# handler(key, items of all requests in the batch, concatenated) → one result per item
Handler = Callable[[Hashable, list], Sequence]


class QueueFull(Exception):
    """The server has as many requests waiting as it accepts."""


@dataclass
class _Job:
    key: Hashable
    items: list
    future: Future = field(default_factory=Future)


class BatchQueue:
    def __init__(self, handler: Handler, capacity: int, max_wait_s: float):
        self.handler = handler
        self.capacity = capacity
        self.max_wait_s = max_wait_s
        self.batches = 0  # operation calls made (each one batch of requests)
        self._jobs: collections.deque[_Job] = collections.deque()
        self._ready = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._work, name="dnalens-model", daemon=True)
        self._thread.start()

    def submit(self, key: Hashable, items: list) -> Future:
        job = _Job(key, items)
        with self._ready:
            if self._stopping:
                raise QueueFull("the server is shutting down")
            if len(self._jobs) >= self.capacity:
                raise QueueFull(f"{len(self._jobs)} requests are waiting for the model")
            self._jobs.append(job)
            self._ready.notify()
        return job.future

    def stop(self) -> None:
        """Finishes what is queued, then ends the worker (graceful shutdown)."""
        with self._ready:
            self._stopping = True
            self._ready.notify()
        self._thread.join(timeout=60)

    def _work(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            self._run(batch)

    def _next_batch(self) -> list[_Job] | None:
        """The oldest job and every job of its kind that arrives within the wait bound."""
        with self._ready:
            while not self._jobs:
                if self._stopping:
                    return None
                self._ready.wait()
            first = self._jobs.popleft()
            batch = [first]
            deadline = time.monotonic() + self.max_wait_s
            while True:
                batch += self._take_same(first.key)
                left = deadline - time.monotonic()
                if left <= 0 or self._stopping:
                    return batch
                self._ready.wait(left)

    def _take_same(self, key: Hashable) -> list[_Job]:
        same = [job for job in self._jobs if job.key == key]
        for job in same:
            self._jobs.remove(job)
        return same

    def _run(self, batch: list[_Job]) -> None:
        items = [item for job in batch for item in job.items]
        self.batches += 1
        try:
            results = list(self.handler(batch[0].key, items))
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
