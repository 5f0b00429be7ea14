"""Learning on embeddings: classifiers and regressors with honest cross-validation and a k-mer baseline.

Features are the language model's pooled hidden states. Every metric is computed on out-of-fold
predictions (stratified folds for classes), with bootstrap 95 % intervals, and the same folds score a
k-mer-frequency baseline so users see what the language model adds. Fitted models are saved as JSON with a
skops payload (never pickle) and the embedding model's SHA-256, which `predict` checks.
"""

from __future__ import annotations

import base64
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..cancel import check_cancelled
from ..compute.embedder import Embedder, EmbeddingOptions
from ..context import RunContext
from ..errors import InputError
from ..estimators import CLASSIFIERS, REGRESSORS
from ..finite import require_finite
from ..io.fasta import read_fasta
from ..io.outputs import OutputSet
from ..io.tables import parse_number, read_labels, read_table
from ..io.tsv import TsvWriter
from ..model import LanguageModel
from ..provenance import provenance, provenance_lines
from ..runner import Runner, chunked
from ..sequence import normalise
from .payload import dump_estimator, load_estimator

FORMAT = "dnalens-learner/1"
KMER_K = 4
BOOTSTRAP = 1000
DIFFERENCE = "language_model_minus_baseline"
# Inverse regularisation strengths tried by the linear models. Weaker penalties than 10 are left out: the
# pooled hidden states are nearly collinear, so such fits are ill-conditioned and 100x slower, for nothing.
PENALTIES = np.logspace(-4, 1, 6)


@dataclass
class Labelled:
    ids: list[str]
    sequences: list[str]
    targets: list[str]
    source: str = "labels"  # the file the labels came from, for messages
    files: tuple[str, ...] = ()  # every file read (the FASTA too), which no output may replace


def read_labelled(path: str | Path, labels: str | Path | None = None) -> Labelled:
    """A TSV with `sequence` and `label` columns (and optionally `id`), or a FASTA plus an id→label table."""
    if labels is not None:
        label_map = read_labels(labels)
        records = list(read_fasta(path))
        missing = [r.id for r in records if r.id not in label_map]
        if missing:
            raise InputError(f"{labels}: no label for sequence '{missing[0]}' ({len(missing)} missing)")
        return Labelled([r.id for r in records], [r.sequence for r in records], [label_map[r.id] for r in records],
                        str(labels), (str(path), str(labels)))
    columns, rows = read_table(path)
    for needed in ("sequence", "label"):
        if needed not in columns:
            raise InputError(f"{path}: needs columns 'sequence' and 'label' (found: {', '.join(columns)}); "
                             "or give a FASTA file with --labels")
    ids = [row.get("id") or f"row{i}" for i, row in enumerate(rows, start=1)]
    sequences = [normalise(row["sequence"], ids[i]) for i, row in enumerate(rows)]
    if not sequences:
        raise InputError(f"{path}: no rows")
    return Labelled(ids, sequences, [row["label"] for row in rows], str(path), (str(path),))


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


def embed_all(model: LanguageModel, sequences: list[str], options: EmbeddingOptions, context: RunContext,
              runner: Runner | None = None) -> np.ndarray:
    embedder = Embedder(model, options, runner or Runner.for_model(model, context.warn))
    progress = context.progress(len(sequences), "embed")
    try:
        features = np.concatenate([embedder.embed(chunk, progress) for chunk in chunked(sequences, 256)])
    finally:
        progress.close()
    require_finite(features, [f"sequence {i}" for i in range(1, len(sequences) + 1)], "embeddings")
    return features


def build_estimator(kind: str, task: str, seed: int):
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
    from sklearn.linear_model import LogisticRegression, RidgeCV
    from sklearn.model_selection import GridSearchCV
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    # The linear models' penalty is chosen by an inner cross-validation inside each training fold (nested,
    # so no test fold informs it): with hundreds of features and few examples a fixed penalty overfits one
    # feature set and not the other, and the comparison with the baseline would be unfair.
    choices = {
        ("classification", "logistic"): lambda: GridSearchCV(
            # Newton-Cholesky: exact and about 100x faster than lbfgs for a few hundred features.
            make_pipeline(StandardScaler(), LogisticRegression(solver="newton-cholesky", max_iter=200)),
            {"logisticregression__C": PENALTIES}, cv=3, scoring="neg_log_loss"),
        ("classification", "random-forest"): lambda: make_pipeline(
            StandardScaler(), RandomForestClassifier(n_estimators=300, random_state=seed, n_jobs=1)),
        ("classification", "mlp"): lambda: make_pipeline(
            StandardScaler(), MLPClassifier(hidden_layer_sizes=(128,), max_iter=500, early_stopping=True,
                                            random_state=seed)),
        ("regression", "ridge"): lambda: make_pipeline(StandardScaler(), RidgeCV(alphas=1 / PENALTIES)),
        ("regression", "random-forest"): lambda: make_pipeline(
            StandardScaler(), RandomForestRegressor(n_estimators=300, random_state=seed, n_jobs=1)),
        ("regression", "mlp"): lambda: make_pipeline(
            StandardScaler(), MLPRegressor(hidden_layer_sizes=(128,), max_iter=500, early_stopping=True,
                                           random_state=seed)),
    }
    if (task, kind) not in choices:
        allowed = CLASSIFIERS if task == "classification" else REGRESSORS
        raise InputError(f"'{kind}': choose one of {', '.join(allowed)}")
    return choices[(task, kind)]()


