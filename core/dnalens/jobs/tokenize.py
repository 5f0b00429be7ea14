"""tokenize → files: the tokens TSV and optionally the one-hot NPZ."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..context import RunContext
from ..io.fasta import read_fasta
from ..io.npz import write_npz
from ..io.outputs import OutputSet
from ..io.tsv import TsvWriter
from ..model import LanguageModel
from ..ops.tokenize import COLUMNS, ONE_HOT_ORDER, Tokenize, one_hot
from ..provenance import provenance, provenance_lines


@dataclass
class TokenizeResult:
    sequences: int
    outputs: list[Path]


def tokenize_fasta(model: LanguageModel, fasta: str | Path, out_tsv: str | Path, *,
                   one_hot_npz: str | Path | None = None, context: RunContext | None = None) -> TokenizeResult:
    context = context or RunContext()
    record = provenance(model.describe(), "tokenize", {"input": Path(fasta).name})
    ids: list[str] = []
    sequences: list[str] = []
    with OutputSet(inputs=[fasta]) as outputs:
        table = TsvWriter.open(outputs, out_tsv, provenance_lines(record) + [
            f"tokenizer: {model.tokens.describe()}, limit {model.max_tokens} tokens"], COLUMNS)
        operation = Tokenize(model)
        with context.cancellable():
            for tokenized in operation.records(_kept(read_fasta(fasta), ids, sequences, keep=bool(one_hot_npz))):
                table.write(tokenized.row())
        for message in operation.warnings():
            context.warn(message)
        if one_hot_npz:
            array, lengths = one_hot(sequences)
            write_npz(outputs.path(one_hot_npz), record, ids=np.array(ids), one_hot=array, lengths=lengths,
                      alphabet=np.array(list(ONE_HOT_ORDER)))
    return TokenizeResult(table.rows, [Path(p) for p in (out_tsv, one_hot_npz) if p])


def _kept(records, ids: list[str], sequences: list[str], keep: bool):
    """The records, unchanged; with `keep`, their ids and bases are also collected (for the one-hot array)."""
    for rec in records:
        if keep:
            ids.append(rec.id)
            sequences.append(rec.sequence)
        yield rec
