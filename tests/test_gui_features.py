"""The desktop app's second round: warnings that stay, status filters, copy/export, result names that never
replace a file, remembered inputs, menus, Enter, the model folder check, and the variant effect view."""

import csv
import io
import os

import pytest

from conftest import TEST_DATA

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from gui_window import open_window, run_page
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QTextBrowser

from dnalens.io.tables import read_table

TINY_MODEL = TEST_DATA / "tiny-model"


@pytest.fixture
def make_window(qtbot, tmp_path):
    return lambda: open_window(qtbot, tmp_path)


@pytest.fixture
def window(make_window):
    return make_window()


def test_unrelated_pairs_leave_a_banner_a_message_and_a_status_filter(qtbot, window):
    page = window.pages[2]
    page.ref_fasta.setText(str(TEST_DATA / "exon_ref.fa"))
    page.alt_fasta.setText(str(TEST_DATA / "exon_alt_two_unrelated.fa"))
    run_page(qtbot, window, 2)
    assert window.last_error is None
    _, rows = read_table(page.outputs[0])
    unscored = [r["id"] for r in rows if r["status"] != "ok"]
    assert len(unscored) == 2
    # The run-level warning outlives "Done…" in the status bar: in the banner and the Messages panel.
    assert window.banner.isVisible() and "not scored" in window.banner.text.text()
    full = window.banner.text.toolTip()  # every warning in full; the banner shows two, shortened
    assert "'Max. differences'" in full and "--max-differences" not in full
    assert "warning:" in window.messages.toPlainText() and "done:" in window.messages.toPlainText()
    assert "Done" in window.statusBar().currentMessage() and "warning" in window.statusBar().currentMessage()
    filters = [page.status_filter.itemText(i) for i in range(page.status_filter.count())]
    assert filters == ["all rows", "not ok", "mismatched_pair", "ok"]
    page.status_filter.setCurrentText("not ok")
    table = page.table.model()
    assert table.rowCount() == 2
    assert [table.value(r, table.columns.index("id")) for r in range(2)] == unscored
    assert page.shown_rows.text() == "2 of 25 rows"
    page.status_filter.setCurrentText("all rows")
    assert table.rowCount() == 25
    # The plain-language summary counts what the file holds (shown just after the table).
    qtbot.waitUntil(lambda: not page.summary.isHidden())
    summary = page.summary.toPlainText()
    assert "23 of 25 variants scored" in summary and "2 mismatched_pair" in summary and "more negative" in summary
    qtbot.waitUntil(lambda: page.plot.image is not None)  # shown just after the table
    assert page.plot.figure is not None
    # A new run clears the banner: warnings belong to the run that raised them.
    page.alt_fasta.setText(str(TEST_DATA / "exon_alt.fa"))
    run_page(qtbot, window, 2)
    assert not window.banner.isVisible()


def test_important_columns_come_first_and_numbers_sort_as_numbers_with_empty_scores_last(qtbot, window):
    from dnalens_gui.table import TsvModel

    model = TsvModel.from_file(TEST_DATA / "exon_scores.tsv")
    assert model.columns[:3] == ["id", "status", "llr"]
    rows = [{"id": "a", "llr": "-2.5"}, {"id": "b", "llr": ""}, {"id": "c", "llr": "10"}, {"id": "d", "llr": "-11"}]
    model = TsvModel(["id", "llr"], rows)
    model.sort(1, Qt.AscendingOrder)
    assert [model.value(r, 0) for r in range(4)] == ["d", "a", "c", "b"]
    model.sort(1, Qt.DescendingOrder)
    assert [model.value(r, 0) for r in range(4)] == ["c", "a", "d", "b"]


