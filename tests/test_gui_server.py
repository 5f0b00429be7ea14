"""The app's "A DNALens server" model source against a real `dnalens serve` on 127.0.0.1 (issue 20): the connection
test, a wrong token, and runs through the server giving the local run's numbers."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")
pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from gui_window import open_window
from PySide6.QtCore import QSettings
from serve_helpers import TINY, TOKEN, running


@pytest.fixture(scope="module")
def server():
    with running("--max-sequences", "8") as client:
        yield client


@pytest.fixture
def window(qtbot, tmp_path, server):
    main = open_window(qtbot, tmp_path)
    source = main.model_panel.server_source
    source.url.setText(server.base)
    source.token.setText(TOKEN)
    main.model_panel.server.setChecked(True)
    return main


def _test_connection(qtbot, source) -> str:
    source.test_button.click()
    assert not source.test_button.isEnabled()  # running in the background; the window is not blocked
    qtbot.waitUntil(lambda: source.worker is None, timeout=30_000)
    return source.status.text()


def test_connection_test_shows_the_served_model(qtbot, window, server):
    source = window.model_panel.server_source
    shown = _test_connection(qtbot, source)
    assert shown.startswith("Connected:") and str(TINY) in shown and "cpu" in shown
    assert source.info["model"]["id"] == str(TINY)
    assert not window.device_panel.isEnabled() and window.model_panel.load_button.text() == "Connect"
    settings = QSettings()
    assert settings.value("server_url") == server.base
    assert all(TOKEN not in str(settings.value(key)) for key in settings.allKeys())  # the token is never saved


def test_a_wrong_token_is_one_line(qtbot, window):
    source = window.model_panel.server_source
    source.token.setText("not-the-token")
    shown = _test_connection(qtbot, source)
    assert "refused the token (401)" in shown and "\n" not in source.status.toolTip()
    assert source.info is None
    source.url.setText("http://127.0.0.1:9")  # nothing listens on the discard port
    assert "cannot reach" in _test_connection(qtbot, source)


def test_the_server_source_is_restored_without_its_token(qtbot, window, tmp_path, monkeypatch):
    _test_connection(qtbot, window.model_panel.server_source)
    window.model_panel.show_server(window.model_panel.server_source.info)
    monkeypatch.delenv("DNALENS_TOKEN", raising=False)
    from dnalens_gui.side_panels import ModelPanel

    again = ModelPanel()
    qtbot.addWidget(again)
    assert again.uses_server() and again.server_source.url.text() == window.model_panel.server_source.url.text()
    assert again.server_source.token.text() == ""
    monkeypatch.setenv("DNALENS_TOKEN", "from-the-environment")
    third = ModelPanel()
    qtbot.addWidget(third)
    assert third.server_source.token.text() == "from-the-environment"
