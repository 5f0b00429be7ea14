"""Cross-validated training: the language model's embeddings and the k-mer baseline scored on the same folds,
then the estimator refitted on every example. Returns what was learnt; writing it is jobs/learn.py's."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..cancel import check_cancelled
from ..compute.embedder import EmbeddingOptions
from ..context import RunContext
from ..model import LanguageModel
from ..runner import Runner
from .data import Labelled, targets_of
from .estimators import build_estimator, tuned_parameters
from .features import KMER_K, embed_all, kmer_frequencies
from .validation import BOOTSTRAP, DIFFERENCE, folds, metrics, out_of_fold, paired_bootstrap

FEATURE_SETS = ("language_model", "kmer_baseline")


@dataclass
class Training:
    """A fitted estimator and the honest estimate of how well it predicts."""

    task: str
    kind: str
    cv: int
    seed: int
    embedding: EmbeddingOptions
    targets: np.ndarray
    predictions: dict[str, np.ndarray]  # out-of-fold, per feature set: what the plot draws
    table: dict[str, dict]  # features (with DIFFERENCE) → metric → {"value", "ci95"}
    estimator: object  # refitted on every example (a search's best pipeline only)
    tuned: dict[str, float]  # the penalty chosen on every example

    @property
    def classes(self) -> list[str] | None:
        return [str(c) for c in np.unique(self.targets)] if self.task == "classification" else None

    def parameters(self) -> dict:
        """The settings that made this result, for provenance."""
        return {"estimator": self.kind, "cv": self.cv, "seed": self.seed, "layer": self.embedding.layer,
                "pooling": self.embedding.pooling, "examples": len(self.targets)}

    def method(self) -> str:
        """One sentence saying how the table's numbers were computed."""
        stratified = "stratified " if self.task == "classification" else ""
        return (f"{self.cv}-fold {stratified}cross-validation, out-of-fold predictions; 95 % intervals from "
                f"{BOOTSTRAP} bootstrap resamples; baseline: {KMER_K}-mer frequencies on the same folds; "
                f"{DIFFERENCE}: paired difference on the same resamples (an interval above 0 means the embeddings "
                "add to the k-mer frequencies)")

    def rows(self) -> Iterator[tuple[str, str, float, float | None, float | None]]:
        """(features, metric, value, ci95 low, ci95 high): the table one metric a row."""
        for name, entries in self.table.items():
            for metric, entry in entries.items():
                low, high = entry["ci95"] or (None, None)
                yield name, metric, entry["value"], low, high

    def roc_auc(self) -> dict[str, float | None]:
        """Each feature set's ROC AUC (None for regression), for the plot's legend."""
        return {name: self.table[name].get("roc_auc", {}).get("value") for name in self.predictions}


def train(model: LanguageModel, data: Labelled, *, task: str, kind: str, runner: Runner, context: RunContext,
          cv: int = 5, seed: int = 0, embedding: EmbeddingOptions | None = None) -> Training:
    embedding = embedding or EmbeddingOptions()
    build_estimator(kind, task, seed)  # fail early on a bad choice
    targets = targets_of(data.targets, task, data.source)
    splits = folds(targets, task, cv, seed)
    features = embed_all(model, data.sequences, embedding, runner, context)
    matrices = {"language_model": features, "kmer_baseline": kmer_frequencies(data.sequences)}
    # One progress stage per kind of work, so the app's time estimate compares like with like.
    with context.progress(len(FEATURE_SETS) * len(splits), "cross-validation") as progress:
        predictions = {name: out_of_fold(matrices[name], targets, task, kind, splits, seed, progress)
                       for name in FEATURE_SETS}
    values = {name: metrics(targets, predicted, task) for name, predicted in predictions.items()}
    values[DIFFERENCE] = {metric: value - values["kmer_baseline"][metric]
                          for metric, value in values["language_model"].items()}
    with context.progress(BOOTSTRAP, "bootstrap intervals") as progress:
        intervals = paired_bootstrap(targets, predictions, task, seed, progress)
    table = {name: {metric: {"value": value, "ci95": intervals[name].get(metric)} for metric, value in per.items()}
             for name, per in values.items()}
    check_cancelled()
    with context.progress(1, "final fit") as progress:
        fitted = build_estimator(kind, task, seed).fit(features, targets)
        progress.advance(1)
    # Keep only the refitted best pipeline of a penalty search: smaller, and all that predicting needs.
    final = getattr(fitted, "best_estimator_", fitted)
    return Training(task, kind, cv, seed, embedding, targets, predictions, table, final, tuned_parameters(fitted))
