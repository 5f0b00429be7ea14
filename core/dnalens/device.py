"""Which devices this machine has, and which device and dtype a run uses."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import DNALensError


@dataclass(frozen=True)
class GpuInfo:
    index: int
    name: str
    memory_gib: float
    compute_capability: str
    bf16: bool


def galaxy_forbids_gpu() -> bool:
    """Galaxy sets GALAXY_GPU_ENABLED=true only for jobs that were given a GPU."""
    value = os.environ.get("GALAXY_GPU_ENABLED")
    return value is not None and value.lower() != "true"


def detect() -> dict:
    """CUDA GPUs (name, memory, compute capability), Apple MPS, and CPU threads."""
    import torch

    gpus: list[GpuInfo] = []
    if torch.cuda.is_available():
        for index in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(index)
            gpus.append(GpuInfo(index, props.name, round(props.total_memory / 2**30, 1),
                                f"{props.major}.{props.minor}", props.major >= 8))
    mps = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
    return {
        "cuda": [gpu.__dict__ for gpu in gpus],
        "mps": mps,
        "cpu_threads": torch.get_num_threads(),
        "galaxy_gpu_disabled": galaxy_forbids_gpu(),
    }


def pick_device(requested: str = "auto"):
    """auto: CUDA, then MPS, then CPU. An explicit device that is absent is an error, not a silent fallback."""
    import torch

    requested = (requested or "auto").lower()
    if requested == "auto":
        if torch.cuda.is_available() and not galaxy_forbids_gpu():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if requested == "cpu":
        return torch.device("cpu")
    if requested.startswith("cuda"):
        if not torch.cuda.is_available():
            raise DNALensError(f"--device {requested}: no CUDA GPU is available here; use --device cpu or auto")
        device = torch.device(requested)
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise DNALensError(f"--device {requested}: only {torch.cuda.device_count()} CUDA device(s) visible")
        return device
    if requested == "mps":
        if not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
            raise DNALensError("--device mps: Apple MPS is not available here; use --device cpu or auto")
        return torch.device("mps")
    raise DNALensError(f"--device {requested}: expected auto, cpu, cuda, cuda:N or mps")


def pick_dtype(requested: str, device):
    """auto: bf16 on GPUs that support it, fp32 elsewhere. On the CPU, bf16 is an opt-in: about 2x faster
    where the CPU has AVX512-BF16 or AMX (docs/PERFORMANCE.md), slower than fp32 on CPUs without them, and
    the numbers then differ slightly from fp32, so the default stays exact and the same on every machine."""
    import torch

    choices = {"float32": torch.float32, "fp32": torch.float32, "bfloat16": torch.bfloat16,
               "bf16": torch.bfloat16, "float16": torch.float16, "fp16": torch.float16}
    requested = (requested or "auto").lower()
    if requested == "auto":
        if device.type == "cuda" and torch.cuda.is_bf16_supported():
            return torch.bfloat16
        return torch.float32
    if requested not in choices:
        raise DNALensError(f"--dtype {requested}: expected auto, float32, bfloat16 or float16")
    return choices[requested]


def cpu_has_native_bf16() -> bool | None:
    """AVX512-BF16 or AMX (x86), or BF16 (Arm): without them bf16 is emulated on the CPU and slower than fp32.
    None where the CPU cannot be inspected (no /proc/cpuinfo)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    return bool(re.search(r"\b(avx512_bf16|amx_bf16|bf16)\b", flags))


def emulated_bf16_warning(device, dtype) -> str | None:
    """A warning for bf16 on a CPU known to lack bf16 units, where the opt-in fast path is a slow path."""
    import torch

    if device.type == "cpu" and dtype == torch.bfloat16 and cpu_has_native_bf16() is False:
        return "bfloat16 is emulated on this CPU (no AVX512-BF16, AMX or Arm BF16): expect it slower than float32"
    return None
