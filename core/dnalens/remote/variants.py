"""The variants operation scored by a server: ops/variants.Variants' interface and records (ScoredVariant), so
jobs/variants.py writes the same table and annotated VCF from either. The cases are made here, from the paired
FASTA or the VCF and reference (their statuses too); only the scorable windows are sent, each with its site."""

from __future__ import annotations

import threading
from dataclasses import replace

from ..compute.embedder import EmbeddingOptions
from ..ops.variant_inputs import VariantCase, VariantInput
from ..ops.variant_scoring import ScoredVariant
from ..ops.variant_status import VariantStatus
from ..ops.variants import ChunkedScoring
from .requests import answered, batched, check_length, malformed, plain_text, text_bytes
from .server import Server

ROUTE = "/dnalens/variants"


class RemoteVariants(ChunkedScoring):
    def __init__(self, server: Server, *, scores: str | None = None, embedding: EmbeddingOptions | None = None,
                 rc_average: bool = False, cancel_event: threading.Event | None = None):
        self.server, self.cancel_event = server, cancel_event
        embedding = replace(embedding or EmbeddingOptions(), rc_average=rc_average)
        self.options = {"pooling": embedding.pooling, "layer": embedding.layer, "rc_average": rc_average}
        described = server.describe_operation({"operation": "variants", "scores": scores, **self.options})
        self.scores: list[str] = described["scores"]
        self.llr_method: str | None = described["llr_method"]
        self._method_lines: list[str] = described["method_lines"]
        self._parameters: dict = described["parameters"]
        super().__init__()  # the local operation's counting, so both finish alike

    def parameters(self, source: VariantInput) -> dict:
        return {**self._parameters, **source.parameters}

    def method_lines(self) -> list[str]:
        return list(self._method_lines)

    def score(self, cases: list[VariantCase]) -> list[ScoredVariant]:
        """Cases with a status other than ok keep it, unscored, as the local scorer keeps them."""
        results = [ScoredVariant(case, dict.fromkeys(self.scores), case.status) for case in cases]
        scorable = [i for i, case in enumerate(cases) if case.status.ok]
        for batch in batched(scorable, self.server, lambda i: self._size(cases[i]), self.cancel_event):
            answer = self.server.post(ROUTE, {"cases": [_case(cases[i]) for i in batch],
                                              "scores": ",".join(self.scores), **self.options})
            for i, row in zip(batch, answered(answer, "variants", len(batch), self.server, ROUTE)):
                results[i] = self._scored(cases[i], row)
        return results

    def _scored(self, case: VariantCase, row: dict) -> ScoredVariant:
        """The answered row, checked: a number or null per score, and a status that stays in its cell."""
        try:
            values = {score: None if row.get(score) is None else float(row[score]) for score in self.scores}
            return ScoredVariant(case, values, VariantStatus.parse(plain_text(row["status"])))
        except (KeyError, TypeError, ValueError, AttributeError):
            raise malformed(self.server, ROUTE, f"variant '{_name(case)}'") from None

    def _size(self, case: VariantCase) -> tuple[int, int]:
        name = _name(case)
        check_length(self.server, name, case.ref_sequence)
        check_length(self.server, name, case.alt_sequence)
        return 1, text_bytes(name, case.ref_sequence, case.alt_sequence) + 16


def _name(case: VariantCase) -> str:
    identity = case.identity
    return str(identity.get("id") or f"{identity.get('chrom')}:{identity.get('pos')}")


def _case(case: VariantCase) -> dict:
    return {"id": _name(case), "ref": case.ref_sequence, "alt": case.alt_sequence, "site": case.site}
