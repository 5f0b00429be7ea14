"""Non-persistent buffers that transformers 5 leaves uninitialised.

Breakage (transformers >= 5.0): buffers registered with `persistent=False` are not in the checkpoint; after
loading, transformers 5 re-creates them with `torch.empty` and expects the class's `_init_weights` to fill them,
which code written for 4.x does not do. GENA-LM's `token_type_ids` buffer (zeros by construction, used whenever
no token types are passed) then holds whatever was in memory.
Detected by: comparing each non-persistent buffer with the value the model's own `__init__` computes (the
skeleton, built on the CPU without weights).
Repair: the buffer gets the value from the model's own construction.
"""

from __future__ import annotations

import torch

from . import RepairLog, is_foreign

VERSIONS = "transformers >= 5.0"


def _non_persistent(model: torch.nn.Module):
    for module_name, module in model.named_modules():
        for name in getattr(module, "_non_persistent_buffers_set", ()):
            buffer = module._buffers.get(name)
            if buffer is not None:
                yield (f"{module_name}.{name}" if module_name else name), module, name, buffer


def apply(model: torch.nn.Module, skeleton: torch.nn.Module | None, log: RepairLog) -> None:
    if skeleton is None or not is_foreign(model):
        return
    expected = dict(skeleton.named_buffers(remove_duplicate=False))
    fixed = []
    for full_name, module, name, buffer in _non_persistent(model):
        value = expected.get(full_name)
        if value is None or value.is_meta or value.shape != buffer.shape:
            continue
        if buffer.is_meta or not torch.equal(buffer.cpu(), value.to(buffer.dtype)):
            module._buffers[name] = value.to(device=buffer.device, dtype=buffer.dtype)
            fixed.append(full_name)
    if fixed:
        log.add("buffers", f"{', '.join(fixed)} held uninitialised memory after loading: set to the values the "
                "model's own code computes", VERSIONS)
