"""What an operation with given options would say about itself (method, dimension, scores, parameters) without
running it, so a client (remote/) writes its outputs' headers before the first result arrives."""

from __future__ import annotations

from ..compute.embedder import EmbeddingOptions
from ..errors import InputError
from ..ops.embed import Embed
from ..ops.mutagenesis import Mutagenesis
from ..ops.predict import Predict
from ..ops.variant_inputs import site_window
from ..ops.variants import Variants
from .work import Work


def describe_operation(work: Work, body: dict) -> dict:
    """body: {"operation": "embed" | "predict" | "variants" | "mutagenesis", and that operation's options}. The
    operations are only built (no forward pass), which checks the options as a run would."""
    name = body.get("operation")
    if name == "embed":
        options = EmbeddingOptions(_text(body, "pooling", "mean"), _text(body, "layer", "-1"),
                                   _number(body, "window"), _number(body, "stride"), bool(body.get("rc_average")))
        embed = Embed(work.model, options, work.runner)
        return {"method": embed.method, "dimension": embed.dimension, "window": embed.embedder.window,
                "stride": embed.embedder.stride, "parameters": embed.parameters("request")}
    if name == "predict":
        return {"method": Predict(work.model, None, work.runner).method}
    if name == "variants":
        scores = body.get("scores")
        if scores is not None and not isinstance(scores, str):
            raise InputError(f"'scores' {scores!r}: expected names like \"llr,l2\"")
        variants = Variants(work.model, work.runner, scores=scores,
                            embedding=EmbeddingOptions(_text(body, "pooling", "mean"), _text(body, "layer", "-1")),
                            rc_average=bool(body.get("rc_average")))
        return {"scores": variants.scores, "llr_method": variants.llr_method,
                "method_lines": variants.method_lines(), "parameters": variants.option_parameters()}
    if name == "mutagenesis":
        return _mutagenesis(work, _number(body, "window"))
    raise InputError(f"'operation' {name!r}: expected embed, predict, variants or mutagenesis")


def _mutagenesis(work: Work, window: int | None) -> dict:
    """The window the job would use (checked as the route checks it) and the method line of its header."""
    work.model.require_lm_head("mutagenesis")
    operation = Mutagenesis(work.model, work.runner, site_window(window, work.model.max_bp))
    return {"method": operation.describe(), "scoring": operation.method, "window": operation.window}


def _text(body: dict, name: str, default: str) -> str:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InputError(f"'{name}': expected text, got {value!r}")
    return str(value)


def _number(body: dict, name: str) -> int | None:
    value = body.get(name)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise InputError(f"'{name}': expected a whole number, got {value!r}")
    return value
