"""Figures, built once here and only displayed or saved by the faces (CLI, Galaxy, GUI).

Functions return matplotlib `Figure`s without pyplot, so they work headless and embed in Qt.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

BASE_COLOURS = {"A": "#2ca02c", "C": "#1f77b4", "G": "#ff7f0e", "T": "#d62728"}


def save_figure(figure: Figure, path: str | Path, provenance: dict | None = None) -> None:
    """PNG (with provenance in its text metadata), SVG or PDF, chosen by the file name."""
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    fmt = fmt if fmt in {"png", "svg", "pdf"} else "png"
    metadata = None
    if provenance is not None and fmt == "png":
        metadata = {"Software": f"dnalens {provenance.get('dnalens', '')}",
                    "Description": json.dumps(provenance, sort_keys=True, default=str)}
    figure.savefig(path, format=fmt, dpi=150, bbox_inches="tight", metadata=metadata)


def embedding_heatmap(ids: Sequence[str], vectors: np.ndarray, max_rows: int = 200) -> Figure:
    rows = min(len(ids), max_rows)
    figure = Figure(figsize=(10, max(3, 0.12 * rows + 1.5)))
    axes = figure.add_subplot()
    image = axes.imshow(vectors[:rows], aspect="auto", cmap="viridis", interpolation="nearest")
    axes.set_xlabel("embedding dimension")
    axes.set_ylabel("sequence")
    if rows <= 50:
        axes.set_yticks(range(rows), list(ids[:rows]), fontsize=6)
    title = "Sequence embeddings"
    if rows < len(ids):
        title += f" (first {rows} of {len(ids)})"
    axes.set_title(title)
    figure.colorbar(image, ax=axes, label="value")
    return figure


def projection_scatter(coordinates: np.ndarray, labels: Sequence[str] | None, method: str,
                       explained: Sequence[float] | None = None) -> Figure:
    figure = Figure(figsize=(6.5, 5.5))
    axes = figure.add_subplot()
    if labels is None:
        axes.scatter(coordinates[:, 0], coordinates[:, 1], s=12, alpha=0.7)
    else:
        for label in sorted(set(labels)):
            chosen = np.array([value == label for value in labels])
            axes.scatter(coordinates[chosen, 0], coordinates[chosen, 1], s=12, alpha=0.7, label=label)
        axes.legend(title="label", fontsize=8)
    name = method.upper()
    if explained is not None:
        axes.set_xlabel(f"{name} 1 ({100 * explained[0]:.1f} % of variance)")
        axes.set_ylabel(f"{name} 2 ({100 * explained[1]:.1f} % of variance)")
    else:
        axes.set_xlabel(f"{name} 1")
        axes.set_ylabel(f"{name} 2")
    axes.set_title(f"Embeddings, {name} projection")
    return figure


def nucleotide_bars(rows: Sequence[dict], max_panels: int = 24) -> Figure:
    """One small bar chart per (sequence, position): P(A), P(C), P(G), P(T), the reference base outlined."""
    rows = list(rows)[:max_panels]
    columns = min(4, max(1, len(rows)))
    lines = (len(rows) + columns - 1) // columns
    figure = Figure(figsize=(3 * columns, 2.4 * lines))
    for panel, row in enumerate(rows, start=1):
        axes = figure.add_subplot(lines, columns, panel)
        values = [row[base] if row[base] is not None else 0.0 for base in "ACGT"]
        bars = axes.bar(list("ACGT"), values, color=[BASE_COLOURS[b] for b in "ACGT"])
        if row["ref"] in BASE_COLOURS:
            bars["ACGT".index(row["ref"])].set_edgecolor("black")
            bars["ACGT".index(row["ref"])].set_linewidth(2)
        axes.set_ylim(0, 1)
        axes.set_title(f"{row['id'][:18]} pos {row['position']} (ref {row['ref']})", fontsize=8)
        axes.tick_params(labelsize=8)
    figure.suptitle("Predicted nucleotide probabilities (reference base outlined)", fontsize=10)
    figure.tight_layout()
    return figure


class NucleotideTracks:
    """What `predict --plot` draws, collected row by row in bounded memory.

    Up to `max_bars` positions in all: a bar chart per position. More: one track per sequence (the first
    `max_tracks`), P(A), P(C), P(G), P(T) along the positions and P(reference base) in black, binned to at
    most `max_points` points per track (mean probabilities; the lowest P(reference) of each bin, so a
    surprising position still shows).
    """

    def __init__(self, max_bars: int = 24, max_tracks: int = 8, max_points: int = 2000):
        self.max_bars, self.max_tracks, self.max_points = max_bars, max_tracks, max_points
        self.first_rows: list[dict] = []
        self.tracks: dict[str, tuple[array, array, array]] = {}  # id -> positions, P(A..T) flat, P(ref)
        self.rows = 0
        self.sequences: list[str] = []  # every sequence seen, in order (ids only)

    def add(self, row: dict) -> None:
        self.rows += 1
        if not self.sequences or self.sequences[-1] != row["id"]:
            self.sequences.append(row["id"])
        if len(self.first_rows) < self.max_bars:
            self.first_rows.append(row)
        if row["id"] not in self.tracks and len(self.tracks) >= self.max_tracks:
            return
        positions, probabilities, reference = self.tracks.setdefault(row["id"], (array("q"), array("f"), array("f")))
        positions.append(row["position"])
        probabilities.extend(row[base] for base in "ACGT")
        reference.append(row[row["ref"]] if row["ref"] in BASE_COLOURS else np.nan)

    @property
    def sequences_left_out(self) -> int:
        return 0 if self.rows <= self.max_bars else len(self.sequences) - len(self.tracks)

    def figure(self) -> Figure:
        if self.rows <= self.max_bars:
            return nucleotide_bars(self.first_rows, self.max_bars)
        figure = Figure(figsize=(11, 1.2 + 2.1 * len(self.tracks)), layout="constrained")
        binned = False
        for panel, (name, (positions, flat, reference)) in enumerate(self.tracks.items(), start=1):
            axes = figure.add_subplot(len(self.tracks), 1, panel)
            x = np.asarray(positions, dtype=float)
            probabilities = np.asarray(flat, dtype=float).reshape(-1, 4)
            ref = np.asarray(reference, dtype=float)
            if len(x) > self.max_points:
                binned = True
                x, probabilities, ref = _binned(x, probabilities, ref, self.max_points)
            style = {"marker": ".", "markersize": 3} if len(x) <= 300 else {}
            for column, base in enumerate("ACGT"):
                axes.plot(x, probabilities[:, column], color=BASE_COLOURS[base], linewidth=0.8, alpha=0.7,
                          label=f"P({base})", **style)
            axes.plot(x, ref, color="black", linewidth=1.2, label="P(reference base)", **style)
            axes.set_ylim(-0.02, 1.02)
            axes.set_xlim(x.min() - 0.5, x.max() + 0.5)
            axes.set_ylabel("probability", fontsize=8)
            axes.set_title(f"{name[:60]}: {len(positions):,} position(s)", fontsize=9, loc="left")
            axes.tick_params(labelsize=8)
        axes.set_xlabel("position (1-based)")
        figure.legend(*axes.get_legend_handles_labels(), loc="outside lower center", ncol=5, fontsize=8,
                      frameon=False)
        title = f"Predicted nucleotide probabilities, {self.rows:,} positions"
        if self.sequences_left_out:
            title += f" (the first {len(self.tracks)} of {len(self.sequences)} sequences drawn)"
        if binned:
            title += f"\nlong tracks in {self.max_points:,} bins: mean probabilities, lowest P(reference) of each bin"
        figure.suptitle(title, fontsize=10)
        return figure


def _binned(x: np.ndarray, probabilities: np.ndarray, ref: np.ndarray, bins: int):
    """Consecutive positions in `bins` groups (more positions than bins): mean position and probabilities,
    lowest P(reference) (fmin: a missing reference base, NaN, does not hide the others)."""
    starts = np.linspace(0, len(x), bins + 1).astype(int)[:-1]
    counts = np.diff(np.append(starts, len(x)))
    return (np.add.reduceat(x, starts) / counts, np.add.reduceat(probabilities, starts, axis=0) / counts[:, None],
            np.fmin.reduceat(ref, starts))


def group_comparison(groups: dict[str, np.ndarray], value_name: str, subtitle: str = "") -> Figure:
    """Box plot with every point shown (jittered), one box per group."""
    names = list(groups)
    figure = Figure(figsize=(max(4, 1.6 * len(names) + 2), 5))
    axes = figure.add_subplot()
    data = [groups[name] for name in names]
    axes.violinplot(data, showextrema=False)
    axes.boxplot(data, widths=0.25, showfliers=False)
    rng = np.random.default_rng(0)  # fixed jitter: the same data always gives the same picture
    for position, values in enumerate(data, start=1):
        axes.scatter(position + rng.uniform(-0.08, 0.08, len(values)), values, s=6, alpha=0.4, color="black")
    axes.set_xticks(range(1, len(names) + 1), [f"{n}\n(n={len(groups[n])})" for n in names])
    axes.set_ylabel(value_name)
    axes.set_title(f"{value_name} by group" + (f"\n{subtitle}" if subtitle else ""), fontsize=10)
    return figure


def roc_of(targets: np.ndarray, probabilities: np.ndarray, classes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ROC curve; with more than two classes the mean of the one-vs-rest curves on a common
    false-positive grid (the curve that goes with the report's macro-averaged ROC-AUC)."""
    from sklearn.metrics import roc_curve

    if len(classes) == 2:
        fpr, tpr, _ = roc_curve(targets == classes[1], probabilities[:, 1])
        return fpr, tpr
    grid = np.linspace(0, 1, 201)
    curves = []
    for column, label in enumerate(classes):
        fpr, tpr, _ = roc_curve(targets == label, probabilities[:, column])
        curves.append(np.interp(grid, fpr, tpr))
    return grid, np.mean(curves, axis=0)


