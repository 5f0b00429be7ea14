"""Where a job's operation runs: on the loaded model (ops/) or on a DNALens server (remote/, `--endpoint`). Both
yield the same records, so each job and its writers serve local and remote runs alike."""

from __future__ import annotations

from ..compute.embedder import EmbeddingOptions
from ..context import RunContext
from ..model import LanguageModel
from ..ops.embed import Embed
from ..ops.mutagenesis import Mutagenesis
from ..ops.predict import Predict
from ..ops.variant_inputs import site_window
from ..ops.variants import Variants
from ..positions import Positions
from ..remote import Server
from ..remote.embed import RemoteEmbed
from ..remote.mutagenesis import RemoteMutagenesis
from ..remote.predict import RemotePredict
from ..remote.variants import RemoteVariants
from ..runner import Runner

Model = LanguageModel | Server  # a job's `model`: loaded here, or served (remote.connect)


def embed_operation(model: Model, options: EmbeddingOptions, runner: Runner | None,
                    context: RunContext) -> Embed | RemoteEmbed:
    if isinstance(model, Server):
        return RemoteEmbed(model, options, context.cancel_event)
    return Embed(model, options, runner or context.runner(model))


def predict_operation(model: Model, positions: Positions | None, runner: Runner | None,
                      context: RunContext) -> Predict | RemotePredict:
    if isinstance(model, Server):
        return RemotePredict(model, positions, context.cancel_event)
    return Predict(model, positions, runner or context.runner(model))


def variants_operation(model: Model, runner: Runner | None, context: RunContext, *, scores: str | None,
                       embedding: EmbeddingOptions | None, rc_average: bool) -> Variants | RemoteVariants:
    if isinstance(model, Server):
        return RemoteVariants(model, scores=scores, embedding=embedding, rc_average=rc_average,
                              cancel_event=context.cancel_event)
    return Variants(model, runner or context.runner(model), scores=scores, embedding=embedding,
                    rc_average=rc_average)


def mutagenesis_operation(model: Model, window: int | None, runner: Runner | None,
                          context: RunContext) -> Mutagenesis | RemoteMutagenesis:
    """The server checks the window and its model's head itself (/dnalens/describe), as the model does here."""
    if isinstance(model, Server):
        return RemoteMutagenesis(model, window, context.cancel_event)
    model.require_lm_head("mutagenesis")
    return Mutagenesis(model, runner or context.runner(model), site_window(window, model.max_bp))
