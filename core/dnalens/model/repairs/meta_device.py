"""Tensors that model code builds in `__init__` as plain attributes, which transformers 5 leaves on the meta device.

Breakage (transformers >= 5.0, which constructs every model under a meta-device context before loading the
weights): MosaicBERT's ALiBi (DNABERT-2) builds its bias tensor in `BertEncoder.__init__` through
`rebuild_alibi_tensor(size, device=None)`; `torch.arange(..., device=None)` then lands on the meta device while
the slopes are on the CPU, and construction fails ("Tensor on device meta is not on the expected device cpu").
The tensor is a plain attribute, not a buffer, so no loading step would ever fill it.
Detected by: a class of the model's code with a `rebuild_alibi_tensor` method whose `device` defaults to None.
Repair: the method is wrapped so that device=None means the CPU, where transformers 4 built it; the model's own
forward moves it to the input's device on first use, as it always did. After loading, any tensor attribute still
on the meta device makes the load fail with one line (its values would be undefined).
"""

from __future__ import annotations

import functools
import inspect
import sys

import torch

from ...errors import ModelError
from . import RepairLog, is_foreign

VERSIONS = "transformers >= 5.0"
BUILDERS = ("rebuild_alibi_tensor",)


def apply(cls: type, log: RepairLog) -> None:
    module = sys.modules.get(cls.__module__)
    if module is None or not is_foreign(cls):
        return
    for owner in [c for c in vars(module).values() if isinstance(c, type) and c.__module__ == module.__name__]:
        for name in BUILDERS:
            method = owner.__dict__.get(name)
            if method is None:
                continue
            owner_name = f"{owner.__name__}.{name}"
            message = (f"{owner_name}(device=None) would build its tensor on the meta device: builds it on the CPU "
                       "(moved to the input's device by the model's own forward)")
            if getattr(method, "_dnalens_repaired", False):  # repaired by an earlier load in this process
                log.add("meta-device", message, VERSIONS)
                continue
            parameter = inspect.signature(method).parameters.get("device")
            if parameter is None or parameter.default is not None:
                continue

            signature = inspect.signature(method)

            @functools.wraps(method)
            def on_cpu(*args, _method=method, _signature=signature, **kwargs):
                bound = _signature.bind(*args, **kwargs)
                if bound.arguments.get("device") is None:
                    bound.arguments["device"] = torch.device("cpu")
                return _method(*bound.args, **bound.kwargs)

            on_cpu._dnalens_repaired = True
            setattr(owner, name, on_cpu)
            log.add("meta-device", message, VERSIONS)


def refuse_meta_tensors(model: torch.nn.Module) -> None:
    """Parameters, buffers or plain tensor attributes left on the meta device have no values: refuse the model."""
    for name, module in model.named_modules():
        tensors = list(module.named_parameters(recurse=False)) + list(module.named_buffers(recurse=False))
        tensors += [(key, value) for key, value in vars(module).items() if isinstance(value, torch.Tensor)]
        for key, tensor in tensors:
            if tensor.is_meta:
                where = f"{name}.{key}" if name else key
                raise ModelError(f"the model's code leaves '{where}' on the meta device (no values) under this "
                                 "transformers, and DNALens has no repair for it")
