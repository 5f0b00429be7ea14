"""Mamba models (Caduceus) without CUDA: mamba_ssm's own pure-PyTorch reference operations.

Breakage (any transformers version; mamba_ssm): Caduceus's code imports `mamba_ssm`, whose selective scan,
fused add+norm and RMSNorm are CUDA/Triton kernels. On a machine without CUDA, mamba_ssm installs only without
its compiled extension (MAMBA_SKIP_CUDA_BUILD=TRUE), and then does not import (`import selective_scan_cuda`
fails), and its Triton kernels cannot run on a CPU.
Detected by: the model folder's code importing mamba_ssm; the compiled extension missing; the model on a device
other than CUDA.
Repair: a stand-in for the missing compiled extension that refuses every call (nothing may reach it), and, off
CUDA, the kernels routed to the reference implementations that mamba_ssm itself ships and tests its kernels
against (`selective_scan_ref`, `layer_norm_ref`, `rms_norm_ref`): the same mathematics, in plain PyTorch.
Where mamba_ssm (or triton, which it imports) is missing, one line says what to install and why.
"""

from __future__ import annotations

import importlib
import re
import sys
import types
from pathlib import Path

import torch

from ...errors import ModelError
from . import RepairLog, model_modules

VERSIONS = "any (mamba_ssm 2.x without CUDA)"
STAND_IN = ("mamba_ssm is installed without its compiled CUDA extension: a stand-in that refuses every call lets it "
            "import")
CPU_INSTALL = ("on a machine without CUDA install it without its CUDA kernels: MAMBA_SKIP_CUDA_BUILD=TRUE "
               "MAMBA_FORCE_BUILD=TRUE pip install --no-build-isolation mamba-ssm triton (DNALens then runs "
               "mamba_ssm's pure-PyTorch reference operations on the CPU); with CUDA: pip install mamba-ssm")


def _uses_mamba(folder: Path | None) -> bool:
    if folder is None or not Path(folder).is_dir():
        return False
    pattern = re.compile(r"^\s*(from|import)\s+mamba_ssm\b", re.MULTILINE)
    return any(pattern.search(p.read_text(errors="replace")) for p in Path(folder).glob("*.py"))


def _stand_in_extension() -> types.ModuleType:
    module = types.ModuleType("selective_scan_cuda")
    module.__doc__ = "DNALens stand-in for mamba_ssm's compiled CUDA extension: every call is refused."

    def refuse(*args, **kwargs):
        raise RuntimeError("mamba_ssm's CUDA extension is not installed; DNALens routes Mamba to reference ops")

    module.fwd = module.bwd = refuse
    module._dnalens_stand_in = True
    return module


def prepare(folder: Path | None, log: RepairLog) -> None:
    if not _uses_mamba(folder):
        return
    stand_in = sys.modules.get("selective_scan_cuda")
    if getattr(stand_in, "_dnalens_stand_in", False):  # put there by an earlier load in this process
        log.add("mamba-cpu", STAND_IN, VERSIONS)
    if "mamba_ssm.modules.mamba_simple" in sys.modules:
        return
    for attempt in range(2):
        try:
            importlib.import_module("mamba_ssm.modules.mamba_simple")
            return
        except ModuleNotFoundError as error:
            missing = (error.name or "").split(".")[0]
            if missing == "selective_scan_cuda" and attempt == 0:
                for name in [n for n in sys.modules if n == "mamba_ssm" or n.startswith("mamba_ssm.")]:
                    del sys.modules[name]
                sys.modules["selective_scan_cuda"] = _stand_in_extension()
                log.add("mamba-cpu", STAND_IN, VERSIONS)
                continue
            if missing == "mamba_ssm":
                raise ModelError("this model's code needs the mamba_ssm package, which is not installed: "
                                 + CPU_INSTALL) from None
            raise ModelError(f"this model's code needs mamba_ssm, which needs the Python package '{missing}' "
                             f"(not installed): pip install {missing}") from None
        except ImportError as error:
            raise ModelError(f"mamba_ssm does not import here ({str(error).splitlines()[0][:200]}): "
                             + CPU_INSTALL) from None


def apply(model: torch.nn.Module, device: torch.device, log: RepairLog) -> None:
    """Off CUDA, route the Mamba kernels that the model's modules call to mamba_ssm's reference functions
    (back to the kernels on CUDA)."""
    if "mamba_ssm.modules.mamba_simple" not in sys.modules:
        return
    if not any(type(m).__module__.startswith("mamba_ssm.") for m in model.modules()):
        return
    from . import mamba_reference

    routed = mamba_reference.route(model_modules(model), on_cuda=device.type == "cuda")
    if routed and device.type != "cuda":
        log.add("mamba-cpu", "Mamba kernels run as mamba_ssm's pure-PyTorch reference functions on "
                f"{device.type} ({', '.join(routed)})", VERSIONS)
