"""The model facade: one interface over DNA language-model families (masked, causal, and base models without
an LM head). Finding, repairing and building a model is loading.py's job."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..errors import ModelError
from ..provenance import weights_sha256
from . import repairs
from .forward import HOOKS, LAST_ONLY, NATIVE, LayerReader, Pass, configured_layers, find_layers, takes
from .nucleotide_encoder import NucleotideEncoder, tokenize
from .source import ModelSource
from .tokens import KMER, NUCLEOTIDE, TokenizerKind, dna_token_ids

MASKED, CAUSAL, BASE = "masked", "causal", "base"


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
    repairs: repairs.RepairLog = field(default_factory=repairs.RepairLog)
    # Set by `inspect()` when the model loads (forward.py says how each is decided).
    layer_reader: LayerReader | None = field(default=None, repr=False)
    pads_safely: bool = True  # False: padding changes its results, so batches hold one length only
    state_size: int | None = None
    _sha256: str | None = field(default=None, repr=False)
    _fast_encoder: NucleotideEncoder | bool | None = field(default=None, repr=False)
    _dna_ids: dict | None = field(default=None, repr=False)

    # ---- what the model is -------------------------------------------------------------------------
    @property
    def id(self) -> str:
        return self.source.id

    @property
    def num_layers(self) -> int:
        if self.layer_reader is not None:
            return self.layer_reader.count
        return int(configured_layers(self.model.config) or 1)

    @property
    def hidden_size(self) -> int:
        return int(self.state_size or getattr(self.model.config, "hidden_size", None) or self.model.config.d_model)

    @property
    def exact_layers(self) -> bool:
        """False where only the last layer's states can be read (any other --layer is refused)."""
        return self.layer_reader is None or self.layer_reader.mode != LAST_ONLY

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
        return {base: self.token_id(base) for base in "ACGT"}

    def token_id(self, dna: str) -> int:
        """The id of the vocabulary entry spelling these (upper-case) bases, in whatever case the vocabulary uses
        (GPN's is lower-case); -1 where there is none."""
        if self._dna_ids is None:
            self._dna_ids = dna_token_ids(self.tokenizer)
        return self._dna_ids.get(dna, -1)

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
            "repairs": self.repairs.describe(),
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
        repairs.on_device(self.model, device, self.repairs)

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

    @property
    def body(self) -> torch.nn.Module:
        """The model without its head: what hidden states come from."""
        return self.model.base_model if self.family != BASE else self.model

    def _inputs(self, module: torch.nn.Module, input_ids, attention_mask, extra: dict | None = None) -> dict:
        kwargs = {"input_ids": input_ids, **(extra or {})}
        if attention_mask is not None and takes(module, "attention_mask"):
            kwargs["attention_mask"] = attention_mask
        return kwargs

    def hidden_states(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Embedding output then one tensor per layer, each (batch, tokens, hidden). Never logits."""
        body = self.body
        _, states = self.layer_reader.run(body, self._inputs(body, input_ids, attention_mask), attention_mask, True)
        return states

    def logits(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        self.require_lm_head("scoring")
        return self.model(**self._inputs(self.model, input_ids, attention_mask)).logits

    def run(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, *, hidden_states: bool = False,
            **extra) -> Pass:
        """The whole model (with its head) on one batch: logits, the hidden states when asked, and the key/value
        cache where the model keeps one (`extra` goes to the model: past_key_values, position_ids, use_cache)."""
        output, states = self.layer_reader.run(self.model, self._inputs(self.model, input_ids, attention_mask, extra),
                                               attention_mask, hidden_states)
        return Pass(output.logits, states, getattr(output, "past_key_values", None))

    def inspect(self) -> None:
        """Decide, from what the model does, how to read its layers and whether padding is safe (forward.py)."""
        sample = self.encode(["ACGTTGCAAGCTTCGA"])[0]
        ids = torch.tensor([sample], device=self.device)
        ones = torch.ones_like(ids)
        body = self.body
        with torch.inference_mode():
            self.layer_reader = _choose_reader(body, self.model.config, self._inputs(body, ids, ones), ids.shape)
            _, states = self.layer_reader.run(body, self._inputs(body, ids, ones), ones, True)
            self.state_size = int(states[-1].shape[-1])
            # transformers' own classes honour their attention mask; other code is checked.
            self.pads_safely = takes(body, "attention_mask") and (
                not repairs.is_foreign(body) or self._padding_is_ignored(body, sample))

    def _padding_is_ignored(self, body: torch.nn.Module, sample: list[int]) -> bool:
        """Two fillers under the same mask: the real positions must not change (exactly, up to rounding)."""
        other = next((i for i in sample if i != self.pad_id), self.pad_id + 1)
        extra = 5
        mask = torch.tensor([[1] * len(sample) + [0] * extra], device=self.device)
        results = []
        for filler in (self.pad_id, other):
            ids = torch.tensor([sample + [filler] * extra], device=self.device)
            _, states = self.layer_reader.run(body, self._inputs(body, ids, mask), mask, True)
            results.append(states[-1][:, : len(sample)].float())
        scale = float(results[0].abs().max()) + 1e-6
        return bool((results[0] - results[1]).abs().max() <= 1e-4 * scale)


def _choose_reader(body: torch.nn.Module, config, inputs: dict, shape: torch.Size) -> LayerReader:
    count = configured_layers(config)
    try:
        states = getattr(body(**inputs, output_hidden_states=True), "hidden_states", None)
    except Exception:  # a model that refuses the argument: its layers are read with hooks
        states = None
    if (isinstance(states, (tuple, list)) and len(states) >= 2 and (count is None or len(states) == count + 1)
            and all(isinstance(t, torch.Tensor) and t.dim() == 3 and t.shape[:2] == shape for t in states)):
        return LayerReader(NATIVE, len(states) - 1)
    layers = find_layers(body, count)
    if layers:
        reader = LayerReader(HOOKS, len(layers), layers, body)
        try:
            _, hooked = reader.run(body, inputs, inputs.get("attention_mask"), True)
            if all(t.dim() == 3 and t.shape[:2] == shape for t in hooked):
                return reader
        except Exception:  # layers that do not behave as one list of blocks: last layer only
            pass
    return LayerReader(LAST_ONLY, count or 1, body=body)