def test_copy_and_save_give_every_digit_as_tsv_and_csv(qtbot, window, tmp_path):
    page = window.pages[3]
    page.first.setText(str(TEST_DATA / "exon_scores.tsv"))
    page.second.setText(str(TEST_DATA / "intron_scores.tsv"))
    run_page(qtbot, window, 3)
    columns, rows = read_table(page.outputs[0])
    page.table.copy()
    copied = list(csv.DictReader(io.StringIO(QApplication.clipboard().text()), delimiter="\t"))
    assert [r["p_value"] for r in copied] == [r["p_value"] for r in rows]  # not the 4 digits on screen
    page.write_table(tmp_path / "saved.csv", ",")
    with open(tmp_path / "saved.csv", newline="") as handle:
        saved = list(csv.DictReader(handle))
    assert saved == [{c: r[c] for c in columns} for r in rows]
    page.table.selectRow(0)
    assert page.table.selection_text().splitlines()[1].split("\t") == [
        rows[0][c] for c in page.table.model().columns]


def test_a_second_run_never_replaces_the_first_runs_files(qtbot, window, tmp_path):
    page = window.pages[1]
    page.sequences.paste.setPlainText("ACGTACGTAC")
    page.positions.setText("2")
    run_page(qtbot, window, 1)
    first = page.outputs[0]
    first_text = first.read_text()
    page.sequences.paste.setPlainText("GGGGCCCCAA")
    run_page(qtbot, window, 1)
    second = page.outputs[0]
    assert first.name == "pasted_sequences_predictions.tsv" and second.name == "pasted_sequences_2_predictions.tsv"
    assert first.read_text() == first_text
    assert (tmp_path / "results" / "pasted_sequences.fa").read_text() == ">sequence_1\nACGTACGTAC\n"
    assert read_table(second)[1][0]["ref"] == "G"


def test_inputs_and_the_last_page_are_remembered(qtbot, make_window):
    first = make_window()
    page = first.pages[2]
    page.ref_fasta.setText("/data/ref.fa")
    page.pair_by.setCurrentIndex(1)
    page.max_differences.setValue(7)
    page.rc.setChecked(True)
    first.pages[1].sequences.paste.setPlainText("ACGT")
    first.tabs.setCurrentIndex(2)
    first.close()
    second = make_window()
    page = second.pages[2]
    assert second.tabs.currentIndex() == 2
    assert (page.ref_fasta.text(), page.pair_by.currentText(), page.max_differences.value(), page.rc.isChecked()) \
        == ("/data/ref.fa", "id", 7, True)
    assert second.pages[1].sequences.paste.toPlainText() == "ACGT"


def test_an_empty_model_folder_is_an_error_not_the_built_in_model(qtbot, window):
    window.model_panel.folder.setChecked(True)
    window.model_panel.folder_edit.setText("")
    window.pages[0].sequences.paste.setPlainText("ACGT")
    window.tabs.setCurrentIndex(0)
    window.run_button.click()
    assert window.worker is None and window.model is None
    message, _ = window.last_error
    assert message.startswith("dnalens: error: choose a model folder")


def test_enter_in_a_field_runs_the_page_and_the_menus_are_there(qtbot, window):
    from PySide6.QtTest import QTest

    page = window.pages[1]
    page.sequences.paste.setPlainText("ACGTACGTAC")
    window.tabs.setCurrentIndex(1)
    page.positions.setText("3")
    page.positions.setFocus()
    before = window.completed_runs
    QTest.keyClick(page.positions, Qt.Key_Return)
    qtbot.waitUntil(lambda: window.completed_runs > before, timeout=60_000)
    assert page.table.model().rowCount() == 1 and page.table.cell(0, "position") == "3"
    assert [a.text() for a in window.menuBar().actions()] == ["&File", "&Run", "&View", "&Help"]
    from dnalens import __version__
    from dnalens_gui.help import about_text, readme_sections, show_help

    about = about_text(window)
    assert f"DNALens {__version__}" in about and "PySide6" in about
    assert window.model.describe()["id"] in about and "PyTorch 2." in about
    readme = (TEST_DATA.parent / "README.md").read_text()
    titles = [title for title, _ in readme_sections(readme)]
    assert titles == [line[3:] for line in readme.splitlines() if line.startswith("## ")]
    dialog = show_help(window)
    browser = dialog.findChild(QTextBrowser)
    assert "dnalens-gui" in browser.toPlainText()  # opens on the Desktop app section
    dialog.close()


