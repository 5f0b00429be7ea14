"""Page inputs remembered between sessions (QSettings): every field a page holds as an attribute."""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QPlainTextEdit, QSpinBox, QWidget

from .widgets import FileField

MAX_PASTE = 20_000  # characters of pasted sequences kept; a bigger paste belongs in a file


def _fields(page: QWidget):
    for name, widget in vars(page).items():
        if name == "status_filter":  # a view of the last result, not an input
            continue
        if isinstance(widget, (FileField, QLineEdit, QComboBox, QSpinBox, QCheckBox)):
            yield name, widget
        elif hasattr(widget, "file") and hasattr(widget, "paste"):  # a SequenceInput
            yield f"{name}.file", widget.file
            yield f"{name}.paste", widget.paste


def save_page(page: QWidget) -> None:
    settings = QSettings()
    prefix = f"pages/{type(page).__name__}/"
    for name, widget in _fields(page):
        if isinstance(widget, (FileField, QLineEdit)):
            value = widget.text()
        elif isinstance(widget, QPlainTextEdit):
            value = widget.toPlainText()
            value = value if len(value) <= MAX_PASTE else ""
        elif isinstance(widget, QComboBox):
            value = widget.currentIndex()
        elif isinstance(widget, QSpinBox):
            value = widget.value()
        else:
            value = widget.isChecked()
        settings.setValue(prefix + name, value)


def restore_page(page: QWidget) -> None:
    settings = QSettings()
    prefix = f"pages/{type(page).__name__}/"
    for name, widget in _fields(page):
        value = settings.value(prefix + name)
        if value is None:
            continue
        try:
            if isinstance(widget, (FileField, QLineEdit)):
                widget.setText(str(value))
            elif isinstance(widget, QPlainTextEdit):
                widget.setPlainText(str(value))
            elif isinstance(widget, QComboBox):
                index = int(value)
                if 0 <= index < widget.count():
                    widget.setCurrentIndex(index)
            elif isinstance(widget, QSpinBox):
                widget.setValue(int(value))
            else:
                widget.setChecked(str(value).lower() == "true")
        except (TypeError, ValueError):  # a damaged settings file: keep the default
            continue
