"""What kind of tokens a DNA tokenizer makes, and where each token sits in the sequence."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

NUCLEOTIDE = "nucleotide"  # one token per base
KMER = "kmer"  # non-overlapping k-mers (Nucleotide Transformer style)
BPE = "bpe"  # learned variable-length tokens (Mistral-DNA, DNABERT-2)


@dataclass(frozen=True)
class TokenizerKind:
    kind: str
    k: int = 1

    def describe(self) -> str:
        return f"{self.k}-mer" if self.kind == KMER else self.kind


def dna_token_ids(tokenizer) -> dict[str, int]:
    """Vocabulary entries made of bases only, keyed by their upper-case spelling (GPN's vocabulary is lower-case;
    where both cases exist, the upper-case entry wins)."""
    specials = set(tokenizer.all_special_tokens)
    ids: dict[str, int] = {}
    for word, token_id in sorted(tokenizer.get_vocab().items(), key=lambda item: item[0] != item[0].upper()):
        if word and word not in specials and set(word.upper()) <= set("ACGTN"):
            ids.setdefault(word.upper(), token_id)
    return ids


def detect_kind(tokenizer) -> TokenizerKind:
    """Decide from the vocabulary: only single bases → nucleotide; mostly one length k > 1 covering 4^k → k-mer."""
    dna_words = list(dna_token_ids(tokenizer))
    lengths = Counter(len(word) for word in dna_words)
    if not lengths:
        return TokenizerKind(BPE)
    if max(lengths) == 1:
        return TokenizerKind(NUCLEOTIDE)
    k, count = max(lengths.items(), key=lambda item: item[1])
    if k > 1 and count >= 4**k and set(lengths) <= {1, k}:
        return TokenizerKind(KMER, k)
    return TokenizerKind(BPE)


def token_spans(tokenizer, input_ids: list[int], sequence: str) -> list[tuple[int, int]]:
    """(start, end) in the sequence for each token; (0, 0) for special tokens.

    Rebuilt from the token strings, so slow tokenizers (no offsets) work too: every DNA token's text is the
    bases it covers.
    """
    special_ids = set(tokenizer.all_special_ids)
    spans = []
    cursor = 0
    for token_id, token in zip(input_ids, tokenizer.convert_ids_to_tokens(input_ids)):
        if token_id in special_ids and token != tokenizer.unk_token:
            spans.append((0, 0))
            continue
        width = 1 if token == tokenizer.unk_token else len(token)
        spans.append((cursor, cursor + width))
        cursor += width
    if cursor != len(sequence):
        # Tokens that do not spell the sequence (a normaliser or word prefixes): fall back to offsets.
        encoding = tokenizer(sequence, return_offsets_mapping=True, add_special_tokens=True)
        return [tuple(span) for span in encoding["offset_mapping"]]
    return spans
