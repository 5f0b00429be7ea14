"""The main window: model and device on the left, one tab per operation, Run/Cancel and progress below."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QSettings, QThreadPool, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStatusBar,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from dnalens import __version__

from .pages import PAGES
from .side_panels import DevicePanel, ModelPanel
from .widgets import FileField
from .workers import Worker


def default_results_folder() -> Path:
    return Path.home() / "DNALens results"


class MainWindow(QMainWindow):
    def __init__(self):
        super().__init__()
        self.setWindowTitle(f"DNALens {__version__}")
        self.pool = QThreadPool.globalInstance()
        self.model = None
        self.worker: Worker | None = None
        self.started = 0.0
        self.last_error: tuple[str, str] | None = None
        self.completed_runs = 0  # operation runs finished (success, failure or cancel): lets tests wait
        self._continuation = None  # what to do once the current worker has finished (run after loading)

        self.model_panel = ModelPanel()
        self.device_panel = DevicePanel()
        self.model_panel.load_requested.connect(self.load_model)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.addWidget(self.model_panel)
        side_layout.addWidget(self.device_panel)
        side_layout.addStretch(1)

        self.tabs = QTabWidget()
        self.pages = [page_class() for page_class in PAGES]
        for page in self.pages:
            self.tabs.addTab(page, page.title)
        self.results = FileField("folder for result files", folder=True)
        self.results.setText(str(QSettings().value("results_folder", str(default_results_folder()))))
        self.results.setToolTip("Every run writes its tables and plots here")
        self.run_button = QPushButton("Run")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.run_current)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setFormat("idle")
        self.progress.setValue(0)
        bottom = QHBoxLayout()
        bottom.addWidget(QLabel("Results folder"))
        bottom.addWidget(self.results, 1)
        bottom.addWidget(self.progress, 1)
        bottom.addWidget(self.run_button)
        bottom.addWidget(self.cancel_button)
        centre = QWidget()
        centre_layout = QVBoxLayout(centre)
        centre_layout.addWidget(self.tabs, 1)
        centre_layout.addLayout(bottom)

        splitter = QSplitter()
        splitter.addWidget(side)
        splitter.addWidget(centre)
        splitter.setSizes([330, 950])
        self.setCentralWidget(splitter)
        self.setStatusBar(QStatusBar())
        self.statusBar().showMessage("Load a model, choose an operation, then Run.")
        self.resize(1300, 800)
        geometry = QSettings().value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)

    # ---- model ---------------------------------------------------------------------------------------
    def load_model(self, spec: str, then=None) -> None:
        from dnalens.model import load_model

        device = self.device_panel.device()
        self._start(Worker(lambda context: load_model(spec, device=device)), self._model_loaded, f"loading {spec}",
                    then=then)

    def _model_loaded(self, model) -> None:
        self.model = model
        self.model_panel.show_model(model.describe())
        self.statusBar().showMessage(f"Model ready on {model.device} ({str(model.dtype).replace('torch.', '')})")

    # ---- runs ----------------------------------------------------------------------------------------
    def run_current(self) -> None:
        page = self.tabs.currentWidget()
        if page.needs_model and (self.model is None or self.model.source.id != self._wanted_model_id()):
            self.load_model(self.model_panel.spec(), then=self.run_current)
            return
        results = Path(self.results.text() or default_results_folder()).expanduser()
        try:
            results.mkdir(parents=True, exist_ok=True)
            job = page.job(self.model, results)
        except Exception as error:  # bad parameters: the same one-line message the CLI would give
            self.show_error(f"dnalens: error: {error}", "")
            return
        QSettings().setValue("results_folder", str(results))
        self._start(Worker(job), page.show_result, page.title, counts_as_run=True)

    def _wanted_model_id(self) -> str:
        spec = self.model_panel.spec()
        return "dnalens-default" if spec in ("", "default") else spec

    def _start(self, worker: Worker, on_success, label: str, then=None, counts_as_run: bool = False) -> None:
        if self.worker is not None:
            return
        self.worker = worker
        self._counts_as_run = counts_as_run
        self._on_success = on_success
        self._then = then
        self._label = label
        self._device = self.model.describe()["device"] if self.model is not None else self.device_panel.device()
        self.started = time.monotonic()
        self.run_button.setEnabled(False)
        self.model_panel.load_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setRange(0, 0)  # busy until the first progress report
        self.progress.setFormat(label)
        self.statusBar().showMessage(f"{label}…")
        # Worker signals arrive through queued connections; the receivers are @Slot methods of this window.
        worker.signals.progress.connect(self._on_progress)
        worker.signals.warning.connect(self._on_warning)
        worker.signals.succeeded.connect(self._on_succeeded)
        worker.signals.failed.connect(self.show_error)
        worker.signals.cancelled.connect(self._on_cancelled)
        worker.signals.done.connect(self._finished)
        self.pool.start(worker)

    @Slot(int, int)
    def _on_progress(self, done: int, total: int) -> None:
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
            elapsed = time.monotonic() - self.started
            left = elapsed / done * (total - done) if done else 0
            self.progress.setFormat(f"{self._label}: {done:,}/{total:,} sequences, ~{left:.0f} s left "
                                    f"({self._device})")

    @Slot(str)
    def _on_warning(self, message: str) -> None:
        self.statusBar().showMessage(f"warning: {message}")

    @Slot(object)
    def _on_succeeded(self, result) -> None:
        self._on_success(result)
        outputs = getattr(result, "outputs", None)
        if outputs:
            self.statusBar().showMessage(f"Done in {time.monotonic() - self.started:.1f} s: wrote "
                                         + ", ".join(path.name for path in outputs) + f" to {outputs[0].parent}")
        if self._then is not None:
            self._continuation = self._then

    @Slot()
    def _on_cancelled(self) -> None:
        self.statusBar().showMessage("Cancelled; no files were written.")

    @Slot()
    def _finished(self) -> None:
        self.worker = None
        if self._counts_as_run:
            self.completed_runs += 1
        self.run_button.setEnabled(True)
        self.model_panel.load_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("idle")
        continuation, self._continuation = self._continuation, None
        if continuation is not None:
            continuation()

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.statusBar().showMessage("Cancelling…")

    @Slot(str, str)
    def show_error(self, message: str, details: str) -> None:
        self.last_error = (message, details)
        self.statusBar().showMessage(message)
        box = QMessageBox(QMessageBox.Warning, "DNALens", message, QMessageBox.Ok, self)
        if details:
            box.setDetailedText(details)
        box.open()

    def closeEvent(self, event) -> None:
        QSettings().setValue("geometry", self.saveGeometry())
        if self.worker is not None:
            self.worker.cancel()
        super().closeEvent(event)