def _folds(targets: np.ndarray, task: str, cv: int, seed: int):
    from sklearn.model_selection import KFold, StratifiedKFold

    if task == "classification":
        smallest = min(np.unique(targets, return_counts=True)[1])
        if smallest < cv:
            raise InputError(f"--cv {cv}: the rarest class has only {smallest} example(s); use fewer folds")
        return list(StratifiedKFold(cv, shuffle=True, random_state=seed).split(targets, targets))
    if len(targets) < cv:
        raise InputError(f"--cv {cv}: only {len(targets)} examples")
    return list(KFold(cv, shuffle=True, random_state=seed).split(targets))


def out_of_fold(features: np.ndarray, targets: np.ndarray, task: str, kind: str, folds, seed: int) -> np.ndarray:
    """Predictions for every example from a model that never saw it (probabilities for classification)."""
    classes = np.unique(targets)
    out = np.zeros((len(targets), len(classes))) if task == "classification" else np.zeros(len(targets))
    for train, test in folds:
        check_cancelled()  # the GUI's Cancel, between folds
        estimator = build_estimator(kind, task, seed).fit(features[train], targets[train])
        out[test] = estimator.predict_proba(features[test]) if task == "classification" else \
            estimator.predict(features[test])
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
                     seed: int) -> dict[str, dict[str, list[float]]]:
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


@dataclass
class TrainResult:
    task: str
    report: dict[str, dict]  # features ("language_model", "kmer_baseline") → metric → value/interval
    outputs: list[Path]
    figures: dict = field(default_factory=dict)


def _targets(raw: list[str], task: str, source: str) -> np.ndarray:
    if task == "classification":
        empty = sum(not label.strip() for label in raw)
        if empty:
            raise InputError(f"{source}: {empty} example(s) have an empty label; label every example")
        if len(set(raw)) < 2:
            raise InputError(f"{source}: classification needs at least two different labels")
        return np.array(raw)
    values = []
    for value in raw:
        try:
            values.append(parse_number(value))
        except ValueError:
            raise InputError(f"{source}: regression needs finite numeric targets; found '{value}'") from None
    return np.array(values)


