"""One page per operation. A page collects parameters and returns a job that calls the core operation;
it never computes anything itself. The job, and everything heavy about its result (importing the core module,
reading the table, drawing the plot), runs in the worker thread; `show_result` only hands finished pieces to
widgets."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from dnalens.choices import (
    CLASSIFIERS,
    COMPARED_SCORES,
    DEFAULT_MAX_DIFFERENCES,
    PAIR_BY,
    POOLINGS,
    REGRESSORS,
)
from dnalens.context import RunContext
from dnalens.errors import InputError

from .table import ALL_ROWS, ResultTable, TableData
from .widgets import FileField, ImagePlot, WindowBox

FASTA = "FASTA (*.fa *.fasta *.fna *.fa.gz *.fasta.gz);;All files (*)"
TABLES = "Tables (*.tsv *.tab *.txt);;All files (*)"
SCREEN_WIDTH_INCHES = 8  # a figure of rows along a sequence, drawn for the results panel (100 dpi: 800 px)
Job = Callable[[RunContext], object]


@dataclass
class Shown:
    """A finished run, ready to display: built in the worker thread."""

    result: object
    table: TableData | None
    figure: object = None
    image: QImage | None = None
    summary: str = ""


def unique_stem(folder: Path, stem: str, suffixes: list[str]) -> str:
    """`stem`, or `stem_2`, `stem_3`…: the first for which none of the result files exists yet, so a run never
    replaces an earlier run's results."""
    candidate, number = stem, 1
    while any((folder / f"{candidate}{suffix}").exists() for suffix in suffixes):
        number += 1
        candidate = f"{stem}_{number}"
    return candidate


def stem_of(path: str) -> str:
    return Path(path).name.split(".")[0] or "input"


