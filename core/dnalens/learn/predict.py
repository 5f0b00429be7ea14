"""Applying a learner file to new sequences: one prediction record per sequence, no files."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..context import RunContext
from ..io.fasta import SequenceRecord
from ..model import LanguageModel
from ..runner import Runner
from .features import embed_all
from .learner_file import embedding_options, fitted_estimator, load_learner, require_same_model


@dataclass(frozen=True)
class LearnerPrediction:
    id: str
    predicted: str | float  # the most probable class, or the predicted value
    probabilities: tuple[float, ...] = ()  # one per class in `Predictions.classes`; empty for regression


@dataclass
class Predictions:
    task: str
    classes: list[str]  # empty for regression
    records: list[LearnerPrediction]


def predict(model: LanguageModel, learner_path: str | Path, sequences: Iterable[SequenceRecord], *,
            runner: Runner, context: RunContext) -> Predictions:
    """Predictions of the learner at `learner_path`; the file and the model are checked before any sequence
    is read."""
    document = load_learner(learner_path)
    require_same_model(document, model, learner_path)
    estimator = fitted_estimator(document, learner_path)
    records = list(sequences)
    features = embed_all(model, [r.sequence for r in records], embedding_options(document), runner, context)
    if document["task"] == "regression":
        values = estimator.predict(features)
        return Predictions("regression", [], [LearnerPrediction(r.id, float(v)) for r, v in zip(records, values)])
    classes = [str(c) for c in estimator.classes_]
    return Predictions("classification", classes, [
        LearnerPrediction(r.id, classes[int(np.argmax(row))], tuple(float(p) for p in row))
        for r, row in zip(records, estimator.predict_proba(features))])
