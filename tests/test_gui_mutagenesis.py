"""The Mutagenesis page: a genome region's every substitution in the table, the three files in the results folder,
the heatmap in the view (scrolling down when tall), and the core's one-line error for a bad region."""

import os
from pathlib import Path

import pytest

from conftest import TEST_DATA

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from gui_window import open_window, run_page


@pytest.fixture
def window(qtbot, tmp_path):
    return open_window(qtbot, tmp_path)


def mutagenesis_page(window) -> int:
    return next(i for i, page in enumerate(window.pages) if type(page).__name__ == "MutagenesisPage")


def test_a_region_fills_the_table_writes_three_files_and_shows_the_heatmap(qtbot, window):
    index = mutagenesis_page(window)
    page = window.pages[index]
    assert page.window.window() is None  # "model default": the core picks 201 bp or the model's limit
    page.mode.setCurrentIndex(0)
    page.reference.setText(str(TEST_DATA / "chr20_excerpt.fa"))
    page.region.setText("20:1001-1040")
    run_page(qtbot, window, index)
    assert window.last_error is None
    table = page.table.model()
    assert table.rowCount() == 120  # 40 positions x 3 substitutions
    assert {"id", "position", "ref", "alt", "llr", "p_ref"} <= set(table.columns)
    results = Path(window.results.text())
    names = sorted(path.name for path in page.outputs)
    assert names == ["20_1001-1040_mutagenesis.bedgraph", "20_1001-1040_mutagenesis.png",
                     "20_1001-1040_mutagenesis.tsv"]
    assert all((results / name).stat().st_size > 0 for name in names)
    qtbot.waitUntil(lambda: page.plot.image is not None)  # shown just after the table
    assert page.plot.figure is not None and not page.plot.label.pixmap().isNull()
    assert page.shown_rows.text() == "120 rows"
    # A second run never replaces the first one's files.
    run_page(qtbot, window, index)
    assert page.outputs[0].name == "20_1001-1040_2_mutagenesis.tsv"


def test_pasted_sequences_with_a_range(qtbot, window):
    index = mutagenesis_page(window)
    page = window.pages[index]
    page.mode.setCurrentIndex(1)
    page.sequences.paste.setPlainText(">a\nACGTACGTACGTACGTACGT\n>b\nTTTTGGGGCCCCAAAATTTT\n")
    page.span.setText("3-7")
    run_page(qtbot, window, index)
    assert window.last_error is None
    assert page.table.model().rowCount() == 2 * 5 * 3


def test_a_tall_heatmap_fills_the_width_and_scrolls(qtbot, window):
    from PySide6.QtGui import QImage

    from dnalens_gui.widgets import ImagePlot

    plot = ImagePlot(fit_width=True)
    qtbot.addWidget(plot)
    plot.resize(600, 300)
    plot.show()
    tall = QImage(1400, 1420, QImage.Format_RGBA8888)  # 1,000 positions: ten wrapped rows
    tall.fill(0)
    plot.show_image(tall)
    qtbot.waitUntil(lambda: plot.area.verticalScrollBar().maximum() > 0)
    assert plot.label.pixmap().width() <= plot.area.width()
    assert plot.label.pixmap().width() > 0.8 * plot.area.width()  # not shrunk to the panel's height


def test_a_bad_region_is_the_cores_one_line_error_and_writes_nothing(qtbot, window):
    index = mutagenesis_page(window)
    page = window.pages[index]
    page.mode.setCurrentIndex(0)
    page.reference.setText(str(TEST_DATA / "chr20_excerpt.fa"))
    page.region.setText("20:1040-1001")
    run_page(qtbot, window, index)
    message, _ = window.last_error
    assert message == ("dnalens: error: 'Region' '20:1040-1001': START must be 1 or more and END at least START")
    assert "\n" not in message
    assert not list(Path(window.results.text()).glob("*mutagenesis*"))
