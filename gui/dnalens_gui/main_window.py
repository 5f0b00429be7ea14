"""The main window: model and device on the left, one tab per operation, Run/Cancel and progress below, a
banner for the last run's warnings and a Messages panel that keeps every warning and error."""

from __future__ import annotations

import atexit
import gc
import html
import time
import traceback
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QThreadPool, QTimer, QUrl, Slot
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStatusBar,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from dnalens import __version__
from dnalens.errors import InputError
from dnalens.messages import describe, is_bug
from dnalens.model.source import DEFAULT_MODEL_ID, is_default

from .help import about_text, show_help
from .pages import PAGES
from .settings import restore_page, save_page
from .side_panels import DevicePanel, ModelPanel
from .widgets import FileField
from .workers import Worker

# The core's messages name CLI options; the window names the fields that set them.
FIELDS = {"--pair-by": "'Pair by'", "--max-differences": "'Max. differences'", "--layer": "'Layer'",
          "--pooling": "'Pooling'", "--window": "'Window (bp)'", "--cv": "'Folds'",
          "--rc-average": "'Average both strands'", "--model": "the model", "--positions": "'Positions'",
          "--reference": "'Genome'", "--region": "'Region'", "--range": "'Range'",
          "pass --trust-remote-code": "tick 'Let this model run its own code'",
          "--trust-remote-code": "'Let this model run its own code'"}


SERVER = "server"  # the first item of model_key when runs go to a DNALens server


def in_app_words(message: str) -> str:
    for option in sorted(FIELDS, key=len, reverse=True):
        message = message.replace(option, FIELDS[option])
    return message


def default_results_folder() -> Path:
    return Path.home() / "DNALens results"


class Banner(QWidget):
    """The last run's warnings, above the pages, until the next run or Dismiss."""

    def __init__(self):
        super().__init__()
        self.setObjectName("banner")
        self.setStyleSheet("#banner { background: #fff3cd; border: 1px solid #e0b252; border-radius: 3px; }")
        self.setAttribute(Qt.WA_StyledBackground, True)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextSelectableByMouse)
        dismiss = QPushButton("Dismiss")
        dismiss.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.text, 1)
        layout.addWidget(dismiss)
        self.warnings: list[str] = []
        self.hide()

    def clear(self) -> None:
        self.warnings = []
        self.hide()

    def add(self, message: str) -> None:
        """One line per warning, at most two (each shortened; the full text in the tooltip and Messages)."""
        self.warnings.append(message)
        lines = [f"⚠ {w if len(w) <= 150 else w[:149] + '…'}" for w in self.warnings[:2]]
        if len(self.warnings) > 2:
            lines.append(f"… and {len(self.warnings) - 2} more under Messages, on the left")
        self.text.setText("<b>Warnings from this run</b><br>" + "<br>".join(html.escape(line) for line in lines))
        self.text.setToolTip("\n\n".join(self.warnings))
        self.show()


