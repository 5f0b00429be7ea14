"""The tokenize operation: what the model actually reads — tokens, ids and attention mask per sequence."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..context import RunContext
from ..io.fasta import read_fasta
from ..io.outputs import OutputSet, write_tsv_header
from ..model import LanguageModel
from ..provenance import provenance, provenance_lines
from ..runner import chunked

COLUMNS = ["id", "length_bp", "n_tokens", "tokens", "input_ids", "attention_mask"]
ONE_HOT_ORDER = "ACGT"


@dataclass
class TokenizeResult:
    sequences: int
    outputs: list[Path]


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


def tokenize_fasta(model: LanguageModel, fasta: str | Path, out_tsv: str | Path, *,
                   one_hot_npz: str | Path | None = None, context: RunContext | None = None) -> TokenizeResult:
    context = context or RunContext()
    record = provenance(model.describe(), "tokenize", {"input": Path(fasta).name})
    ids: list[str] = []
    sequences: list[str] = []
    count = 0
    with OutputSet(inputs=[fasta]) as outputs:
        handle = outputs.open_text(out_tsv)
        write_tsv_header(handle, provenance_lines(record) + [f"tokenizer: {model.tokens.describe()}, limit "
                                                             f"{model.max_tokens} tokens"], COLUMNS)
        for chunk in chunked(read_fasta(fasta), 512):
            encoded = model.encode([r.sequence for r in chunk])
            for rec, token_ids in zip(chunk, encoded):
                tokens = model.tokenizer.convert_ids_to_tokens(token_ids)
                cells = [rec.id, str(len(rec.sequence)), str(len(token_ids)), " ".join(tokens),
                         " ".join(map(str, token_ids)), " ".join("1" for _ in token_ids)]
                handle.write("\t".join(cells) + "\n")
                if len(token_ids) > model.max_tokens:
                    context.warn(f"record '{rec.id}': {len(token_ids)} tokens exceed the model's limit of "
                                 f"{model.max_tokens}; embed and variants will use windows")
            count += len(chunk)
            if one_hot_npz:
                ids.extend(r.id for r in chunk)
                sequences.extend(r.sequence for r in chunk)
        if one_hot_npz:
            array, lengths = one_hot(sequences)
            with open(outputs.path(one_hot_npz), "wb") as npz:
                np.savez_compressed(npz, ids=np.array(ids), one_hot=array, lengths=lengths,
                                    alphabet=np.array(list(ONE_HOT_ORDER)),
                                    provenance=np.array(json.dumps(record, sort_keys=True, default=str)))
    return TokenizeResult(count, [Path(p) for p in (out_tsv, one_hot_npz) if p])
