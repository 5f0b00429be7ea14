"""One forward pass, whatever the family's calling conventions: which arguments it takes, how it gives its layers'
states, and whether padding can change its results.

Checked once when the model loads, by what the model does (never by its name):
- **attention mask**: passed only where `forward` takes one (HyenaDNA and Caduceus do not);
- **padding**: a batch padded with two different filler tokens under the same mask must give the same states at
  the real positions. Where it does not (no mask, or a mask that is accepted and ignored, as in GPN's
  convolutions), the model never sees padding: batches hold sequences of one length only;
- **layers**: `output_hidden_states=True` is used where it gives the embedding output and one state per layer.
  Where it does not (GPN ignores it, DNABERT-2 gives only the last layer, HyenaDNA adds an extra entry), forward
  hooks on the model's own layer modules read them exactly: the input of the first layer (the embeddings), the
  output of each layer, and, as the last layer, the state the head reads (after any final norm), as
  transformers' own models do. Where no layer list can be found, only the last layer is available and any other
  `--layer` is refused.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import torch

NATIVE, HOOKS, LAST_ONLY = "output_hidden_states", "forward hooks on the layer modules", "last layer only"
_LAYER_COUNT_KEYS = ("num_hidden_layers", "n_layer", "num_layers", "n_layers")


@dataclass
class Pass:
    logits: torch.Tensor | None
    hidden_states: tuple | None
    past_key_values: object = None


def takes(module: torch.nn.Module, name: str) -> bool:
    try:
        parameters = inspect.signature(module.forward).parameters
    except (TypeError, ValueError):
        return True
    return name in parameters or any(p.kind == p.VAR_KEYWORD for p in parameters.values())


def configured_layers(config) -> int | None:
    for key in _LAYER_COUNT_KEYS:
        value = getattr(config, key, None)
        if isinstance(value, int) and value > 0:
            return value
    return None


def _first_tensor(value):
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, (tuple, list)) and value and isinstance(value[0], torch.Tensor):
        return value[0]
    if hasattr(value, "last_hidden_state"):
        return value.last_hidden_state
    return None


def _last_state(output) -> torch.Tensor | None:
    if hasattr(output, "last_hidden_state"):
        return output.last_hidden_state
    return _first_tensor(output)


def find_layers(body: torch.nn.Module, count: int | None) -> list[torch.nn.Module] | None:
    """The model's list of layers: the outermost ModuleList/Sequential of `count` modules of one class."""
    candidates = []
    for name, module in body.named_modules():
        if not isinstance(module, (torch.nn.ModuleList, torch.nn.Sequential)) or len(module) < 1:
            continue
        children = list(module)
        if len({type(c) for c in children}) != 1 or (count is not None and len(children) != count):
            continue
        if not any(True for _ in children[0].parameters()):
            continue
        candidates.append((name.count("."), name, children))
    if not candidates:
        return None
    candidates.sort(key=lambda c: c[0])
    outermost = [c for c in candidates if c[0] == candidates[0][0]]
    return outermost[0][2] if len(outermost) == 1 else None


class LayerReader:
    """Hidden states (embedding output, then one per layer) from one forward pass of `module`."""

    def __init__(self, mode: str, count: int, layers: list[torch.nn.Module] | None = None,
                 body: torch.nn.Module | None = None):
        self.mode, self.count, self.layers, self.body = mode, count, layers, body

    def run(self, module: torch.nn.Module, kwargs: dict, attention_mask: torch.Tensor | None,
            want_states: bool) -> tuple[object, tuple | None]:
        if not want_states:
            return module(**kwargs), None
        if self.mode == NATIVE:
            output = module(**kwargs, output_hidden_states=True)
            return output, tuple(output.hidden_states)
        if self.mode == LAST_ONLY:
            captured = []
            handle = self.body.register_forward_hook(lambda _m, _a, out: captured.append(_last_state(out)))
            try:
                output = module(**kwargs)
            finally:
                handle.remove()
            return output, (None,) * self.count + (captured[-1],)
        return self._hooked(module, kwargs, attention_mask)

    def _hooked(self, module, kwargs, attention_mask):
        inputs, outputs, final = [], [], []

        def before_first(_module, args, kw):
            inputs.append(args[0] if args else next(iter(kw.values()), None))

        handles = [self.layers[0].register_forward_pre_hook(before_first, with_kwargs=True)]
        handles += [layer.register_forward_hook(lambda _m, _a, out: outputs.append(_first_tensor(out)))
                    for layer in self.layers]
        handles.append(self.body.register_forward_hook(lambda _m, _a, out: final.append(_last_state(out))))
        try:
            output = module(**kwargs)
        finally:
            for handle in handles:
                handle.remove()
        if len(inputs) != 1 or len(outputs) != len(self.layers) or not final:
            raise RuntimeError(f"layer hooks fired {len(inputs)}/{len(outputs)}/{len(final)} times, expected "
                               f"1/{len(self.layers)}/1")
        shape = final[-1].shape
        states = [_repad(t, shape, attention_mask) for t in [inputs[0], *outputs[:-1]]] + [final[-1]]
        return output, tuple(states)


def _repad(state: torch.Tensor, shape: torch.Size, attention_mask: torch.Tensor | None) -> torch.Tensor:
    """Unpadding models (DNABERT-2) pass (real tokens, hidden) between layers: back to (batch, tokens, hidden)."""
    if state.dim() == 3:
        return state
    out = state.new_zeros(shape)
    if attention_mask is None:
        return state.reshape(shape)
    out[attention_mask.bool()] = state
    return out
