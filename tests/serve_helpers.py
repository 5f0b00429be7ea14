"""A real `dnalens serve` process on 127.0.0.1 with the tiny model, a small HTTP client, and the concurrent-clients
load run: shared by tests/test_serve.py, the app's server-source tests and bench/harness.py (issue 20)."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "test-data" / "tiny-model"
TOKEN = "test-token-0123456789"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Client:
    def __init__(self, port: int, token: str | None = TOKEN):
        self.base, self.token = f"http://127.0.0.1:{port}", token
        self.log: list[str] = []  # the server's stderr lines, filled by running()

    def call(self, route: str, body: object = None, *, raw: bytes | None = None,
             token: str | None = "default") -> tuple[int, object, dict]:
        """(status, parsed JSON, headers), for errors too."""
        data = raw if raw is not None else None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + route, data=data, method="GET" if data is None else "POST")
        token = self.token if token == "default" else token
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read()), _lower(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null"), _lower(error.headers)


    def send_unfinished(self, route: str, head: dict[str, str], body: bytes) -> tuple[int, object]:
        """POST with these headers and only this much of the body, then read the answer: proves a refusal
        comes without waiting for the rest. (urllib would keep sending, and a server that answers and closes
        early makes that a broken pipe, a race, not a test.)"""
        host, port = self.base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=60) as connection:
            lines = [f"POST {route} HTTP/1.1", f"Host: {host}", f"Authorization: Bearer {self.token}",
                     "Content-Type: application/json", *(f"{key}: {value}" for key, value in head.items())]
            connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
            response = http.client.HTTPResponse(connection)
            response.begin()
            return response.status, json.loads(response.read())


def _lower(headers) -> dict:
    return {key.lower(): value for key, value in headers.items()}


@contextlib.contextmanager
def running(*options: str, model: Path | str = TINY) -> Iterator[Client]:
    """A server process on a free loopback port (token TOKEN), stopped (SIGTERM, graceful) afterwards."""
    port = free_port()
    env = {**os.environ, "DNALENS_TOKEN": TOKEN}
    process = subprocess.Popen([sys.executable, "-m", "dnalens.cli", "serve", "--model", str(model), "--device",
                                "cpu", "--port", str(port), *options], env=env, stderr=subprocess.PIPE, text=True)
    client = Client(port)
    log = client.log
    reader = threading.Thread(target=lambda: log.extend(process.stderr), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if client.call("/health")[0] == 200:
                    break
            except OSError:
                pass
            assert process.poll() is None, "the server exited: " + "".join(log)
            assert time.monotonic() < deadline, "the server did not start within 60 s"
            time.sleep(0.2)
        yield client
    finally:
        process.terminate()  # uvicorn's graceful shutdown, then the CLI's exit status for SIGTERM
        assert process.wait(timeout=30) in (0, 143)
        reader.join(timeout=5)
        assert not any("Traceback" in line for line in log), "".join(log)


@dataclass
class LoadRun:
    requests: int
    forward_batches: int
    operation_calls: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def percentile(self, p: int) -> float:
        return statistics.quantiles(self.latencies, n=100)[p - 1]

    def summary(self) -> str:
        return (f"{len(self.latencies)} of {self.requests} requests answered in {self.seconds:.1f} s, "
                f"{self.forward_batches} forward batches, {self.operation_calls} operation calls, "
                f"p50 {1000 * self.percentile(50):.1f} ms, p95 {1000 * self.percentile(95):.1f} ms, "
                f"{len(self.failures)} wrong or failed")


def load_sequences(records: list[str], count: int) -> list[str]:
    """`count` different sequences: request j is record j mod n cut by j div n bases, so that a response sent
    to the wrong request (another record, or the same one cut differently) cannot pass for the right one."""
    return [records[j % len(records)][: len(records[j % len(records)]) - j // len(records)] for j in range(count)]


def embed_load(client: Client, records: list[str], clients: int = 8, per_client: int = 50,
               max_sequences: int = 16) -> LoadRun:
    """`clients` threads each sending `per_client` one-sequence POST /embed requests at once, every answer
    compared with its own sequence's vector (from batched calls made first); stops by itself."""
    sequences = load_sequences(records, clients * per_client)
    expected: list[list[float]] = []
    for start in range(0, len(sequences), max_sequences):
        status, vectors, _ = client.call("/embed", {"inputs": sequences[start : start + max_sequences]})
        assert status == 200, vectors
        expected += vectors
    before = client.call("/info")[1]["stats"]
    run = LoadRun(clients * per_client, 0, 0, 0.0)

    def one_client(number: int) -> None:
        for j in range(number * per_client, (number + 1) * per_client):
            started = time.perf_counter()
            status, vectors, _ = client.call("/embed", {"inputs": sequences[j]})
            run.latencies.append(time.perf_counter() - started)
            if status != 200 or len(vectors) != 1 or max(abs(a - b) for a, b in zip(vectors[0], expected[j])) > 1e-5:
                run.failures.append(f"client {number}: request {j}: status {status}")

    started = time.perf_counter()
    threads = [threading.Thread(target=one_client, args=(number,)) for number in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    run.seconds = time.perf_counter() - started
    after = client.call("/info")[1]["stats"]
    run.forward_batches = after["forward_batches"] - before["forward_batches"]
    run.operation_calls = after["operation_calls"] - before["operation_calls"]
    return run