def train(model: LanguageModel, data: Labelled, out_json: str | Path, *, task: str, kind: str, cv: int = 5,
          seed: int = 0, embedding: EmbeddingOptions | None = None, report: str | Path | None = None,
          plot: str | Path | None = None, context: RunContext | None = None) -> TrainResult:
    context = context or RunContext()
    embedding = embedding or EmbeddingOptions()
    build_estimator(kind, task, seed)  # fail early on a bad choice
    targets = _targets(data.targets, task, data.source)
    folds = _folds(targets, task, cv, seed)
    features = embed_all(model, data.sequences, embedding, context)
    kmers = kmer_frequencies(data.sequences)
    predictions = {name: out_of_fold(matrix, targets, task, kind, folds, seed)
                   for name, matrix in (("language_model", features), ("kmer_baseline", kmers))}
    values = {name: metrics(targets, predicted, task) for name, predicted in predictions.items()}
    values[DIFFERENCE] = {metric: value - values["kmer_baseline"][metric]
                          for metric, value in values["language_model"].items()}
    intervals = paired_bootstrap(targets, predictions, task, seed)
    table = {name: {metric: {"value": value, "ci95": intervals[name].get(metric)} for metric, value in per.items()}
             for name, per in values.items()}
    check_cancelled()
    fitted = build_estimator(kind, task, seed).fit(features, targets)
    # Keep only the refitted best pipeline of a penalty search: smaller, and all that predicting needs.
    final = getattr(fitted, "best_estimator_", fitted)
    tuned = {name.split("__")[-1]: float(value) for name, value in getattr(fitted, "best_params_", {}).items()}
    if hasattr(final[-1], "alpha_"):
        tuned["alpha"] = float(final[-1].alpha_)
    record = provenance(model.describe(), f"{task} train", {"estimator": kind, "cv": cv, "seed": seed,
                                                             "layer": embedding.layer, "pooling": embedding.pooling,
                                                             "examples": len(targets)})
    document = {
        "format": FORMAT, "task": task, "estimator": kind, "tuned_on_all_examples": tuned,
        "classes": [str(c) for c in np.unique(targets)] if task == "classification" else None,
        "embedding": {"model": model.id, "weights_sha256": model.weights_sha256, "layer": embedding.layer,
                      "pooling": embedding.pooling, "rc_average": embedding.rc_average},
        "cross_validation": {"folds": cv, "stratified": task == "classification", "seed": seed,
                             "bootstrap_resamples": BOOTSTRAP, "results": table},
        "provenance": record,
        "skops": base64.b64encode(dump_estimator(final)).decode("ascii"),
    }
    figures = {}
    with OutputSet(inputs=data.files) as outputs:
        with open(outputs.path(out_json), "w") as handle:
            json.dump(document, handle, indent=1)
        if report:
            writer = TsvWriter.open(outputs, report, provenance_lines(record) + [
                f"{cv}-fold {'stratified ' if task == 'classification' else ''}cross-validation, out-of-fold "
                f"predictions; 95 % intervals from {BOOTSTRAP} bootstrap resamples; baseline: {KMER_K}-mer "
                "frequencies on the same folds; language_model_minus_baseline: paired difference on the same resamples "
                "(an interval above 0 means the embeddings add to the k-mer frequencies)"],
                ["features", "metric", "value", "ci95_low", "ci95_high"])
            for name, entries in table.items():
                for metric, entry in entries.items():
                    low, high = entry["ci95"] or (None, None)
                    writer.write((name, metric, entry["value"], low, high))
        if plot:
            from ..plots import learning_figure, save_figure

            figures["learning"] = learning_figure(task, targets, predictions,
                                                  {name: values[name].get("roc_auc") for name in predictions})
            save_figure(figures["learning"], outputs.path(plot), record)
    # The cross-validation table first: it is what a person reads.
    return TrainResult(task, table, [Path(p) for p in (report, out_json, plot) if p], figures)


@dataclass
class PredictionResult:
    outputs: list[Path]
    figures: dict = field(default_factory=dict)


def load_learner(path: str | Path) -> dict:
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


def _estimator(document: dict, path) -> object:
    try:
        payload = base64.b64decode(document["skops"], validate=True)
    except ValueError:
        raise InputError(f"{path}: the fitted model inside is damaged (not base64)") from None
    return load_estimator(payload, str(path))


def predict(model: LanguageModel, learner_path: str | Path, fasta: str | Path, out_tsv: str | Path, *,
            context: RunContext | None = None) -> PredictionResult:
    context = context or RunContext()
    document = load_learner(learner_path)
    expected = document["embedding"]
    if expected["weights_sha256"] != model.weights_sha256:
        raise InputError(f"{learner_path} was trained on embeddings of model '{expected['model']}' (weights "
                         f"{expected['weights_sha256'][:12]}…), not '{model.id}' ({model.weights_sha256[:12]}…); "
                         "use the same --model")
    estimator = _estimator(document, learner_path)
    options = EmbeddingOptions(pooling=expected["pooling"], layer=expected["layer"],
                               rc_average=expected.get("rc_average", False))
    records = list(read_fasta(fasta))
    features = embed_all(model, [r.sequence for r in records], options, context)
    task = document["task"]
    record = provenance(model.describe(), f"{task} predict", {"learner": Path(learner_path).name,
                                                               "input": Path(fasta).name})
    with OutputSet(inputs=[learner_path, fasta]) as outputs:
        if task == "classification":
            classes = [str(c) for c in estimator.classes_]
            writer = TsvWriter.open(outputs, out_tsv, provenance_lines(record),
                                    ["id", "predicted", *[f"p_{c}" for c in classes]])
            for rec, row in zip(records, estimator.predict_proba(features)):
                writer.write([rec.id, classes[int(np.argmax(row))], *(float(p) for p in row)])
        else:
            writer = TsvWriter.open(outputs, out_tsv, provenance_lines(record), ["id", "predicted"])
            for rec, value in zip(records, estimator.predict(features)):
                writer.write([rec.id, float(value)])
    return PredictionResult([Path(out_tsv)])
