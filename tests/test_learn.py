"""Learning on embeddings: cross-validated metrics, the k-mer baseline, safe model files, model checks."""

import base64
import io
import json
import pickle
import zipfile

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from conftest import TEST_DATA
from dnalens.errors import InputError
from dnalens.learn.data import read_labelled
from dnalens.learn.features import kmer_frequencies
from dnalens.learn.learner_file import load_learner
from dnalens.learn.payload import load_estimator, refused_types
from dnalens.learn.validation import DIFFERENCE, metrics, paired_bootstrap


def biased_dna(rng, length: int, gc: float) -> str:
    return "".join(rng.choice(list("ACGT"), length, p=[(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2]))


@pytest.fixture
def gc_table(tmp_path):
    rng = np.random.default_rng(5)
    rows = [(biased_dna(rng, 80, 0.7), "gc_rich") for _ in range(30)] + \
           [(biased_dna(rng, 80, 0.3), "at_rich") for _ in range(30)]
    path = tmp_path / "labelled.tsv"
    path.write_text("sequence\tlabel\n" + "".join(f"{s}\t{label}\n" for s, label in rows))
    return path


def assert_holds_no_pickle(payload: bytes, monkeypatch) -> None:
    """A zip of JSON and plain .npy arrays (an object array would be a pickle), loaded with pickle disabled."""
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        for name in archive.namelist():
            assert name.endswith((".json", ".npy")), name
            if name.endswith(".npy"):
                np.load(io.BytesIO(archive.read(name)), allow_pickle=False)  # raises on pickled objects

    def refuse(*args, **kwargs):
        raise AssertionError("loading the learner needed pickle")

    with monkeypatch.context() as patched:
        for name in ("load", "loads", "Unpickler"):
            patched.setattr(pickle, name, refuse)
        assert hasattr(load_estimator(payload, "payload"), "predict_proba")


def test_classify_train_reports_both_feature_sets_and_predict_applies_it(run_cli, zoo, gc_table, tmp_path,
                                                                         write_fasta, monkeypatch):
    out, report = tmp_path / "clf.json", tmp_path / "report.tsv"
    result = run_cli("classify", "train", gc_table, "-o", out, "--report", report, "--plot", tmp_path / "roc.png",
                     "--model", zoo["masked_nucleotide"], "--cv", "3")
    assert result.code == 0, result.err
    document = json.loads(out.read_text())
    results = document["cross_validation"]["results"]
    assert set(results) == {"language_model", "kmer_baseline", DIFFERENCE}
    difference = results[DIFFERENCE]["roc_auc"]
    assert difference["value"] == pytest.approx(results["language_model"]["roc_auc"]["value"]
                                                - results["kmer_baseline"]["roc_auc"]["value"])
    assert results["kmer_baseline"]["roc_auc"]["value"] > 0.95  # GC content is in the 4-mer frequencies
    low, high = results["language_model"]["accuracy"]["ci95"]
    assert low <= results["language_model"]["accuracy"]["value"] <= high
    assert document["embedding"]["weights_sha256"] and "skops" in document and document["classes"] == ["at_rich",
                                                                                                      "gc_rich"]
    payload = base64.b64decode(document["skops"])
    assert refused_types(payload, "clf.json") == []  # only the types DNALens writes
    assert_holds_no_pickle(payload, monkeypatch)
    fasta = write_fasta({"x": "GCGCGGCCGCGGCGCCGGGCGCGC" * 3, "y": "ATATTAAATATTTAATATAATTAT" * 3})
    assert run_cli("classify", "predict", out, fasta, "-o", tmp_path / "pred.tsv",
                   "--model", zoo["masked_nucleotide"]).code == 0
    rows = [line.split("\t") for line in (tmp_path / "pred.tsv").read_text().splitlines() if not line.startswith("#")]
    assert rows[0] == ["id", "predicted", "p_at_rich", "p_gc_rich"] and [r[0] for r in rows[1:]] == ["x", "y"]
    other = run_cli("classify", "predict", out, fasta, "-o", tmp_path / "p2.tsv", "--model", zoo["masked_kmer"])
    assert other.code == 1 and "was trained on embeddings of model" in other.err
    assert not (tmp_path / "p2.tsv").exists()


def test_regress_on_gc_fraction(run_cli, zoo, tmp_path):
    rng = np.random.default_rng(6)
    sequences = [biased_dna(rng, 100, gc) for gc in rng.uniform(0.2, 0.8, 60)]
    table = tmp_path / "expression.tsv"
    table.write_text("sequence\tlabel\n" + "".join(f"{s}\t{(s.count('G') + s.count('C')) / len(s)}\n"
                                                   for s in sequences))
    result = run_cli("regress", "train", table, "-o", tmp_path / "reg.json", "--model", zoo["masked_nucleotide"],
                     "--cv", "3", "--plot", tmp_path / "reg.png")
    assert result.code == 0, result.err
    results = json.loads((tmp_path / "reg.json").read_text())["cross_validation"]["results"]
    assert results["kmer_baseline"]["r2"]["value"] > 0.9 and results["kmer_baseline"]["spearman"]["value"] > 0.9


def test_learning_uses_the_runs_runner_its_batch_budget_and_warns_once(run_cli, gc_table, tmp_path, monkeypatch):
    from dnalens import runner as runner_module
    from dnalens.learn import features

    warning = "bf16 is emulated on this CPU (test)"
    monkeypatch.setattr(runner_module, "emulated_bf16_warning", lambda device, dtype: warning)
    runners, batches = [], []

    class RecordingEmbedder(features.Embedder):
        def __init__(self, model, options, runner):
            runners.append(runner)
            mapped = runner.map_items

            def counted(sizes, compute, *args, **kwargs):
                def compute_and_count(batch):
                    batches.append(len(batch))
                    return compute(batch)

                return mapped(sizes, compute_and_count, *args, **kwargs)

            runner.map_items = counted
            super().__init__(model, options, runner)

    monkeypatch.setattr(features, "Embedder", RecordingEmbedder)
    tiny = TEST_DATA / "tiny-model"
    # 64 tokens hold less than one 80-bp sequence: one sequence a batch (the CPU default takes ~50).
    trained = run_cli("classify", "train", gc_table, "-o", tmp_path / "m.json", "--cv", "2", "--model", tiny,
                      "--batch-tokens", "64")
    assert trained.code == 0, trained.err
    assert [r.token_budget for r in runners] == [64] and batches == [1] * 60
    assert trained.err.count(warning) == 1
    predicted = run_cli("classify", "predict", TEST_DATA / "prom_core_classifier.json",
                        TEST_DATA / "prom_core_heldout.fa", "-o", tmp_path / "p.tsv", "--model", tiny,
                        "--batch-tokens", "64")
    assert predicted.code == 0, predicted.err
    assert [r.token_budget for r in runners] == [64, 64] and predicted.err.count(warning) == 1


def test_metrics_equal_sklearn_on_fixed_predictions():
    targets = np.array(["a", "b", "a", "b", "b", "a"])
    predicted = np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.3, 0.7], [0.6, 0.4], [0.8, 0.2]])
    values = metrics(targets, predicted, "classification")
    assert values["roc_auc"] == pytest.approx(roc_auc_score(targets == "b", predicted[:, 1]))
    assert values["accuracy"] == pytest.approx(4 / 6)
    intervals = paired_bootstrap(targets, {"only": predicted}, "classification", seed=0)["only"]
    assert intervals["accuracy"][0] <= values["accuracy"] <= intervals["accuracy"][1]


