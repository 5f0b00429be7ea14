"""Model code that imports a CUDA-only package unconditionally: refused before anything runs, in one line.

Evo (StripedHyena) imports `flash_attn` at the top of its model code for its attention layers and rotary
embeddings, with no PyTorch fallback; flash-attn builds only against CUDA, so there is nothing to repair on a
machine without an NVIDIA GPU (replacing its attention with another implementation would no longer be the
model's own code).
Detected by: the folder's Python files importing such a package outside any try block while it is not importable.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

from ...errors import ModelError

CUDA_ONLY = {"flash_attn": "flash-attn"}


def _unconditional_imports(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    guarded = {id(node) for block in ast.walk(tree) if isinstance(block, ast.Try)
               for child in block.body for node in ast.walk(child)}
    names = set()
    for node in ast.walk(tree):
        if id(node) in guarded:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def refuse(folder: Path | None) -> None:
    if folder is None or not Path(folder).is_dir():
        return
    for path in sorted(Path(folder).glob("*.py")):
        for package in sorted(_unconditional_imports(path.read_text(errors="replace")) & set(CUDA_ONLY)):
            if importlib.util.find_spec(package) is None:
                raise ModelError(f"this model's code ({path.name}) imports {package} unconditionally, a CUDA-only "
                                 "package with no CPU build, and has no other attention path: it cannot run on this "
                                 f"machine (on an NVIDIA GPU: pip install {CUDA_ONLY[package]})")
