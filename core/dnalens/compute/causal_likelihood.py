"""Causal log-likelihoods; sequences that differ only after a common start share one pass over that start.

A variant's REF and ALT windows, or the four candidate bases at a site, have the same tokens up to the
change. A causal model's states there do not depend on what follows, so the shared prefix runs once, its
keys and values are cached, and only each sequence's remainder runs on top of the cache. The results equal
separate full passes up to floating-point rounding (tests/test_causal_likelihood.py).
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence

import torch

from ..model import CAUSAL, LanguageModel
from ..runner import Runner, pad
from .embedder import Embedder


def causal_log_likelihoods(logits: torch.Tensor, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> list[float]:
    """Σ log P(token | previous tokens) per row of a padded batch (padding never counted)."""
    log_probs = torch.log_softmax(logits[:, :-1].float(), dim=-1)
    picked = log_probs.gather(-1, input_ids[:, 1:].unsqueeze(-1)).squeeze(-1)
    return (picked * attention_mask[:, 1:]).sum(dim=1).cpu().tolist()


def supports_prefix_sharing(model: LanguageModel) -> bool:
    """Attention decoders with a key/value cache and explicit positions (not, e.g., state-space models)."""
    if model.family != CAUSAL or not model.pads_safely:  # the shared pass pads prefixes and remainders
        return False
    parameters = inspect.signature(model.model.forward).parameters
    return "past_key_values" in parameters and "position_ids" in parameters


def shared_prefix_length(token_lists: Sequence[Sequence[int]]) -> int:
    """Tokens all members start with, leaving every member at least one token of its own."""
    limit = min(len(tokens) for tokens in token_lists) - 1
    length = 0
    while length < limit and all(tokens[length] == token_lists[0][length] for tokens in token_lists):
        length += 1
    return length


class PrefixSharedPass:
    """Log-likelihood (and, with an embedder, the pooled hidden states) of every member of every group."""

    def __init__(self, model: LanguageModel, runner: Runner, embedder: Embedder | None = None, share: bool = True):
        self.model = model
        self.runner = runner
        self.embedder = embedder
        # share=False: every sequence whole (bench/harness.py measures what sharing gains).
        self.share = share and supports_prefix_sharing(model)

    def run(self, groups: Sequence[Sequence[Sequence[int]]]) -> list[list[tuple[float, object]]]:
        """For each group of token lists: per member (log-likelihood, pooled result or None)."""
        # A sliding attention window counts cache slots, padding included: share only within the window.
        window = getattr(self.model.model.config, "sliding_window", None) or float("inf")
        prefixes = [shared_prefix_length(group) if self.share and max(map(len, group)) <= window else 0
                    for group in groups]
        sizes = [prefix + sum(len(tokens) - prefix for tokens in group) for group, prefix in zip(groups, prefixes)]

        def compute(indices: list[int]) -> list:
            shared = [i for i in indices if prefixes[i] > 0]
            # Nothing to share: a model without a key/value cache, sequences longer than its sliding window,
            # or no common first token (no BOS token and a change at the first base).
            alone = [i for i in indices if prefixes[i] == 0]
            results = dict(zip(shared, self._shared(groups, prefixes, shared))) if shared else {}
            if alone:
                results.update(zip(alone, self._separate(groups, alone)))
            return [results[i] for i in indices]

        return self.runner.map_items(sizes, compute)

    def _forward(self, input_ids, attention_mask, **extra):
        return self.model.run(input_ids, attention_mask, hidden_states=self.embedder is not None, **extra)

    def _separate(self, groups, indices: list[int]) -> list[list[tuple[float, object]]]:
        members = [tokens for i in indices for tokens in groups[i]]
        # A model that padding would change (no attention mask) runs each length on its own.
        lengths = [len(tokens) for tokens in members]
        by_length = ({None: list(range(len(members)))} if self.model.pads_safely else
                     {n: [m for m, length in enumerate(lengths) if length == n] for n in set(lengths)})
        values: list = [None] * len(members)
        for rows in by_length.values():
            input_ids, attention_mask = pad([members[m] for m in rows], self.model.pad_id, self.runner.device)
            output = self._forward(input_ids, attention_mask)
            pooled = self._pooled(output.hidden_states, input_ids, attention_mask)
            for m, value in zip(rows, zip(causal_log_likelihoods(output.logits, input_ids, attention_mask), pooled)):
                values[m] = value
        return _regroup(values, [len(groups[i]) for i in indices])

    def _shared(self, groups, prefixes, indices: list[int]) -> list[list[tuple[float, object]]]:
        device = self.runner.device
        lengths = torch.tensor([prefixes[i] for i in indices], device=device)
        prefix_ids, prefix_mask = pad([groups[i][0][: prefixes[i]] for i in indices], self.model.pad_id, device)
        prefix = self._forward(prefix_ids, prefix_mask, use_cache=True)
        prefix_ll = causal_log_likelihoods(prefix.logits, prefix_ids, prefix_mask)

        owners = torch.tensor([row for row, i in enumerate(indices) for _ in groups[i]], device=device)
        remainders = [tokens[prefixes[i]:] for i in indices for tokens in groups[i]]
        rest_ids, rest_mask = pad(remainders, self.model.pad_id, device)
        cache = prefix.past_key_values
        cache.batch_select_indices(owners)  # one copy of the prefix's keys and values per member
        # Right-padded prefixes: positions continue from each prefix's own length, and the mask hides the
        # padded cache slots.
        positions = lengths[owners].unsqueeze(1) + torch.arange(rest_ids.shape[1], device=device)
        rest = self._forward(rest_ids, torch.cat([prefix_mask[owners], rest_mask], dim=1), position_ids=positions,
                             past_key_values=cache, use_cache=False)

        # The last prefix position predicts each remainder's first token.
        rows = torch.arange(len(indices), device=device)
        last_logits = prefix.logits[rows, lengths - 1][owners].unsqueeze(1)
        last_ids = prefix_ids[rows, lengths - 1][owners].unsqueeze(1)
        rest_ll = causal_log_likelihoods(torch.cat([last_logits, rest.logits], dim=1),
                                         torch.cat([last_ids, rest_ids], dim=1),
                                         torch.cat([torch.ones_like(last_ids), rest_mask], dim=1))
        log_likelihoods = [prefix_ll[owner] + value for owner, value in zip(owners.tolist(), rest_ll)]

        pooled = [None] * len(owners)
        if self.embedder is not None:
            states, input_ids, attention_mask = _joined(prefix.hidden_states, rest.hidden_states, self.embedder.layers,
                                                        prefix_ids, rest_ids, rest_mask, lengths, owners,
                                                        self.model.pad_id)
            pooled = self.embedder.pool(states, input_ids, attention_mask)
        return _regroup(list(zip(log_likelihoods, pooled)), [len(groups[i]) for i in indices])

    def _pooled(self, states, input_ids, attention_mask) -> list:
        if self.embedder is None:
            return [None] * input_ids.shape[0]
        return self.embedder.pool(states, input_ids, attention_mask)


def _joined(prefix_states, rest_states, layers, prefix_ids, rest_ids, rest_mask, lengths, owners, pad_id):
    """Each member's full sequence, prefix then remainder, right-padded: what a full pass would have seen
    (hidden states only of the `layers` that pooling reads; None for the others)."""
    members = len(owners)
    own = rest_mask.sum(dim=1)
    totals = lengths[owners] + own
    width = int(totals.max())
    input_ids = torch.full((members, width), pad_id, dtype=prefix_ids.dtype, device=prefix_ids.device)
    attention_mask = torch.zeros((members, width), dtype=rest_mask.dtype, device=rest_mask.device)
    states: list = [None] * len(prefix_states)
    for layer in layers:
        before = prefix_states[layer]
        states[layer] = torch.zeros((members, width, before.shape[-1]), dtype=before.dtype, device=before.device)
    for member, owner in enumerate(owners.tolist()):
        shared, mine = int(lengths[owner]), int(own[member])
        input_ids[member, :shared] = prefix_ids[owner, :shared]
        input_ids[member, shared : shared + mine] = rest_ids[member, :mine]
        attention_mask[member, : shared + mine] = 1
        for layer in layers:
            states[layer][member, :shared] = prefix_states[layer][owner, :shared]
            states[layer][member, shared : shared + mine] = rest_states[layer][member, :mine]
    return tuple(states), input_ids, attention_mask


def _regroup(values: list, sizes: list[int]) -> list[list]:
    out, start = [], 0
    for size in sizes:
        out.append(values[start : start + size])
        start += size
    return out
