"""One page per operation. A page collects parameters and returns a job that calls the core operation;
it never computes anything itself."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from dnalens.context import RunContext
from dnalens.errors import InputError
from dnalens.model import LanguageModel
from dnalens.variant_cases import DEFAULT_MAX_DIFFERENCES

from .widgets import FileField, PlotPanel, ResultTable

FASTA = "FASTA (*.fa *.fasta *.fna *.fa.gz *.fasta.gz);;All files (*)"
TABLES = "Tables (*.tsv *.tab *.txt);;All files (*)"
Job = Callable[[RunContext], object]


class OperationPage(QWidget):
    title = ""
    needs_model = True

    def __init__(self):
        super().__init__()
        self.form = QFormLayout()
        self.table = ResultTable()
        self.plot = PlotPanel()
        self.outputs: list[Path] = []
        export = QPushButton("Export results…")
        export.setToolTip("Copy the result files (table, VCF, NPZ, plots) to a folder of your choice")
        export.clicked.connect(self.export)
        results = QSplitter()
        results.addWidget(self.table)
        results.addWidget(self.plot)
        results.setSizes([500, 400])
        form_box = QWidget()
        form_box.setLayout(self.form)
        layout = QVBoxLayout(self)
        layout.addWidget(form_box)
        layout.addWidget(results, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(export)
        layout.addLayout(row)
        self.build_form()

    def build_form(self) -> None:
        raise NotImplementedError

    def job(self, model: LanguageModel | None, results: Path) -> Job:
        raise NotImplementedError

    def show_result(self, result) -> None:
        self.outputs = list(result.outputs)
        self.table.show_file(self.outputs[0])
        figures = getattr(result, "figures", {}) or {}
        if figures:
            self.plot.show_figure(next(iter(figures.values())))

    def export(self) -> None:
        if not self.outputs:
            return
        folder = QFileDialog.getExistingDirectory(self, "Export results to")
        for path in self.outputs if folder else []:
            shutil.copy2(path, Path(folder) / path.name)


def _require(path: str, what: str) -> str:
    if not path:
        raise InputError(f"choose {what} first")
    return path


class SequenceInput(QWidget):
    """A FASTA file, or sequences pasted as FASTA or one per line."""

    def __init__(self):
        super().__init__()
        self.file = FileField("FASTA file (drop one here)", FASTA, tooltip="DNA sequences in FASTA format, .gz allowed")
        self.paste = QPlainTextEdit()
        self.paste.setPlaceholderText("…or paste sequences here: FASTA, or one sequence per line")
        self.paste.setMaximumHeight(70)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.file)
        layout.addWidget(self.paste)

    def fasta(self, results: Path) -> str:
        text = self.paste.toPlainText().strip()
        if not text:
            return _require(self.file.text(), "a FASTA file or paste sequences")
        if not text.startswith(">"):
            lines = [line.strip() for line in text.splitlines() if line.strip()]
            text = "".join(f">sequence_{i}\n{line}\n" for i, line in enumerate(lines, start=1))
        path = results / "pasted_sequences.fa"
        path.write_text(text + ("\n" if not text.endswith("\n") else ""))
        return str(path)


def _layer_box() -> QLineEdit:
    box = QLineEdit("-1")
    box.setToolTip("Which layer's hidden states: -1 = last, 0 = token embeddings, N = layer N, "
                   "A:B = average of layers A to B, all-mean = average of all layers")
    return box


def _pooling_box() -> QComboBox:
    box = QComboBox()
    box.addItems(["mean", "max", "cls"])
    box.setToolTip("How per-base states become one vector: mean (recommended), max, or the [CLS] token. "
                   "Padding is never included.")
    return box


class EmbedPage(OperationPage):
    title = "Embed"

    def build_form(self) -> None:
        self.sequences = SequenceInput()
        self.pooling, self.layer = _pooling_box(), _layer_box()
        self.rc = QCheckBox("Average with the reverse-complement strand")
        self.rc.setToolTip("Makes the embedding the same whichever strand the sequence is written on")
        self.labels = FileField("optional: id<TAB>label table to colour the projection", TABLES)
        self.form.addRow("Sequences", self.sequences)
        self.form.addRow("Pooling", self.pooling)
        self.form.addRow("Layer", self.layer)
        self.form.addRow("", self.rc)
        self.form.addRow("Labels", self.labels)

    def job(self, model, results):
        from dnalens.embed import embed_fasta
        from dnalens.embedding import EmbeddingOptions

        fasta = self.sequences.fasta(results)
        options = EmbeddingOptions(pooling=self.pooling.currentText(), layer=self.layer.text().strip(),
                                   rc_average=self.rc.isChecked())
        stem = Path(fasta).name.split(".")[0]
        labels = self.labels.text() or None
        return lambda context: embed_fasta(model, fasta, results / f"{stem}_embeddings.tsv", options=options,
                                           npz=results / f"{stem}_embeddings.npz",
                                           projection=results / f"{stem}_projection.png", labels=labels,
                                           context=context)


class PredictPage(OperationPage):
    title = "Predict nucleotides"

    def build_form(self) -> None:
        self.sequences = SequenceInput()
        self.positions = QLineEdit("1")
        self.positions.setToolTip("1-based positions, separated by commas; ranges allowed (e.g. 5,17,90-110)")
        self.all_positions = QCheckBox("Every position of every sequence")
        self.form.addRow("Sequences", self.sequences)
        self.form.addRow("Positions", self.positions)
        self.form.addRow("", self.all_positions)

    def job(self, model, results):
        from dnalens.predict import parse_positions, predict_fasta

        fasta = self.sequences.fasta(results)
        positions = None if self.all_positions.isChecked() else parse_positions(self.positions.text())
        stem = Path(fasta).name.split(".")[0]
        return lambda context: predict_fasta(model, fasta, results / f"{stem}_predictions.tsv", positions=positions,
                                             plot=results / f"{stem}_predictions.png", context=context)


class VariantsPage(OperationPage):
    title = "Variant effect"

    def build_form(self) -> None:
        self.mode = QComboBox()
        self.mode.addItems(["Paired reference and mutant FASTA files", "VCF file and reference genome"])
        self.stack = QStackedWidget()
        pairs, vcf = QWidget(), QWidget()
        pairs_form, vcf_form = QFormLayout(pairs), QFormLayout(vcf)
        self.ref_fasta = FileField("reference (wild-type) sequences", FASTA)
        self.alt_fasta = FileField("mutant sequences, same order", FASTA)
        self.pair_by = QComboBox()
        self.pair_by.addItems(["order", "id"])
        self.pair_by.setToolTip("Pair records by their order in the files, or by identical record ids")
        pairs_form.addRow("Reference", self.ref_fasta)
        pairs_form.addRow("Mutant", self.alt_fasta)
        pairs_form.addRow("Pair by", self.pair_by)
        self.max_differences = QSpinBox()
        self.max_differences.setRange(1, 1_000_000)
        self.max_differences.setValue(DEFAULT_MAX_DIFFERENCES)
        self.max_differences.setToolTip("A pair differing in more places is not a variant of its reference: it is "
                                        "not scored, and the run stops when most pairs are like that")
        pairs_form.addRow("Max. differences", self.max_differences)
        self.vcf = FileField("variants (.vcf or .vcf.gz)", "VCF (*.vcf *.vcf.gz);;All files (*)")
        self.reference = FileField("reference genome FASTA", FASTA)
        self.window = QSpinBox()
        self.window.setRange(3, 100_000)
        self.window.setValue(201)
        self.window.setToolTip("Bases around each variant given to the model (capped at the model's limit)")
        vcf_form.addRow("VCF", self.vcf)
        vcf_form.addRow("Genome", self.reference)
        vcf_form.addRow("Window (bp)", self.window)
        self.stack.addWidget(pairs)
        self.stack.addWidget(vcf)
        self.mode.currentIndexChanged.connect(self.stack.setCurrentIndex)
        self.pooling, self.layer = _pooling_box(), _layer_box()
        self.form.addRow("Input", self.mode)
        self.form.addRow(self.stack)
        self.form.addRow("Pooling", self.pooling)
        self.form.addRow("Layer", self.layer)
        self.rc = QCheckBox("Average both strands")
        self.rc.setToolTip("Every score also from the reverse-complement windows (alleles complemented), then "
                           "averaged; takes twice as long")
        self.form.addRow("", self.rc)

    def job(self, model, results):
        from dnalens.embedding import EmbeddingOptions
        from dnalens.variants import score_variants

        embedding = EmbeddingOptions(pooling=self.pooling.currentText(), layer=self.layer.text().strip())
        rc_average = self.rc.isChecked()
        if self.mode.currentIndex() == 0:
            ref = _require(self.ref_fasta.text(), "the reference FASTA")
            alt = _require(self.alt_fasta.text(), "the mutant FASTA")
            out = results / f"{Path(ref).name.split('.')[0]}_variant_effects.tsv"
            pair_by, max_differences = self.pair_by.currentText(), self.max_differences.value()
            return lambda context: score_variants(model, out, ref_fasta=ref, alt_fasta=alt, pair_by=pair_by,
                                                  embedding=embedding, rc_average=rc_average,
                                                  max_differences=max_differences, context=context)
        vcf = _require(self.vcf.text(), "the VCF file")
        genome = _require(self.reference.text(), "the reference genome")
        stem = Path(vcf).name.split(".")[0]
        window = min(self.window.value(), model.max_bp)
        return lambda context: score_variants(model, results / f"{stem}_variant_effects.tsv", vcf=vcf,
                                              reference=genome, window=window,
                                              vcf_out=results / f"{stem}_annotated.vcf", embedding=embedding,
                                              rc_average=rc_average, context=context)


class ComparePage(OperationPage):
    title = "Compare groups"
    needs_model = False

    def build_form(self) -> None:
        self.first = FileField("scores of the first group (from Variant effect)", TABLES)
        self.first_name = QLineEdit("exon")
        self.second = FileField("scores of the second group", TABLES)
        self.second_name = QLineEdit("intron")
        self.value = QComboBox()
        self.value.addItems(["llr", "l2", "cosine"])
        self.value.setToolTip("llr: log-likelihood ratio; l2 and cosine: embedding distances")
        self.form.addRow("Group 1", self.first)
        self.form.addRow("Group 1 name", self.first_name)
        self.form.addRow("Group 2", self.second)
        self.form.addRow("Group 2 name", self.second_name)
        self.form.addRow("Score", self.value)

    def job(self, model, results):
        from dnalens.compare import compare_tables

        tables = [_require(self.first.text(), "the first scores table"),
                  _require(self.second.text(), "the second scores table")]
        names = [self.first_name.text().strip() or "group1", self.second_name.text().strip() or "group2"]
        value = self.value.currentText()
        return lambda context: compare_tables(tables, results / f"compare_{value}.tsv", value=value,
                                              group_names=names, plot=results / f"compare_{value}.png",
                                              context=context)


class LearnPage(OperationPage):
    """Classify or regress from embeddings: train with cross-validation, or predict with a trained model."""

    title = "Learn"

    def build_form(self) -> None:
        self.task = QComboBox()
        self.task.addItem("Classify: labels are classes (e.g. promoter / not)", "classification")
        self.task.addItem("Regress: labels are numbers (e.g. expression)", "regression")
        self.action = QComboBox()
        self.action.addItems(["Train, with cross-validation and a k-mer baseline", "Predict with a trained model"])
        self.stack = QStackedWidget()
        train, use = QWidget(), QWidget()
        train_form, use_form = QFormLayout(train), QFormLayout(use)
        self.labelled = FileField("table with 'sequence' and 'label' columns, or a FASTA file",
                                  f"{TABLES.split(';;')[0]};;{FASTA}")
        self.labels = FileField("for a FASTA file: id<TAB>label table", TABLES)
        self.estimator = QComboBox()
        self.estimator.setToolTip("Fitted on the embeddings, and on 4-mer frequencies as the baseline. The linear "
                                  "models' penalty is chosen by an inner cross-validation.")
        self.folds = QSpinBox()
        self.folds.setRange(2, 20)
        self.folds.setValue(5)
        self.folds.setToolTip("Every metric comes from predictions by models that never saw the sequence")
        self.pooling, self.layer = _pooling_box(), _layer_box()
        train_form.addRow("Labelled sequences", self.labelled)
        train_form.addRow("Labels", self.labels)
        train_form.addRow("Estimator", self.estimator)
        train_form.addRow("Folds", self.folds)
        train_form.addRow("Pooling", self.pooling)
        train_form.addRow("Layer", self.layer)
        self.trained = FileField("trained model (.json from Train)", "DNALens model (*.json);;All files (*)")
        self.sequences = SequenceInput()
        use_form.addRow("Trained model", self.trained)
        use_form.addRow("Sequences", self.sequences)
        self.stack.addWidget(train)
        self.stack.addWidget(use)
        self.action.currentIndexChanged.connect(self.stack.setCurrentIndex)
        self.task.currentIndexChanged.connect(self._task_changed)
        self._task_changed()
        self.form.addRow("Task", self.task)
        self.form.addRow("Action", self.action)
        self.form.addRow(self.stack)

    def _task_changed(self) -> None:
        self.estimator.clear()
        from dnalens.estimators import CLASSIFIERS, REGRESSORS

        self.estimator.addItems(CLASSIFIERS if self.task.currentData() == "classification" else REGRESSORS)

    def job(self, model, results):
        from dnalens import learn
        from dnalens.embedding import EmbeddingOptions

        task = self.task.currentData()
        if self.action.currentIndex() == 1:
            trained = _require(self.trained.text(), "a trained model")
            fasta = self.sequences.fasta(results)
            out = results / f"{Path(fasta).name.split('.')[0]}_{task}_predictions.tsv"
            return lambda context: learn.predict(model, trained, fasta, out, context=context)
        labelled = _require(self.labelled.text(), "the labelled sequences")
        data = learn.read_labelled(labelled, self.labels.text() or None)
        stem = f"{Path(labelled).name.split('.')[0]}_{task}"
        embedding = EmbeddingOptions(pooling=self.pooling.currentText(), layer=self.layer.text().strip())
        kind, folds = self.estimator.currentText(), self.folds.value()
        return lambda context: learn.train(model, data, results / f"{stem}.json", task=task, kind=kind, cv=folds,
                                           embedding=embedding, report=results / f"{stem}_cross_validation.tsv",
                                           plot=results / f"{stem}.png", context=context)


PAGES = (EmbedPage, PredictPage, VariantsPage, ComparePage, LearnPage)
