"""Client of a DNALens server (`dnalens serve`): the same operations as ops/, computed there, yielding the same
records, so the jobs and their writers are shared between local and remote runs (docs/SERVE.md)."""

from .server import Server, ServerLimits, connect

__all__ = ["Server", "ServerLimits", "connect"]