class OperationPage(QWidget):
    title = ""
    needs_model = True
    on_server = False  # its job takes a DNALens server (dnalens.remote) where a loaded model goes
    wrapped_figure = False  # rows along a sequence: shown full width under the table, scrolling down

    def __init__(self):
        super().__init__()
        self.form = QFormLayout()
        self.table = ResultTable()
        self.plot = ImagePlot(fit_width=self.wrapped_figure)
        self.summary = QTextBrowser()  # scrolls rather than clipping a long explanation
        self.summary.setVisible(False)
        self.outputs: list[Path] = []
        self.status_filter = QComboBox()
        self.status_filter.setToolTip("Show only the rows with this status (e.g. the pairs that were not scored)")
        self.status_filter.setVisible(False)
        self.status_filter.currentTextChanged.connect(self._filter_changed)
        self.shown_rows = QLabel("")
        copy = QPushButton("Copy")
        copy.setToolTip("Copy the selected cells (or the whole shown table) as tab-separated text, every digit")
        copy.clicked.connect(self.table.copy)
        save = QPushButton("Save table as…")
        save.setToolTip("Save the shown rows as TSV or CSV (opens in a spreadsheet)")
        save.clicked.connect(self.save_table)
        export = QPushButton("Export results…")
        export.setToolTip("Copy the result files (table, VCF, NPZ, plots) to a folder of your choice")
        export.clicked.connect(self.export)
        table_bar = QHBoxLayout()
        table_bar.addWidget(self.status_filter)
        table_bar.addWidget(self.shown_rows, 1)
        table_bar.addWidget(copy)
        table_bar.addWidget(save)
        table_bar.addWidget(export)
        table_box = QWidget()
        table_layout = QVBoxLayout(table_box)
        table_layout.setContentsMargins(0, 0, 0, 0)
        table_layout.addLayout(table_bar)
        table_layout.addWidget(self.table, 1)
        self.view = QSplitter(Qt.Vertical)  # the summary and the plot
        self.view.addWidget(self.summary)
        self.view.addWidget(self.plot)
        self.results = QSplitter()  # the table beside the view, or above it for a wide plot
        self.results.addWidget(table_box)
        self.results.addWidget(self.view)
        self.results.setSizes([520, 420])
        form_box = QWidget()
        form_box.setLayout(self.form)
        form_area = QScrollArea()  # the divider below it can give the results more room; the form then scrolls
        form_area.setWidget(form_box)
        form_area.setWidgetResizable(True)
        form_area.setFrameShape(QFrame.NoFrame)
        self.build_form()
        form_area.setMinimumHeight(min(form_box.sizeHint().height(), 120))
        self.sections = QSplitter(Qt.Vertical)
        self.sections.addWidget(form_area)
        self.sections.addWidget(self.results)
        self.sections.setStretchFactor(1, 1)
        self.sections.setChildrenCollapsible(False)
        self.sections.setSizes([form_box.sizeHint().height(), 10_000])
        QVBoxLayout(self).addWidget(self.sections)

    def build_form(self) -> None:
        raise NotImplementedError

    def job(self, model, results: Path) -> Job:
        """Checks the form on the GUI thread (cheap), returns what the worker runs."""
        raise NotImplementedError

    # ---- worker thread ---------------------------------------------------------------------------------
    def prepare(self, result) -> Shown:
        """Reads the result table and draws the plot, in the worker thread."""
        from .figures import render

        outputs = list(getattr(result, "outputs", []) or [])
        table = TableData.read(outputs[0]) if outputs else None
        figures = getattr(result, "figures", {}) or {}
        figure = next(iter(figures.values()), None) if figures else self.extra_figure(table)
        summary = self.describe(table) if table is not None else ""
        return Shown(result, table, figure, render(figure) if figure is not None else None, summary)

    def extra_figure(self, table: TableData | None):
        return None

    def describe(self, table: TableData) -> str:
        return ""

    # ---- GUI thread ------------------------------------------------------------------------------------
    def show_result(self, shown: Shown) -> None:
        self.outputs = list(getattr(shown.result, "outputs", []) or [])
        if shown.table is not None:
            self.table.show_table(shown.table)
        # The plot and summary once the table has painted: two short steps for the GUI thread, not one long one.
        QTimer.singleShot(40, self, lambda: self._show_view(shown))  # cancelled if the page goes
        statuses = self.table.model().statuses()
        self.status_filter.blockSignals(True)
        self.status_filter.clear()
        if len(statuses) > 1 or (statuses and statuses != ["ok"]):
            self.status_filter.addItems([ALL_ROWS, *(["not ok"] if "ok" in statuses else []), *statuses])
        self.status_filter.blockSignals(False)
        self.status_filter.setVisible(self.status_filter.count() > 0)
        self._count_rows()

    def _show_view(self, shown: Shown) -> None:
        self.plot.show_image(shown.image, shown.figure)
        self.summary.setHtml(shown.summary)
        self.summary.setVisible(bool(shown.summary))
        self._arrange(shown.image)

    def _arrange(self, image: QImage | None) -> None:
        """A wide plot (tracks along a sequence, panels side by side) goes under the table, full width, with
        the summary beside it; a squarer one beside the table, under the summary."""
        wide = image is not None and (self.wrapped_figure or image.width() >= 1.6 * image.height())
        self.results.setOrientation(Qt.Vertical if wide else Qt.Horizontal)
        self.view.setOrientation(Qt.Horizontal if wide else Qt.Vertical)
        across = self.results.height() if wide else self.results.width()
        table = int(across * (0.4 if self.wrapped_figure else 0.5))  # wrapped rows: more of the figure in view
        self.results.setSizes([table, across - table])
        page = self.sections.height()
        if self.sections.sizes()[0] > 0.4 * page:  # results shown: the form gives them room, and scrolls
            self.sections.setSizes([int(page * 0.4), page - int(page * 0.4)])
        if not self.summary.isHidden():
            along = self.view.width() if wide else self.view.height()
            first = int(along * (0.35 if wide else 0.4))
            self.view.setSizes([first, along - first])

    def _filter_changed(self, text: str) -> None:
        self.table.model().set_status_filter(None if text in ("", ALL_ROWS) else text)
        self._count_rows()

    def _count_rows(self) -> None:
        model = self.table.model()
        total, showing = len(model.rows), model.rowCount()
        self.shown_rows.setText(f"{total:,} rows" if showing == total else f"{showing:,} of {total:,} rows")

    def save_table(self) -> None:
        if not self.table.model().columns:
            return
        start = str(self.outputs[0].with_suffix(".csv")) if self.outputs else ""
        path, chosen = QFileDialog.getSaveFileName(self, "Save table as", start,
                                                   "CSV (*.csv);;Tab-separated (*.tsv)")
        if path:
            self.write_table(Path(path), "\t" if path.endswith((".tsv", ".txt")) or "tsv" in chosen else ",")

    def write_table(self, path: Path, delimiter: str) -> None:
        path.write_text(self.table.model().delimited(delimiter))

    def export(self) -> None:
        if not self.outputs:
            return
        folder = QFileDialog.getExistingDirectory(self, "Export results to")
        if not folder:
            return
        existing = [p.name for p in self.outputs if (Path(folder) / p.name).exists()]
        if existing and QMessageBox.question(self, "DNALens", f"Replace {', '.join(existing)} in {folder}?") \
                != QMessageBox.Yes:
            return
        for path in self.outputs:
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
        self.paste.setMaximumHeight(56)
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
        path = results / f"{unique_stem(results, 'pasted_sequences', ['.fa'])}.fa"
        path.write_text(text + ("\n" if not text.endswith("\n") else ""))
        return str(path)