def test_paired_bootstrap_difference_is_zero_for_equal_predictions_and_positive_for_a_better_one():
    rng = np.random.default_rng(1)
    targets = np.array(["a", "b"] * 100)
    truth = (targets == "b").astype(float)
    good = np.clip(truth + rng.normal(0, 0.3, 200), 0, 1)
    noise = rng.uniform(0, 1, 200)
    as_proba = lambda p: np.column_stack([1 - p, p])  # noqa: E731
    same = paired_bootstrap(targets, {"x": as_proba(good), "y": as_proba(good)}, "classification", seed=0)
    assert same[DIFFERENCE]["roc_auc"] == [0.0, 0.0]
    better = paired_bootstrap(targets, {"x": as_proba(good), "y": as_proba(noise)}, "classification", seed=0)
    assert better[DIFFERENCE]["roc_auc"][0] > 0.3 and better[DIFFERENCE]["accuracy"][0] > 0.2


def test_kmer_frequencies_sum_to_one_and_skip_n():
    features = kmer_frequencies(["ACGTACGT", "NNNNACGT"], k=2)
    assert features.shape == (2, 16)
    assert features[0].sum() == pytest.approx(1.0) and features[1].sum() == pytest.approx(1.0)
    assert features[1].max() == pytest.approx(1 / 3)  # only AC, CG, GT: k-mers with N are skipped


