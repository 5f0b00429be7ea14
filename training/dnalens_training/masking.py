"""BERT-style masking of nucleotide code windows into model inputs and labels."""

from __future__ import annotations

import torch

from .genome import N_CODE
from .tokenizer import CLS_ID, FIRST_NUCLEOTIDE_ID, MASK_ID, SEP_ID

IGNORE_INDEX = -100


def codes_to_input_ids(codes: torch.Tensor) -> torch.Tensor:
    """(batch, length) codes 0-4 → token ids framed by [CLS] … [SEP]."""
    batch = codes.shape[0]
    body = codes.long() + FIRST_NUCLEOTIDE_ID
    cls = torch.full((batch, 1), CLS_ID, dtype=torch.long)
    sep = torch.full((batch, 1), SEP_ID, dtype=torch.long)
    return torch.cat([cls, body, sep], dim=1)


def mask_tokens(
    codes: torch.Tensor, mask_rate: float, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Pick `mask_rate` of the A/C/G/T positions: 80 % [MASK], 10 % a random base, 10 % unchanged.

    N positions are never targets: there is nothing to learn from them.
    """
    input_ids = codes_to_input_ids(codes)
    labels = torch.full_like(input_ids, IGNORE_INDEX)
    body = input_ids[:, 1:-1]
    candidates = codes.long() != N_CODE
    chosen = (torch.rand(codes.shape, generator=generator) < mask_rate) & candidates
    labels[:, 1:-1][chosen] = body[chosen]
    action = torch.rand(codes.shape, generator=generator)
    body[chosen & (action < 0.8)] = MASK_ID
    random_base = torch.randint(0, 4, codes.shape, generator=generator) + FIRST_NUCLEOTIDE_ID
    swap = chosen & (action >= 0.8) & (action < 0.9)
    body[swap] = random_base[swap]
    return input_ids, labels