def _switch(mode: QComboBox, stack: QStackedWidget) -> None:
    """The combo box shows one page of the stack, and the stack takes that page's height: a hidden taller page
    (a paste box) would otherwise leave a gap in the form."""

    def show(index: int) -> None:
        for number in range(stack.count()):
            policy = QSizePolicy.Preferred if number == index else QSizePolicy.Ignored
            stack.widget(number).setSizePolicy(policy, policy)
        stack.setCurrentIndex(index)

    mode.currentIndexChanged.connect(show)
    show(mode.currentIndex())


POOLING_HINT = "how one vector is made from the per-base vectors; mean is the usual choice"
LAYER_HINT = "which layer's vectors: -1 = the last, 0 = before the first, 2:4 = average of layers 2 to 4"


def _hinted(widget: QWidget, hint: str) -> QWidget:
    """A field with a one-line explanation beside it: the words a biologist needs without hovering."""
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(widget)
    label = QLabel(hint)
    label.setStyleSheet("color: #555")
    label.setWordWrap(True)
    layout.addWidget(label, 1)
    return row


def _layer_box() -> QLineEdit:
    box = QLineEdit("-1")
    box.setMaximumWidth(90)
    box.setToolTip("Which layer's hidden states: -1 = last, 0 = token embeddings, N = layer N, "
                   "A:B = average of layers A to B, all-mean = average of all layers")
    return box


def _pooling_box() -> QComboBox:
    box = QComboBox()
    box.addItems(POOLINGS)
    box.setToolTip("How per-base states become one vector: mean (recommended), max, or the [CLS] token. "
                   "Padding is never included.")
    return box


class EmbedPage(OperationPage):
    title = "Embed"
    on_server = True

    def build_form(self) -> None:
        self.sequences = SequenceInput()
        self.pooling, self.layer = _pooling_box(), _layer_box()
        self.rc = QCheckBox("Average with the reverse-complement strand")
        self.rc.setToolTip("Makes the embedding the same whichever strand the sequence is written on")
        self.labels = FileField("optional: id<TAB>label table to colour the projection", TABLES)
        self.form.addRow("Sequences", self.sequences)
        self.form.addRow("Pooling", _hinted(self.pooling, POOLING_HINT))
        self.form.addRow("Layer", _hinted(self.layer, LAYER_HINT))
        self.form.addRow("", self.rc)
        self.form.addRow("Labels", self.labels)

    def job(self, model, results):
        fasta = self.sequences.fasta(results)
        pooling, layer, rc = self.pooling.currentText(), self.layer.text().strip(), self.rc.isChecked()
        stem = unique_stem(results, stem_of(fasta), ["_embeddings.tsv", "_embeddings.npz", "_projection.png"])
        labels = self.labels.text() or None

        def run(context):
            from dnalens.compute.embedder import EmbeddingOptions
            from dnalens.jobs.embed import embed_fasta

            options = EmbeddingOptions(pooling=pooling, layer=layer, rc_average=rc)
            return embed_fasta(model, fasta, results / f"{stem}_embeddings.tsv", options=options,
                               npz=results / f"{stem}_embeddings.npz", projection=results / f"{stem}_projection.png",
                               labels=labels, context=context)

        return run


