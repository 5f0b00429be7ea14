"""Result tables: read in the worker thread, shown through a model that only touches the rows on screen.

Sorting and the status filter reorder a list of row numbers with precomputed keys (milliseconds for
thousands of rows), and column widths come from the header and a few rows, never from every cell: filling
and sizing a 2,000 x 193 table cell by cell froze the window for tens of seconds.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QHeaderView, QTableView

from dnalens.io.tables import read_table
from dnalens.ops.variant_status import VariantStatus

# Shown first, in this order, when a table has them: what a reader looks at before anything else.
IMPORTANT = ("id", "status", "llr", "l2", "cosine", "predicted", "position", "ref", "alt", "A", "C", "G", "T",
             "group", "test", "statistic", "p_value", "p_adjusted", "features", "metric", "value")
ALL_ROWS = "all rows"


def status_kind(status: str) -> str:
    """'mismatched_pair(147 differences>10)' -> 'mismatched_pair': the filter groups rows by kind."""
    return VariantStatus.parse(status).code


@dataclass
class TableData:
    """A table as read in the worker thread: cells in display order, and their 4-digit display text."""

    columns: list[str]
    rows: list[dict[str, str]]
    display: list[list[str]] | None = None

    def __post_init__(self) -> None:
        if self.display is None:
            self.display = [[shown(row.get(c, "")) for c in self.columns] for row in self.rows]

    @classmethod
    def read(cls, path: str | Path) -> TableData:
        columns, rows = read_table(path)
        first = [c for c in IMPORTANT if c in columns]
        return cls(first + [c for c in columns if c not in first], rows)


def shown(value: str) -> str:
    """Decimals at 4 significant digits for reading; the cell's tooltip and the file keep every digit."""
    if "." not in value:
        return value
    try:
        return f"{float(value):.4g}"
    except ValueError:
        return value


def sort_key(value: str) -> tuple[int, float, str]:
    """Numbers by value, then text, then empty cells (a score left empty for an unscored row sorts last)."""
    if not value:
        return (2, 0.0, "")
    try:
        number = float(value)
    except ValueError:
        return (1, 0.0, value)
    return (0, number, "") if not math.isnan(number) else (2, 0.0, "")


class TsvModel(QAbstractTableModel):
    """A DNALens table; `order` holds the file row shown at each view row (sorted, filtered)."""

    def __init__(self, columns: list[str], rows: list[dict[str, str]], display: list[list[str]] | None = None):
        super().__init__()
        self.columns, self.rows = columns, rows
        # Display text made once (in the worker, for a run's table): painting then only indexes lists.
        self.display = display if display is not None else TableData(columns, rows).display
        self.order = list(range(len(rows)))
        self._sorted: tuple[int, Qt.SortOrder] | None = None
        self._status: str | None = None

    @classmethod
    def from_file(cls, path: str | Path) -> TsvModel:
        data = TableData.read(path)
        return cls(data.columns, data.rows, data.display)

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.order)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def value(self, row: int, column: int) -> str:
        return self.rows[self.order[row]].get(self.columns[column], "")

    def data(self, index, role=Qt.DisplayRole):
        # Painting asks for ten roles per cell; the seven unused ones return before any work.
        if role == Qt.DisplayRole:
            return self.display[self.order[index.row()]][index.column()]
        if role not in (Qt.ToolTipRole, Qt.UserRole) or not index.isValid():
            return None
        value = self.value(index.row(), index.column())
        if role == Qt.ToolTipRole:
            return value
        if role == Qt.UserRole:
            key = sort_key(value)
            return key[1] if key[0] == 0 else value
        return None

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if role == Qt.DisplayRole:
            return self.columns[section] if orientation == Qt.Horizontal else str(self.order[section] + 1)
        return None

    # ---- sorting and filtering -------------------------------------------------------------------------
    def sort(self, column: int, order: Qt.SortOrder = Qt.AscendingOrder) -> None:
        self._sorted = (column, order) if 0 <= column < len(self.columns) else None
        self._reorder()

    def statuses(self) -> list[str]:
        if "status" not in self.columns:
            return []
        return sorted({status_kind(row.get("status", "")) for row in self.rows})

    def set_status_filter(self, status: str | None) -> None:
        """Only rows whose status is `status`; "not ok" keeps every row that was not scored normally."""
        self._status = status
        self._reorder()

    def _reorder(self) -> None:
        self.layoutAboutToBeChanged.emit()
        order = list(range(len(self.rows)))
        if self._status is not None:
            wanted = self._status
            kinds = [status_kind(row.get("status", "")) for row in self.rows]
            order = [i for i in order if (kinds[i] != "ok" if wanted == "not ok" else kinds[i] == wanted)]
        if self._sorted is not None:
            name = self.columns[self._sorted[0]]
            keys = {i: sort_key(self.rows[i].get(name, "")) for i in order}
            empty = [i for i in order if keys[i][0] == 2]  # empty cells last in either direction
            filled = sorted((i for i in order if keys[i][0] != 2), key=keys.__getitem__,
                            reverse=self._sorted[1] == Qt.DescendingOrder)
            order = filled + empty
        self.order = order
        self.layoutChanged.emit()

    # ---- copying -------------------------------------------------------------------------------------
    def delimited(self, delimiter: str, rows: list[int] | None = None, columns: list[int] | None = None) -> str:
        """The shown rows (or the given view rows), every digit, as TSV or CSV text with a header line."""
        rows = list(range(len(self.order))) if rows is None else rows
        columns = list(range(len(self.columns))) if columns is None else columns
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
        writer.writerow([self.columns[c] for c in columns])
        for row in rows:
            writer.writerow([self.value(row, c) for c in columns])
        return buffer.getvalue()


