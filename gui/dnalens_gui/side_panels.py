"""The left-hand panels: which model (on this computer, or a DNALens server's), and which device."""

from __future__ import annotations

import html

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
)

from dnalens.choices import DEFAULT_MODEL
from dnalens.device import detect
from dnalens.model.source import is_default, is_hub_id

from .server_source import ServerSource, describe_server


class ModelPanel(QGroupBox):
    """Built-in model, a local folder, a hub id or a DNALens server; Load describes the model (family, size,
    tokens), or connects to the server."""

    load_requested = Signal(str)

    def __init__(self):
        super().__init__("Model")
        self.default = QRadioButton("Built-in DNALens model (offline)")
        self.folder = QRadioButton("A model folder")
        self.hub = QRadioButton("A Hugging Face hub id (internet)")
        self.server = QRadioButton("A DNALens server")
        self.server.setToolTip("A model loaded once on another machine (`dnalens serve`, e.g. a lab's GPU "
                               "server): runs send their sequences there")
        self.group = QButtonGroup(self)
        for index, button in enumerate((self.default, self.folder, self.hub, self.server)):
            self.group.addButton(button, index)
        self.default.setToolTip("A small DNA language model trained on human DNA, shipped with DNALens")
        self.folder.setToolTip("A downloaded model: a folder with config.json and the weights")
        self.folder_edit = QLineEdit()
        self.folder_edit.setPlaceholderText("folder with config.json and model.safetensors")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.hub_edit = QLineEdit()
        self.hub_edit.setPlaceholderText("e.g. InstaDeepAI/nucleotide-transformer-v2-50m-multi-species")
        # Never remembered between sessions: trusting a model's code is a decision made each time.
        self.trust_code = QCheckBox("Let this model run its own code (only for sources you trust)")
        self.trust_code.setToolTip("Models such as DNABERT-2, HyenaDNA, Caduceus and GENA-LM ship Python code "
                                   "that must run to load them; it runs with your permissions")
        self.server_source = ServerSource()
        self.server_source.activated.connect(lambda: self.server.setChecked(True))
        self.server_source.connected.connect(self.show_server)
        self.server.toggled.connect(self._source_changed)
        self.load_button = QPushButton("Load model")
        self.load_button.clicked.connect(lambda: self.load_requested.emit(self.spec()))
        self.summary = QLabel("No model loaded yet.")
        self.summary.setWordWrap(True)

        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(browse)
        layout = QVBoxLayout(self)
        layout.addWidget(self.default)
        layout.addWidget(self.folder)
        layout.addLayout(folder_row)
        layout.addWidget(self.hub)
        layout.addWidget(self.hub_edit)
        layout.addWidget(self.server)
        layout.addWidget(self.server_source)
        layout.addWidget(self.trust_code)
        layout.addWidget(self.load_button)
        layout.addWidget(self.summary)
        self.folder_edit.textEdited.connect(lambda _: self.folder.setChecked(True))
        self.hub_edit.textEdited.connect(lambda _: self.hub.setChecked(True))
        self._restore()

    def uses_server(self) -> bool:
        return self.server.isChecked()

    def spec(self) -> str:
        """The local model asked for (`--model`); with the server source, its URL."""
        if self.server.isChecked():
            return self.server_source.endpoint()[0]
        if self.folder.isChecked():
            return self.folder_edit.text().strip()
        if self.hub.isChecked():
            return self.hub_edit.text().strip()
        return DEFAULT_MODEL

    def set_spec(self, spec: str) -> None:
        if is_default(spec):
            self.default.setChecked(True)
        elif is_hub_id(spec):  # the core's rule (model/source.py): what `--model` would take for a hub id
            self.hub.setChecked(True)
            self.hub_edit.setText(spec)
        else:
            self.folder.setChecked(True)
            self.folder_edit.setText(spec)

    def show_model(self, description: dict) -> None:
        self.summary.setText(
            f"<b>{description['id']}</b><br>{description['family']} model ({description['architecture']}), "
            f"{description['tokenizer']} tokens, {description['layers']} layers, hidden size "
            f"{description['hidden_size']}, {description['parameters']:,} parameters, up to "
            f"{description['max_bp']:,} bp<br>running on <b>{description['device']}</b> in "
            f"{description['dtype']}")
        QSettings().setValue("model", self.spec())
        QSettings().setValue("model_source", "local")

    def show_server(self, info: dict) -> None:
        """The server's model, after a run connected to it (as show_model after a local load)."""
        self.summary.setText(f"Server {html.escape(self.server_source.endpoint()[0])}: {describe_server(info)}")
        QSettings().setValue("server_url", self.server_source.endpoint()[0])
        QSettings().setValue("model_source", "server")

    def _source_changed(self, server: bool) -> None:
        # A served model's code and device are the server's business.
        self.load_button.setText("Connect" if server else "Load model")
        self.trust_code.setEnabled(not server)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Model folder", self.folder_edit.text())
        if folder:
            self.folder_edit.setText(folder)
            self.folder.setChecked(True)

    def _restore(self) -> None:
        self.set_spec(str(QSettings().value("model", DEFAULT_MODEL)))
        if QSettings().value("model_source") == "server":
            self.server.setChecked(True)


class DevicePanel(QGroupBox):
    """What this computer has (CUDA GPUs with memory and compute capability, Apple MPS, CPU threads)."""

    def __init__(self):
        super().__init__("Device")
        found = detect()
        self.choice = QComboBox()
        self.choice.addItem("Automatic (GPU if available)", "auto")
        for gpu in found["cuda"]:
            self.choice.addItem(f"GPU {gpu['index']}: {gpu['name']}", f"cuda:{gpu['index']}")
        if found["mps"]:
            self.choice.addItem("Apple GPU (MPS)", "mps")
        self.choice.addItem("CPU", "cpu")
        lines = [f"GPU {g['index']}: {g['name']}, {g['memory_gib']} GiB, compute capability "
                 f"{g['compute_capability']}{', bf16' if g['bf16'] else ''}" for g in found["cuda"]]
        if found["mps"]:
            lines.append("Apple MPS available")
        if not lines:
            lines.append("No GPU found: DNALens will use the CPU")
        lines.append(f"CPU: {found['cpu_threads']} threads")
        self.detected = QLabel("<br>".join(lines))
        self.detected.setWordWrap(True)
        self.choice.setToolTip("Where the model runs. Automatic uses a CUDA GPU, then an Apple GPU, then the CPU.")
        layout = QFormLayout(self)
        layout.addRow("Run on", self.choice)
        layout.addRow(self.detected)
        saved = QSettings().value("device", "auto")
        index = self.choice.findData(saved)
        self.choice.setCurrentIndex(max(0, index))
        self.choice.currentIndexChanged.connect(lambda _: QSettings().setValue("device", self.device()))

    def device(self) -> str:
        return self.choice.currentData()
