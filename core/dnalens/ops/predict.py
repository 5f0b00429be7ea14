"""The predict operation: probability of A, C, G and T at chosen positions of each sequence."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..compute.scoring import BASES, Scorer
from ..context import RunContext
from ..errors import InputError
from ..finite import require_finite
from ..io.counting import fasta_lengths
from ..io.fasta import read_fasta
from ..io.outputs import OutputSet, format_value, write_tsv_header
from ..model import LanguageModel
from ..positions import Positions, parse_positions
from ..provenance import provenance, provenance_lines
from ..runner import Runner, chunked

COLUMNS = ["id", "position", "ref", "A", "C", "G", "T", "method"]
# Positions scored and written together: memory stays flat however long the sequence or range.
SITES_PER_BATCH = 1024

__all__ = ["COLUMNS", "PredictResult", "context_window", "parse_positions", "predict_fasta"]


@dataclass
class PredictResult:
    rows: int
    method: str
    outputs: list[Path]
    figures: dict = field(default_factory=dict)


def context_window(sequence: str, site: int, width: int) -> tuple[str, int]:
    """A window of at most `width` bases around `site` (shifted inwards at the ends) and the site within it."""
    if len(sequence) <= width:
        return sequence, site
    start = min(max(0, site - width // 2), len(sequence) - width)
    return sequence[start : start + width], site - start


@dataclass(frozen=True)
class _Site:
    id: str
    position: int  # 1-based
    ref: str
    window: str
    site: int  # 0-based, within the window


def _sites(records, positions: Positions | None, max_bp: int, windowed: list[str]):
    """Every wanted position of every record, lazily, each with the window the model sees."""
    for rec in records:
        length = len(rec.sequence)
        if positions is not None and positions.last > length:
            raise InputError(f"record '{rec.id}': position {positions.last} is beyond its length ({length} bp)")
        if length > max_bp:
            windowed.append(rec.id)
        wanted = positions if positions is not None else range(1, length + 1)
        for position in wanted:
            window, site = context_window(rec.sequence, position - 1, max_bp)
            yield _Site(rec.id, position, rec.sequence[position - 1], window, site)


def predict_fasta(model: LanguageModel, fasta: str | Path, out_tsv: str | Path, *,
                  positions: Positions | None = None, plot: str | Path | None = None,
                  context: RunContext | None = None, runner: Runner | None = None) -> PredictResult:
    """`positions` None means every position."""
    context = context or RunContext()
    runner = runner or Runner.for_model(model, context.warn)
    scorer = Scorer(model, runner)
    parameters = {"positions": "all" if positions is None else positions.describe(), "input": Path(fasta).name}
    record = provenance(model.describe(), "predict", parameters)
    figures: dict = {}
    if plot:
        from ..plots import NucleotideTracks

        tracks = NucleotideTracks()
    rows = 0
    windowed: list[str] = []
    # Progress counts positions, so one long sequence moves the bar too (and Cancel is seen within a batch).
    lengths = fasta_lengths(fasta)
    total = sum(lengths) if positions is None else len(positions) * len(lengths)
    progress = context.progress(total, "predict positions")
    try:
        with OutputSet(inputs=[fasta]) as outputs:
            handle = outputs.open_text(out_tsv)
            write_tsv_header(handle, provenance_lines(record) + [f"method: {scorer.method}"], COLUMNS)
            for batch in chunked(_sites(read_fasta(fasta), positions, model.max_bp, windowed), SITES_PER_BATCH):
                log_probs = scorer.site_log_probs([(site.window, site.site) for site in batch])
                require_finite(log_probs, [f"{site.id}:{site.position}" for site in batch], "probabilities")
                for site, site_log_probs in zip(batch, log_probs):
                    probabilities = {base: float(p) for base, p in zip(BASES, np.exp(site_log_probs))}
                    row = {"id": site.id, "position": site.position, "ref": site.ref, **probabilities,
                           "method": scorer.method}
                    handle.write("\t".join(format_value(row[c]) for c in COLUMNS) + "\n")
                    rows += 1
                    if plot:
                        tracks.add(row)
                progress.advance(len(batch))
            if windowed:
                context.warn(f"{len(windowed)} sequence(s) are longer than the model's {model.max_bp} bp: each "
                             "position was scored in a window of that size centred on it")
            if plot:
                from ..plots import save_figure

                figures["probabilities"] = tracks.figure()
                save_figure(figures["probabilities"], outputs.path(plot), record)
                if tracks.sequences_left_out:
                    context.warn(f"the plot draws the first {len(tracks.tracks)} of {len(tracks.sequences)} "
                                 "sequences; the table has every position")
    finally:
        progress.close()
    return PredictResult(rows, scorer.method, [Path(p) for p in (out_tsv, plot) if p], figures)
