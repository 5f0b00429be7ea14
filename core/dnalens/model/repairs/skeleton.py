"""The model as its own code builds it, without weights: what `weight-ties` and `buffers` compare against.

Parameters go to the meta device as they are registered (no memory, no initialisation cost); buffers and plain
tensors are computed on the CPU by the model's own `__init__`, exactly as transformers 4 left them before loading
the weights. A parameter registered under two names stays one object, so the ties written in `__init__` show.
"""

from __future__ import annotations

import contextlib
import logging

import torch


@contextlib.contextmanager
def _parameters_on_meta():
    register = torch.nn.Module.register_parameter
    moved: dict[int, tuple[torch.nn.Parameter, torch.nn.Parameter]] = {}

    def on_meta(module, name, param):
        if param is not None and not param.is_meta:
            if id(param) not in moved:  # the original is kept alive in `moved`, so ids are never reused
                moved[id(param)] = (param, torch.nn.Parameter(param.to("meta"), requires_grad=param.requires_grad))
            param = moved[id(param)][1]
        register(module, name, param)

    torch.nn.Module.register_parameter = on_meta
    try:
        yield
    finally:
        torch.nn.Module.register_parameter = register


def build(cls: type, config) -> torch.nn.Module | None:
    """`cls(config)` with meta parameters, or None where the model's code cannot be built that way."""
    try:
        with _parameters_on_meta(), torch.device("cpu"):
            return cls(config)
    except Exception as error:  # a model that cannot be built this way gets no skeleton-based checks
        logging.getLogger(__name__).debug("no skeleton for %s: %s", cls.__name__, error)
        return None


def shared_parameters(model: torch.nn.Module) -> list[list[str]]:
    """Groups of parameter names that are one object in `model`."""
    groups: dict[int, list[str]] = {}
    for name, param in model.named_parameters(remove_duplicate=False):
        groups.setdefault(id(param), []).append(name)
    return [names for names in groups.values() if len(names) > 1]
