"""The two feature sets learning compares: the language model's pooled hidden states and k-mer frequencies."""

from __future__ import annotations

import itertools

import numpy as np

from ..compute.embedder import Embedder, EmbeddingOptions
from ..context import RunContext
from ..finite import require_finite
from ..model import LanguageModel
from ..runner import Runner, chunked

KMER_K = 4
EMBED_CHUNK = 256  # sequences per call of the embedder: progress moves and Cancel is seen between chunks


def kmer_frequencies(sequences: list[str], k: int = KMER_K) -> np.ndarray:
    """Relative frequencies of the 4^k k-mers (k-mers with N are skipped): the baseline's features."""
    index = {"".join(p): i for i, p in enumerate(itertools.product("ACGT", repeat=k))}
    features = np.zeros((len(sequences), len(index)), dtype=np.float32)
    for row, sequence in enumerate(sequences):
        for start in range(len(sequence) - k + 1):
            column = index.get(sequence[start : start + k])
            if column is not None:
                features[row, column] += 1
        total = features[row].sum()
        if total:
            features[row] /= total
    return features


def embed_all(model: LanguageModel, sequences: list[str], options: EmbeddingOptions, runner: Runner,
              context: RunContext) -> np.ndarray:
    """One embedding per sequence, through the caller's runner (its batch budget, device and Cancel)."""
    embedder = Embedder(model, options, runner)
    with context.progress(len(sequences), "embed") as progress:
        features = np.concatenate([embedder.embed(chunk, progress) for chunk in chunked(sequences, EMBED_CHUNK)])
    require_finite(features, [f"sequence {i}" for i in range(1, len(sequences) + 1)], "embeddings")
    return features
