"""Start-up: refuse an open bind without a token or a port already taken, load the model once, say so in one line,
serve until SIGINT/SIGTERM (lifecycle.py: in-flight requests get a bounded time, then the model's work stops)."""

from __future__ import annotations

import socket
from collections.abc import Callable

from ..errors import DNALensError
from .limits import Limits, is_loopback

INSTALL = "dnalens serve needs FastAPI and uvicorn: pip install 'dnalens[serve]' (or: pip install fastapi uvicorn)"


def check_bind(host: str, token: str | None) -> None:
    if not token and not is_loopback(host):
        raise DNALensError(f"refusing to listen on {host} without a token: set DNALENS_TOKEN (or --token), or "
                           "listen on 127.0.0.1")


def check_port(host: str, port: int) -> None:
    """Binds host:port as uvicorn will (SO_REUSEADDR), then lets it go: a port in use is one line before the model
    is loaded, not uvicorn's log line and exit 3 after it."""
    try:
        family, kind, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                         flags=socket.AI_PASSIVE)[0]
        with socket.socket(family, kind) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as error:
        raise DNALensError(f"cannot listen on {host} port {port}: {error.strerror or error}") from None


def ready_line(description: dict, host: str, token: str | None) -> str:
    """What the server says once it listens ({port} filled in then): never the token, nor the model's path."""
    shown = f"[{host}]" if ":" in host else host
    sha256 = (description.get("weights_sha256") or "unknown")[:12]
    return (f"dnalens serve: model {description['id']} (sha256 {sha256}) on "
            f"http://{shown}:{{port}}, device {description.get('device')}, "
            f"token {'required' if token else 'not required'}")


def serve(load: Callable, host: str, port: int, token: str | None, limits: Limits,
          warn: Callable[[str], None]) -> None:
    """load() → the LanguageModel, called once checks have passed."""
    check_bind(host, token)
    try:
        from . import lifecycle
        from .app import create_app
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] not in {"fastapi", "uvicorn", "starlette", "pydantic"}:
            raise
        raise DNALensError(INSTALL) from None
    from .work import Work

    check_port(host, port)
    work = Work(load(), warn)
    app = create_app(work, limits, token)
    lifecycle.run(app, app.state.server.queue, host, port, ready_line(work.description, host, token))
