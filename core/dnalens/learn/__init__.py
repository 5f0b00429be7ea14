"""Learning on embeddings: classifiers and regressors with honest cross-validation and a k-mer baseline.

Features are the language model's pooled hidden states. Every metric is computed on out-of-fold
predictions (stratified folds for classes), with bootstrap 95 % intervals, and the same folds score a
k-mer-frequency baseline so users see what the language model adds. Fitted models are saved as JSON with a
skops payload (never pickle) and the embedding model's SHA-256, which `predict` checks.

One idea a module: `data` (labelled examples), `features` (embeddings, k-mer frequencies), `estimators`,
`validation` (folds, metrics, bootstrap), `train`, `predict`, `learner_file` (the JSON document) and
`payload` (the skops allow-list). jobs/learn.py writes their results to files.
"""

from .data import Labelled, read_labelled
from .estimators import build_estimator
from .features import kmer_frequencies
from .learner_file import load_learner
from .predict import LearnerPrediction, Predictions, predict
from .train import Training, train
from .validation import DIFFERENCE, metrics, paired_bootstrap

__all__ = ["DIFFERENCE", "Labelled", "LearnerPrediction", "Predictions", "Training", "build_estimator",
           "kmer_frequencies", "load_learner", "metrics", "paired_bootstrap", "predict", "read_labelled", "train"]