def test_without_qts_x11_libraries_the_app_names_the_debian_packages(monkeypatch, capsys):
    from dnalens_gui import app

    absent = {"libxcb-icccm.so.4", "libxcb-keysyms.so.1"}

    def load(name):
        if name in absent:
            raise OSError(f"{name}: cannot open shared object file")

    assert app.missing_system_libraries({"DISPLAY": ":0"}, "linux", load) == ["libxcb-icccm4", "libxcb-keysyms1"]
    assert app.missing_system_libraries({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, "linux", load) == []
    assert app.missing_system_libraries({"WAYLAND_DISPLAY": "wayland-0"}, "linux", load) == []
    assert app.missing_system_libraries({}, "darwin", load) == []
    monkeypatch.setattr(app, "missing_system_libraries", lambda: ["libxcb-icccm4", "libxcb-keysyms1"])
    assert app.main([]) == 1
    error = capsys.readouterr().err
    assert error.startswith("dnalens-gui: error: ") and "sudo apt-get install libxcb-icccm4 libxcb-keysyms1" in error
    assert error.count("\n") == 1


def test_the_readme_and_ci_install_every_library_the_app_checks():
    from dnalens_gui.app import XCB_LIBRARIES

    root = TEST_DATA.parent
    readme, ci = (root / "README.md").read_text(), (root / ".ci" / "run").read_text()
    for package in XCB_LIBRARIES.values():
        assert package in readme and package in ci, package


def test_changing_the_device_after_loading_reloads_the_model_there(qtbot, window):
    window.device_panel.choice.setCurrentIndex(window.device_panel.choice.findData("auto"))
    window.load_model()
    qtbot.waitUntil(lambda: window.worker is None and window.model is not None, timeout=60_000)
    first = window.model
    assert window.model_key[1] == "auto"
    window.device_panel.choice.setCurrentIndex(window.device_panel.choice.findData("cpu"))
    page = window.pages[1]
    page.sequences.paste.setPlainText("ACGTACGTAC")
    page.positions.setText("1")
    run_page(qtbot, window, 1)
    assert window.model is not first and window.model_key[1] == "cpu" and str(window.model.device) == "cpu"
    assert window.messages.toPlainText().count("start: loading") == 2


def test_files_chosen_are_offered_again_in_every_path_box(qtbot, window, tmp_path):
    from dnalens_gui.widgets import RECENT, FileField, recent_files, remember_file

    for i in range(RECENT + 3):
        remember_file(str(tmp_path / f"f{i}.fa"))
    remember_file(str(tmp_path / "f5.fa"))  # chosen again: first, once
    recent = recent_files()
    assert len(recent) == RECENT and recent[0] == str(tmp_path / "f5.fa") and recent.count(recent[0]) == 1
    field = FileField("a FASTA file")
    qtbot.addWidget(field)
    assert field.edit.completer().model().stringList() == recent


def test_a_model_with_its_own_code_loads_only_when_the_user_trusts_it(qtbot, window):
    from conftest import SHARED

    hyena = SHARED / "model_zoo" / "hyenadna" / "model"
    if not hyena.is_dir():
        pytest.skip("../shared/model_zoo is absent")
    window.model_panel.set_spec(str(hyena))
    assert not window.model_panel.trust_code.isChecked()  # never on by default
    window.load_model()
    qtbot.waitUntil(lambda: window.worker is None, timeout=60_000)
    assert window.model is None and "tick 'Let this model run its own code'" in window.last_error[0]
    window.model_panel.trust_code.setChecked(True)
    page = window.pages[1]
    page.sequences.paste.setPlainText("ACGTACGTACGGTTAC")
    page.positions.setText("3")
    run_page(qtbot, window, 1)
    assert window.model is not None and window.model.describe()["family"] == "causal"
    rows = read_table(page.outputs[0])[1] if hasattr(page, "outputs") and page.outputs else []
    assert rows and abs(sum(float(rows[0][b]) for b in "ACGT") - 1) < 1e-4
