"""The "A DNALens server" model source: the server's URL, its token, and a connection test run in the background.

The URL is remembered between sessions (QSettings "server_url"); the token never is: it comes from DNALENS_TOKEN
or is typed for this session only (docs/SERVE.md: a token is a password)."""

from __future__ import annotations

import html
import os

from PySide6.QtCore import QSettings, QThreadPool, Signal, Slot
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from .workers import Worker


def ask_server(url: str, token: str | None) -> dict:
    """What the server runs (its /info), through the client API the CLI uses (dnalens.remote)."""
    from dnalens.remote import connect

    return connect(url, token).info()


def describe_server(info: dict) -> str:
    """One rich-text line: the served model and where it runs."""
    model = info.get("model", {})
    where = ", ".join(str(model[key]) for key in ("device", "dtype") if model.get(key))
    return (f"<b>{html.escape(str(model.get('id', info.get('model_id', '?'))))}</b>"
            + (f" on <b>{html.escape(where)}</b>" if where else ""))


class ServerSource(QWidget):
    """URL, token (password echo) and Test connection; `connected` carries the server's /info on success."""

    connected = Signal(dict)
    activated = Signal()  # the user typed in a field: choose this source

    def __init__(self):
        super().__init__()
        self.url = QLineEdit(str(QSettings().value("server_url", "")))
        self.url.setPlaceholderText("e.g. https://dnalens.lab.example.org or http://127.0.0.1:8000")
        self.url.setToolTip("Where `dnalens serve` answers (docs/SERVE.md)")
        self.token = QLineEdit(os.environ.get("DNALENS_TOKEN", ""))
        self.token.setEchoMode(QLineEdit.Password)
        self.token.setPlaceholderText("bearer token (default: $DNALENS_TOKEN)")
        self.token.setToolTip("The server's token, for this session only: never saved (set DNALENS_TOKEN to "
                              "have it filled in)")
        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self.test)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.worker: Worker | None = None  # the connection test in flight (kept alive until it reports)
        self.info: dict | None = None  # the last successful test's answer

        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.status, 1)
        layout = QFormLayout(self)
        layout.setContentsMargins(18, 0, 0, 0)  # indented under its radio button
        layout.addRow("URL", self.url)
        layout.addRow("Token", self.token)
        layout.addRow(test_row)
        for field in (self.url, self.token):
            field.textEdited.connect(lambda _: self.activated.emit())

    def endpoint(self) -> tuple[str, str | None]:
        return self.url.text().strip(), self.token.text().strip() or None

    def test(self) -> None:
        """Asks the server what it runs, in the thread pool: the window stays responsive however slow it is."""
        if self.worker is not None:
            return
        url, token = self.endpoint()
        self.activated.emit()
        self.test_button.setEnabled(False)
        self.status.setText(f"connecting to {html.escape(url)}…")
        self.worker = Worker(lambda _context: ask_server(url, token))
        self.worker.signals.succeeded.connect(self._succeeded)
        self.worker.signals.failed.connect(self._failed)
        self.worker.signals.done.connect(self._done)
        QThreadPool.globalInstance().start(self.worker)

    @Slot(object)
    def _succeeded(self, info: dict) -> None:
        self.info = info
        from dnalens.remote.http import plain_http_warning

        warning = plain_http_warning(*self.endpoint())
        self.status.setText(f"Connected: {describe_server(info)}"
                            + (f"<br><span style='color:#a60'>⚠ {html.escape(warning)}</span>" if warning else ""))
        self.status.setToolTip("")
        QSettings().setValue("server_url", self.url.text().strip())  # the token is never saved
        self.connected.emit(info)

    @Slot(str, str)
    def _failed(self, message: str, details: str) -> None:
        self.info = None
        self.status.setText(f"<span style='color:#a00'>{html.escape(message)}</span>")
        self.status.setToolTip(message)

    @Slot()
    def _done(self) -> None:
        self.worker = None
        self.test_button.setEnabled(True)