def learning_figure(task: str, targets: np.ndarray, predictions: dict[str, np.ndarray],
                    roc_auc: dict[str, float] | None = None) -> Figure:
    """Classification: ROC curves of the language model and the k-mer baseline (labelled with the report's
    ROC-AUC when given), and the model's confusion matrix. Regression: predicted against observed for both.
    All from out-of-fold predictions."""
    from sklearn.metrics import confusion_matrix

    figure = Figure(figsize=(11, 4.8), layout="constrained")
    names = {"language_model": "language-model embeddings", "kmer_baseline": "k-mer frequencies (baseline)"}
    if task == "regression":
        for panel, (key, predicted) in enumerate(predictions.items(), start=1):
            axes = figure.add_subplot(1, 2, panel)
            axes.scatter(targets, predicted, s=8, alpha=0.5)
            low, high = float(np.min(targets)), float(np.max(targets))
            axes.plot([low, high], [low, high], color="grey", linestyle="--", linewidth=1)
            axes.set_xlabel("observed")
            axes.set_ylabel("predicted (out of fold)")
            axes.set_title(names.get(key, key), fontsize=10)
        return figure
    classes = np.unique(targets)
    axes = figure.add_subplot(1, 2, 1)
    for key, predicted in predictions.items():
        fpr, tpr = roc_of(targets, predicted, classes)
        area = (roc_auc or {}).get(key)
        axes.plot(fpr, tpr, label=names.get(key, key) + (f" (AUC {area:.3f})" if area is not None else ""))
    axes.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1)
    axes.set_xlabel("false positive rate")
    axes.set_ylabel("true positive rate")
    axes.set_title("ROC (out-of-fold)" if len(classes) == 2 else
                   f"ROC (out-of-fold)\nmean of {len(classes)} one-vs-rest curves", fontsize=10)
    axes.set_aspect("equal")
    # Below both panels: inside the axes it hides the curves whenever the figure is drawn narrow (the GUI).
    figure.legend(*axes.get_legend_handles_labels(), fontsize=8, loc="outside lower center", frameon=False)
    axes = figure.add_subplot(1, 2, 2)
    labels = classes[predictions["language_model"].argmax(axis=1)]
    matrix = confusion_matrix(targets, labels, labels=classes)
    axes.imshow(matrix, cmap="Blues")
    for (i, j), count in np.ndenumerate(matrix):
        axes.text(j, i, str(count), ha="center", va="center")
    axes.set_xticks(range(len(classes)), classes)
    axes.set_yticks(range(len(classes)), classes)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    axes.set_title("Confusion matrix\n(language model)", fontsize=10)
    return figure


