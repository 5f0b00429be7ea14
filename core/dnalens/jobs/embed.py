"""embed → files: the embeddings TSV, and optionally the NPZ matrix, a heatmap and a 2-D projection."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..choices import PROJECTIONS
from ..compute.embedder import EmbeddingOptions
from ..context import RunContext
from ..errors import InputError
from ..io.counting import count_fasta_records
from ..io.fasta import read_fasta
from ..io.npz import write_npz
from ..io.outputs import OutputSet
from ..io.tables import read_labels
from ..io.tsv import TsvWriter
from ..ops.embed import CHUNK
from ..ops.projection import project
from ..provenance import provenance, provenance_lines
from ..runner import Runner
from ..shards import Shard, refuse_with_shard, shard_parameters, shard_total, take_shard
from .operations import Model, embed_operation


@dataclass
class EmbedResult:
    sequences: int
    dimension: int
    windowed_sequences: int
    outputs: list[Path]
    figures: dict = field(default_factory=dict)  # the saved plots as Figures, for the GUI to display


def embed_fasta(model: Model, fasta: str | Path, out_tsv: str | Path, *,
                options: EmbeddingOptions | None = None, npz: str | Path | None = None,
                heatmap: str | Path | None = None, projection: str | Path | None = None,
                labels: str | Path | None = None, projection_method: str = "pca",
                context: RunContext | None = None, runner: Runner | None = None,
                shard: Shard | None = None) -> EmbedResult:
    """model: a loaded model or a DNALens server (remote.connect). shard: only that part of the records
    (shards.py); the NPZ and plots need them all."""
    context = context or RunContext()
    refuse_with_shard(shard, npz=npz, heatmap=heatmap, projection=projection)
    options = options or EmbeddingOptions()
    operation = embed_operation(model, options, runner, context)
    label_map = read_labels(labels) if labels else None
    if projection and projection_method not in PROJECTIONS:
        raise InputError(f"--method {projection_method}: expected {' or '.join(PROJECTIONS)}")
    total = count_fasta_records(fasta)
    record = provenance(model.describe(), "embed",
                        {**operation.parameters(Path(fasta).name), **shard_parameters(shard, total)})
    keep = npz or heatmap or projection  # these need every vector; the TSV alone streams
    ids: list[str] = []
    vectors: list[np.ndarray] = []
    figures: dict = {}
    sequences = take_shard(read_fasta(fasta), total, shard, context.warn, chunk=CHUNK)
    with (
        context.progress(shard_total(shard, total, CHUNK), "embed") as progress,
        OutputSet(inputs=[fasta, labels]) as outputs,
    ):
        table = TsvWriter.open(outputs, out_tsv, provenance_lines(record) + [f"method: {operation.method}"],
                               ["id"] + [f"e{i}" for i in range(operation.dimension)])
        for embedding in operation.records(sequences, progress):
            table.write([embedding.id, *(float(v) for v in embedding.vector)])
            if keep:
                ids.append(embedding.id)
                vectors.append(embedding.vector)
        for message in operation.warnings():
            context.warn(message)
        matrix = np.stack(vectors) if keep else None
        if npz:
            write_npz(outputs.path(npz), record, ids=np.array(ids), embeddings=matrix)
        if heatmap:
            from ..plots import embedding_heatmap, save_figure

            figures["heatmap"] = embedding_heatmap(ids, matrix)
            save_figure(figures["heatmap"], outputs.path(heatmap), record)
        if projection:
            figures["projection"] = _projection_figure(ids, matrix, label_map, projection_method, context)
            from ..plots import save_figure

            save_figure(figures["projection"], outputs.path(projection), record)
    written = [Path(p) for p in (out_tsv, npz, heatmap, projection) if p]
    return EmbedResult(table.rows, operation.dimension, operation.windowed_sequences, written, figures)


def embed_chunks(fasta: str | Path) -> int:
    """Chunks of the input, the grid its shards are cut on (a resumable run's number of parts)."""
    return -(-count_fasta_records(fasta) // CHUNK)


def _projection_figure(ids: list[str], matrix: np.ndarray, label_map: dict | None, method: str,
                       context: RunContext):
    from ..plots import projection_scatter

    if len(ids) < 3:
        raise InputError("a projection plot needs at least 3 sequences")
    labels = None
    if label_map is not None:
        missing = [i for i in ids if i not in label_map]
        if missing:
            raise InputError(f"labels file has no label for sequence '{missing[0]}' ({len(missing)} missing)")
        labels = [label_map[i] for i in ids]
    points = project(matrix, method, context.warn)
    return projection_scatter(points.coordinates, labels, points.method, points.explained)
