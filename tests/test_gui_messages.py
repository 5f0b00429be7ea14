"""The app says what the CLI says: the core decides limits (a VCF window above the model's) and the app shows
the core's one line; a bug is one 'internal error' line with the traceback under the details."""

import os
from pathlib import Path

import pytest

from conftest import TEST_DATA

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from gui_window import open_window, run_page

VARIANTS_PAGE = 2


@pytest.fixture
def window(qtbot, tmp_path):
    return open_window(qtbot, tmp_path)


def test_a_window_above_the_models_limit_is_the_cores_error_not_silently_capped(qtbot, window):
    page = window.pages[VARIANTS_PAGE]
    page.mode.setCurrentIndex(1)
    page.vcf.setText(str(TEST_DATA / "variants.vcf"))
    page.reference.setText(str(TEST_DATA / "chr20_excerpt.fa"))
    page.window.setValue(5_000)  # the tiny model takes 512 bp
    run_page(qtbot, window, VARIANTS_PAGE)
    message, _ = window.last_error
    assert message == "dnalens: error: 'Window (bp)' 5000: must be between 3 and the model's limit of 512 bp"
    assert not list(Path(window.results.text()).glob("*variant_effects*"))  # refused before any file


def test_a_bug_is_one_internal_error_line_with_the_traceback_under_details(qtbot, window, monkeypatch):
    page = window.pages[VARIANTS_PAGE]

    def broken(model, results):
        raise KeyError("oops")

    monkeypatch.setattr(page, "job", broken)
    window.tabs.setCurrentIndex(VARIANTS_PAGE)
    window.load_model()
    qtbot.waitUntil(lambda: window.worker is None and window.model is not None, timeout=30_000)
    window.run_button.click()
    message, details = window.last_error
    assert message == "dnalens: internal error: KeyError: 'oops'"
    assert "Traceback" in details and "oops" in details