class PredictPage(OperationPage):
    title = "Predict"  # short titles: six tabs fit a 1024-pixel-wide window
    on_server = True

    def build_form(self) -> None:
        self.sequences = SequenceInput()
        self.positions = QLineEdit("1")
        self.positions.setToolTip("1-based positions, separated by commas; ranges allowed (e.g. 5,17,90-110)")
        self.all_positions = QCheckBox("Every position of every sequence")
        self.form.addRow("Sequences", self.sequences)
        self.form.addRow("Positions", self.positions)
        self.form.addRow("", self.all_positions)

    def job(self, model, results):
        fasta = self.sequences.fasta(results)
        every, text = self.all_positions.isChecked(), self.positions.text()
        stem = unique_stem(results, stem_of(fasta), ["_predictions.tsv", "_predictions.png"])

        def run(context):
            from dnalens.jobs.predict import predict_fasta
            from dnalens.positions import parse_positions

            positions = None if every else parse_positions(text)
            return predict_fasta(model, fasta, results / f"{stem}_predictions.tsv", positions=positions,
                                 plot=results / f"{stem}_predictions.png", context=context)

        return run


class VariantsPage(OperationPage):
    title = "Variant effect"
    on_server = True

    def build_form(self) -> None:
        self.mode = QComboBox()
        self.mode.addItems(["Paired reference and mutant FASTA files", "VCF file and reference genome"])
        self.stack = QStackedWidget()
        pairs, vcf = QWidget(), QWidget()
        pairs_form, vcf_form = QFormLayout(pairs), QFormLayout(vcf)
        self.ref_fasta = FileField("reference (wild-type) sequences", FASTA)
        self.alt_fasta = FileField("mutant sequences, same order", FASTA)
        self.pair_by = QComboBox()
        self.pair_by.addItems(PAIR_BY)
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
        self.window = WindowBox("Bases around each variant given to the model (at most the model's limit)")
        vcf_form.addRow("VCF", self.vcf)
        vcf_form.addRow("Genome", self.reference)
        vcf_form.addRow("Window (bp)", self.window)
        self.stack.addWidget(pairs)
        self.stack.addWidget(vcf)
        self.mode.currentIndexChanged.connect(self.stack.setCurrentIndex)
        self.pooling, self.layer = _pooling_box(), _layer_box()
        self.form.addRow("Input", self.mode)
        self.form.addRow(self.stack)
        self.form.addRow("Pooling", _hinted(self.pooling, POOLING_HINT))
        self.form.addRow("Layer", _hinted(self.layer, LAYER_HINT))
        self.rc = QCheckBox("Average both strands")
        self.rc.setToolTip("Every score also from the reverse-complement windows (alleles complemented), then "
                           "averaged; takes twice as long")
        self.form.addRow("", self.rc)

    def job(self, model, results):
        pooling, layer, rc_average = self.pooling.currentText(), self.layer.text().strip(), self.rc.isChecked()
        if self.mode.currentIndex() == 0:
            ref = _require(self.ref_fasta.text(), "the reference FASTA")
            alt = _require(self.alt_fasta.text(), "the mutant FASTA")
            stem = unique_stem(results, stem_of(ref), ["_variant_effects.tsv"])
            inputs = {"ref_fasta": ref, "alt_fasta": alt, "pair_by": self.pair_by.currentText(),
                      "max_differences": self.max_differences.value()}
            outputs = {}
        else:
            vcf = _require(self.vcf.text(), "the VCF file")
            genome = _require(self.reference.text(), "the reference genome")
            stem = unique_stem(results, stem_of(vcf), ["_variant_effects.tsv", "_annotated.vcf"])
            inputs = {"vcf": vcf, "reference": genome, "window": self.window.window()}
            outputs = {"vcf_out": results / f"{stem}_annotated.vcf"}

        def run(context):
            from dnalens.compute.embedder import EmbeddingOptions
            from dnalens.jobs.variants import score_variants

            return score_variants(model, results / f"{stem}_variant_effects.tsv", **inputs, **outputs,
                                  embedding=EmbeddingOptions(pooling=pooling, layer=layer), rc_average=rc_average,
                                  context=context)

        return run

    def extra_figure(self, table):
        from .figures import variant_figure

        return variant_figure(table) if table is not None else None

    def describe(self, table):
        from .figures import variant_summary

        return variant_summary(table)


