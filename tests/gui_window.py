"""The desktop app's main window as the GUI tests open it: offscreen, tiny model, private settings and results."""

from __future__ import annotations

from pathlib import Path

from conftest import TEST_DATA

TINY_MODEL = TEST_DATA / "tiny-model"


def open_window(qtbot, tmp_path: Path):
    import matplotlib
    from PySide6.QtCore import QCoreApplication, QSettings

    matplotlib.use("QtAgg")
    QCoreApplication.setOrganizationName("DNALens-tests")
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "settings"))
    from dnalens_gui.main_window import MainWindow

    main = MainWindow()
    qtbot.addWidget(main)
    main.model_panel.set_spec(str(TINY_MODEL))
    main.results.setText(str(tmp_path / "results"))
    main.show()
    return main


def run_page(qtbot, window, index: int, timeout: int = 60_000):
    """Run page `index` (loading the model first when needed) and wait until the run has finished."""
    window.tabs.setCurrentIndex(index)
    before = window.completed_runs
    window.run_button.click()
    qtbot.waitUntil(lambda: window.completed_runs > before, timeout=timeout)
    return window.pages[index]
