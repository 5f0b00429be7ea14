"""The tokenize operation: what the model actually reads (tokens, ids and attention mask per sequence), as
records (jobs/tokenize.py writes them), and a one-hot encoding of the bases."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from ..cancel import check_cancelled
from ..io.fasta import SequenceRecord
from ..model import LanguageModel
from ..runner import chunked

COLUMNS = ["id", "length_bp", "n_tokens", "tokens", "input_ids", "attention_mask"]
ONE_HOT_ORDER = "ACGT"
CHUNK = 512


@dataclass(frozen=True)
class Tokenized:
    id: str
    length_bp: int
    tokens: list[str]
    input_ids: list[int]

    def row(self) -> list:
        return [self.id, self.length_bp, len(self.input_ids), " ".join(self.tokens),
                " ".join(map(str, self.input_ids)), " ".join("1" for _ in self.input_ids)]


class Tokenize:
    """No forward pass, so no runner: cancellation is checked between chunks (cancel.check_cancelled)."""

    def __init__(self, model: LanguageModel):
        self.model = model
        self.over_limit: list[tuple[str, int]] = []  # (id, tokens) of records longer than the model reads at once

    def records(self, sequences: Iterable[SequenceRecord]) -> Iterator[Tokenized]:
        for chunk in chunked(sequences, CHUNK):
            check_cancelled()
            for rec, token_ids in zip(chunk, self.model.encode([r.sequence for r in chunk])):
                if len(token_ids) > self.model.max_tokens:
                    self.over_limit.append((rec.id, len(token_ids)))
                yield Tokenized(rec.id, len(rec.sequence), self.model.tokenizer.convert_ids_to_tokens(token_ids),
                                token_ids)

    def warnings(self) -> list[str]:
        return [f"record '{record_id}': {tokens} tokens exceed the model's limit of {self.model.max_tokens}; embed "
                "and variants will use windows" for record_id, tokens in self.over_limit]


def one_hot(sequences: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(n, longest, 4) uint8 one-hot in A, C, G, T order (N and padding are all-zero rows), and the lengths."""
    lengths = np.array([len(s) for s in sequences], dtype=np.int64)
    array = np.zeros((len(sequences), int(lengths.max(initial=0)), 4), dtype=np.uint8)
    lookup = np.full(256, 4, dtype=np.int64)
    for column, base in enumerate(ONE_HOT_ORDER):
        lookup[ord(base)] = column
    for row, sequence in enumerate(sequences):
        columns = lookup[np.frombuffer(sequence.encode("ascii"), dtype=np.uint8)]
        keep = columns < 4
        array[row, np.nonzero(keep)[0], columns[keep]] = 1
    return array, lengths
