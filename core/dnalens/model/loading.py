"""Loading a model: where it comes from (source.py), what transformers needs repaired (repairs/), building it,
and checking that it runs; the result is the facade in language_model.py."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import socket
import warnings
from pathlib import Path
from urllib.parse import urlparse

import torch

from ..device import pick_device, pick_dtype
from ..errors import ModelError
from . import repairs
from .language_model import BASE, CAUSAL, MASKED, LanguageModel
from .repairs.meta_device import refuse_meta_tensors
from .repairs.skeleton import build as build_skeleton
from .source import (
    ModelSource,
    refuse_missing_tensors,
    refuse_untrusted_code,
    require_safe_weights,
    resolve_source,
    trusted_at_install,
)
from .tokens import detect_kind

_CAUSAL_MODEL_TYPES = {"mistral", "mixtral", "llama", "gpt2", "gpt_neox", "qwen2", "qwen3", "phi", "gemma",
                       "falcon", "opt", "bloom", "mamba", "hyena", "hyenadna"}
# RoBERTa-style position ids start after the padding index, so two positions are never usable.
_POSITION_OFFSET_TYPES = {"roberta", "xlm-roberta", "camembert", "esm"}
_UNBOUNDED = 1_000_000


@contextlib.contextmanager
def _quiet_transformers():
    """transformers prints load reports, progress bars and warnings that mean nothing to our users."""
    from transformers.utils import logging as hf_logging

    previous = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    logging.getLogger("transformers").setLevel(logging.ERROR)
    logging.getLogger("huggingface_hub").setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        # Never below ERROR afterwards either: model code written for older transformers triggers deprecation
        # notices on every forward pass (`use_return_dict`), which say nothing to a DNALens user.
        hf_logging.set_verbosity(max(previous, hf_logging.ERROR))


def _family(config) -> tuple[str, bool]:
    architectures = config.architectures or []
    causal_architecture = bool(getattr(config, "is_decoder", False)) or config.model_type in _CAUSAL_MODEL_TYPES
    if any(a.endswith("ForMaskedLM") for a in architectures):
        return MASKED, False
    if any(a.endswith(("ForCausalLM", "LMHeadModel")) for a in architectures):
        return CAUSAL, True
    return BASE, causal_architecture


def _max_tokens(config, tokenizer) -> int:
    limits = []
    if 0 < (tokenizer.model_max_length or 0) < _UNBOUNDED:
        limits.append(int(tokenizer.model_max_length))
    positions = getattr(config, "max_position_embeddings", None)
    if positions:
        absolute = getattr(config, "position_embedding_type", "absolute") == "absolute"
        offset = 2 if config.model_type in _POSITION_OFFSET_TYPES and absolute else 0
        limits.append(int(positions) - offset)
    return min(limits) if limits else 512


def load_model(spec: str | None = None, *, device: str = "auto", dtype: str = "auto",
               trust_remote_code: bool = False, allow_pickle: bool = False,
               trust_installed_code: bool = False) -> LanguageModel:
    """Load `spec` (None/'default', a folder, or a hub id) ready for inference.

    trust_installed_code (Galaxy): run the model's own code only where an administrator trusted it when
    installing the model (source.trusted_at_install); the user cannot switch that on."""
    from transformers import AutoConfig, AutoModel, AutoModelForCausalLM, AutoModelForMaskedLM, AutoTokenizer

    source = resolve_source(spec)
    if trust_installed_code and not trust_remote_code:
        trust_remote_code = source.is_local and trusted_at_install(Path(source.location))
    torch_device = pick_device(device)
    torch_dtype = pick_dtype(dtype, torch_device)
    options = {"trust_remote_code": trust_remote_code}
    if source.is_local:
        require_safe_weights(Path(source.location), allow_pickle)
        options["local_files_only"] = True
    else:
        cached = _in_hub_cache(source.location, trust_remote_code)
        if not cached and not hub_reachable():
            raise ModelError(f"model '{source.id}' is not in the local Hugging Face cache and the hub cannot be "
                             "reached (offline?): download it where you are online and pass its folder with "
                             "--model /path/to/folder")
        options["local_files_only"] = cached
    log = repairs.RepairLog()
    folder = Path(source.location) if source.is_local else None
    try:
        with _quiet_transformers():
            repairs.before_config(folder or _cached_folder(source.location), log)
            config = AutoConfig.from_pretrained(source.location, **options)
            refuse_untrusted_code(config, source, trust_remote_code)
            family, causal_architecture = _family(config)
            loader = {MASKED: AutoModelForMaskedLM, CAUSAL: AutoModelForCausalLM, BASE: AutoModel}[family]
            tokenizer = AutoTokenizer.from_pretrained(source.location, **options)
            model = _load_weights(loader, config, source, options, torch_dtype, allow_pickle, log)
    except ModelError:
        raise
    except Exception as error:  # any failure to load is the model's problem, explained in one line
        raise ModelError(_explain_load_failure(source, error)) from None
    model.to(torch_device).eval()
    repairs.on_device(model, torch_device, log)
    _prefer_looped_experts_on_cpu(model, torch_device)
    tokens = detect_kind(tokenizer)
    path = Path(source.location) if source.is_local else _cached_folder(source.location)
    language_model = LanguageModel(source, path, model, tokenizer, family, causal_architecture, tokens,
                                   _max_tokens(config, tokenizer), tokenizer.num_special_tokens_to_add(False),
                                   torch_device, torch_dtype, log)
    try:
        language_model.inspect()
    except ModelError:
        raise
    except Exception as error:  # the model loads but cannot run one short sequence
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0][:300]
        raise ModelError(f"model '{source.id}' loads but fails on a short test sequence: {first_line}") from None
    return language_model


def _model_class(loader, config, source: ModelSource, options: dict) -> type | None:
    """The class `loader` would build (the model's own code where it ships some), or None to let it decide."""
    auto_map = getattr(config, "auto_map", None) or {}
    reference = auto_map.get(loader.__name__)
    if reference is not None:
        if not options.get("trust_remote_code"):
            return None  # from_pretrained explains that the code must be trusted
        from transformers.dynamic_module_utils import get_class_from_dynamic_module

        reference = reference[0] if isinstance(reference, (list, tuple)) else reference
        return get_class_from_dynamic_module(reference, source.location,
                                             local_files_only=options.get("local_files_only", False))
    try:
        return loader._model_mapping[type(config)]
    except (KeyError, AttributeError):
        return None


def _load_weights(loader, config, source: ModelSource, options: dict, dtype: torch.dtype, allow_pickle: bool,
                  log: repairs.RepairLog) -> torch.nn.Module:
    """Build the model and load its weights, repairing what code written for other transformers versions breaks
    (repairs/ says what and why); the weights of a head that would stay random are refused, never used."""
    folder = Path(source.location) if source.is_local else None
    repairs.before_import(folder, log)
    try:
        cls = _model_class(loader, config, source, options)
    except ImportError:
        if folder is not None:
            raise
        repairs.before_import(_cached_folder(source.location), log)  # the code is downloaded now: look at it
        cls = _model_class(loader, config, source, options)
    skeleton = None
    if cls is not None and repairs.is_foreign(cls):
        repairs.before_build(cls, config, log)
        skeleton = build_skeleton(cls, config)
        options = {k: v for k, v in options.items() if k != "trust_remote_code"}
    model, info = (cls or loader).from_pretrained(source.location, config=config, dtype=dtype,
                                                  use_safetensors=None if allow_pickle else True,
                                                  output_loading_info=True, **options)
    missing = set(info.get("missing_keys") or ())
    repairs.after_load(model, skeleton, missing, log)
    refuse_missing_tensors(missing, source)
    refuse_meta_tensors(model)
    return model


def _prefer_looped_experts_on_cpu(model, device: torch.device) -> None:
    """Mixture-of-experts models default to `grouped_mm`, which on the CPU is an emulation: the per-expert
    loop ('eager') gives the same numbers 10-20 % faster there (docs/PERFORMANCE.md)."""
    if device.type == "cpu" and getattr(model.config, "_experts_implementation", None) == "grouped_mm":
        with contextlib.suppress(ValueError, RuntimeError):  # a model that refuses keeps its own choice
            model.set_experts_implementation("eager")


def _in_hub_cache(hub_id: str, trust_remote_code: bool) -> bool:
    from transformers import AutoConfig

    try:
        with _quiet_transformers():
            AutoConfig.from_pretrained(hub_id, local_files_only=True, trust_remote_code=trust_remote_code)
        return True
    except Exception:
        return False


def hub_reachable(timeout: float = 3.0) -> bool:
    """A quick TCP check, so an offline machine gets its answer at once instead of after minutes of retries."""
    if os.environ.get("HF_HUB_OFFLINE", "0").lower() in {"1", "true", "yes"}:
        return False
    endpoint = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    try:
        socket.create_connection((endpoint.hostname, endpoint.port or 443), timeout=timeout).close()
        return True
    except OSError:
        return False


def _cached_folder(hub_id: str) -> Path | None:
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(hub_id, local_files_only=True))
    except Exception:
        return None


