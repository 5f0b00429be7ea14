"""Numbers a model gives must be finite: a NaN or an infinity is never written as a result."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .errors import ModelError


def require_finite(values: np.ndarray | Sequence[np.ndarray], ids: Sequence[str], what: str) -> None:
    """Raise ModelError naming the first record whose `values` row holds a NaN or an infinity."""
    for record_id, row in zip(ids, values):
        if not np.all(np.isfinite(row)):
            raise ModelError(f"the model gave {what} that are not finite numbers (NaN or infinity) for '{record_id}'; "
                             "its weights are damaged or the number type overflows (try --dtype float32)")
