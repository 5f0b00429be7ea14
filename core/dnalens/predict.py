"""The predict operation: probability of A, C, G and T at chosen positions of each sequence."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .context import RunContext
from .errors import InputError
from .io.counting import count_fasta_records
from .io.fasta import read_fasta
from .io.outputs import OutputSet, format_value, write_tsv_header
from .model import LanguageModel
from .provenance import provenance, provenance_lines
from .runner import Runner, chunked
from .scoring import BASES, Scorer

COLUMNS = ["id", "position", "ref", "A", "C", "G", "T", "method"]
MAX_PLOTTED = 24


@dataclass
class PredictResult:
    rows: int
    method: str
    outputs: list[Path]
    figures: dict = field(default_factory=dict)


def parse_positions(text: str) -> list[int]:
    """'5,17,101' or ranges '10-20' → sorted 1-based positions."""
    positions: set[int] = set()
    for part in str(text).replace(" ", "").split(","):
        if not part:
            continue
        try:
            if "-" in part:
                start, end = (int(x) for x in part.split("-", 1))
                positions.update(range(start, end + 1))
            else:
                positions.add(int(part))
        except ValueError:
            raise InputError(f"--positions '{text}': expected numbers like 5,17,101 or a range 10-20") from None
    if not positions or min(positions) < 1:
        raise InputError(f"--positions '{text}': positions are 1-based and must be 1 or more")
    return sorted(positions)


def context_window(sequence: str, site: int, width: int) -> tuple[str, int]:
    """A window of at most `width` bases around `site` (shifted inwards at the ends) and the site within it."""
    if len(sequence) <= width:
        return sequence, site
    start = min(max(0, site - width // 2), len(sequence) - width)
    return sequence[start : start + width], site - start


def predict_fasta(model: LanguageModel, fasta: str | Path, out_tsv: str | Path, *,
                  positions: list[int] | None = None, plot: str | Path | None = None,
                  context: RunContext | None = None, runner: Runner | None = None) -> PredictResult:
    """`positions` None means every position."""
    context = context or RunContext()
    runner = runner or Runner.for_model(model, context.warn)
    scorer = Scorer(model, runner)
    parameters = {"positions": "all" if positions is None else ",".join(map(str, positions)),
                  "input": Path(fasta).name}
    record = provenance(model.describe(), "predict", parameters)
    plotted: list[dict] = []
    figures: dict = {}
    rows = windowed = 0
    progress = context.progress(count_fasta_records(fasta), "predict")
    try:
        with OutputSet(inputs=[fasta]) as outputs:
            handle = outputs.open_text(out_tsv)
            write_tsv_header(handle, provenance_lines(record) + [f"method: {scorer.method}"], COLUMNS)
            for chunk in chunked(read_fasta(fasta), 64):
                requests, owners = [], []
                for rec in chunk:
                    wanted = positions or range(1, len(rec.sequence) + 1)
                    beyond = [p for p in wanted if p > len(rec.sequence)]
                    if beyond:
                        raise InputError(f"record '{rec.id}': position {beyond[0]} is beyond its length "
                                         f"({len(rec.sequence)} bp)")
                    if len(rec.sequence) > model.max_bp:
                        windowed += 1
                    for position in wanted:
                        requests.append(context_window(rec.sequence, position - 1, model.max_bp))
                        owners.append((rec.id, position, rec.sequence[position - 1]))
                for (rec_id, position, ref), log_probs in zip(owners, scorer.site_log_probs(requests)):
                    probabilities = {base: float(p) for base, p in zip(BASES, np.exp(log_probs))}
                    row = {"id": rec_id, "position": position, "ref": ref, **probabilities, "method": scorer.method}
                    handle.write("\t".join(format_value(row[c]) for c in COLUMNS) + "\n")
                    rows += 1
                    if plot and len(plotted) < MAX_PLOTTED:
                        plotted.append(row)
                progress.advance(len(chunk))
            if windowed:
                context.warn(f"{windowed} sequence(s) are longer than the model's {model.max_bp} bp: each position "
                             "was scored in a window of that size centred on it")
            if plot:
                from .plots import nucleotide_bars, save_figure

                figures["bars"] = nucleotide_bars(plotted)
                save_figure(figures["bars"], outputs.path(plot), record)
    finally:
        progress.close()
    return PredictResult(rows, scorer.method, [Path(p) for p in (out_tsv, plot) if p], figures)

