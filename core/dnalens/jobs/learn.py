"""classify/regress → files: training writes the learner JSON, the cross-validation report TSV and the plot;
predicting writes the predictions TSV."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..compute.embedder import EmbeddingOptions
from ..context import RunContext
from ..io.fasta import read_fasta
from ..io.json_document import write_json
from ..io.outputs import OutputSet
from ..io.tsv import TsvWriter
from ..learn.data import Labelled
from ..learn.learner_file import learner_document
from ..learn.predict import predict
from ..learn.train import train
from ..model import LanguageModel
from ..provenance import provenance, provenance_lines
from ..runner import Runner

REPORT_COLUMNS = ["features", "metric", "value", "ci95_low", "ci95_high"]


@dataclass
class TrainResult:
    task: str
    report: dict[str, dict]  # features ("language_model", "kmer_baseline") → metric → value/interval
    outputs: list[Path]
    figures: dict = field(default_factory=dict)


@dataclass
class PredictionResult:
    outputs: list[Path]
    figures: dict = field(default_factory=dict)


def train_to_files(model: LanguageModel, data: Labelled, out_json: str | Path, *, task: str, kind: str,
                   cv: int = 5, seed: int = 0, embedding: EmbeddingOptions | None = None,
                   report: str | Path | None = None, plot: str | Path | None = None,
                   context: RunContext | None = None, runner: Runner | None = None) -> TrainResult:
    context = context or RunContext()
    runner = runner or context.runner(model)  # checks the context's cancel event (the app's Cancel)
    with context.cancellable():  # cross-validation and the bootstrap check it between folds and resamples
        training = train(model, data, task=task, kind=kind, cv=cv, seed=seed, embedding=embedding, runner=runner,
                         context=context)
    record = provenance(model.describe(), f"{task} train", training.parameters())
    document = learner_document(training, model, record)
    figures = {}
    with OutputSet(inputs=data.files) as outputs:
        write_json(outputs.path(out_json), document, indent=1)
        if report:
            writer = TsvWriter.open(outputs, report, provenance_lines(record) + [training.method()], REPORT_COLUMNS)
            writer.write_all(training.rows())
        if plot:
            from ..plots import learning_figure, save_figure

            figures["learning"] = learning_figure(task, training.targets, training.predictions, training.roc_auc())
            save_figure(figures["learning"], outputs.path(plot), record)
    # The cross-validation table first: it is what a person reads.
    return TrainResult(task, training.table, [Path(p) for p in (report, out_json, plot) if p], figures)


def predict_to_files(model: LanguageModel, learner_path: str | Path, fasta: str | Path, out_tsv: str | Path, *,
                     context: RunContext | None = None, runner: Runner | None = None) -> PredictionResult:
    context = context or RunContext()
    runner = runner or context.runner(model)  # checks the context's cancel event (the app's Cancel)
    predictions = predict(model, learner_path, read_fasta(fasta), runner=runner, context=context)
    record = provenance(model.describe(), f"{predictions.task} predict", {"learner": Path(learner_path).name,
                                                                          "input": Path(fasta).name})
    columns = ["id", "predicted", *[f"p_{c}" for c in predictions.classes]]
    with OutputSet(inputs=[learner_path, fasta]) as outputs:
        writer = TsvWriter.open(outputs, out_tsv, provenance_lines(record), columns)
        writer.write_all([p.id, p.predicted, *p.probabilities] for p in predictions.records)
    return PredictionResult([Path(out_tsv)])
