"""One interface over DNA language-model families: masked, causal, and base models without an LM head."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import socket
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import torch

from ..device import pick_device, pick_dtype
from ..errors import ModelError
from ..provenance import weights_sha256
from .nucleotide_encoder import NucleotideEncoder, tokenize
from .source import ModelSource, require_safe_weights, resolve_source
from .tokens import KMER, NUCLEOTIDE, TokenizerKind, detect_kind

MASKED, CAUSAL, BASE = "masked", "causal", "base"
_CAUSAL_MODEL_TYPES = {"mistral", "mixtral", "llama", "gpt2", "gpt_neox", "qwen2", "qwen3", "phi", "gemma",
                       "falcon", "opt", "bloom", "mamba", "caduceus", "hyena"}
# RoBERTa-style position ids start after the padding index, so two positions are never usable.
_POSITION_OFFSET_TYPES = {"roberta", "xlm-roberta", "camembert", "esm"}
_UNBOUNDED = 1_000_000


@dataclass
class LanguageModel:
    source: ModelSource
    path: Path | None
    model: torch.nn.Module
    tokenizer: object
    family: str  # masked | causal | base
    causal_architecture: bool
    tokens: TokenizerKind
    max_tokens: int
    special_tokens_per_sequence: int
    device: torch.device
    dtype: torch.dtype
    _sha256: str | None = field(default=None, repr=False)
    _fast_encoder: NucleotideEncoder | bool | None = field(default=None, repr=False)

    # ---- what the model is -------------------------------------------------------------------------
    @property
    def id(self) -> str:
        return self.source.id

    @property
    def num_layers(self) -> int:
        return int(self.model.config.num_hidden_layers)

    @property
    def hidden_size(self) -> int:
        return int(self.model.config.hidden_size)

    @property
    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.model.parameters())

    @property
    def max_bp(self) -> int:
        """Longest sequence, in bases, that fits in one pass (for BPE a safe lower bound: ≥ 1 base per token)."""
        usable = self.max_tokens - self.special_tokens_per_sequence
        return usable * self.tokens.k if self.tokens.kind == KMER else usable

    @property
    def weights_sha256(self) -> str:
        if self._sha256 is None:
            self._sha256 = weights_sha256(self.path) if self.path else ""
        return self._sha256

    @property
    def pad_id(self) -> int:
        pad = self.tokenizer.pad_token_id
        if pad is None:
            pad = self.tokenizer.eos_token_id if self.tokenizer.eos_token_id is not None else 0
        return int(pad)

    @property
    def mask_id(self) -> int | None:
        return self.tokenizer.mask_token_id

    def base_token_ids(self) -> dict[str, int]:
        """Token ids of A, C, G, T for one-nucleotide-per-token models."""
        vocab = self.tokenizer.get_vocab()
        return {base: vocab[base] for base in "ACGT"}

    def describe(self) -> dict:
        return {
            "id": self.id,
            "path": str(self.path) if self.path else None,
            "family": self.family,
            "architecture": (self.model.config.architectures or [type(self.model).__name__])[0],
            "model_type": self.model.config.model_type,
            "tokenizer": self.tokens.describe(),
            "max_tokens": self.max_tokens,
            "max_bp": self.max_bp,
            "layers": self.num_layers,
            "hidden_size": self.hidden_size,
            "parameters": self.parameter_count,
            "weights_sha256": self.weights_sha256,
            "device": str(self.device),
            "dtype": str(self.dtype).replace("torch.", ""),
        }

    def require_lm_head(self, what: str) -> None:
        if self.family == BASE:
            kind = "causal " if self.causal_architecture else ""
            raise ModelError(f"{what} needs a language-model head, and model '{self.id}' is a {kind}base model "
                             "without one (it gives embeddings only)")

    def move_to(self, device: str | torch.device) -> None:
        """Move the model (fp32 on the CPU, where bf16 is slow) — the runner's fallback after GPU OOM."""
        device = torch.device(device)
        dtype = torch.float32 if device.type == "cpu" else self.dtype
        self.model.to(device=device, dtype=dtype)
        self.device, self.dtype = device, dtype

    # ---- running it -------------------------------------------------------------------------------
    def encode(self, sequences: list[str]) -> list[list[int]]:
        """Token ids with the model's special tokens; no truncation (callers window long sequences)."""
        if self._fast_encoder is None:  # built on first use: a table for one-nucleotide tokenizers, else False
            fast = NucleotideEncoder.for_tokenizer(self.tokenizer) if self.tokens.kind == NUCLEOTIDE else None
            self._fast_encoder = fast or False
        if self._fast_encoder:
            ids = self._fast_encoder.encode(sequences)
            if ids is not None:
                return ids
        return tokenize(self.tokenizer, sequences)

    def hidden_states(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Embedding output then one tensor per layer, each (batch, tokens, hidden). Never logits."""
        body = self.model.base_model if self.family != BASE else self.model
        output = body(input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True)
        return output.hidden_states

    def logits(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        self.require_lm_head("scoring")
        return self.model(input_ids=input_ids, attention_mask=attention_mask).logits

    def hidden_states_and_logits(self, input_ids: torch.Tensor,
                                 attention_mask: torch.Tensor) -> tuple[tuple[torch.Tensor, ...], torch.Tensor]:
        """Both from one forward pass (the head's input is the last hidden state anyway)."""
        self.require_lm_head("scoring")
        output = self.model(input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True)
        return output.hidden_states, output.logits


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
        hf_logging.set_verbosity(previous)


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
               trust_remote_code: bool = False, allow_pickle: bool = False) -> LanguageModel:
    """Load `spec` (None/'default', a folder, or a hub id) ready for inference."""
    from transformers import AutoConfig, AutoModel, AutoModelForCausalLM, AutoModelForMaskedLM, AutoTokenizer

    source = resolve_source(spec)
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
    try:
        with _quiet_transformers():
            config = AutoConfig.from_pretrained(source.location, **options)
            family, causal_architecture = _family(config)
            loader = {MASKED: AutoModelForMaskedLM, CAUSAL: AutoModelForCausalLM, BASE: AutoModel}[family]
            tokenizer = AutoTokenizer.from_pretrained(source.location, **options)
            model = loader.from_pretrained(source.location, config=config, dtype=torch_dtype,
                                           use_safetensors=None if allow_pickle else True, **options)
    except ModelError:
        raise
    except Exception as error:  # any failure to load is the model's problem, explained in one line
        raise ModelError(_explain_load_failure(source, error)) from None
    model.to(torch_device).eval()
    _prefer_looped_experts_on_cpu(model, torch_device)
    tokens = detect_kind(tokenizer)
    path = Path(source.location) if source.is_local else _cached_folder(source.location)
    return LanguageModel(source, path, model, tokenizer, family, causal_architecture, tokens,
                         _max_tokens(config, tokenizer), tokenizer.num_special_tokens_to_add(False),
                         torch_device, torch_dtype)


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


def _explain_load_failure(source: ModelSource, error: Exception) -> str:
    first_line = (str(error).strip().splitlines() or [type(error).__name__])[0][:300]
    if "trust_remote_code" in str(error):
        return (f"model '{source.id}' needs custom code from its authors; pass --trust-remote-code only if you "
                "trust that source")
    if not source.is_local:
        return (f"model '{source.id}' could not be loaded from the hub or the local cache (offline?): download it "
                f"where you are online and pass its folder with --model /path/to/folder ({first_line})")
    if "safetensors" in str(error).lower() or "header" in str(error).lower():
        return f"model folder {source.location}: the weights file is corrupt or unreadable ({first_line})"
    return f"model '{source.id}' could not be loaded: {first_line}"
