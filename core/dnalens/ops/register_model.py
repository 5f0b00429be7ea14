"""Register a model in Galaxy's shared `huggingface` data table (used by the DNALens data manager).

The model is loaded first (so a broken model is never registered), copied into the data manager's output
folder, and described by one data-table row: value, name, pipeline_tag, domain, free_tag, version, path.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from ..errors import InputError
from ..io.json_document import write_json
from ..io.outputs import OutputSet
from ..model import CAUSAL, MASKED, load_model
from ..model.source import TRUST_FILE, code_digests, write_trust_record

PIPELINE_TAGS = {MASKED: "fill-mask", CAUSAL: "text-generation"}
_COPIED = {".json", ".safetensors", ".txt", ".model", ".md"}
_VALUE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def register_model(spec: str, target_dir: str | Path, output_json: str | Path, *, value: str | None = None,
                   name: str | None = None, free_tag: str = "", allow_pickle: bool = False,
                   trust_remote_code: bool = False) -> dict:
    """trust_remote_code: the administrator trusts the model's own code; it is copied with the model and the
    trust is recorded beside it (with its SHA-256), so the DNALens tools run it and nothing else."""
    model = load_model(spec, device="cpu", allow_pickle=allow_pickle, trust_remote_code=trust_remote_code)
    described = model.describe()
    value = value or re.sub(r"[^A-Za-z0-9._-]+", "_", model.id.rstrip("/").split("/")[-1]).strip("_")
    if not _VALUE.match(value):
        raise InputError(f"--value '{value}': use letters, digits, '.', '_' and '-' (at most 100)")
    target = Path(target_dir) / value
    target.mkdir(parents=True, exist_ok=True)
    source = model.path
    if source is None:
        raise InputError(f"model '{spec}' has no local files to copy")
    for item in source.iterdir():
        if item.is_file() and (item.suffix in _COPIED or (allow_pickle and item.suffix == ".bin")
                               or (trust_remote_code and item.suffix == ".py")):
            shutil.copy2(item, target / item.name)
    (target / TRUST_FILE).unlink(missing_ok=True)  # never carried over from the source folder
    if trust_remote_code and code_digests(target):
        write_trust_record(target)
    row = {
        "value": value,
        "name": name or f"{model.id} ({described['family']}, {described['tokenizer']} tokens)",
        "pipeline_tag": PIPELINE_TAGS.get(model.family, "feature-extraction"),
        "domain": "sequence",
        "free_tag": free_tag or "dnalens",
        "version": described["weights_sha256"][:12],
        "path": str(target.resolve()),
    }
    with OutputSet(inputs=[source]) as outputs:
        write_json(outputs.path(output_json), {"data_tables": {"huggingface": [row]}})
    return row
