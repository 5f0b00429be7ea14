"""Why a variant was or was not scored: a code that groups (`ref_mismatch`) and a detail for the person reading
it (`reference=G`). Written as `code(detail)` in the `status` column and the VCF's DNALENS_STATUS."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VariantStatus:
    code: str
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.code == OK.code

    def __str__(self) -> str:
        return f"{self.code}({self.detail})" if self.detail else self.code

    @classmethod
    def parse(cls, text: str) -> VariantStatus:
        """The status as written in a table (the app groups rows by code)."""
        code, _, detail = text.partition("(")
        return cls(code, detail[:-1] if detail.endswith(")") else detail)


OK = VariantStatus("ok")
# Paired input
NO_DIFFERENCE = "no_difference"
MISMATCHED = "mismatched_pair"  # differs in more places than a small variant explains
# VCF input
DUPLICATE = "duplicate_record"
SYMBOLIC = "symbolic_allele"
INVALID_ALT = "invalid_alt_allele"
ALT_EQUALS_REF = "alt_equals_ref"
UNKNOWN_CHROM = "chrom_not_in_reference"
BEYOND_END = "beyond_chromosome_end"
REF_TOO_LONG = "ref_longer_than_half_window"  # too little context around the change
REF_MISMATCH = "ref_mismatch"
# Scoring
TOO_LONG = "too_long"  # a window beyond the model's limit
NOT_FINITE = "model_output_not_finite"  # NaN or infinity from the model
