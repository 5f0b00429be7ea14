"""uvicorn's server with DNALens's start and stop: one line on stderr when it listens, and a bounded shutdown.

On SIGTERM or Ctrl-C uvicorn stops accepting connections and waits for the requests in flight. After GRACE_S
the model's work is stopped (BatchQueue.abort): the operation in progress ends at its next forward batch, and
every request still waiting or running is answered 503 "the server is shutting down", so the handlers end
themselves and the process exits soon after GRACE_S instead of computing abandoned work (uvicorn's own timeout,
later, would cancel the handlers: a 500 for the client and a traceback in the log)."""

from __future__ import annotations

import asyncio
import json
import socket
import sys

import uvicorn

from .batching import BatchQueue

GRACE_S = 30.0  # what requests in flight get to finish after SIGTERM (docs/SERVE.md)
BACKSTOP_S = 10.0  # after GRACE_S, uvicorn's own limit: one forward batch ends well within it


class Lifecycle(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, queue: BatchQueue, ready: str, grace_s: float):
        super().__init__(config)
        self.queue, self.ready, self.grace_s = queue, ready, grace_s

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            port = self.servers[0].sockets[0].getsockname()[1] if self.servers else self.config.port
            print(self.ready.format(port=port), file=sys.stderr, flush=True)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        timer = asyncio.get_running_loop().call_later(self.grace_s, self._stop_work)
        try:
            await super().shutdown(sockets)
        finally:
            timer.cancel()

    def _stop_work(self) -> None:
        stopped = self.queue.abort()
        print(json.dumps({"event": "shutdown", "grace_s": self.grace_s, "requests_stopped": stopped}),
              file=sys.stderr, flush=True)


def run(app, queue: BatchQueue, host: str, port: int, ready: str) -> None:
    """Serves until SIGINT/SIGTERM; `ready` is the start line, with {port} the port listened on."""
    grace_s = GRACE_S  # read now: tests shorten it
    # Our own JSON access log replaces uvicorn's.
    config = uvicorn.Config(app, host=host, port=port, access_log=False, log_level="warning",
                            timeout_graceful_shutdown=grace_s + BACKSTOP_S)
    Lifecycle(config, queue, ready, grace_s).run()
