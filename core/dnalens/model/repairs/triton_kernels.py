"""Triton kernels that model code calls whenever `triton` imports, whatever the device.

Breakage (any transformers version; the model's code): MosaicBERT (DNABERT-2) imports its Triton flash-attention
kernel when `triton` is importable and then uses it for every pass with no attention dropout; the kernel asserts
`q.is_cuda`, so on a CPU machine where triton happens to be installed every forward pass crashes. Without
triton the same code takes its PyTorch attention path.
Detected by: a module of the model's code holding a kernel from a Triton module (`flash_attn_qkvpacked_func`, …)
while the model is on a device other than CUDA.
Repair: that module's kernel is set to None while the model is off CUDA, so the model's own PyTorch path runs
(the same attention, in the model's dtype instead of fp16); it is restored when the model moves to a GPU.
"""

from __future__ import annotations

import sys

import torch

from . import RepairLog, model_modules

VERSIONS = "any (the model's own code)"
KERNELS = ("flash_attn_qkvpacked_func", "flash_attn_func")


def _from_triton_module(kernel) -> bool:
    """Defined in a module that imports triton (for `SomeFunction.apply`, the class's module)."""
    owner = getattr(kernel, "__self__", None)
    name = (owner if isinstance(owner, type) else kernel).__module__ or ""
    module = sys.modules.get(name)
    return "triton" in name or (module is not None and "triton" in vars(module))


def apply(model: torch.nn.Module, device: torch.device, log: RepairLog) -> None:
    for module in model_modules(model):
        saved = module.__dict__.setdefault("_dnalens_triton_kernels", {})
        for name in KERNELS:
            kernel = saved.get(name) or module.__dict__.get(name)
            if kernel is None or not _from_triton_module(kernel):
                continue
            saved[name] = kernel
            if device.type == "cuda":
                setattr(module, name, kernel)
            else:
                setattr(module, name, None)
                log.add("triton-on-cpu", f"{module.__name__.rsplit('.', 1)[-1]}.{name} is a CUDA-only Triton kernel: "
                        f"the model's own PyTorch attention runs on {device.type}", VERSIONS)
