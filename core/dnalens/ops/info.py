"""The info operation: what a model is, what DNALens can do with it, and what was repaired to load it."""

from __future__ import annotations

import sys

from ..compute.scoring import CAUSAL_LIKELIHOOD, MASKED_KMER, MASKED_TOKEN, PSEUDO_LIKELIHOOD, site_method
from ..model import BASE, CAUSAL, LanguageModel
from ..model.forward import LAST_ONLY
from ..model.repairs import is_foreign

METHODS = {
    MASKED_TOKEN: "exact: the site's token is masked and the softmax over the A, C, G, T tokens is read "
                  "(one token per base)",
    MASKED_KMER: "exact: the k-mer holding the site is masked and the four k-mers that differ only at the site "
                 "are read",
    PSEUDO_LIKELIHOOD: "the four candidate sequences are scored by pseudo-log-likelihood (BPE tokens: no token is "
                       "one base), then normalised",
    CAUSAL_LIKELIHOOD: "the four candidate sequences are scored by their full causal log-likelihood, then "
                       "normalised",
}


def code_origin(model: LanguageModel) -> str:
    cls = type(model.model)
    module = cls.__module__ or ""
    if not is_foreign(cls):
        return "transformers"
    if module.startswith("transformers_modules."):
        return "the model folder's own code (--trust-remote-code)"
    return f"the installed {module.split('.')[0]} package"


def architecture(model: LanguageModel) -> str:
    """The network, in a few words, from what the loaded modules are."""
    names = {type(m).__name__ for m in model.model.modules()}
    modules = {type(m).__module__.split(".")[0] for m in model.model.modules()}
    if "mamba_ssm" in modules:
        bidirectional = any("BiMamba" in n or "RCPS" in n for n in names)
        return "bidirectional Mamba (state-space)" if bidirectional else "Mamba (state-space)"
    if any(n.startswith("Hyena") for n in names):
        return "Hyena (long convolutions)"
    if any("Conv" in n for n in names) and not any("Attention" in n for n in names):
        return "convolutional"
    if hasattr(getattr(model.model.base_model, "encoder", None), "alibi"):
        return "transformer with ALiBi positions"
    return "transformer"


def n_handling(model: LanguageModel) -> str:
    tokenizer = model.tokenizer
    ids = tokenizer("N", add_special_tokens=False)["input_ids"]
    tokens = tokenizer.convert_ids_to_tokens(ids)
    if tokenizer.unk_token_id is not None and ids == [tokenizer.unk_token_id]:
        what = f"the unknown token {tokenizer.unk_token}"
    else:
        what = (f"the token '{tokens[0]}'" if len(tokens) == 1 else "the tokens " + " ".join(tokens))
    return f"N is read as {what}; IUPAC ambiguity codes (R, Y, …) are turned into N first"


def capabilities(model: LanguageModel) -> dict:
    from .variant_scoring import llr_method, supported_scores

    layers = f"0 (token embeddings) to {model.num_layers}"
    if model.layer_reader is not None:
        if model.layer_reader.mode == LAST_ONLY:
            layers = f"{model.num_layers} (last) only: the model gives no per-layer states"
        else:
            layers += f", each exact ({model.layer_reader.mode})"
    scores = supported_scores(model)
    per_base = None
    if model.family != BASE:
        method = site_method(model)
        per_base = {"method": method, "how": METHODS[method]}
    return {
        "family": f"{model.family}, {architecture(model)}",
        "code": code_origin(model),
        "embeddings": True,
        "layers": layers,
        "per_base_probabilities": per_base,
        "variant_scores": scores,
        "llr": llr_method(model) if "llr" in scores else None,
        "padding": ("ignored through the attention mask" if model.pads_safely else
                    "would change its results (no attention mask, or one it does not honour): every batch holds "
                    "sequences of one length, so a sequence's result never depends on its batch"),
        "n": n_handling(model),
        "lowercase": "upper-cased by DNALens before tokenizing (soft-masked bases are real sequence), so case never "
                     "changes a result",
        "causal_tokens": _causal_tokens(model) if model.family == CAUSAL else None,
        "repairs": model.repairs.describe(),
    }


def _causal_tokens(model: LanguageModel) -> str:
    ids = model.encode(["A"])[0]
    special = set(model.tokenizer.all_special_ids)
    first, last = ids[0] in special, ids[-1] in special
    parts = [("starts with " + model.tokenizer.convert_ids_to_tokens([ids[0]])[0] + ", so the first base's "
              "probability counts") if first else "no start token, so the first token's own probability is not "
             "part of a sequence's likelihood"]
    if last:
        parts.append("ends with " + model.tokenizer.convert_ids_to_tokens([ids[-1]])[0] + " as in training, and "
                     "its probability counts in both alleles of a variant")
    return "the tokenizer's own framing is kept: " + "; ".join(parts)


def describe(model: LanguageModel) -> dict:
    from ..device import detect

    return {**model.describe(), "capabilities": capabilities(model), "devices": detect(),
            "python": sys.version.split()[0]}
