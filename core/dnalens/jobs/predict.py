"""predict → files: the probabilities TSV and optionally a plot of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..context import RunContext
from ..io.counting import fasta_lengths
from ..io.fasta import read_fasta
from ..io.outputs import OutputSet
from ..io.tsv import TsvWriter
from ..ops.predict import COLUMNS, SITES_PER_BATCH
from ..positions import Positions
from ..provenance import provenance, provenance_lines
from ..runner import Runner
from ..shards import Shard, refuse_with_shard, shard_parameters, shard_range, shard_total
from .operations import Model, predict_operation


@dataclass
class PredictResult:
    rows: int
    method: str
    outputs: list[Path]
    figures: dict = field(default_factory=dict)


def predict_fasta(model: Model, fasta: str | Path, out_tsv: str | Path, *,
                  positions: Positions | None = None, plot: str | Path | None = None,
                  context: RunContext | None = None, runner: Runner | None = None,
                  shard: Shard | None = None) -> PredictResult:
    """model: a loaded model or a DNALens server (remote.connect). `positions` None means every position.
    shard: only that part of the sites, counted over the records in order (shards.py)."""
    context = context or RunContext()
    refuse_with_shard(shard, plot=plot)
    operation = predict_operation(model, positions, runner, context)
    # Progress counts positions, so one long sequence moves the bar too.
    lengths = fasta_lengths(fasta)
    total = sum(lengths) if positions is None else len(positions) * len(lengths)
    record = provenance(model.describe(), "predict",
                        {**operation.parameters(Path(fasta).name), **shard_parameters(shard, total)})
    figures: dict = {}
    if plot:
        from ..plots import NucleotideTracks

        tracks = NucleotideTracks()
    sites = shard_range(shard, total, context.warn, "positions", SITES_PER_BATCH) if shard else None
    with (
        context.progress(shard_total(shard, total, SITES_PER_BATCH), "predict positions") as progress,
        OutputSet(inputs=[fasta]) as outputs,
    ):
        table = TsvWriter.open(outputs, out_tsv, provenance_lines(record) + [f"method: {operation.method}"],
                               COLUMNS)
        for probabilities in operation.records(read_fasta(fasta), progress, sites):
            row = probabilities.row()
            table.write(row)
            if plot:
                tracks.add(row)
        for message in operation.warnings():
            context.warn(message)
        if plot:
            from ..plots import save_figure

            figures["probabilities"] = tracks.figure()
            save_figure(figures["probabilities"], outputs.path(plot), record)
            if tracks.sequences_left_out:
                context.warn(f"the plot draws the first {len(tracks.tracks)} of {len(tracks.sequences)} "
                             "sequences; the table has every position")
    return PredictResult(table.rows, operation.method, [Path(p) for p in (out_tsv, plot) if p], figures)


def predict_chunks(fasta: str | Path, positions: Positions | None) -> int:
    """Chunks of the wanted sites, the grid shards are cut on (a resumable run's number of parts)."""
    lengths = fasta_lengths(fasta)
    total = sum(lengths) if positions is None else len(positions) * len(lengths)
    return -(-total // SITES_PER_BATCH)
