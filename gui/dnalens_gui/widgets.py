"""Reusable widgets: file fields that accept drops and remember recent files, and plot panels (a pre-rendered
image in the page; matplotlib's interactive canvas on request)."""

from __future__ import annotations

from pathlib import Path

import matplotlib
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg, NavigationToolbar2QT
from PySide6.QtCore import QSettings, QStringListModel, Qt
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QCompleter,
    QDialog,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from dnalens.choices import DEFAULT_WINDOW

RECENT = 15  # files remembered for the path boxes' completion


class FileField(QWidget):
    """A path box with a Browse button; a file dragged from the desktop can be dropped on it."""

    def __init__(self, placeholder: str, filters: str = "All files (*)", tooltip: str = "", folder: bool = False):
        super().__init__()
        self.filters, self.folder = filters, folder
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(placeholder)
        self.edit.setToolTip(tooltip)
        self.edit.setAcceptDrops(False)
        self.setAcceptDrops(True)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(browse)
        self.edit.setCompleter(QCompleter(QStringListModel(recent_files(), self.edit), self.edit))

    def text(self) -> str:
        return self.edit.text().strip()

    def setText(self, text: str) -> None:
        self.edit.setText(text)

    def _browse(self) -> None:
        settings = QSettings()
        start = settings.value("last_folder", str(Path.home()))
        if self.folder:
            path = QFileDialog.getExistingDirectory(self, "Choose a folder", self.text() or start)
        else:
            path, _ = QFileDialog.getOpenFileName(self, "Open", start, self.filters)
        if path:
            settings.setValue("last_folder", str(Path(path) if self.folder else Path(path).parent))
            self.setText(path)
            remember_file(path)

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        urls = event.mimeData().urls()
        if urls:
            self.setText(urls[0].toLocalFile())
            remember_file(urls[0].toLocalFile())


class WindowBox(QSpinBox):
    """Bases the model sees around a site. Left at "model default", the core picks its default window (201 bp,
    or the model's limit when that is shorter), exactly as the CLI does without --window; a number is passed
    as given, and the core refuses one beyond the model's limit with its own message."""

    def __init__(self, tooltip: str):
        super().__init__()
        self.setRange(0, 100_000)
        self.setSpecialValueText(f"model default ({DEFAULT_WINDOW} bp or the model's limit)")
        self.setValue(0)
        self.setToolTip(tooltip)

    def window(self) -> int | None:
        return self.value() or None


def recent_files() -> list[str]:
    value = QSettings().value("recent_files", [])
    return [value] if isinstance(value, str) else list(value or [])


def remember_file(path: str) -> None:
    """Most recent first; offered as completions in every path box."""
    if path:
        QSettings().setValue("recent_files", [path, *[p for p in recent_files() if p != path]][:RECENT])


class PlotToolbar(NavigationToolbar2QT):
    """matplotlib's toolbar with plain icons.

    matplotlib 3.11 draws its toolbar icons through an icon engine that asks Qt, at every paint, for the
    AA_UseHighDpiPixmaps attribute, deprecated in Qt 6 (which always uses high-DPI pixmaps): one
    DeprecationWarning per icon drawn. A QIcon of the same image file scales just as well.
    """

    def _icon(self, name: str) -> QIcon:
        path = Path(matplotlib.get_data_path()) / "images" / name
        large = path.with_name(f"{path.stem}_large.png")
        return QIcon(str(large if large.exists() else path))


class PlotPanel(QWidget):
    """A matplotlib canvas with the usual toolbar (zoom, pan, save as PNG/SVG/PDF)."""

    def __init__(self):
        super().__init__()
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.placeholder = QLabel("Plots appear here after a run.")
        self.placeholder.setAlignment(Qt.AlignCenter)
        self.layout_.addWidget(self.placeholder)
        self.canvas = None
        self.toolbar = None

    def show_figure(self, figure) -> None:
        for widget in (self.canvas, self.toolbar, self.placeholder):
            if widget is not None:
                widget.setParent(None)
        self.placeholder = None
        self.canvas = FigureCanvasQTAgg(figure)
        self.toolbar = PlotToolbar(self.canvas, self)
        self.layout_.addWidget(self.toolbar)
        self.layout_.addWidget(self.canvas, 1)
        self.canvas.draw_idle()


class ImagePlot(QWidget):
    """A figure rendered in the worker thread (figures.render), scaled to the panel: showing it costs the GUI
    thread a pixmap scale, not a matplotlib draw. "Zoom and pan…" opens the interactive canvas on request.

    With `fit_width`, the figure fills the panel's width and the panel scrolls down: a figure of wrapped rows
    along a sequence (a long mutagenesis heatmap) would be unreadably small if it had to fit the height too."""

    def __init__(self, fit_width: bool = False):
        super().__init__()
        self.fit_width = fit_width
        self.figure = None
        self.image: QImage | None = None
        self.label = QLabel("Plots appear here after a run.")
        self.label.setAlignment(Qt.AlignCenter)
        self.label.setMinimumSize(160, 120)
        self.label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Ignored)
        self.area = QScrollArea()
        self.area.setWidget(self.label)
        self.area.setWidgetResizable(True)
        self.area.setFrameShape(QFrame.NoFrame)
        self.area.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.area.setMinimumSize(160, 120)
        # setWidget made the label paint its own background: transparent again, like the page around it
        self.label.setAutoFillBackground(False)
        self.area.viewport().setAutoFillBackground(False)
        self.zoom = QPushButton("Zoom and pan…")
        self.zoom.setToolTip("Open the plot in its own window with matplotlib's toolbar (zoom, pan, save as SVG/PDF)")
        self.zoom.setEnabled(False)
        self.zoom.clicked.connect(self.open_interactive)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.area, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.zoom)
        layout.addLayout(row)

    def show_image(self, image: QImage | None, figure=None) -> None:
        self.image, self.figure = image, figure
        self._pixmap = QPixmap.fromImage(image) if image is not None else None
        self.zoom.setEnabled(figure is not None)
        if image is None:
            self.label.setPixmap(QPixmap())
            self.label.setMinimumHeight(120)  # a previous tall figure's height no longer applies
            self.label.setText("No plot for this result.")
            return
        self._scale()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.image is not None:
            self._scale()

    def _scale(self) -> None:
        size = self.area.size()  # not the label's: with fit_width the label grows to the figure's height
        pixmap = self._pixmap
        if self.fit_width:
            width = size.width()
            if pixmap.height() * min(1.0, width / pixmap.width()) > size.height():  # it will scroll: leave room
                width -= self.area.verticalScrollBar().sizeHint().width()
            if pixmap.width() > width:
                pixmap = pixmap.scaledToWidth(max(1, width), Qt.SmoothTransformation)
            self.label.setMinimumHeight(max(120, pixmap.height()))
        elif pixmap.width() > size.width() or pixmap.height() > size.height():
            pixmap = pixmap.scaled(size, Qt.KeepAspectRatio, Qt.SmoothTransformation)
        self.label.setPixmap(pixmap)

    def open_interactive(self) -> None:
        if self.figure is None:
            return
        dialog = QDialog(self)
        dialog.setWindowTitle("DNALens plot")
        panel = PlotPanel()
        QVBoxLayout(dialog).addWidget(panel)
        panel.show_figure(self.figure)
        dialog.resize(1000, 700)
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.show()
