"""Load-time repairs for model code written for other versions of transformers, applied in memory only.

The model folder is never changed and DNALens ships none of the models' code: each repair is a small unit in this
package that (1) says which transformers versions the breakage belongs to, (2) detects the breakage itself (an
attribute, a helper or a tie that is missing, a buffer that holds garbage, a kernel that cannot run on this
device), never a folder or model name, and (3) records what it did, so `dnalens info` can show it.

The loader calls the stages in order:
- `before_config(folder)`: model types that an installed package registers (GPN), missing packages;
- `before_import(folder)`: helpers that the model's code imports but this transformers no longer has, and
  CUDA-only packages that it cannot run without (refused in one line);
- `before_build(cls, config)`: class-level fixes needed to construct the model (config attributes, methods);
- `after_load(model, skeleton, missing)`: weights, ties and buffers as the model's own code meant them;
- `on_device(model)`: kernels that cannot run on the model's current device (again after every move).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

import torch


@dataclass(frozen=True)
class Repair:
    name: str  # short, stable id: "config-defaults", "weight-ties", …
    detail: str  # what was found and what was done, for a person
    versions: str  # which transformers versions have the breakage, e.g. "transformers >= 5.0"

    def describe(self) -> str:
        return f"{self.name} ({self.versions}): {self.detail}"


@dataclass
class RepairLog:
    applied: list[Repair] = field(default_factory=list)

    def add(self, name: str, detail: str, versions: str) -> None:
        repair = Repair(name, detail, versions)
        if repair not in self.applied:
            self.applied.append(repair)

    def describe(self) -> list[str]:
        return [repair.describe() for repair in self.applied]


def is_foreign(obj) -> bool:
    """True for classes (or instances) whose code is not transformers' own: remote code or another package.
    transformers initialises, ties and places its own models correctly; only foreign code needs repairs."""
    module = (obj if isinstance(obj, type) else type(obj)).__module__ or ""
    return not module.startswith(("transformers.", "torch."))


def model_modules(model: torch.nn.Module) -> list:
    """The Python modules that define the classes of `model`'s foreign submodules (each once)."""
    seen = {}
    for module in model.modules():
        name = type(module).__module__
        if is_foreign(module) and name in sys.modules:
            seen.setdefault(name, sys.modules[name])
    return list(seen.values())


def before_config(folder, log: RepairLog) -> None:
    from . import package_families

    package_families.register(folder, log)


def before_import(folder, log: RepairLog) -> None:
    from . import cuda_only, mamba_cpu, removed_helpers

    cuda_only.refuse(folder)
    removed_helpers.provide(folder, log)
    mamba_cpu.prepare(folder, log)


def before_build(cls: type, config, log: RepairLog) -> None:
    from . import config_defaults, meta_device, removed_helpers, tie_weights_signature

    config_defaults.apply(cls, config, log)
    removed_helpers.add_methods(cls, log)
    meta_device.apply(cls, log)
    tie_weights_signature.apply(cls, log)


def after_load(model: torch.nn.Module, skeleton: torch.nn.Module | None, missing: set[str], log: RepairLog) -> None:
    from . import buffers, weight_ties

    weight_ties.apply(model, skeleton, missing, log)
    buffers.apply(model, skeleton, log)
    weight_ties.refuse_random_head(model, missing)


def on_device(model: torch.nn.Module, device: torch.device, log: RepairLog) -> None:
    from . import mamba_cpu, triton_kernels

    triton_kernels.apply(model, device, log)
    mamba_cpu.apply(model, device, log)
