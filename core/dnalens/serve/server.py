"""Start-up: refuse an open bind without a token, load the model once, serve until SIGINT/SIGTERM (uvicorn
finishes in-flight requests, then the worker finishes its queue)."""

from __future__ import annotations

from collections.abc import Callable

from ..errors import DNALensError
from .limits import Limits, is_loopback

INSTALL = "dnalens serve needs FastAPI and uvicorn: pip install 'dnalens[serve]' (or: pip install fastapi uvicorn)"


def check_bind(host: str, token: str | None) -> None:
    if not token and not is_loopback(host):
        raise DNALensError(f"refusing to listen on {host} without a token: set DNALENS_TOKEN (or --token), or "
                           "listen on 127.0.0.1")


def serve(load: Callable, host: str, port: int, token: str | None, limits: Limits,
          warn: Callable[[str], None]) -> None:
    """load() → the LanguageModel, called once checks have passed."""
    check_bind(host, token)
    try:
        import uvicorn

        from .app import create_app
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] not in {"fastapi", "uvicorn", "starlette", "pydantic"}:
            raise
        raise DNALensError(INSTALL) from None
    from .work import Work

    app = create_app(Work(load(), warn), limits, token)
    # Our own JSON access log replaces uvicorn's; graceful shutdown waits up to 30 s for in-flight requests.
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="warning", timeout_graceful_shutdown=30)
