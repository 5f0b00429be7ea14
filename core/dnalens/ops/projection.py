"""2-D coordinates of embeddings for a scatter plot: PCA (with explained variance) or UMAP when installed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass
class Projection:
    coordinates: np.ndarray  # (n, 2)
    method: str  # the method actually used
    explained: list[float] | None  # PCA: variance share of the two axes


def project(matrix: np.ndarray, method: str, warn: Callable[[str], None]) -> Projection:
    if method == "umap":
        try:
            import umap
        except ImportError:
            warn("umap-learn is not installed; drawing a PCA projection instead")
        else:
            return Projection(umap.UMAP(random_state=0).fit_transform(matrix), "umap", None)
    centred = matrix - matrix.mean(axis=0)
    _, singular, components = np.linalg.svd(centred.astype(np.float64), full_matrices=False)
    variance = singular**2
    return Projection(centred @ components[:2].T, "pca", (variance[:2] / variance.sum()).tolist())
