"""The learner file: a JSON document with the cross-validation results, the embedding model's identity and
the fitted estimator as a base64 skops payload (payload.py checks it before anything is built)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from ..compute.embedder import EmbeddingOptions
from ..errors import InputError
from ..model import LanguageModel
from .payload import dump_estimator, load_estimator
from .train import Training
from .validation import BOOTSTRAP

FORMAT = "dnalens-learner/1"


def learner_document(training: Training, model: LanguageModel, record: dict) -> dict:
    """The JSON document of a training on `model`'s embeddings, with the run's provenance `record`."""
    embedding = training.embedding
    return {
        "format": FORMAT, "task": training.task, "estimator": training.kind,
        "tuned_on_all_examples": training.tuned,
        "classes": training.classes,
        "embedding": {"model": model.id, "weights_sha256": model.weights_sha256, "layer": embedding.layer,
                      "pooling": embedding.pooling, "rc_average": embedding.rc_average},
        "cross_validation": {"folds": training.cv, "stratified": training.task == "classification",
                             "seed": training.seed, "bootstrap_resamples": BOOTSTRAP, "results": training.table},
        "provenance": record,
        "skops": base64.b64encode(dump_estimator(training.estimator)).decode("ascii"),
    }


def load_learner(path: str | Path) -> dict:
    """The document of a learner file, refused unless it has the format, task, model identity and payload."""
    try:
        document = json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        raise InputError(f"{path}: not a DNALens model file ({error})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        found = document.get("format") if isinstance(document, dict) else None
        raise InputError(f"{path}: not a DNALens model file (format {found!r})")
    embedding = document.get("embedding")
    if (document.get("task") not in ("classification", "regression") or not isinstance(embedding, dict)
            or not all(isinstance(embedding.get(key), str) for key in ("model", "weights_sha256"))
            or not isinstance(document.get("skops"), str)):
        raise InputError(f"{path}: a damaged DNALens model file (task, embedding or fitted model missing)")
    return document


def require_same_model(document: dict, model: LanguageModel, path: str | Path) -> None:
    """Refuse other weights than the learner was trained on: their embeddings mean something else."""
    expected = document["embedding"]
    if expected["weights_sha256"] != model.weights_sha256:
        raise InputError(f"{path} was trained on embeddings of model '{expected['model']}' (weights "
                         f"{expected['weights_sha256'][:12]}…), not '{model.id}' ({model.weights_sha256[:12]}…); "
                         "use the same --model")


def embedding_options(document: dict) -> EmbeddingOptions:
    """The pooling, layer and strand averaging the learner was trained on."""
    expected = document["embedding"]
    return EmbeddingOptions(pooling=expected["pooling"], layer=expected["layer"],
                            rc_average=expected.get("rc_average", False))


def fitted_estimator(document: dict, path: str | Path):
    """The estimator inside the document, built only from allow-listed types."""
    try:
        payload = base64.b64decode(document["skops"], validate=True)
    except ValueError:
        raise InputError(f"{path}: the fitted model inside is damaged (not base64)") from None
    return load_estimator(payload, str(path))
