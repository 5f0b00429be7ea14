"""The scikit-learn estimators DNALens fits, by task and name (payload.py allows exactly what these save)."""

from __future__ import annotations

import numpy as np

from ..choices import CLASSIFIERS, REGRESSORS
from ..errors import InputError

# Inverse regularisation strengths tried by the linear models. Weaker penalties than 10 are left out: the
# pooled hidden states are nearly collinear, so such fits are ill-conditioned and 100x slower, for nothing.
PENALTIES = np.logspace(-4, 1, 6)


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


def tuned_parameters(fitted) -> dict[str, float]:
    """The penalty a search or RidgeCV chose on all examples, by its short name (empty for fixed models)."""
    final = getattr(fitted, "best_estimator_", fitted)
    tuned = {name.split("__")[-1]: float(value) for name, value in getattr(fitted, "best_params_", {}).items()}
    if hasattr(final[-1], "alpha_"):
        tuned["alpha"] = float(final[-1].alpha_)
    return tuned
