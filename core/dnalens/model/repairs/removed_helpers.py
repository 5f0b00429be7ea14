"""Helpers that transformers 4 offered and 5 removed, which published model code still imports or calls.

Breakage (transformers >= 5.0):
- `transformers.pytorch_utils.find_pruneable_heads_and_indices` is gone: GENA-LM's code imports it at the top
  (it is used only to prune attention heads), so the module does not even import;
- `get_extended_attention_mask`, `invert_attention_mask` and `get_head_mask` left `ModuleUtilsMixin`: GENA-LM's
  `BertModel.forward` calls them on every pass.
Detected by: parsing the model folder's Python files for `from transformers… import NAME` where transformers
no longer has NAME, and the model class lacking a method its code calls as `self.NAME(`.
Repair: the missing name is provided in memory (the transformers module gets the function, the model's own
classes get the method), with transformers 4.x semantics, re-implemented here.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import sys
from pathlib import Path

import torch

from . import RepairLog, is_foreign

VERSIONS = "transformers >= 5.0"


def find_pruneable_heads_and_indices(heads, n_heads: int, head_size: int, already_pruned_heads):
    """transformers 4.x: the heads to prune (not yet pruned) and the indices of the weights to keep."""
    mask = torch.ones(n_heads, head_size)
    heads = set(heads) - already_pruned_heads
    for head in heads:
        head = head - sum(1 if h < head else 0 for h in already_pruned_heads)
        mask[head] = 0
    mask = mask.view(-1).contiguous().eq(1)
    index = torch.arange(len(mask))[mask].long()
    return heads, index


FUNCTIONS = {"find_pruneable_heads_and_indices": find_pruneable_heads_and_indices}


def _dtype(module: torch.nn.Module) -> torch.dtype:
    return next((p.dtype for p in module.parameters() if p.is_floating_point()), torch.float32)


def get_extended_attention_mask(self, attention_mask, input_shape, device=None, dtype=None):
    """transformers 4.x ModuleUtilsMixin: a broadcastable additive mask (0 to attend, dtype minimum to ignore)."""
    dtype = dtype if dtype is not None else _dtype(self)
    if attention_mask.dim() == 3:
        extended = attention_mask[:, None, :, :]
    elif attention_mask.dim() == 2:
        if getattr(self.config, "is_decoder", False):
            batch_size, seq_length = input_shape
            seq_ids = torch.arange(seq_length, device=attention_mask.device)
            causal = (seq_ids[None, None, :].repeat(batch_size, seq_length, 1) <= seq_ids[None, :, None])
            causal = causal.to(attention_mask.dtype)
            if causal.shape[1] < attention_mask.shape[1]:
                prefix = attention_mask.shape[1] - causal.shape[1]
                causal = torch.cat([torch.ones((batch_size, seq_length, prefix), device=attention_mask.device,
                                               dtype=causal.dtype), causal], dim=-1)
            extended = causal[:, None, :, :] * attention_mask[:, None, None, :]
        else:
            extended = attention_mask[:, None, None, :]
    else:
        raise ValueError(f"Wrong shape for input_ids (shape {input_shape}) or attention_mask "
                         f"(shape {attention_mask.shape})")
    extended = extended.to(dtype=dtype)
    return (1.0 - extended) * torch.finfo(dtype).min


def invert_attention_mask(self, encoder_attention_mask):
    """transformers 4.x ModuleUtilsMixin: the additive form of an encoder attention mask."""
    dtype = _dtype(self)
    if encoder_attention_mask.dim() == 3:
        extended = encoder_attention_mask[:, None, :, :]
    else:
        extended = encoder_attention_mask[:, None, None, :]
    extended = extended.to(dtype=dtype)
    return (1.0 - extended) * torch.finfo(dtype).min


def get_head_mask(self, head_mask, num_hidden_layers: int, is_attention_chunked: bool = False):
    """transformers 4.x ModuleUtilsMixin: one (optional) head mask per layer."""
    if head_mask is None:
        return [None] * num_hidden_layers
    if head_mask.dim() == 1:
        head_mask = head_mask.unsqueeze(0).unsqueeze(0).unsqueeze(-1).unsqueeze(-1)
        head_mask = head_mask.expand(num_hidden_layers, -1, -1, -1, -1)
    elif head_mask.dim() == 2:
        head_mask = head_mask.unsqueeze(1).unsqueeze(-1).unsqueeze(-1)
    head_mask = head_mask.to(dtype=_dtype(self))
    if is_attention_chunked:
        head_mask = head_mask.unsqueeze(-1)
    return head_mask


METHODS = {"get_extended_attention_mask": get_extended_attention_mask,
           "invert_attention_mask": invert_attention_mask, "get_head_mask": get_head_mask}


def _imports_from_transformers(source: str) -> list[tuple[str, str]]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [(node.module, alias.name) for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.level == 0 and _is_transformers(node.module or "")
            for alias in node.names]


def _is_transformers(module: str) -> bool:
    """transformers itself or one of its submodules (not any package whose name merely starts so)."""
    return module == "transformers" or module.startswith("transformers.")


def provide(folder: Path | None, log: RepairLog) -> None:
    """Give transformers back the functions the folder's code imports from it, where we have them."""
    if folder is None or not Path(folder).is_dir():
        return
    for path in sorted(Path(folder).glob("*.py")):
        for module_name, name in _imports_from_transformers(path.read_text(errors="replace")):
            if name not in FUNCTIONS:
                continue
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                continue
            if not hasattr(module, name) or getattr(module, name) is FUNCTIONS[name]:  # (again: log it again)
                setattr(module, name, FUNCTIONS[name])
                log.add("removed-helpers", f"{path.name} imports {module_name}.{name}, which this transformers no "
                        "longer has: provided (transformers 4 semantics)", VERSIONS)


def add_methods(cls: type, log: RepairLog) -> None:
    """Give the model's own classes the ModuleUtilsMixin methods their code calls and transformers removed."""
    module = sys.modules.get(cls.__module__)
    if module is None or not is_foreign(cls):
        return
    try:
        source = inspect.getsource(module)
    except (OSError, TypeError):
        return
    called = {name for name in METHODS if re.search(rf"self\.{name}\(", source)}
    classes = [c for c in vars(module).values() if isinstance(c, type) and c.__module__ == module.__name__
               and issubclass(c, torch.nn.Module) and hasattr(c, "config_class")]
    for name in sorted(called):
        patched = [c.__name__ for c in classes if getattr(c, name, METHODS[name]) is METHODS[name]]
        for c in classes:
            if not hasattr(c, name):
                setattr(c, name, METHODS[name])
        if patched:
            log.add("removed-helpers", f"model code calls self.{name}(), removed from transformers' "
                    "ModuleUtilsMixin: added to its classes (transformers 4 semantics)", VERSIONS)
