"""Honest estimates: cross-validation folds, out-of-fold predictions, metrics and paired bootstrap intervals."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..cancel import check_cancelled
from ..errors import InputError
from .estimators import build_estimator

if TYPE_CHECKING:
    from ..runner import Progress

BOOTSTRAP = 1000
DIFFERENCE = "language_model_minus_baseline"


def folds(targets: np.ndarray, task: str, cv: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) indices of `cv` shuffled folds, stratified by class for classification."""
    from sklearn.model_selection import KFold, StratifiedKFold

    if task == "classification":
        smallest = min(np.unique(targets, return_counts=True)[1])
        if smallest < cv:
            raise InputError(f"--cv {cv}: the rarest class has only {smallest} example(s); use fewer folds")
        return list(StratifiedKFold(cv, shuffle=True, random_state=seed).split(targets, targets))
    if len(targets) < cv:
        raise InputError(f"--cv {cv}: only {len(targets)} examples")
    return list(KFold(cv, shuffle=True, random_state=seed).split(targets))


def out_of_fold(features: np.ndarray, targets: np.ndarray, task: str, kind: str, folds, seed: int,
                progress: Progress | None = None) -> np.ndarray:
    """Predictions for every example from a model that never saw it (probabilities for classification)."""
    classes = np.unique(targets)
    out = np.zeros((len(targets), len(classes))) if task == "classification" else np.zeros(len(targets))
    for train, test in folds:
        check_cancelled()  # the GUI's Cancel, between folds
        estimator = build_estimator(kind, task, seed).fit(features[train], targets[train])
        out[test] = estimator.predict_proba(features[test]) if task == "classification" else \
            estimator.predict(features[test])
        if progress is not None:
            progress.advance(1)
    return out


def metrics(targets: np.ndarray, predicted: np.ndarray, task: str) -> dict[str, float]:
    from scipy.stats import spearmanr
    from sklearn.metrics import accuracy_score, average_precision_score, f1_score, r2_score, roc_auc_score

    if task == "regression":
        return {"r2": float(r2_score(targets, predicted)), "spearman": float(spearmanr(targets, predicted)[0])}
    classes = np.unique(targets)
    labels = classes[predicted.argmax(axis=1)]
    if len(classes) == 2:
        positive = predicted[:, 1]
        truth = targets == classes[1]
        roc, pr = roc_auc_score(truth, positive), average_precision_score(truth, positive)
        f1 = f1_score(truth, labels == classes[1])
    else:
        onehot = (targets[:, None] == classes[None, :]).astype(int)
        roc = roc_auc_score(onehot, predicted, average="macro")
        pr = average_precision_score(onehot, predicted, average="macro")
        f1 = f1_score(targets, labels, average="macro")
    return {"accuracy": float(accuracy_score(targets, labels)), "roc_auc": float(roc), "pr_auc": float(pr),
            "f1": float(f1)}


def paired_bootstrap(targets: np.ndarray, predictions: dict[str, np.ndarray], task: str,
                     seed: int, progress: Progress | None = None) -> dict[str, dict[str, list[float]]]:
    """95 % percentile intervals for every feature set, and for the first minus the second one, from the
    same resampled examples: overlapping intervals of two correlated estimates say little, the interval of
    their paired difference says whether the language model adds anything."""
    rng = np.random.default_rng(seed)
    names = list(predictions)
    samples: dict[str, dict[str, list[float]]] = {name: {} for name in names}
    if len(names) == 2:
        samples[DIFFERENCE] = {}
    for _ in range(BOOTSTRAP):
        check_cancelled()
        if progress is not None:
            progress.advance(1)
        chosen = rng.integers(0, len(targets), len(targets))
        if task == "classification" and len(np.unique(targets[chosen])) < len(np.unique(targets)):
            continue
        values = {name: metrics(targets[chosen], predictions[name][chosen], task) for name in names}
        for name in names:
            for metric, value in values[name].items():
                samples[name].setdefault(metric, []).append(value)
        if len(names) == 2:
            for metric in values[names[0]]:
                samples[DIFFERENCE].setdefault(metric, []).append(values[names[0]][metric] - values[names[1]][metric])
    return {name: {metric: [float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))]
                   for metric, v in per_metric.items()} for name, per_metric in samples.items()}
