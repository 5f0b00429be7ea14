"""Off CUDA, the Mamba kernels a model's modules call, routed to mamba_ssm's own pure-PyTorch references
(see mamba_cpu.py). Module globals are swapped, and swapped back when the model moves to a GPU.

- `selective_scan_fn` → `mamba_ssm.ops.selective_scan_interface.selective_scan_ref` (same signature);
- `layer_norm_fn` / `rms_norm_fn` (fused add + norm, Triton) → `layer_norm_ref` / `rms_norm_ref`, computed in
  float32 as the kernel does, returning the residual in the dtype the kernel would;
- `causal_conv1d_fn` → None, so `Mamba.forward` takes its own PyTorch convolution path (the fused fast path
  needs CUDA).
"""

from __future__ import annotations

import sys

import torch

_ORIGINALS = "_dnalens_mamba_originals"


def fused_add_norm(x, weight, bias, residual=None, x1=None, weight1=None, bias1=None, eps=1e-6, dropout_p=0.0,
                   rowscale=None, prenorm=False, residual_in_fp32=False, is_rms_norm=False,
                   return_dropout_mask=False):
    """mamba_ssm's `layer_norm_fn` semantics (add the residual, then LayerNorm or RMSNorm) through its references."""
    from mamba_ssm.ops.triton import layer_norm as reference

    if return_dropout_mask:
        raise NotImplementedError("dropout masks are for training; DNALens only runs inference")
    residual_dtype = residual.dtype if residual is not None else (torch.float32 if residual_in_fp32 else x.dtype)
    norm = reference.rms_norm_ref if is_rms_norm else reference.layer_norm_ref
    result = norm(x, weight, bias, residual=residual, x1=x1, weight1=weight1, bias1=bias1, eps=eps,
                  dropout_p=dropout_p, rowscale=rowscale, prenorm=prenorm, upcast=True)
    if not prenorm:
        return result
    *outputs, summed = result
    return (*outputs, summed.to(residual_dtype))


def rms_norm(x, weight, bias, residual=None, x1=None, weight1=None, bias1=None, eps=1e-6, dropout_p=0.0,
             rowscale=None, prenorm=False, residual_in_fp32=False, return_dropout_mask=False):
    return fused_add_norm(x, weight, bias, residual, x1, weight1, bias1, eps, dropout_p, rowscale, prenorm,
                          residual_in_fp32, True, return_dropout_mask)


def _replacements() -> dict:
    from mamba_ssm.ops.selective_scan_interface import selective_scan_ref

    return {"selective_scan_fn": selective_scan_ref, "layer_norm_fn": fused_add_norm, "rms_norm_fn": rms_norm,
            "causal_conv1d_fn": None}


def route(modules: list, on_cuda: bool = False) -> list[str]:
    """Swap the kernels in `modules` (and in mamba_ssm's layer_norm module, which RMSNorm.forward reads) for
    the references; `on_cuda`: put the originals back. Returns the names swapped."""
    extra = sys.modules.get("mamba_ssm.ops.triton.layer_norm")
    targets = list(modules) + ([extra] if extra is not None and extra not in modules else [])
    replacements = _replacements()
    swapped = set()
    for module in targets:
        saved = module.__dict__.setdefault(_ORIGINALS, {})
        for name, replacement in replacements.items():
            if name not in module.__dict__ and name not in saved:
                continue
            if on_cuda:
                if name in saved:
                    setattr(module, name, saved[name])
                continue
            if name not in saved:
                saved[name] = module.__dict__[name]
            if saved[name] is not None or name == "causal_conv1d_fn":
                setattr(module, name, replacement)
                if saved[name] is not None:
                    swapped.add(name)
    return sorted(swapped)
