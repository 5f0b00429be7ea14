"""The desktop app, offscreen: every page end to end on test-data with the tiny model, cancel, errors."""

import os
import time

import numpy as np
import pytest

from conftest import TEST_DATA

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from gui_window import open_window, run_page
from PySide6.QtCore import QTimer
from scipy import stats

from dnalens.io.tables import read_table

TINY_MODEL = TEST_DATA / "tiny-model"


@pytest.fixture
def window(qtbot, tmp_path):
    return open_window(qtbot, tmp_path)


def test_embed_page_shows_the_embeddings(qtbot, window, tmp_path):
    page = window.pages[0]
    page.sequences.file.setText(str(TEST_DATA / "sequences.fa"))
    run_page(qtbot, window, 0)
    assert window.last_error is None
    assert page.table.model().rowCount() == 12
    assert page.table.cell(0, "id") == "chr20_31000001_31000060"
    _, rows = read_table(tmp_path / "results" / "sequences_embeddings.tsv")
    assert page.table.cell(0, "e0") == rows[0]["e0"]
    saved = np.load(tmp_path / "results" / "sequences_embeddings.npz")
    assert float(page.table.cell(0, "e0")) == pytest.approx(float(saved["embeddings"][0, 0]), rel=1e-5)
    qtbot.waitUntil(lambda: page.plot.image is not None)  # shown just after the table
    assert page.plot.figure is not None  # the PCA projection, with its toolbar
    assert "ModernBert" in window.model_panel.summary.text()


def test_predict_page_with_pasted_sequences(qtbot, window):
    page = window.pages[1]
    page.sequences.paste.setPlainText("ACGTACGTACGTACGTACGT\nGGGGCCCCAAAATTTT")
    page.positions.setText("1,5")
    run_page(qtbot, window, 1)
    table = page.table.model()
    assert table.rowCount() == 4
    for row in range(4):
        assert sum(float(page.table.cell(row, base)) for base in "ACGT") == pytest.approx(1.0, abs=1e-5)
        assert page.table.cell(row, "method") == "masked-token"
    assert page.table.cell(2, "id") == "sequence_2" and page.table.cell(2, "ref") == "G"


def test_variant_page_matches_the_cli(qtbot, window):
    page = window.pages[2]
    page.ref_fasta.setText(str(TEST_DATA / "exon_ref.fa"))
    page.alt_fasta.setText(str(TEST_DATA / "exon_alt.fa"))
    run_page(qtbot, window, 2)
    _, expected = read_table(TEST_DATA / "exon_scores.tsv")  # made by the CLI with the same model
    assert page.table.model().rowCount() == 25
    for row in (0, 24):
        assert page.table.cell(row, "llr") == expected[row]["llr"]
        assert page.table.cell(row, "l2") == expected[row]["l2"]


def test_variant_page_averages_both_strands_like_the_cli(qtbot, window, tmp_path, run_cli):
    page = window.pages[2]
    page.ref_fasta.setText(str(TEST_DATA / "exon_ref.fa"))
    page.alt_fasta.setText(str(TEST_DATA / "exon_alt.fa"))
    page.rc.setChecked(True)
    run_page(qtbot, window, 2)
    cli_out = tmp_path / "cli.tsv"
    assert run_cli("variants", "--model", TINY_MODEL, "--ref-fasta", TEST_DATA / "exon_ref.fa", "--alt-fasta",
                   TEST_DATA / "exon_alt.fa", "--rc-average", "-o", cli_out).code == 0
    _, expected = read_table(cli_out)
    _, forward_only = read_table(TEST_DATA / "exon_scores.tsv")
    for row in (0, 24):
        assert page.table.cell(row, "llr") == expected[row]["llr"] != forward_only[row]["llr"]
        assert page.table.cell(row, "l2") == expected[row]["l2"]


def test_compare_page_gives_scipy_statistics(qtbot, window):
    page = window.pages[3]
    page.first.setText(str(TEST_DATA / "exon_scores.tsv"))
    page.second.setText(str(TEST_DATA / "intron_scores.tsv"))
    run_page(qtbot, window, 3)
    exon = [float(r["llr"]) for r in read_table(TEST_DATA / "exon_scores.tsv")[1]]
    intron = [float(r["llr"]) for r in read_table(TEST_DATA / "intron_scores.tsv")[1]]
    welch = stats.ttest_ind(exon, intron, equal_var=False).pvalue
    assert page.table.cell(0, "test") == "welch_t"
    assert float(page.table.cell(0, "p_value")) == pytest.approx(welch, rel=1e-5)
    qtbot.waitUntil(lambda: page.plot.image is not None)  # shown just after the table
    assert page.plot.figure is not None