def _missing_package(error: Exception) -> str | None:
    """The Python package a model's code needs and this environment lacks, if that is why loading failed."""
    if isinstance(error, ModuleNotFoundError) and error.name:
        return error.name.split(".")[0]
    found = re.search(r"requires the following packages that were not found in your environment: ([\w.\-, ]+)",
                      str(error))
    return found.group(1).strip().rstrip(".") if found else None


def _explain_load_failure(source: ModelSource, error: Exception) -> str:
    first_line = (str(error).strip().splitlines() or [type(error).__name__])[0][:300]
    package = _missing_package(error)
    if package:
        hint = {"einops": "pip install einops (or pip install 'dnalens[families]')",
                "flash_attn": "it is CUDA-only (flash attention), so this model cannot run on this machine"}
        return (f"model '{source.id}': its code needs the Python package '{package}', which is not installed: "
                + hint.get(package, f"pip install {package}"))
    if "trust_remote_code" in str(error):
        return (f"model '{source.id}' needs custom code from its authors; pass --trust-remote-code only if you "
                "trust that source (in Galaxy: an administrator must install it choosing to trust its code)")
    if not source.is_local:
        return (f"model '{source.id}' could not be loaded from the hub or the local cache (offline?): download it "
                f"where you are online and pass its folder with --model /path/to/folder ({first_line})")
    if "safetensors" in str(error).lower() or "header" in str(error).lower():
        return f"model folder {source.location}: the weights file is corrupt or unreadable ({first_line})"
    return f"model '{source.id}' could not be loaded: {first_line}"