class ComparePage(OperationPage):
    title = "Compare"
    needs_model = False

    def build_form(self) -> None:
        self.first = FileField("scores of the first group (from Variant effect)", TABLES)
        self.first_name = QLineEdit("exon")
        self.second = FileField("scores of the second group", TABLES)
        self.second_name = QLineEdit("intron")
        self.value = QComboBox()
        self.value.addItems(COMPARED_SCORES)
        self.value.setToolTip("llr: log-likelihood ratio; l2 and cosine: embedding distances")
        self.form.addRow("Group 1", self.first)
        self.form.addRow("Group 1 name", self.first_name)
        self.form.addRow("Group 2", self.second)
        self.form.addRow("Group 2 name", self.second_name)
        self.form.addRow("Score", _hinted(self.value, "llr: log-likelihood ratio (more negative = more likely "
                                                      "damaging); l2, cosine: how far the embedding moves"))

    def job(self, model, results):
        tables = [_require(self.first.text(), "the first scores table"),
                  _require(self.second.text(), "the second scores table")]
        names = [self.first_name.text().strip() or "group1", self.second_name.text().strip() or "group2"]
        value = self.value.currentText()
        stem = unique_stem(results, f"compare_{value}", [".tsv", ".png"])

        def run(context):
            from dnalens.jobs.compare import compare_tables  # scipy.stats: imported in the worker, not the window

            return compare_tables(tables, results / f"{stem}.tsv", value=value, group_names=names,
                                  plot=results / f"{stem}.png", context=context)

        return run


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
        train_form.addRow("Pooling", _hinted(self.pooling, POOLING_HINT))
        train_form.addRow("Layer", _hinted(self.layer, LAYER_HINT))
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
        self.estimator.addItems(CLASSIFIERS if self.task.currentData() == "classification" else REGRESSORS)

    def job(self, model, results):
        task = self.task.currentData()
        if self.action.currentIndex() == 1:
            trained = _require(self.trained.text(), "a trained model")
            fasta = self.sequences.fasta(results)
            stem = unique_stem(results, f"{stem_of(fasta)}_{task}", ["_predictions.tsv"])

            def predict(context):
                from dnalens.jobs.learn import predict_to_files

                return predict_to_files(model, trained, fasta, results / f"{stem}_predictions.tsv", context=context)

            return predict
        labelled = _require(self.labelled.text(), "the labelled sequences")
        labels = self.labels.text() or None
        stem = unique_stem(results, f"{stem_of(labelled)}_{task}", [".json", "_cross_validation.tsv", ".png"])
        pooling, layer = self.pooling.currentText(), self.layer.text().strip()
        kind, folds = self.estimator.currentText(), self.folds.value()

        def train(context):
            from dnalens.compute.embedder import EmbeddingOptions
            from dnalens.jobs.learn import train_to_files
            from dnalens.learn.data import read_labelled

            return train_to_files(model, read_labelled(labelled, labels), results / f"{stem}.json", task=task,
                                  kind=kind, cv=folds, embedding=EmbeddingOptions(pooling=pooling, layer=layer),
                                  report=results / f"{stem}_cross_validation.tsv", plot=results / f"{stem}.png",
                                  context=context)

        return train


