"""What a request may ask for, checked before any model work; and who may ask (bearer token, loopback)."""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass

from ..errors import InputError
from ..io.fasta import SequenceRecord
from ..sequence import normalise

LOOPBACK_NAMES = {"localhost", "ip6-localhost"}


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int = 1 << 20  # 1 MiB: far above 64 sequences of a few kb, far below a genome
    max_sequences: int = 64  # per request (TEI's max_client_batch_size)
    max_length: int = 100_000  # bp per sequence; longer ones are windowed by the operations anyway
    queue: int = 256  # requests waiting for the model; beyond this, 503
    max_batch_wait_ms: float = 5.0
    max_positions: int = 10_000  # mutagenesis positions per request: one masked pass each for most models

    def describe(self) -> dict:
        return {"max_body_bytes": self.max_body_bytes, "max_client_batch_size": self.max_sequences,
                "max_input_length": self.max_length, "max_concurrent_requests": self.queue,
                "max_batch_wait_ms": self.max_batch_wait_ms, "max_mutagenesis_positions": self.max_positions}


class TooLarge(InputError):
    """A request over a size limit (HTTP 413)."""


def sequences_field(value: object, name: str = "inputs") -> list[str]:
    """A string or a list of strings, as TEI's `inputs`."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return value
    raise InputError(f"'{name}': expected a DNA sequence or a non-empty list of them")


def records(sequences: list[str], limits: Limits, ids: list[str] | None = None) -> list[SequenceRecord]:
    """Sequences checked by the FASTA rules (sequence.normalise) and the server's limits."""
    if len(sequences) > limits.max_sequences:
        raise TooLarge(f"{len(sequences)} sequences in one request: at most {limits.max_sequences}")
    names = ids or [f"seq{i}" for i in range(1, len(sequences) + 1)]
    checked = []
    for name, text in zip(names, sequences):
        if len(text) > limits.max_length:
            raise TooLarge(f"record '{name}': {len(text)} bp, more than the server's limit of {limits.max_length}")
        if not text:
            raise InputError(f"record '{name}': empty sequence")
        checked.append(SequenceRecord(name, normalise(text, name)))
    return checked


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def authorised(header: str | None, token: str | None) -> bool:
    """No token set: everyone (loopback only, server.py); otherwise 'Bearer TOKEN', compared in constant time."""
    if not token:
        return True
    scheme, _, given = (header or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())
