"""DNA sequence rules: which letters are accepted, normalisation, reverse complement."""

from __future__ import annotations

from .errors import InputError

NUCLEOTIDES = "ACGT"
# IUPAC ambiguity codes: valid DNA, but no model predicts them; they are passed to the tokenizer as N.
IUPAC_AMBIGUOUS = set("NRYSWKMBDHV")
ACCEPTED = set(NUCLEOTIDES) | IUPAC_AMBIGUOUS
_COMPLEMENT = str.maketrans("ACGTNRYSWKMBDHV", "TGCANYRSWMKVHDB")
IUPAC_TO_N = str.maketrans({code: "N" for code in IUPAC_AMBIGUOUS - {"N"}})


def normalise(sequence: str, record: str) -> str:
    """Upper-case (soft-masked repeats are real sequence), map IUPAC codes to N, and reject non-DNA.

    `record` names the sequence in the error message.
    """
    upper = sequence.upper()
    bad = set(upper) - ACCEPTED
    if bad:
        letters = "".join(sorted(bad))
        hint = " (RNA? convert U to T first)" if "U" in bad else ""
        if bad & set("EFILPQ"):
            hint = " (this looks like a protein sequence)"
        position = next(i for i, letter in enumerate(upper) if letter in bad) + 1
        raise InputError(
            f"record '{record}': letter(s) '{letters}' at position {position} are not DNA (A, C, G, T or IUPAC){hint}"
        )
    return upper.translate(IUPAC_TO_N)


def reverse_complement(sequence: str) -> str:
    return sequence.translate(_COMPLEMENT)[::-1]
