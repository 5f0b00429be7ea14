"""The choices and defaults every face offers: the CLI parser, the desktop app's widgets and (checked by
tests/test_choices.py) the Galaxy wrappers. One place, so that no face can drift from the core.

Imports nothing: the CLI reads it before `--help` answers, and torch must not load for that.
"""

from __future__ import annotations

# How a sequence's per-token hidden states become one vector (compute/embedder.py); the first is the default.
POOLINGS = ("mean", "max", "cls")
DEFAULT_POOLING = POOLINGS[0]

# How paired reference and mutant FASTA records are matched: by their order in the files, or by identical ids.
PAIR_BY = ("order", "id")
DEFAULT_PAIR_BY = PAIR_BY[0]

# Zero-shot variant scores (ops/variants.py): embedding distances, then the log-likelihood ratio.
SCORES = ("l2", "cosine", "llr")

# 2-D projections of embeddings (plots.py); UMAP falls back to PCA where umap-learn is not installed.
PROJECTIONS = ("pca", "umap")
DEFAULT_PROJECTION = PROJECTIONS[0]

# bp around each VCF variant given to the model, as in the GTN tutorial (or the model's limit, if smaller).
DEFAULT_WINDOW = 201
# Paired mode: SNVs, MNVs and indels up to 10 bp pass; unrelated sequences of tens of bases differ in far more.
DEFAULT_MAX_DIFFERENCES = 10

# The estimators `classify` and `regress` fit on embeddings (learn/); the first of each is the default.
CLASSIFIERS = ("logistic", "random-forest", "mlp")
REGRESSORS = ("ridge", "random-forest", "mlp")

# `--model` without a choice: the small model that ships with DNALens (model/source.py says where it lies).
DEFAULT_MODEL = "default"

# What `compare` offers to compare, the likelihood ratio first (the app's and Galaxy's default).
DEFAULT_COMPARED_SCORE = "llr"
COMPARED_SCORES = (DEFAULT_COMPARED_SCORE, *(score for score in SCORES if score != DEFAULT_COMPARED_SCORE))
