"""Cutting a run's work into requests a server accepts: at most its sequences per request and body size, and no
sequence over its length limit (refused here in one line, before anything is sent)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from ..cancel import check_cancelled
from ..errors import RemoteError
from .server import Server

T = TypeVar("T")
BODY_MARGIN = 4096  # bytes of a request body left for its options and JSON punctuation


def check_length(server: Server, name: str, sequence: str) -> None:
    limit = server.limits.max_length
    if len(sequence) > limit:
        raise RemoteError(f"record '{name}': {len(sequence)} bp, more than the server's limit of {limit} bp per "
                          f"sequence ({server.url}; dnalens serve --max-length): run it locally, or raise the limit")


def bases_per_request(server: Server, name: str, reserve: int = 0) -> int:
    """The most bases of record `name` one request may carry: the server's length limit, and its body limit less
    the id, the options (BODY_MARGIN) and `reserve` bytes of the request's own fields."""
    limits = server.limits
    return min(limits.max_length, limits.max_body_bytes - BODY_MARGIN - text_bytes(name, "") - reserve)


def text_bytes(*texts: str) -> int:
    """Bytes the texts take in a JSON body (quotes and escapes included), plus a separator each."""
    return sum(len(json.dumps(text)) + 2 for text in texts)


def batched(items: Iterable[T], server: Server, size: Callable[[T], tuple[int, int]],
            cancel_event: threading.Event | None = None) -> Iterator[list[T]]:
    """Consecutive items in lists that fit one request; size(item) → (sequences, body bytes) it adds. Checks the
    run's cancel event (by default the current run's, cancel.py) before each request."""
    limits = server.limits
    most = limits.max_sequences
    budget = max(limits.max_body_bytes - BODY_MARGIN, 1)
    batch: list[T] = []
    sequences = body = 0
    for item in items:
        count, nbytes = size(item)
        if nbytes > budget:
            raise RemoteError(f"one item of {nbytes} bytes does not fit the server's request limit of "
                              f"{limits.max_body_bytes} bytes ({server.url}; dnalens serve --max-body-bytes)")
        if batch and (sequences + count > most or body + nbytes > budget):
            check_cancelled(cancel_event)
            yield batch
            batch, sequences, body = [], 0, 0
        batch.append(item)
        sequences += count
        body += nbytes
    if batch:
        check_cancelled(cancel_event)
        yield batch


def answered(answer: dict, key: str, expected: int, server: Server, route: str) -> list:
    """The answer's list under `key`, which must hold one entry per item sent."""
    values = answer.get(key)
    if not isinstance(values, list) or len(values) != expected:
        got = len(values) if isinstance(values, list) else "no"
        raise RemoteError(f"the DNALens server at {server.url} answered {route} with {got} {key} for {expected} "
                          "items sent")
    return values


def malformed(server: Server, route: str, what: str) -> RemoteError:
    """An answer row that is not what was asked (a missing or mistyped field, another record): one line, never a
    traceback, and nothing of it reaches an output."""
    return RemoteError(f"the DNALens server at {server.url} answered {route} with a malformed row for {what}")


def plain_text(value: object) -> str:
    """A string field of an answer that goes into a table cell: no tab or line break may split the row."""
    if not isinstance(value, str) or any(c in value for c in "\t\r\n"):
        raise ValueError(value)
    return value
