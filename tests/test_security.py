"""Untrusted files: a learner file may only rebuild the exact types DNALens writes."""

import base64
import json

import numpy as np
import pytest
import skops.io as sio
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import SVC

from conftest import TEST_DATA
from dnalens.errors import InputError
from dnalens.learn import build_estimator
from dnalens.learn.payload import load_estimator

ESTIMATORS = [("classification", "logistic"), ("classification", "random-forest"), ("classification", "mlp"),
              ("regression", "ridge"), ("regression", "random-forest"), ("regression", "mlp")]


@pytest.mark.parametrize(("task", "kind"), ESTIMATORS)
def test_every_estimator_dnalens_writes_loads_back_and_predicts_the_same(task, kind):
    rng = np.random.default_rng(1)
    features = rng.normal(size=(40, 6))
    targets = np.array(["low", "high"] * 20) if task == "classification" else features[:, 0] * 2 + 1
    fitted = build_estimator(kind, task, 0).fit(features, targets)
    fitted = getattr(fitted, "best_estimator_", fitted)
    loaded = load_estimator(sio.dumps(fitted), "learner.json")
    assert np.array_equal(loaded.predict(features), fitted.predict(features))


def _hostile_payloads() -> dict[str, bytes]:
    from numpy.testing._private.utils import runstring  # exec()s its argument: the exploit

    return {
        "code in a FunctionTransformer": sio.dumps(make_pipeline(FunctionTransformer(runstring))),
        "an estimator DNALens never writes": sio.dumps(SVC().fit([[0.0], [1.0]], [0, 1])),
    }


@pytest.mark.parametrize("name", ["code in a FunctionTransformer", "an estimator DNALens never writes"])
def test_a_hostile_payload_is_refused_before_any_object_is_built(name, monkeypatch):
    payload = _hostile_payloads()[name]

    def never(*args, **kwargs):
        raise AssertionError("skops built objects from a refused payload")

    monkeypatch.setattr(sio, "loads", never)
    with pytest.raises(InputError, match="refused to load"):
        load_estimator(payload, "learner.json")


def test_cli_refuses_a_learner_file_with_code_and_writes_nothing(run_cli, tmp_path):
    document = json.loads((TEST_DATA / "prom_core_classifier.json").read_text())
    document["skops"] = base64.b64encode(_hostile_payloads()["code in a FunctionTransformer"]).decode()
    hostile = tmp_path / "hostile.json"
    hostile.write_text(json.dumps(document))
    out = tmp_path / "predicted.tsv"
    result = run_cli("classify", "predict", hostile, TEST_DATA / "prom_core_heldout.fa", "-o", out,
                     "--model", TEST_DATA / "tiny-model")
    assert result.code == 1
    assert result.err.count("\n") == 1 and "runstring" in result.err and "refused to load" in result.err
    assert not out.exists()


@pytest.mark.parametrize("damage", [{"skops": "not base64 at all!"}, {"skops": base64.b64encode(b"PK junk").decode()},
                                    {"embedding": None}, {"task": "clustering"}])
def test_a_damaged_learner_file_is_one_line(run_cli, tmp_path, damage):
    document = json.loads((TEST_DATA / "prom_core_classifier.json").read_text())
    document.update(damage)
    path = tmp_path / "damaged.json"
    path.write_text(json.dumps(document))
    result = run_cli("classify", "predict", path, TEST_DATA / "prom_core_heldout.fa", "-o", tmp_path / "p.tsv",
                     "--model", TEST_DATA / "tiny-model")
    assert result.code == 1 and result.err.startswith("dnalens: error:") and result.err.count("\n") == 1



def test_a_payload_that_would_unpack_to_gigabytes_is_refused_unread(monkeypatch):
    from dnalens.learn import payload as learner_payload

    fitted = build_estimator("ridge", "regression", 0).fit(np.eye(4), np.arange(4.0))
    monkeypatch.setattr(learner_payload, "MAX_PAYLOAD_BYTES", 1000)  # the real bound is 2 GiB
    with pytest.raises(InputError, match="would unpack to more than"):
        load_estimator(sio.dumps(fitted), "learner.json")
