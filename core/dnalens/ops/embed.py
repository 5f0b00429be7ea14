"""The embed operation: FASTA in, one embedding per sequence out (TSV, optional NPZ and plots)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..compute.embedder import Embedder, EmbeddingOptions
from ..context import RunContext
from ..errors import InputError
from ..finite import require_finite
from ..io.counting import count_fasta_records
from ..io.fasta import read_fasta
from ..io.outputs import OutputSet, format_value, write_tsv_header
from ..io.tables import read_labels
from ..model import LanguageModel
from ..provenance import provenance, provenance_lines
from ..runner import Runner, chunked

CHUNK = 256  # sequences read, embedded and written at a time: memory stays flat however long the input


@dataclass
class EmbedResult:
    sequences: int
    dimension: int
    windowed_sequences: int
    outputs: list[Path]
    figures: dict = field(default_factory=dict)  # the saved plots as Figures, for the GUI to display


def embed_fasta(model: LanguageModel, fasta: str | Path, out_tsv: str | Path, *,
                options: EmbeddingOptions | None = None, npz: str | Path | None = None,
                heatmap: str | Path | None = None, projection: str | Path | None = None,
                labels: str | Path | None = None, projection_method: str = "pca",
                context: RunContext | None = None, runner: Runner | None = None) -> EmbedResult:
    context = context or RunContext()
    options = options or EmbeddingOptions()
    runner = runner or Runner.for_model(model, context.warn)
    embedder = Embedder(model, options, runner)
    label_map = read_labels(labels) if labels else None
    if projection and projection_method not in {"pca", "umap"}:
        raise InputError(f"--method {projection_method}: expected pca or umap")
    parameters = {"pooling": options.pooling, "layer": options.layer, "window": embedder.window,
                  "stride": embedder.stride, "rc_average": options.rc_average, "input": Path(fasta).name}
    record = provenance(model.describe(), "embed", parameters)
    keep = npz or heatmap or projection  # these need every vector; the TSV alone streams
    ids: list[str] = []
    vectors: list[np.ndarray] = []
    figures: dict = {}
    total = count_fasta_records(fasta)
    progress = context.progress(total, "embed")
    count = 0
    try:
        with OutputSet(inputs=[fasta, labels]) as outputs:
            handle = outputs.open_text(out_tsv)
            write_tsv_header(handle, provenance_lines(record) + [f"method: {options.describe()}"],
                             ["id"] + [f"e{i}" for i in range(embedder.dimension)])
            for chunk in chunked(read_fasta(fasta), CHUNK):
                embedded = embedder.embed([r.sequence for r in chunk], progress)
                require_finite(embedded, [r.id for r in chunk], "embeddings")
                for rec, vector in zip(chunk, embedded):
                    handle.write(rec.id + "\t" + "\t".join(format_value(float(v)) for v in vector) + "\n")
                count += len(chunk)
                if keep:
                    ids.extend(r.id for r in chunk)
                    vectors.append(embedded)
            if embedder.windowed_sequences:
                context.warn(f"{embedder.windowed_sequences} sequence(s) longer than {embedder.window} bp were "
                             f"embedded in windows (stride {embedder.stride}) and the windows averaged")
            matrix = np.concatenate(vectors) if keep else None
            if npz:
                _write_npz(outputs.path(npz), ids, matrix, record)
            if heatmap:
                from ..plots import embedding_heatmap, save_figure

                figures["heatmap"] = embedding_heatmap(ids, matrix)
                save_figure(figures["heatmap"], outputs.path(heatmap), record)
            if projection:
                figures["projection"] = _write_projection(outputs, projection, ids, matrix, label_map,
                                                          projection_method, record, context)
            written = [Path(p) for p in (out_tsv, npz, heatmap, projection) if p]
    finally:
        progress.close()
    return EmbedResult(count, embedder.dimension, embedder.windowed_sequences, written, figures)


def _write_npz(path: Path, ids: list[str], matrix: np.ndarray, record: dict) -> None:
    import json

    with open(path, "wb") as handle:
        np.savez_compressed(handle, ids=np.array(ids), embeddings=matrix,
                            provenance=np.array(json.dumps(record, sort_keys=True, default=str)))


def _write_projection(outputs: OutputSet, projection, ids, matrix, label_map, method, record, context):
    from ..plots import projection_scatter, save_figure

    if len(ids) < 3:
        raise InputError("a projection plot needs at least 3 sequences")
    labels = None
    if label_map is not None:
        missing = [i for i in ids if i not in label_map]
        if missing:
            raise InputError(f"labels file has no label for sequence '{missing[0]}' ({len(missing)} missing)")
        labels = [label_map[i] for i in ids]
    explained = None
    if method == "umap":
        try:
            import umap
        except ImportError:
            context.warn("umap-learn is not installed; drawing a PCA projection instead")
            method = "pca"
        else:
            coordinates = umap.UMAP(random_state=0).fit_transform(matrix)
    if method == "pca":
        centred = matrix - matrix.mean(axis=0)
        _, singular, components = np.linalg.svd(centred.astype(np.float64), full_matrices=False)
        coordinates = centred @ components[:2].T
        variance = singular**2
        explained = (variance[:2] / variance.sum()).tolist()
    figure = projection_scatter(coordinates, labels, method, explained)
    save_figure(figure, outputs.path(projection), record)
    return figure
