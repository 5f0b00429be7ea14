"""Weight ties that the model's code relies on and transformers 5 no longer makes.

Breakage (transformers >= 5.0, which ties only what a class declares in `_tied_weights_keys`):
- a tie written in `__init__` (DNABERT-2: `self.decoder.weight = embedding_weights`; GENA-LM:
  `self.decoder.bias = self.bias`) is broken when the weights are loaded, and the member missing from the
  checkpoint is filled with random values;
- the implicit tie of transformers 4 (`config.tie_word_embeddings`, true by default: the output embeddings
  *are* the input embeddings) is not made for classes that do not declare it (GENA-LM, DNABERT-2, Caduceus):
  a real checkpoint saved with tied weights stores the matrix once, so the LM head would be random.
Detected by: comparing the loaded model with its skeleton (parameters that are one object in the code's own
construction but two after loading), and, for the implicit tie, the configuration asking for it while the class
declares no tie and the two weights are different objects.
Repair: the member present in the checkpoint is shared again, as transformers 4 did. Any LM-head parameter still
missing from the checkpoint after that makes the load fail with one line: DNALens never uses random weights.
"""

from __future__ import annotations

import torch

from ...errors import ModelError
from . import RepairLog, is_foreign
from .skeleton import shared_parameters

VERSIONS = "transformers >= 5.0"


def _set(model: torch.nn.Module, name: str, param: torch.nn.Parameter) -> None:
    owner_name, _, attribute = name.rpartition(".")
    owner = model.get_submodule(owner_name) if owner_name else model
    setattr(owner, attribute, param)


def _declares_ties(model: torch.nn.Module) -> bool:
    return bool(getattr(type(model), "_tied_weights_keys", None) or getattr(model, "_tied_weights_keys", None))


def apply(model: torch.nn.Module, skeleton: torch.nn.Module | None, missing: set[str], log: RepairLog) -> None:
    if not is_foreign(model):
        return
    parameters = dict(model.named_parameters(remove_duplicate=False))
    retied = []
    if skeleton is not None:
        for group in shared_parameters(skeleton):
            if len({id(parameters[n]) for n in group if n in parameters}) < 2:
                continue  # still one object (or not in this model)
            loaded = [n for n in group if n in parameters and n not in missing]
            if not loaded:
                continue
            source = loaded[0]
            for name in group:
                if name != source and name in parameters and parameters[name] is not parameters[source]:
                    _set(model, name, parameters[source])
                    missing.discard(name)
                    retied.append(f"{name} = {source}")
    if retied:
        log.add("weight-ties", f"{len(retied)} parameter(s) that the model's code shares were loaded as separate "
                f"copies: shared again ({'; '.join(retied[:2])}{'; …' if len(retied) > 2 else ''})", VERSIONS)
    _tie_embeddings(model, missing, log)


def _tie_embeddings(model: torch.nn.Module, missing: set[str], log: RepairLog) -> None:
    if _declares_ties(model) or not getattr(model.config, "tie_word_embeddings", True):
        return
    try:
        output, inputs = model.get_output_embeddings(), model.get_input_embeddings()
    except (AttributeError, NotImplementedError):
        return
    weight = getattr(output, "weight", None)
    if not isinstance(weight, torch.nn.Parameter) or inputs is None or not hasattr(inputs, "weight"):
        return
    if weight is inputs.weight or weight.shape != inputs.weight.shape:
        return
    names = {id(p): n for n, p in model.named_parameters(remove_duplicate=False)}
    output_name, input_name = names.get(id(weight)), names.get(id(inputs.weight))
    if output_name not in missing:
        return  # the checkpoint has its own (trained) output weights: keep them
    output.weight = inputs.weight
    missing.discard(output_name)
    log.add("weight-ties", f"{output_name} tied to {input_name} (config.tie_word_embeddings, which transformers 4 "
            "applied to every model and 5 applies only to declared ties)", VERSIONS)


def refuse_random_head(model: torch.nn.Module, missing: set[str]) -> None:
    """Parameters outside the base model (the LM head) that the checkpoint lacks would be random: refuse."""
    prefix = getattr(model, "base_model_prefix", "") or ""
    if not prefix or getattr(model, prefix, None) is None:
        return
    head = sorted(name for name in missing if not name.startswith(prefix + ".")
                  and name in dict(model.named_parameters(remove_duplicate=False)))
    if head:
        shown = ", ".join(head[:3]) + (f" and {len(head) - 3} more" if len(head) > 3 else "")
        raise ModelError(f"the checkpoint has no weights for the model's language-model head ({shown}), and "
                         "nothing in its code or config ties them to other weights: they would be random, so "
                         "DNALens refuses to use them (load it as a base model for embeddings only)")
