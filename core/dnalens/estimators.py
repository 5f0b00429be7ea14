"""The estimators `classify` and `regress` offer. Kept apart from `learn` so that the CLI can list them
without importing numpy, torch or scikit-learn at start-up."""

CLASSIFIERS = ("logistic", "random-forest", "mlp")
REGRESSORS = ("ridge", "random-forest", "mlp")