class MutagenesisPage(OperationPage):
    """Every substitution of a genome region, or of each FASTA record (whole or a range), scored by the model."""

    title = "Mutagenesis"
    on_server = True
    wrapped_figure = True  # the core wraps long regions into rows of 100 positions
    OUTPUTS = ("_mutagenesis.tsv", "_mutagenesis.png", "_mutagenesis.bedgraph")

    def build_form(self) -> None:
        self.mode = QComboBox()
        self.mode.addItems(["Region of a reference genome", "Sequences (FASTA)"])
        self.stack = QStackedWidget()
        genome, sequences = QWidget(), QWidget()
        genome_form, sequences_form = QFormLayout(genome), QFormLayout(sequences)
        self.reference = FileField("reference genome FASTA", FASTA,
                                   tooltip="FASTA, .gz or bgzip with .fai; chromosome names as in the region")
        self.region = QLineEdit()
        self.region.setPlaceholderText("chr20:31000001-31000200")
        self.region.setToolTip("CHROM:START-END, 1-based and inclusive (both ends mutated), as genome browsers "
                               "show them; commas allowed")
        genome_form.addRow("Genome", self.reference)
        genome_form.addRow("Region", self.region)
        self.sequences = SequenceInput()
        self.span = QLineEdit()
        self.span.setPlaceholderText("optional, e.g. 101-300 (default: the whole sequence)")
        self.span.setToolTip("START-END of every sequence, 1-based and inclusive; empty: every position")
        sequences_form.addRow("Sequences", self.sequences)
        sequences_form.addRow("Range", self.span)
        self.stack.addWidget(genome)
        self.stack.addWidget(sequences)
        _switch(self.mode, self.stack)
        self.window = WindowBox("Bases the model sees around each position (at most the model's limit); the same "
                                "window Variant effect gives a SNV, so the llr values agree")
        self.form.addRow("Input", self.mode)
        self.form.addRow(self.stack)
        self.form.addRow("Window (bp)", _hinted(self.window, "around each position (as Variant effect's)"))

    def job(self, model, results):
        window = self.window.window()
        if self.mode.currentIndex() == 0:
            genome = _require(self.reference.text(), "the reference genome")
            region = _require(self.region.text().strip(), "a region (e.g. chr20:31000001-31000200)")
            # chr20:31,000,001-31,000,200 -> chr20_31000001-31000200: no colon in a file name
            stem = re.sub(r"[^\w-]+", "_", region.replace(",", "")).strip("_") or "region"
            inputs = {"reference": genome, "region": region}
        else:
            fasta = self.sequences.fasta(results)
            span = self.span.text().strip() or None
            stem = stem_of(fasta)
            inputs = {"fasta": fasta, "span": span}
        stem = unique_stem(results, stem, list(self.OUTPUTS))
        table, heatmap, bedgraph = (results / f"{stem}{suffix}" for suffix in self.OUTPUTS)

        def run(context):
            from dnalens.jobs.mutagenesis import mutagenesis

            return mutagenesis(model, table, **inputs, window=window, heatmap=heatmap, bedgraph=bedgraph,
                               context=context)

        return run

    def prepare(self, result) -> Shown:
        # The core's heatmap is up to 14 in wide, for the saved file; scaled into a panel about 8 in wide its 7-pt
        # labels would be unreadable. Laid out again at that width (the saved PNG is already written).
        for figure in (getattr(result, "figures", {}) or {}).values():
            width, height = figure.get_size_inches()
            figure.set_layout_engine("constrained")
            figure.set_size_inches(min(width, SCREEN_WIDTH_INCHES), height)
        return super().prepare(result)


# Appended last: the tabs' order is the tests' page numbers and the remembered page.
PAGES = (EmbedPage, PredictPage, VariantsPage, ComparePage, LearnPage, MutagenesisPage)