def test_bad_learning_inputs(tmp_path, gc_table):
    wrong = tmp_path / "wrong.tsv"
    wrong.write_text("seq\tclass\nACGT\t1\n")
    with pytest.raises(InputError, match="needs columns 'sequence' and 'label'"):
        read_labelled(wrong)
    (tmp_path / "fake.json").write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(InputError, match="not a DNALens model file"):
        load_learner(tmp_path / "fake.json")


def test_roc_curves_two_classes_as_sklearn_and_three_as_the_mean_of_one_vs_rest():
    from sklearn.metrics import roc_curve

    from dnalens.plots import learning_figure, roc_of

    targets = np.array(["a", "b", "a", "b", "b", "a"])
    predicted = np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.3, 0.7], [0.6, 0.4], [0.8, 0.2]])
    fpr, tpr = roc_of(targets, predicted, np.array(["a", "b"]))
    want_fpr, want_tpr, _ = roc_curve(targets == "b", predicted[:, 1])
    np.testing.assert_array_equal(fpr, want_fpr)
    np.testing.assert_array_equal(tpr, want_tpr)

    three = np.repeat(np.array(["x", "y", "z"]), 10)
    perfect = np.eye(3)[np.repeat([0, 1, 2], 10)] * 0.8 + 0.2 / 3
    fpr, tpr = roc_of(three, perfect, np.array(["x", "y", "z"]))
    assert tpr[0] == 1.0 and np.all(tpr == 1.0)  # every class ranked first: TPR 1 at any false-positive rate
    backwards = perfect[:, ::-1]
    _, tpr = roc_of(three, backwards, np.array(["x", "y", "z"]))
    assert tpr[len(tpr) // 4] < 0.5  # x and z ranked last: well below the diagonal

    figure = learning_figure("classification", three, {"language_model": perfect, "kmer_baseline": backwards},
                             {"language_model": 1.0, "kmer_baseline": 0.25})
    labels = [text.get_text() for text in figure.legends[0].get_texts()]
    assert labels == ["language-model embeddings (AUC 1.000)", "k-mer frequencies (baseline) (AUC 0.250)"]
    assert "3 one-vs-rest" in figure.axes[0].get_title()


def test_learning_reports_each_stage_with_its_own_count(tmp_path):
    """Progress per kind of work (an honest time estimate): embedding counts sequences, then cross-validation
    fits, bootstrap resamples and the final fit each count their own steps to their own total."""
    from dnalens.context import RunContext
    from dnalens.jobs.learn import train_to_files
    from dnalens.learn import read_labelled
    from dnalens.learn.validation import BOOTSTRAP
    from dnalens.model import load_model

    stages: list[str] = []
    last: dict[str, tuple[int, int]] = {}
    context = RunContext(quiet=True, stage_callback=stages.append,
                         progress_callback=lambda done, total: last.__setitem__(stages[-1], (done, total)))
    data = read_labelled(TEST_DATA / "prom_core_subset.tsv")
    train_to_files(load_model(str(TEST_DATA / "tiny-model"), device="cpu"), data, tmp_path / "m.json",
                   task="classification", kind="logistic", cv=3, context=context)
    assert stages == ["embed", "cross-validation", "bootstrap intervals", "final fit"]
    assert last == {"embed": (len(data.sequences), len(data.sequences)), "cross-validation": (6, 6),
                    "bootstrap intervals": (BOOTSTRAP, BOOTSTRAP), "final fit": (1, 1)}