class MainWindow(QMainWindow):
    _unfreeze_at_exit = False

    def __init__(self):
        super().__init__()
        self.setWindowTitle(f"DNALens {__version__}")
        self.pool = QThreadPool.globalInstance()
        self.model = None
        # (model, device, trusted code) asked for, or (SERVER, url, token); self.model is then dnalens.remote's Server
        self.model_key: tuple | None = None
        self.worker: Worker | None = None
        self.started = 0.0
        self.last_error: tuple[str, str] | None = None
        self.completed_runs = 0  # operation runs finished (success, failure or cancel): lets tests wait
        self._continuation = None  # what to do once the current worker has finished (run after loading)
        self._closing = False
        self._counted = False  # the run has reported a count (done/total) that is not yet complete
        # Once a second while a run has no count to show (loading a model, a long single sequence, statistics
        # after the last sequence): the time so far, so a busy run never looks frozen.
        self.ticker = QTimer(self)
        self.ticker.setInterval(1000)
        self.ticker.timeout.connect(self._tick)

        self.model_panel = ModelPanel()
        self.device_panel = DevicePanel()
        self.model_panel.load_requested.connect(lambda _spec: self.load_model())
        self.model_panel.server.toggled.connect(lambda server: self.device_panel.setEnabled(not server))
        self.device_panel.setEnabled(not self.model_panel.uses_server())  # a served model runs where it is
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.addWidget(self.model_panel)
        side_layout.addWidget(self.device_panel)
        # Every warning, error and finished run, kept for the session (the status bar only shows the last).
        self.messages = QPlainTextEdit()
        self.messages.setReadOnly(True)
        self.messages.setMaximumBlockCount(5000)
        self.messages.setPlaceholderText("Warnings, errors and finished runs are listed here.")
        self.messages_box = QGroupBox("Messages")
        QVBoxLayout(self.messages_box).addWidget(self.messages)
        side_layout.addWidget(self.messages_box, 1)

        self.tabs = QTabWidget()
        self.pages = [page_class() for page_class in PAGES]
        for page in self.pages:
            self.tabs.addTab(page, page.title)
        self.banner = Banner()
        self.results = FileField("folder for result files", folder=True)
        self.results.setText(str(QSettings().value("results_folder", str(default_results_folder()))))
        self.results.setToolTip("Every run writes its tables and plots here, under new names (never replacing a file)")
        self.run_button = QPushButton("Run")
        self.run_button.setToolTip("Run this page (Enter or Ctrl+Return)")
        self.run_button.clicked.connect(self.run_current)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setFormat("idle")
        self.progress.setValue(0)
        bottom = QHBoxLayout()
        bottom.addWidget(QLabel("Results folder"))
        bottom.addWidget(self.results, 3)
        bottom.addWidget(self.progress, 2)
        bottom.addWidget(self.run_button)
        bottom.addWidget(self.cancel_button)
        centre = QWidget()
        centre_layout = QVBoxLayout(centre)
        centre_layout.addWidget(self.banner)
        centre_layout.addWidget(self.tabs, 1)
        centre_layout.addLayout(bottom)

        splitter = QSplitter()
        splitter.addWidget(side)
        splitter.addWidget(centre)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([280, 1000])
        self.setCentralWidget(splitter)
        self.setStatusBar(QStatusBar())
        self.statusBar().showMessage("Load a model, choose an operation, then Run.")
        self._build_menus()
        self.resize(1280, 800)
        settings = QSettings()
        geometry = settings.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        for page in self.pages:
            restore_page(page)
        self.tabs.setCurrentIndex(int(settings.value("page", 0) or 0))

    def _build_menus(self) -> None:
        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        open_results = file_menu.addAction("Open results folder")
        open_results.triggered.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(self.results.text())))
        file_menu.addSeparator()
        quit_action = file_menu.addAction("Quit")
        quit_action.setShortcut(QKeySequence.Quit)
        quit_action.triggered.connect(self.close)
        run_menu = menus.addMenu("&Run")
        self.run_action = QAction("Run this page", self)
        self.run_action.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
        self.run_action.triggered.connect(self._run_if_idle)
        run_menu.addAction(self.run_action)
        cancel_action = run_menu.addAction("Cancel")
        cancel_action.setShortcut(QKeySequence(Qt.Key_Escape))
        cancel_action.triggered.connect(self.cancel)
        view_menu = menus.addMenu("&View")
        show_messages = view_menu.addAction("Messages")
        show_messages.setCheckable(True)
        show_messages.setChecked(True)
        show_messages.toggled.connect(self.messages_box.setVisible)
        help_menu = menus.addMenu("&Help")
        help_action = help_menu.addAction("DNALens help")
        help_action.setShortcut(QKeySequence.HelpContents)
        help_action.triggered.connect(lambda: show_help(self))
        about = help_menu.addAction("About DNALens")
        about.triggered.connect(lambda: QMessageBox.about(self, "About DNALens", about_text(self)))

    def keyPressEvent(self, event) -> None:
        # Enter in a field the field does not use (line edits, spin boxes, combo boxes) runs the page; the
        # paste box keeps its new lines.
        if event.key() in (Qt.Key_Return, Qt.Key_Enter):
            self._run_if_idle()
            return
        super().keyPressEvent(event)

    def _run_if_idle(self) -> None:
        if self.worker is None:
            self.run_current()

    def log(self, kind: str, message: str) -> None:
        self.messages.appendPlainText(f"{time.strftime('%H:%M:%S')}  {kind}: {message}")

    # ---- model ---------------------------------------------------------------------------------------
    def _wanted(self) -> tuple:
        """(model spec, device, whether the model's own code may run) asked for by the side panels, or
        (SERVER, url, token) for a DNALens server; an empty model folder or server URL is an error."""
        if self.model_panel.uses_server():
            url, token = self.model_panel.server_source.endpoint()
            if not url:
                raise InputError("give the DNALens server's URL (or choose a model on this computer)")
            return SERVER, url, token
        spec = self.model_panel.spec()
        if not spec:
            raise InputError("choose a model folder (or a hub id), or the built-in model")
        trusted = self.model_panel.trust_code.isChecked() and not is_default(spec)
        return (DEFAULT_MODEL_ID if is_default(spec) else spec), self.device_panel.device(), trusted

    def load_model(self, then=None) -> None:
        try:
            wanted = self._wanted()
        except InputError as error:
            self.show_error(describe(error), "")
            return
        if wanted[0] == SERVER:
            _, url, token = wanted

            def load(context):
                from dnalens.remote import connect  # the CLI's client (--endpoint): one checked /info

                return connect(url, token, warn=context.warn)  # a token over plain http: the banner says so

            label = f"connecting to {url}"
        else:
            spec, device, trusted = wanted

            def load(context):
                from dnalens.model import load_model  # torch and transformers: imported in the worker

                return load_model(spec, device=device, trust_remote_code=trusted)

            label = f"loading {spec}"
        self._pending_key = wanted
        self._start(Worker(load), self._model_loaded, label, then=then)

    def _server_connected(self, server) -> None:
        self.model, self.model_key = server, self._pending_key
        self.model_panel.show_server({"model": server.model})
        device = server.model.get("device", "its device")
        message = f"Server {server.url} ready: model {server.id} on {device}"
        self.statusBar().showMessage(message)
        self.log("model", message)

    def _model_loaded(self, model) -> None:
        if self._pending_key[0] == SERVER:
            self._server_connected(model)
            return
        replaced = self.model is not None
        self.model, self.model_key = model, self._pending_key
        if replaced:
            # The previous model was frozen with everything else: unfreeze and collect once, or a model change
            # would keep the old model (and its GPU memory) for the app's lifetime. Only on a model change.
            gc.unfreeze()
            gc.collect()
        # torch, transformers and the model add about a million objects that live as long as the app; a full
        # garbage collection walking them stopped every thread, this one included, for 0.5 s. Frozen, they
        # are left out of collections (freezing is a list splice; a collection first would itself stop us).
        # Unfrozen at exit, so that the interpreter's last collection still frees them (extension modules built
        # with nanobind, such as triton, otherwise print "leaked" reports on quitting).
        gc.freeze()
        if not MainWindow._unfreeze_at_exit:
            atexit.register(gc.unfreeze)
            MainWindow._unfreeze_at_exit = True
        self.model_panel.show_model(model.describe())
        message = f"Model {model.source.id} ready on {model.device} ({str(model.dtype).replace('torch.', '')})"
        self.statusBar().showMessage(message)
        self.log("model", message)

    # ---- runs ----------------------------------------------------------------------------------------
    def run_current(self) -> None:
        if self.worker is not None:
            return
        page = self.tabs.currentWidget()
        if page.needs_model:
            try:
                wanted = self._wanted()
            except InputError as error:
                self.show_error(describe(error), "")
                return
            if wanted[0] == SERVER and not page.on_server:
                self.show_error(describe(InputError(
                    f"the {page.title} page runs on this computer only: choose a model on this computer (a "
                    "DNALens server runs Embed, Predict, Variant effect and Mutagenesis)")), "")
                return
            if self.model is None or self.model_key != wanted:  # a new model, or the device was changed
                self.load_model(then=self.run_current)
                return
        results = Path(self.results.text() or default_results_folder()).expanduser()
        try:
            results.mkdir(parents=True, exist_ok=True)
            job = page.job(self.model, results)
        except Exception as error:  # bad parameters: the same one-line message the CLI would give
            self.show_error(describe(error), traceback.format_exc() if is_bug(error) else "")
            return
        settings = QSettings()
        settings.setValue("results_folder", str(results))
        settings.setValue("page", self.tabs.currentIndex())
        save_page(page)
        self.banner.clear()
        self._start(Worker(lambda context: page.prepare(job(context))), page.show_result, page.title,
                    counts_as_run=True)

    def _start(self, worker: Worker, on_success, label: str, then=None, counts_as_run: bool = False) -> None:
        if self.worker is not None:
            return
        self.worker = worker
        self._counts_as_run = counts_as_run
        self._on_success = on_success
        self._then = then
        self._label = label
        self._device = self.model.describe()["device"] if self.model is not None else self.device_panel.device()
        if self.model_key and self.model_key[0] == SERVER and self.model is not None:
            self._device = f"{self._device} at {self.model.url}"
        self.started = self._stage_started = time.monotonic()
        self._stage = ""
        self.run_button.setEnabled(False)
        self.model_panel.load_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setRange(0, 0)  # busy until the first progress report
        self.progress.setFormat(label)
        self.statusBar().showMessage(f"{label}…")
        self.log("start", label)
        self._counted = False
        self.ticker.start()
        # Worker signals arrive through queued connections; the receivers are @Slot methods of this window.
        worker.signals.progress.connect(self._on_progress)
        worker.signals.stage.connect(self._on_stage)
        worker.signals.warning.connect(self._on_warning)
        worker.signals.succeeded.connect(self._on_succeeded)
        worker.signals.failed.connect(self.show_error)
        worker.signals.cancelled.connect(self._on_cancelled)
        worker.signals.done.connect(self._finished)
        self.pool.start(worker)

    @Slot(str)
    def _on_stage(self, name: str) -> None:
        """A stage of another kind of work (learning: cross-validation after embedding): its own count and time
        estimate, from when it started."""
        self._stage = name
        self._stage_started = time.monotonic()

    @Slot(int, int)
    def _on_progress(self, done: int, total: int) -> None:
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
            elapsed = time.monotonic() - self._stage_started
            left = f", ~{elapsed / done * (total - done):.0f} s left" if done and done < total else ""
            self._counted = done < total
            step = "" if done < total else ", finishing (statistics, plots)"
            stage = f" ({self._stage})" if self._stage and self._stage != self._label.lower() else ""
            self.progress.setFormat(f"{self._label}{stage}: {done:,}/{total:,}{left}{step} ({self._device})")

    def _tick(self) -> None:
        if self.worker is None or self._counted:
            return
        elapsed = time.monotonic() - self.started
        what = "cancelling" if self.worker.cancel_event.is_set() else self._label
        self.statusBar().showMessage(f"{what}… {elapsed:.0f} s so far ({self._device})")

    @Slot(str)
    def _on_warning(self, message: str) -> None:
        message = in_app_words(message)
        self.banner.add(message)
        self.log("warning", message)
        self.statusBar().showMessage(f"warning: {message}")

    @Slot(object)
    def _on_succeeded(self, result) -> None:
        self._on_success(result)
        outputs = getattr(getattr(result, "result", result), "outputs", None)
        if outputs:
            message = (f"Done in {time.monotonic() - self.started:.1f} s: wrote "
                       + ", ".join(path.name for path in outputs) + f" to {outputs[0].parent}")
            if self.banner.warnings:
                message += f" ({len(self.banner.warnings)} warning(s): see above)"
            self.statusBar().showMessage(message)
            self.log("done", message)
        if self._then is not None:
            self._continuation = self._then

    @Slot()
    def _on_cancelled(self) -> None:
        message = f"Cancelled {self._label} after {time.monotonic() - self.started:.1f} s; no files were written."
        self.statusBar().showMessage(message)
        self.log("cancelled", message)

    @Slot()
    def _finished(self) -> None:
        self.worker = None
        self.ticker.stop()
        if self._counts_as_run:
            self.completed_runs += 1
        self.run_button.setEnabled(True)
        self.model_panel.load_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("idle")
        if self._closing:
            self.close()
            return
        continuation, self._continuation = self._continuation, None
        if continuation is not None:
            continuation()

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.statusBar().showMessage("Cancelling…")

    @Slot(str, str)
    def show_error(self, message: str, details: str) -> None:
        message = in_app_words(message)
        self.last_error = (message, details)
        self.statusBar().showMessage(message)
        self.log("error", message)
        if self._closing:
            return
        box = QMessageBox(QMessageBox.Warning, "DNALens", message, QMessageBox.Ok, self)
        if details:
            box.setDetailedText(details)
        box.open()

    def closeEvent(self, event) -> None:
        if self.worker is not None:  # cancel, and close once the worker has stopped (within one batch)
            self._closing = True
            self._continuation = None
            self.worker.cancel()
            self.statusBar().showMessage("Cancelling before closing…")
            event.ignore()
            return
        settings = QSettings()
        settings.setValue("geometry", self.saveGeometry())
        settings.setValue("page", self.tabs.currentIndex())
        for page in self.pages:
            save_page(page)
        super().closeEvent(event)