class ResultTable(QTableView):
    def __init__(self):
        super().__init__()
        self._use(TsvModel([], []))
        self.setSortingEnabled(True)
        self.horizontalHeader().setSortIndicator(-1, Qt.AscendingOrder)  # file order until a header is clicked
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.Interactive)
        header.setResizeContentsPrecision(40)  # a double-click on a border sizes from 40 rows, not all
        self.verticalHeader().setSectionResizeMode(QHeaderView.Fixed)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)

    def show_table(self, data: TableData) -> None:
        self.horizontalHeader().setSortIndicator(-1, Qt.AscendingOrder)
        self._use(TsvModel(data.columns, data.rows, data.display))
        self._size_columns(data)

    def _use(self, model: TsvModel) -> None:
        old = self.model()
        self.table_model = model  # the view does not own the model: keep it alive here
        model.setParent(self)
        self.setModel(model)
        if isinstance(old, TsvModel):  # not Qt's shared empty model of a new view
            old.deleteLater()

    def show_file(self, path: str | Path) -> None:
        self.show_table(TableData.read(path))

    def _size_columns(self, data: TableData) -> None:
        """Widths from the header text and the first 40 rows' shown values (font metrics, no painting)."""
        metrics = self.fontMetrics()
        sample = data.display[:40]
        for column, name in enumerate(data.columns[:60]):
            widest = max([metrics.horizontalAdvance(name) + 24]
                         + [metrics.horizontalAdvance(row[column]) + 12 for row in sample])
            self.setColumnWidth(column, min(widest, 150 if name == "status" else 260))  # tooltips hold the rest

    def cell(self, row: int, column: str) -> str:
        """Row `row` of the file (whatever the sorting and filter), column `column`."""
        return self.model().rows[row][column]

    def selection_text(self, delimiter: str = "\t") -> str:
        """The selected cells' rows and columns (or the whole shown table), for the clipboard."""
        model: TsvModel = self.model()
        indexes = self.selectionModel().selectedIndexes() if self.selectionModel() else []
        if not indexes:
            return model.delimited(delimiter)
        rows = sorted({i.row() for i in indexes})
        columns = sorted({i.column() for i in indexes})
        return model.delimited(delimiter, rows, columns)

    def copy(self) -> None:
        QApplication.clipboard().setText(self.selection_text("\t"))

    def keyPressEvent(self, event) -> None:
        if event.matches(QKeySequence.Copy):
            self.copy()
            return
        super().keyPressEvent(event)
