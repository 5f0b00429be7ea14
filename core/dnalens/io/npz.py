"""NumPy .npz outputs: named arrays plus the run's provenance as a JSON string."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def write_npz(path: str | Path, record: dict, **arrays: np.ndarray) -> None:
    """`path` is an OutputSet temporary path; compressed, with `provenance` beside the arrays."""
    with open(path, "wb") as handle:
        np.savez_compressed(handle, **arrays, provenance=np.array(json.dumps(record, sort_keys=True, default=str)))
