"""Help (the README's sections, in the app) and About (versions, model, device)."""

from __future__ import annotations

import platform
import sys
from pathlib import Path

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QDialog, QHBoxLayout, QListWidget, QTextBrowser

from dnalens import __version__

README = Path(__file__).resolve().parents[2] / "README.md"
ONLINE = "the README.md file of the DNALens source distribution"


def readme_sections(text: str) -> list[tuple[str, str]]:
    """(title, markdown) for each '## ' section of the README, its '### ' subsections included."""
    sections: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("## "):
            sections.append((line[3:].strip(), [line]))
        elif sections:
            sections[-1][1].append(line)
    return [(title, "\n".join(lines)) for title, lines in sections]


def show_help(parent) -> QDialog:
    dialog = QDialog(parent)
    dialog.setWindowTitle("DNALens help")
    titles = QListWidget()
    browser = QTextBrowser()
    browser.setOpenExternalLinks(True)
    sections = readme_sections(README.read_text(encoding="utf-8")) if README.exists() else []
    if not sections:
        sections = [("Help", f"The documentation is in {ONLINE}.")]
    for title, _ in sections:
        titles.addItem(title)
    titles.currentRowChanged.connect(lambda row: browser.setMarkdown(sections[row][1]) if row >= 0 else None)
    start = next((i for i, (title, _) in enumerate(sections) if title.lower().startswith("desktop")), 0)
    titles.setCurrentRow(start)
    layout = QHBoxLayout(dialog)
    layout.addWidget(titles)
    layout.addWidget(browser, 1)
    titles.setMaximumWidth(220)
    dialog.resize(900, 600)
    dialog.show()
    return dialog


def about_text(window) -> str:
    torch = sys.modules.get("torch")  # loaded with the first model; not imported just for this box
    lines = [f"<b>DNALens {__version__}</b>", "Pretrained DNA language models without code: embeddings, "
             "nucleotide probabilities, variant effects, saturation mutagenesis, statistics, learning.",
             f"Python {platform.python_version()}, PySide6 {pyside_version} (Qt {qVersion()})",
             f"PyTorch {torch.__version__}" if torch else "PyTorch: not loaded yet (loads with the model)"]
    if window.model is not None:
        d = window.model.describe()
        lines.append(f"Model: {d['id']} ({d['family']}, {d['parameters']:,} parameters) on {d['device']} "
                     f"in {d['dtype']}")
        if d.get("endpoint"):  # a DNALens server's model (the app's server source)
            lines[-1] += f", computed by the DNALens server at {d['endpoint']}"
    else:
        lines.append("Model: none loaded yet")
    lines.append(f"Device choice: {window.device_panel.choice.currentText()}")
    return "<br>".join(lines)
