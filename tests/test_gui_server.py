"""The app's "A DNALens server" model source against a real `dnalens serve` on 127.0.0.1 (issue 20): the connection
test, a wrong token, and runs through the server giving the local run's numbers."""

from __future__ import annotations

import os

import pytest

from conftest import TEST_DATA

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")
pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from gui_window import open_window, run_page
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
    assert shown.startswith("Connected:") and TINY.name in shown and "cpu" in shown
    assert source.info["model"]["id"] == TINY.name
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


def _run(qtbot, window, index: int) -> list[list[str]]:
    page = run_page(qtbot, window, index)
    assert window.last_error is None, window.last_error
    return [line.split("\t") for line in page.outputs[0].read_text().splitlines() if not line.startswith("#")]


def _numbers_match(remote: list[list[str]], local: list[list[str]]) -> None:
    assert len(remote) == len(local) > 1 and remote[0] == local[0]
    for got, expected in zip(remote[1:], local[1:]):
        for a, b in zip(got, expected, strict=True):
            try:
                assert abs(float(a) - float(b)) < 1e-5, (a, b)
            except ValueError:
                assert a == b


def test_runs_through_the_server_give_the_local_numbers(qtbot, window, tmp_path):
    embed, variants = window.pages[0], window.pages[2]
    embed.sequences.file.setText(str(TEST_DATA / "sequences.fa"))
    variants.ref_fasta.setText(str(TEST_DATA / "exon_ref.fa"))
    variants.alt_fasta.setText(str(TEST_DATA / "exon_alt.fa"))
    remote_embed, remote_variants = _run(qtbot, window, 0), _run(qtbot, window, 2)
    assert window.model_key[0] == "server" and window.model.id == TINY.name
    assert "endpoint: " in embed.outputs[0].read_text()  # the file says where it was computed
    window.model_panel.set_spec(str(TINY))  # the same model, on this computer
    window.device_panel.choice.setCurrentIndex(window.device_panel.choice.findData("cpu"))
    _numbers_match(remote_embed, _run(qtbot, window, 0))
    _numbers_match(remote_variants, _run(qtbot, window, 2))
    assert window.model_key[0] == str(TINY)


def test_mutagenesis_through_the_server_gives_the_local_numbers(qtbot, window):
    index = next(i for i, page in enumerate(window.pages) if page.title == "Mutagenesis")
    page = window.pages[index]
    page.reference.setText(str(TEST_DATA / "chr20_excerpt.fa"))  # a genome region, with heatmap and bedGraph
    page.region.setText("20:5971-6000")  # its windows clamp at the chromosome's end
    remote = _run(qtbot, window, index)
    assert window.model_key[0] == "server" and len(remote) == 1 + 30 * 3  # 3 substitutions of 30 positions
    assert "endpoint: " in page.outputs[0].read_text() and all(path.exists() for path in page.outputs)
    window.model_panel.set_spec(str(TINY))
    window.device_panel.choice.setCurrentIndex(window.device_panel.choice.findData("cpu"))
    _numbers_match(remote, _run(qtbot, window, index))


def test_local_only_pages_refuse_the_server_in_one_line(qtbot, window):
    index = next(i for i, page in enumerate(window.pages) if page.title == "Learn")
    window.tabs.setCurrentIndex(index)
    window.run_button.click()
    message = window.last_error[0]
    assert message.startswith("dnalens: error: the Learn page runs on this computer only") and "\n" not in message
    assert window.model is None and window.worker is None  # nothing was connected or started
    window.model_panel.server_source.url.setText("")
    window.tabs.setCurrentIndex(0)
    window.run_button.click()
    assert window.last_error[0] == "dnalens: error: give the DNALens server's URL (or choose a model on this computer)"
    assert window.model is None and window.worker is None


def test_about_names_the_server(qtbot, window, server):
    from dnalens_gui.help import about_text

    window.load_model()
    qtbot.waitUntil(lambda: window.worker is None, timeout=30_000)
    text = about_text(window)
    assert f"Model: {TINY.name}" in text and f"computed by the DNALens server at {server.base}" in text


def test_a_token_over_plain_http_to_another_host_is_warned(qtbot, window):
    window.model_panel.server_source.url.setText("http://dnalens.invalid:8000")  # never resolves
    window.load_model()
    qtbot.waitUntil(lambda: window.worker is None, timeout=30_000)
    assert any("over plain http" in warning for warning in window.banner.warnings)
    assert "cannot reach" in window.last_error[0] and window.model is None
