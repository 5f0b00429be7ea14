"""What produced a result: model id, weights hash, package versions, parameters.

No timestamps: the same command twice gives byte-identical outputs.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from . import __version__


@lru_cache(maxsize=32)
def _hash_files(paths: tuple[str, ...], signature: tuple) -> str:
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def file_sha256(path: str | Path) -> str:
    """SHA-256 of one file (cached while its size and modification time stay the same)."""
    stat = Path(path).stat()
    return _hash_files((str(path),), (str(path), stat.st_size, stat.st_mtime_ns))


def weights_sha256(folder: Path) -> str:
    """SHA-256 over the model's weight files in name order (one file: that file's own hash)."""
    files = sorted(p for p in folder.glob("*") if p.suffix in {".safetensors", ".bin", ".pt", ".pth"})
    if not files:
        return ""
    signature = tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    return _hash_files(tuple(str(p) for p in files), signature)


def package_versions() -> dict[str, str]:
    import torch
    import transformers

    return {"dnalens": __version__, "torch": torch.__version__, "transformers": transformers.__version__}


def provenance(model_description: dict | None, operation: str, parameters: dict) -> dict:
    """A served model's description (remote/) also names its endpoint and the server's package versions, which
    computed the numbers."""
    description = model_description or {}
    record = {"operation": operation, **(description.get("versions") or package_versions())}
    if model_description is not None:
        record["model"] = model_description.get("id")
        record["weights_sha256"] = model_description.get("weights_sha256")
        if model_description.get("endpoint"):
            record["endpoint"] = model_description["endpoint"]
    record["parameters"] = {key: value for key, value in parameters.items() if value is not None}
    return record


def provenance_lines(record: dict) -> list[str]:
    """Lines for a TSV header (each written after '# ') or a VCF header."""
    lines = [f"dnalens {record['dnalens']} {record['operation']}"]
    if "model" in record:
        lines.append(f"model: {record['model']}")
        lines.append(f"weights_sha256: {record['weights_sha256']}")
    if "endpoint" in record:
        lines.append(f"endpoint: {record['endpoint']} (computed by that DNALens server)")
    lines.append(f"versions: torch {record['torch']}, transformers {record['transformers']}")
    lines.append(parameters_line(record["parameters"]))
    return lines


PARAMETERS = "parameters: "  # the provenance line that `dnalens merge` reads and rewrites


def parameters_line(parameters: dict) -> str:
    return PARAMETERS + json.dumps(parameters, sort_keys=True, default=str)