def mutagenesis_heatmap(title: str, positions: Sequence[int], refs: str, llrs: np.ndarray,
                        row_width: int = 100) -> Figure:
    """Saturation mutagenesis: llr of each base (rows A, C, G, T) at each position, on a colour scale centred on 0
    (blue: the model prefers the substitution less than the reference, red: more). Long regions wrap into rows
    of `row_width` positions; the reference base's cell is blank with a dot."""
    from matplotlib.colors import TwoSlopeNorm

    finite = np.abs(llrs[np.isfinite(llrs)])
    limit = float(np.percentile(finite, 99)) if finite.size else 1.0
    limit = limit if limit > 0 else 1.0
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-limit, vmax=limit)
    wraps = max(1, -(-len(positions) // row_width))
    # Constrained layout: the colour bar and the wrapped rows share the width without wide margins.
    figure = Figure(figsize=(min(14, 3 + 0.11 * min(len(positions), row_width)), 1.3 * wraps + 1.2),
                    layout="constrained")
    grid = figure.subplots(wraps, 1, squeeze=False)[:, 0]
    image = None
    for row, axes in enumerate(grid):
        part = slice(row * row_width, min(len(positions), (row + 1) * row_width))
        values = np.ma.masked_invalid(llrs[:, part])
        image = axes.imshow(values, aspect="auto", cmap="RdBu_r", norm=norm, interpolation="nearest")
        for column, base in enumerate(refs[part]):
            if base in "ACGT":
                axes.plot(column, "ACGT".index(base), "k.", markersize=2)
        axes.set_yticks(range(4), list("ACGT"), fontsize=7)
        shown = positions[part]
        step = max(1, len(shown) // 10)
        axes.set_xticks(range(0, len(shown), step), [str(p) for p in shown[::step]], fontsize=7)
        if len(shown) <= 60:
            top = axes.secondary_xaxis("top")
            top.set_xticks(range(len(shown)), list(refs[part]), fontsize=6)
    grid[-1].set_xlabel("position (the dot marks the reference base)")
    figure.suptitle(title, fontsize=10)
    figure.colorbar(image, ax=list(grid), label="llr = log P(alt) - log P(ref)", shrink=0.9)
    return figure


class MutagenesisMap:
    """What a mutagenesis heatmap shows, gathered while the table streams: the first sequence's first `limit`
    positions (a figure of more would be unreadable); the others are only counted."""

    def __init__(self, limit: int = 1000):
        self.limit = limit
        self.id: str | None = None
        self.positions: list[int] = []
        self.refs: list[str] = []
        self.llrs: list[np.ndarray] = []
        self.left_out = 0

    def add(self, sequence_id: str, position: int, ref: str, llrs: np.ndarray) -> None:
        """`llrs`: of A, C, G, T at the position (NaN for the reference base)."""
        if self.id is None:
            self.id = sequence_id
        if sequence_id != self.id or len(self.positions) == self.limit:
            self.left_out += 1
            return
        self.positions.append(position)
        self.refs.append(ref)
        self.llrs.append(llrs)

    def figure(self) -> Figure:
        title = f"Saturation mutagenesis, {self.id}:{self.positions[0]}-{self.positions[-1]}"
        return mutagenesis_heatmap(title, self.positions, "".join(self.refs), np.array(self.llrs).T)
