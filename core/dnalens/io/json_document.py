"""JSON outputs (learner files, Galaxy data-manager records): indented, UTF-8, ending in a newline."""

from __future__ import annotations

import json
from pathlib import Path


def write_json(path: str | Path, document: dict, indent: int = 2) -> None:
    """`path` is an OutputSet temporary path, so the document appears whole or not at all."""
    Path(path).write_text(json.dumps(document, indent=indent) + "\n", encoding="utf-8")
