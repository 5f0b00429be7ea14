"""The model's side of the server: a batch of requests' items → one operation call (ops/), in the worker thread
(batching.py). Each result carries what its response says about the method and parameters."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..compute.embedder import EmbeddingOptions
from ..model import LanguageModel
from ..ops.embed import Embed
from ..ops.mutagenesis import Mutagenesis, sequence_target
from ..ops.predict import Predict
from ..ops.variant_inputs import PAIR_COLUMNS, VariantCase, VariantInput, pairs_input, site_window
from ..ops.variants import Variants
from ..provenance import provenance
from ..runner import Runner

EMBED, PREDICT, VARIANTS = "embed", "predict", "variants"
VARIANT_CASES = "variant cases"  # WT/mutant windows with their site, scored as given (a client's VCF windows)
MUTAGENESIS = "mutagenesis"


@dataclass
class CountingRunner(Runner):
    """A Runner that counts its forward batches, so /info can show how requests were batched."""

    forward_batches: int = 0

    def map_items(self, sizes, compute):
        def counted(indices):
            self.forward_batches += 1
            return compute(indices)

        return super().map_items(sizes, counted)


@dataclass(frozen=True)
class Result:
    value: object
    meta: dict  # method lines and provenance, the same for every item of a batch


def public_id(model: LanguageModel) -> str:
    """The model's name as clients see it: a folder by its name, not by its path on this machine, which says how
    the server's disks are laid out; its weights' SHA-256 still identifies it exactly."""
    return Path(model.id).resolve().name if model.source.is_local else model.id  # "." too


def public_description(model: LanguageModel) -> dict:
    """The model as clients see it (/info, provenance): public_id, and no path."""
    description = {key: value for key, value in model.describe().items() if key != "path"}
    description["id"] = public_id(model)
    return description


def public_message(model: LanguageModel, message: str) -> str:
    """An error as clients see it: the messages that name the model (model '…') name it by public_id."""
    return message.replace(f"'{model.id}'", f"'{public_id(model)}'")


class Work:
    def __init__(self, model: LanguageModel, warn: Callable[[str], None]):
        self.model = model
        self.description = public_description(model)
        # Set when the server stops (BatchQueue.abort): the operation in progress ends at its next forward batch.
        self.cancel = threading.Event()
        self.runner = CountingRunner.for_model(model, warn, cancel_event=self.cancel)

    def __call__(self, key: Hashable, items: list) -> Sequence[Result]:
        kind, *options = key
        return {EMBED: self._embed, PREDICT: self._predict, VARIANTS: self._variants,
                VARIANT_CASES: self._variant_cases,
                MUTAGENESIS: self._mutagenesis}[kind](options, items)

    def _provenance(self, operation: str, parameters: dict) -> dict:
        return provenance(self.description, operation, parameters)

    def _embed(self, options: list, records: list) -> list[Result]:
        pooling, layer, window, rc_average, stride = options
        operation = Embed(self.model, EmbeddingOptions(pooling, layer, window, stride, rc_average), self.runner)
        embeddings = list(operation.records(records))
        meta = {"method": operation.method, "warnings": operation.warnings(),
                "provenance": self._provenance("embed", operation.parameters("request"))}
        return [Result(embedding, meta) for embedding in embeddings]

    def _predict(self, options: list, requests: list) -> list[Result]:
        """requests: (record, positions) pairs; each result is that record's list of BaseProbabilities."""
        operation = Predict(self.model, None, self.runner)
        scored = list(operation.records_at(requests))
        meta = {"method": operation.method, "warnings": operation.warnings(),
                "provenance": self._provenance("predict", {"positions": "per request", "input": "request"})}
        results, start = [], 0
        for _, positions in requests:
            results.append(Result(scored[start : start + len(positions)], meta))
            start += len(positions)
        return results

    def _variants(self, options: list, pairs: list) -> list[Result]:
        *choices, max_differences = options
        return self._score_variants(choices, pairs_input(pairs, max_differences))

    def _variant_cases(self, options: list, cases: list) -> list[Result]:
        """cases: (ref record, alt record, site or None), scored as given: no pairing check."""
        given = [VariantCase({"pair": number, "id": ref.id}, ref.sequence, alt.sequence, site)
                 for number, (ref, alt, site) in enumerate(cases, start=1)]
        return self._score_variants(options, VariantInput(given, len(given), PAIR_COLUMNS, {"input": "request"}))

    def _score_variants(self, options: list, source: VariantInput) -> list[Result]:
        scores, pooling, layer, rc_average = options
        operation = Variants(self.model, self.runner, scores=scores, embedding=EmbeddingOptions(pooling, layer),
                             rc_average=rc_average)
        scored = list(operation.records(source))
        meta = {"scores": operation.scores, "method": operation.method_lines(),
                "provenance": self._provenance("variants", operation.parameters(source))}
        return [Result(record, meta) for record in scored]

    def _mutagenesis(self, options: list, requests: list) -> list[Result]:
        """requests: (record, 1-based inclusive span or None) pairs; each result is that record's list of
        MutatedPosition, as the mutagenesis job reads them. An operation per request keeps its N warning its own."""
        (window,) = options
        window = site_window(window, self.model.max_bp)
        results = []
        for record, span in requests:
            operation = Mutagenesis(self.model, self.runner, window)
            mutated = list(operation.records(sequence_target(record.id, record.sequence, span)))
            meta = {"method": operation.describe(), "warnings": operation.warnings(),
                    "provenance": self._provenance("mutagenesis", {"window": window, "input": "request"})}
            results.append(Result(mutated, meta))
        return results
