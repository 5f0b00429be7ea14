"""Where a model comes from: the built-in default, a local folder, or a hub id."""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..choices import DEFAULT_MODEL
from ..errors import ModelError

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "default_model"
DEFAULT_MODEL_ID = "dnalens-default"
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]{0,95}(/[A-Za-z0-9][\w.-]{0,95})?$")
_WEIGHT_SUFFIXES = {".safetensors", ".bin", ".pt", ".pth", ".ckpt"}
# Written by `dnalens register-model --trust-remote-code` (Galaxy's data manager, run by an administrator): the
# model's own code was trusted at install time, as it was then (SHA-256 of each .py file).
TRUST_FILE = "dnalens_trusted_code.json"


@dataclass(frozen=True)
class ModelSource:
    id: str  # what the user asked for ("dnalens-default", a folder, a hub id)
    location: str  # what from_pretrained gets: a folder path or a hub id
    is_local: bool


def is_default(spec: str | None) -> bool:
    """Whether `--model` asks for the built-in model."""
    return spec is None or spec in {"", DEFAULT_MODEL, DEFAULT_MODEL_ID}


def looks_like_path(spec: str) -> bool:
    """A model spec written as a path (relative, absolute, home, or with more than one '/'), not a hub id."""
    return spec.startswith((".", "/", "~")) or spec.count("/") > 1 or (os.sep != "/" and os.sep in spec)


def is_hub_id(spec: str) -> bool:
    """Whether `resolve_source` would take `spec` for a hub id (no folder of that name, shaped like 'owner/name')."""
    path = Path(spec).expanduser()
    return not is_default(spec) and not path.exists() and not looks_like_path(spec) and bool(_HUB_ID.match(spec))


def resolve_source(spec: str | None) -> ModelSource:
    """Turn `--model` into a source, or fail with a line that says what to do."""
    if is_default(spec):
        if not (DEFAULT_MODEL_DIR / "config.json").exists():
            raise ModelError(f"the built-in default model is missing from {DEFAULT_MODEL_DIR}; reinstall dnalens")
        return ModelSource(DEFAULT_MODEL_ID, str(DEFAULT_MODEL_DIR), True)
    path = Path(spec).expanduser()
    if path.is_dir():
        check_local_folder(path)
        return ModelSource(str(path), str(path.resolve()), True)
    if path.exists():
        raise ModelError(f"model '{spec}': is a file; give the folder that holds config.json and the weights")
    if looks_like_path(spec):
        raise ModelError(f"model folder '{spec}' not found")
    if not _HUB_ID.match(spec):
        raise ModelError(f"model '{spec}': no such folder, and not a valid hub id (like 'owner/name')")
    return ModelSource(spec, spec, False)


def check_local_folder(folder: Path) -> None:
    if not (folder / "config.json").exists():
        raise ModelError(f"model folder {folder}: no config.json; is this a Hugging Face model folder?")
    if not any(p.suffix in _WEIGHT_SUFFIXES for p in folder.iterdir()):
        raise ModelError(f"model folder {folder}: no weights file (model.safetensors)")


def require_safe_weights(folder: Path, allow_pickle: bool) -> None:
    """Pickled weights (.bin/.pt) can run code when loaded: refuse them unless the user opts in."""
    if any(folder.glob("*.safetensors")) or allow_pickle:
        return
    raise ModelError(f"model folder {folder}: only pickled weights (.bin) found; DNALens loads safetensors only "
                     "(convert the model, or pass --allow-pickle if you trust its source)")


def refuse_untrusted_code(config, source: ModelSource, trust_remote_code: bool) -> None:
    """A model that ships its own code (`auto_map`) is refused unless that code is trusted.

    transformers would otherwise load a config whose `model_type` it knows (DNABERT-2 and GENA-LM say "bert")
    with its own class: the weights would not fit the architecture they were trained in, and the numbers would
    be silently wrong.
    """
    if not trust_remote_code and getattr(config, "auto_map", None):
        raise ModelError(f"model '{source.id}' ships its own code (auto_map in its config.json); pass "
                         "--trust-remote-code only if you trust its source")


def refuse_missing_tensors(missing: set[str], source: ModelSource) -> None:
    """Weights the checkpoint lacks would be random (transformers fills them and only warns): refuse instead,
    so that two runs never differ while the provenance records one weights hash."""
    if missing:
        names = sorted(missing)
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        raise ModelError(f"model '{source.id}': the weights file lacks {len(names)} tensor(s) the model needs "
                         f"({shown}); they would be random. Is the file complete and from this model?")


def code_digests(folder: Path) -> dict[str, str]:
    """SHA-256 of each Python file a model folder holds (its own code)."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(Path(folder).glob("*.py"))}


def write_trust_record(folder: Path) -> None:
    record = {"trusted": "the model's own code, by the administrator who installed it (dnalens register-model "
                         "--trust-remote-code)", "code_sha256": code_digests(folder)}
    (Path(folder) / TRUST_FILE).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")


def trusted_at_install(folder: Path) -> bool:
    """True only where an administrator trusted this folder's code when installing it and not one Python file
    has been added, removed or changed since."""
    try:
        record = json.loads((Path(folder) / TRUST_FILE).read_text())
    except (OSError, ValueError):
        return False
    return isinstance(record, dict) and record.get("code_sha256") == code_digests(folder)
