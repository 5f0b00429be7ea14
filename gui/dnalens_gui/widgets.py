"""Reusable widgets: file fields that accept drops, a sortable table of a TSV, a matplotlib panel."""

from __future__ import annotations

from pathlib import Path

import matplotlib
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg, NavigationToolbar2QT
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSettings, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from dnalens.io.tables import read_table


class FileField(QWidget):
    """A path box with a Browse button; a file dragged from the desktop can be dropped on it."""

    changed = Signal(str)

    def __init__(self, placeholder: str, filters: str = "All files (*)", save: bool = False, tooltip: str = "",
                 folder: bool = False):
        super().__init__()
        self.filters, self.save, self.folder = filters, save, folder
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
        self.edit.textChanged.connect(self.changed.emit)

    def text(self) -> str:
        return self.edit.text().strip()

    def setText(self, text: str) -> None:
        self.edit.setText(text)

    def _browse(self) -> None:
        settings = QSettings()
        start = settings.value("last_folder", str(Path.home()))
        if self.folder:
            path = QFileDialog.getExistingDirectory(self, "Choose a folder", self.text() or start)
        elif self.save:
            path, _ = QFileDialog.getSaveFileName(self, "Save as", start, self.filters)
        else:
            path, _ = QFileDialog.getOpenFileName(self, "Open", start, self.filters)
        if path:
            settings.setValue("last_folder", str(Path(path) if self.folder else Path(path).parent))
            self.setText(path)

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        urls = event.mimeData().urls()
        if urls:
            self.setText(urls[0].toLocalFile())


def shown(value: str) -> str:
    """Decimals at 4 significant digits for reading; the cell's tooltip and the file keep every digit."""
    if "." not in value:
        return value
    try:
        return f"{float(value):.4g}"
    except ValueError:
        return value


class TsvModel(QAbstractTableModel):
    """A DNALens TSV (provenance lines skipped); numbers sort as numbers."""

    def __init__(self, columns: list[str], rows: list[dict[str, str]]):
        super().__init__()
        self.columns, self.rows = columns, rows

    @classmethod
    def from_file(cls, path: str | Path) -> TsvModel:
        return cls(*read_table(path))

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return len(self.columns)

    def data(self, index, role=Qt.DisplayRole):
        value = self.rows[index.row()][self.columns[index.column()]]
        if role == Qt.DisplayRole:
            return shown(value)
        if role == Qt.ToolTipRole:
            return value
        if role == Qt.UserRole:  # sort key
            try:
                return float(value)
            except ValueError:
                return value
        return None

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if role == Qt.DisplayRole:
            return self.columns[section] if orientation == Qt.Horizontal else str(section + 1)
        return None


class ResultTable(QTableView):
    def __init__(self):
        super().__init__()
        self.proxy = QSortFilterProxyModel()
        self.proxy.setSortRole(Qt.UserRole)
        self.setModel(self.proxy)
        self.setSortingEnabled(True)
        self.sortByColumn(-1, Qt.AscendingOrder)  # input order until the user clicks a header
        self.setAlternatingRowColors(True)

    def show_file(self, path: str | Path) -> None:
        self.proxy.setSourceModel(TsvModel.from_file(path))
        self.resizeColumnsToContents()

    def cell(self, row: int, column: str) -> str:
        model = self.proxy.sourceModel()
        return model.rows[row][column]


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