def test_learn_page_trains_like_the_cli_then_predicts(qtbot, window, tmp_path, run_cli):
    page = window.pages[4]
    assert [page.estimator.itemText(i) for i in range(page.estimator.count())] == ["logistic", "random-forest", "mlp"]
    page.task.setCurrentIndex(1)
    assert page.estimator.currentText() == "ridge"
    page.task.setCurrentIndex(0)
    page.labelled.setText(str(TEST_DATA / "prom_core_subset.tsv"))
    page.folds.setValue(3)
    run_page(qtbot, window, 4, timeout=120_000)
    assert window.last_error is None
    shown = {(page.table.cell(r, "features"), page.table.cell(r, "metric")): page.table.cell(r, "value")
             for r in range(page.table.model().rowCount())}
    cli_report = tmp_path / "cli_report.tsv"
    assert run_cli("classify", "train", TEST_DATA / "prom_core_subset.tsv", "-o", tmp_path / "cli.json", "--cv", "3",
                   "--report", cli_report, "--model", TINY_MODEL).code == 0
    expected = {(r["features"], r["metric"]): r["value"] for r in read_table(cli_report)[1]}
    assert shown == expected and ("language_model_minus_baseline", "roc_auc") in shown
    qtbot.waitUntil(lambda: page.plot.image is not None)  # shown just after the table
    assert page.plot.figure is not None  # ROC curves and the confusion matrix
    trained = tmp_path / "results" / "prom_core_subset_classification.json"
    assert trained.exists()

    page.action.setCurrentIndex(1)
    page.trained.setText(str(trained))
    page.sequences.file.setText(str(TEST_DATA / "prom_core_heldout.fa"))
    run_page(qtbot, window, 4)
    assert window.last_error is None
    assert page.table.model().rowCount() == 10 and page.table.cell(0, "id") == "promoter_1"
    for row in range(10):
        assert float(page.table.cell(row, "p_0")) + float(page.table.cell(row, "p_1")) == pytest.approx(1.0, abs=1e-6)


def test_learn_page_reports_a_table_without_labels(qtbot, window):
    page = window.pages[4]
    page.labelled.setText(str(TEST_DATA / "exon_scores.tsv"))
    window.tabs.setCurrentIndex(4)
    window.load_model()
    qtbot.waitUntil(lambda: window.worker is None and window.model is not None, timeout=30_000)
    before = window.completed_runs
    window.run_button.click()
    qtbot.waitUntil(lambda: window.completed_runs > before, timeout=30_000)  # the table is read in the worker
    message, _ = window.last_error
    assert message.startswith("dnalens: error: ") and "needs columns 'sequence' and 'label'" in message
    assert window.run_button.isEnabled()


def test_cancel_mid_run_writes_nothing_and_the_app_stays_usable(qtbot, window, tmp_path):
    rng = np.random.default_rng(0)
    many = tmp_path / "many.fa"
    many.write_text("".join(f">s{i}\n{''.join(rng.choice(list('ACGT'), 300))}\n" for i in range(12_000)))
    page = window.pages[0]
    page.sequences.file.setText(str(many))
    window.load_model()
    qtbot.waitUntil(lambda: window.worker is None and window.model is not None, timeout=30_000)
    gaps, last = [], [time.monotonic()]

    def tick():
        now = time.monotonic()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(20)
    window.run_button.click()
    qtbot.waitUntil(lambda: window.progress.maximum() > 0 and window.progress.value() > 0, timeout=30_000)
    window.cancel_button.click()
    qtbot.waitUntil(lambda: window.worker is None, timeout=30_000)
    timer.stop()
    assert "Cancelled" in window.statusBar().currentMessage()
    assert not list((tmp_path / "results").glob("many_*"))  # no half-written table, npz or plot
    assert window.run_button.isEnabled()
    assert max(gaps) < 0.5, f"GUI thread blocked for {max(gaps):.2f} s"
    page.sequences.file.setText(str(TEST_DATA / "sequences.fa"))
    run_page(qtbot, window, 0)
    assert page.table.model().rowCount() == 12


def test_a_bad_file_shows_the_cli_message_and_nothing_breaks(qtbot, window):
    page = window.pages[0]
    page.sequences.file.setText(str(TEST_DATA / "bad_letters.fa"))
    run_page(qtbot, window, 0)
    message, details = window.last_error
    assert message.startswith("dnalens: error: ") and "record 'bad_record'" in message and "are not DNA" in message
    assert "Traceback" in details
    assert window.run_button.isEnabled()


def test_screenshot_option(tmp_path):
    from dnalens_gui.app import main

    out = tmp_path / "window.png"
    assert main(["--screenshot", str(out)]) == 0
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_tables_show_four_significant_digits_and_keep_every_digit_in_the_tooltip(qtbot):
    from PySide6.QtCore import Qt

    from dnalens_gui.table import TsvModel

    model = TsvModel(["id", "pos", "p_value"], [{"id": "chr20.1", "pos": "31000001", "p_value": "0.0001234567"}])
    shown = [model.data(model.index(0, column), Qt.DisplayRole) for column in range(3)]
    assert shown == ["chr20.1", "31000001", "0.0001235"]
    assert model.data(model.index(0, 2), Qt.ToolTipRole) == "0.0001234567"
    assert model.data(model.index(0, 2), Qt.UserRole) == pytest.approx(0.0001234567)


def test_the_plot_toolbar_draws_its_icons_without_qt_deprecation_warnings(qtbot, recwarn):
    import warnings

    from matplotlib.figure import Figure

    from dnalens_gui.widgets import PlotPanel

    warnings.simplefilter("always", DeprecationWarning)
    panel = PlotPanel()
    qtbot.addWidget(panel)
    figure = Figure()
    figure.add_subplot().plot([0, 1], [1, 0])
    panel.show_figure(figure)
    panel.show()
    panel.grab()  # paints the toolbar, and so every icon
    icons = [action.icon() for action in panel.toolbar.actions() if action.text()]
    assert len(icons) >= 6 and all(not icon.isNull() for icon in icons)
    assert not [w for w in recwarn if issubclass(w.category, DeprecationWarning) and "Qt" in str(w.message)]
