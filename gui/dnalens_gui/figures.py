"""What the app draws beyond the core's saved plots, and renders off the GUI thread.

Everything here runs in the worker thread: a figure is drawn once with Agg into a QImage (which, unlike a
QPixmap, may be made outside the GUI thread); the window only scales that image.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from matplotlib.figure import Figure
from PySide6.QtGui import QImage

from dnalens.choices import COMPARED_SCORES

from .table import TableData, status_kind

SCORE_MEANINGS = {
    "llr": "log-likelihood ratio, log P(mutant) − log P(reference): below 0 the model finds the mutant less "
           "likely than the reference; <b>the more negative, the more the change looks damaging</b>.",
    "l2": "how far the sequence's embedding moves (Euclidean distance): 0 = no change; <b>larger = a bigger "
          "change</b> in how the model represents the sequence.",
    "cosine": "cosine distance between the two embeddings: 0 = same direction; <b>larger = a bigger change</b>.",
}


def render(figure: Figure, dpi: int = 100) -> QImage:
    """The figure drawn once with Agg at its own size: an image the GUI thread only has to scale."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure)
    figure.set_dpi(dpi)
    canvas.draw()
    width, height = canvas.get_width_height()
    return QImage(bytes(canvas.buffer_rgba()), width, height, QImage.Format_RGBA8888).copy()


def _numbers(data: TableData, column: str) -> np.ndarray:
    values = [row.get(column, "") for row in data.rows if row.get("status", "ok") == "ok"]
    return np.array([float(v) for v in values if v not in ("", "nan")], dtype=float)


def variant_figure(data: TableData) -> Figure | None:
    """Score distribution, ranked scores, and how many rows each status has."""
    score = next((c for c in COMPARED_SCORES if c in data.columns and len(_numbers(data, c))), None)
    if score is None:
        return None
    values = _numbers(data, score)
    figure = Figure(figsize=(9, 3.4), layout="constrained")
    histogram, ranked, statuses = figure.subplots(1, 3, width_ratios=[1.1, 1.1, 0.8])
    histogram.hist(values, bins=min(40, max(5, len(values) // 3)), color="#4c72b0")
    if score == "llr":
        histogram.axvline(0, color="black", linewidth=0.8)
    histogram.set_xlabel(score)
    histogram.set_ylabel("variants")
    histogram.set_title(f"{score} of the scored variants", fontsize=10)
    ordered = np.sort(values) if score == "llr" else np.sort(values)[::-1]
    ranked.plot(np.arange(1, len(ordered) + 1), ordered, ".", markersize=4, color="#c44e52")
    ranked.set_xlabel("rank (strongest effect first)")
    ranked.set_ylabel(score)
    ranked.set_title("ranked scores", fontsize=10)
    counts = Counter(status_kind(row.get("status", "ok")) for row in data.rows)
    names = sorted(counts, key=lambda s: (s != "ok", s))
    statuses.barh(names, [counts[n] for n in names], color=["#55a868" if n == "ok" else "#dd8452" for n in names])
    statuses.invert_yaxis()
    statuses.set_xlabel("rows")
    statuses.set_title("status of each row", fontsize=10)
    statuses.tick_params(axis="y", labelsize=8)
    return figure


def variant_summary(data: TableData) -> str:
    """Plain-language reading of a Variant effect table (rich text)."""
    counts = Counter(status_kind(row.get("status", "ok")) for row in data.rows)
    scored = counts.get("ok", 0)
    lines = [f"<b>{scored:,} of {len(data.rows):,} variants scored.</b>"]
    problems = {s: n for s, n in counts.items() if s != "ok"}
    if problems:
        listed = ", ".join(f"{n:,} {s}" for s, n in sorted(problems.items(), key=lambda x: -x[1]))
        lines.append(f"<span style='color:#a04000'>Not scored: {listed} (filter the table by status).</span>")
    for score, meaning in SCORE_MEANINGS.items():
        if score in data.columns:
            values = _numbers(data, score)
            median = f" Median here: {np.median(values):.3g}." if len(values) else ""
            lines.append(f"<b>{score}</b>: {meaning}{median}")
    lines.append("Scores rank variants within one model; they are not calibrated probabilities of disease.")
    return "<br>".join(lines)
