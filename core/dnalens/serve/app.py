"""The HTTP routes: Hugging Face shapes where one exists (TEI's /embed, /info, /health; the fill-mask task), and
/dnalens/* for what those cannot say. Every route checks its request here and hands the model work to the queue."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections.abc import AsyncIterator, Hashable

import numpy as np
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from .. import __version__
from ..choices import DEFAULT_MAX_DIFFERENCES, POOLINGS
from ..errors import DNALensError, InputError
from ..model import MASKED
from ..model.tokens import NUCLEOTIDE
from ..ops.mutagenesis import COLUMNS as MUTAGENESIS_COLUMNS
from ..ops.mutagenesis import parse_span, sequence_target
from ..ops.variant_inputs import pairs_input, site_window
from ..ops.variants import check_scored
from ..positions import parse_positions
from ..provenance import package_versions
from ..sequence import NUCLEOTIDES
from .batching import BatchQueue, QueueFull, ShuttingDown
from .describe import describe_operation
from .limits import Limits, TooLarge, authorised, records, sequences_field
from .work import EMBED, MUTAGENESIS, PREDICT, VARIANT_CASES, VARIANTS, Result, Work, public_message

MASK = "[MASK]"
MAX_SITES = 10_000  # positions scored for one /dnalens/predict request
PUBLIC = {"/health"}  # a load balancer's probe needs no token


class Problem(Exception):
    def __init__(self, status: int, message: str, error_type: str):
        super().__init__(message)
        self.status, self.error_type = status, error_type


def _error(status: int, message: str, error_type: str, headers: dict | None = None) -> JSONResponse:
    # TEI's error shape: {"error": ..., "error_type": ...}
    return JSONResponse({"error": message, "error_type": error_type}, status_code=status, headers=headers)


def _option(body: dict, name: str, kind: type | tuple, default=None):
    value = body.get(name, default)
    if value is not None and (not isinstance(value, kind) or (isinstance(value, bool) and kind is int)):
        raise InputError(f"'{name}': expected {getattr(kind, '__name__', 'a valid value')}, got {value!r}")
    return value


class Server:
    def __init__(self, work: Work, limits: Limits, token: str | None):
        self.work, self.limits, self.token = work, limits, token
        self.queue = BatchQueue(work, limits.queue, limits.max_batch_wait_ms / 1000, work.cancel)
        self.requests = 0

    async def body(self, request: Request) -> dict:
        raw = b""
        async for chunk in request.stream():  # a body without Content-Length stops being read at the limit
            raw += chunk
            if len(raw) > self.limits.max_body_bytes:
                raise TooLarge(f"request body over {self.limits.max_body_bytes} bytes")
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as error:
            raise Problem(400, f"the request body is not JSON ({error})", "validation") from None
        if not isinstance(body, dict):
            raise Problem(400, "the request body must be a JSON object", "validation")
        return body

    async def run(self, request: Request, key: Hashable, items: list, sequences: int) -> list[Result]:
        request.state.sequences = sequences
        try:
            # This task cancelled cancels the future: a request the worker has not taken yet is skipped.
            return await asyncio.wrap_future(self.queue.submit(key, items))
        except QueueFull as error:
            raise Problem(503, f"server busy: {error}; retry shortly", "overloaded") from None
        except ShuttingDown as error:  # refused, or stopped between forward batches (lifecycle.py)
            raise Problem(503, f"{error}; retry shortly", "overloaded") from None

    def info(self) -> dict:
        model = self.work.description  # no server paths (work.public_description)
        return {"model_id": model["id"], "model_dtype": model["dtype"], "version": __version__,
                "versions": package_versions(), **self.limits.describe(), "max_predict_sites": MAX_SITES,
                "model": model, "stats": {"requests": self.requests, "operation_calls": self.queue.batches,
                                          "forward_batches": self.work.runner.forward_batches}}


def create_app(work: Work, limits: Limits, token: str | None) -> FastAPI:
    server = Server(work, limits, token)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        server.queue.stop()  # after uvicorn has finished the in-flight requests

    app = FastAPI(title="DNALens", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.server = server
    _add_middleware(app, server)
    _add_errors(app, server)
    _add_hf_routes(app, server)
    _add_dnalens_routes(app, server)
    _add_mutagenesis_route(app, server)
    _add_describe_route(app, server)
    return app


def _add_middleware(app: FastAPI, server: Server) -> None:
    @app.middleware("http")
    async def guard_and_log(request: Request, call_next):
        started = time.perf_counter()
        request.state.sequences = 0
        length = request.headers.get("content-length", "")
        if request.url.path not in PUBLIC and not authorised(request.headers.get("authorization"), server.token):
            response = _error(401, "a bearer token is required (Authorization: Bearer TOKEN)", "unauthorized",
                              {"WWW-Authenticate": "Bearer"})
        elif length.isdigit() and int(length) > server.limits.max_body_bytes:  # refused before it is read
            response = _error(413, f"request body of {length} bytes: at most {server.limits.max_body_bytes}",
                              "validation")
        else:
            server.requests += 1
            response = await call_next(request)
        # One JSON line per request on stderr: what was asked, how it ended, how long it took.
        print(json.dumps({"method": request.method, "route": request.url.path, "status": response.status_code,
                          "sequences": request.state.sequences,
                          "ms": round(1000 * (time.perf_counter() - started), 2)}), file=sys.stderr, flush=True)
        return response


def _add_errors(app: FastAPI, server: Server) -> None:
    def public(error: Exception) -> str:  # no server paths in errors either (work.public_message)
        return public_message(server.work.model, str(error))

    @app.exception_handler(Problem)
    async def problem(request: Request, error: Problem) -> JSONResponse:
        headers = {"Retry-After": "1"} if error.status == 503 else None
        return _error(error.status, public(error), error.error_type, headers)

    @app.exception_handler(TooLarge)
    async def too_large(request: Request, error: TooLarge) -> JSONResponse:
        return _error(413, public(error), "validation")

    @app.exception_handler(DNALensError)
    async def bad_input(request: Request, error: DNALensError) -> JSONResponse:
        return _error(422, public(error), "validation")


def _add_hf_routes(app: FastAPI, server: Server) -> None:
    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok"}

    @app.get("/info")
    async def info() -> dict:
        return server.info()

    @app.post("/embed")
    async def embed(request: Request) -> list:
        """TEI's feature extraction: mean-pooled last layer, as `dnalens embed` by default."""
        body = await server.body(request)
        batch = records(sequences_field(body.get("inputs")), server.limits)
        results = await server.run(request, (EMBED, "mean", "-1", None, False, None), batch, len(batch))
        vectors = [result.value.vector.tolist() for result in results]
        if _option(body, "normalize", bool, False):
            vectors = [(np.asarray(v) / max(np.linalg.norm(v), 1e-12)).tolist() for v in vectors]
        return vectors

    @app.post("/fill-mask")
    async def fill_mask(request: Request) -> list:
        body = await server.body(request)
        text = body.get("inputs")
        if not isinstance(text, str) or text.count(MASK) != 1:
            raise InputError(f"'inputs': expected one DNA sequence with exactly one {MASK}")
        top_k, targets = _fill_mask_parameters(body.get("parameters") or {})
        _require_fill_mask(server.work)
        site = text.index(MASK)
        record = records([text.replace(MASK, "N")], server.limits)[0]
        results = await server.run(request, (PREDICT,), [(record, parse_positions(str(site + 1)))], 1)
        probabilities = results[0].value[0].probabilities
        ranked = sorted(targets, key=lambda base: -probabilities[base])[:top_k]
        return [{"sequence": record.sequence[:site] + base + record.sequence[site + 1 :],
                 "score": probabilities[base], "token": server.work.model.token_id(base), "token_str": base}
                for base in ranked]


def _fill_mask_parameters(parameters: dict) -> tuple[int, list[str]]:
    if not isinstance(parameters, dict):
        raise InputError("'parameters': expected an object")
    targets = _option(parameters, "targets", list, list(NUCLEOTIDES))
    if not targets or any(target not in NUCLEOTIDES for target in targets):
        raise InputError(f"'targets' {targets!r}: expected some of A, C, G, T")
    top_k = _option(parameters, "top_k", int, 5)  # HF's default; at most the four bases
    if top_k < 1:
        raise InputError(f"'top_k' {top_k}: must be 1 or more")
    return top_k, list(dict.fromkeys(targets))


def _require_fill_mask(work: Work) -> None:
    model = work.model
    if model.family != MASKED or model.tokens.kind != NUCLEOTIDE:
        raise Problem(400, f"fill-mask needs a masked model with one token per nucleotide; model '{model.id}' is "
                           f"{model.family} with {model.tokens.kind} tokens (use /dnalens/predict, which scores "
                           "every model family)", "validation")


def _add_dnalens_routes(app: FastAPI, server: Server) -> None:
    @app.post("/dnalens/embed")
    async def dnalens_embed(request: Request) -> dict:
        body = await server.body(request)
        batch = records(sequences_field(body.get("sequences"), "sequences"), server.limits, _ids(body))
        pooling = _option(body, "pooling", str, "mean")
        if pooling not in POOLINGS:
            raise InputError(f"'pooling' {pooling!r}: expected one of {', '.join(POOLINGS)}")
        key = (EMBED, pooling, str(_option(body, "layer", (str, int), "-1")), _option(body, "window", int),
               _option(body, "rc_average", bool, False), _option(body, "stride", int))
        results = await server.run(request, key, batch, len(batch))
        meta = results[0].meta
        # weight: what the vector's windows were combined by, so that a client can join the embeddings of a
        # record it sent in stretches (remote/embed.py).
        return {"embeddings": [{"id": r.id, "vector": result.value.vector.tolist(), "weight": result.value.weight}
                               for r, result in zip(batch, results)],
                "method": meta["method"], "warnings": meta["warnings"], "provenance": meta["provenance"]}

    @app.post("/dnalens/predict")
    async def dnalens_predict(request: Request) -> dict:
        body = await server.body(request)
        batch = records(sequences_field(body.get("sequences"), "sequences"), server.limits, _ids(body))
        wanted = _predict_positions(body, len(batch))
        sites = sum(len(positions) for positions in wanted)
        if sites > MAX_SITES:
            raise TooLarge(f"{sites} sites in one request: at most {MAX_SITES}")
        results = await server.run(request, (PREDICT,), list(zip(batch, wanted)), len(batch))
        rows = [{key: value for key, value in site.row().items() if key != "method"}
                for result in results for site in result.value]
        meta = results[0].meta
        described = ";".join(dict.fromkeys(positions.describe() for positions in wanted))
        return {"predictions": rows, "method": meta["method"], "warnings": meta["warnings"],
                "provenance": {**meta["provenance"], "parameters": {"positions": described, "input": "request"}}}

    @app.post("/dnalens/variants")
    async def dnalens_variants(request: Request) -> dict:
        body = await server.body(request)
        pairs, key = _variant_request(body, server.limits)
        results = await server.run(request, key, pairs, 2 * len(pairs))
        # Given cases are scored as they are (a client's VCF windows); pairs are checked as paired FASTA is.
        warnings = [] if key[0] == VARIANT_CASES else check_scored([result.value for result in results],
                                                                   pairs_input(pairs, key[-1]))
        meta = results[0].meta
        rows = [{**result.value.case.identity, "pair": number,
                 **{score: result.value.scores[score] for score in meta["scores"]},
                 "status": str(result.value.status)} for number, result in enumerate(results, start=1)]
        return {"variants": rows, "method": meta["method"], "warnings": warnings, "provenance": meta["provenance"]}


def _ids(body: dict) -> list[str] | None:
    ids = body.get("ids")
    if ids is not None and not (isinstance(ids, list) and all(isinstance(i, str) for i in ids)):
        raise InputError("'ids': expected a list of names, one per sequence")
    return ids


def _predict_positions(body: dict, count: int) -> list:
    """'positions' for every sequence, or 'positions_each': one positions text per sequence (a client's shard or
    --all-positions asks each record for its own sites)."""
    each = body.get("positions_each")
    if each is not None:
        if not (isinstance(each, list) and len(each) == count and all(isinstance(p, str) for p in each)):
            raise InputError("'positions_each': expected one positions text (\"5,17\", \"10-20\") per sequence")
        return [parse_positions(text) for text in each]
    positions = parse_positions(str(_option(body, "positions", (str, int, list), "")).strip("[]"))
    if not len(positions):
        raise InputError("'positions': expected 1-based positions like \"5,17\" or \"10-20\"")
    return [positions] * count


def _variant_request(body: dict, limits: Limits) -> tuple[list, tuple]:
    if "cases" in body:
        return _variant_cases(body, limits)
    pairs = body.get("pairs")
    if not isinstance(pairs, list) or not pairs or not all(
            isinstance(p, dict) and isinstance(p.get("ref"), str) and isinstance(p.get("alt"), str) for p in pairs):
        raise InputError("'pairs': expected a non-empty list of {\"ref\": DNA, \"alt\": DNA, \"id\": name}")
    ids = [str(p.get("id", f"pair{i}")) for i, p in enumerate(pairs, start=1)]
    refs = records([p["ref"] for p in pairs], limits, ids)
    alts = records([p["alt"] for p in pairs], limits, ids)
    key = (VARIANTS, *_variant_options(body), _option(body, "max_differences", int, DEFAULT_MAX_DIFFERENCES))
    return list(zip(refs, alts)), key


def _variant_options(body: dict) -> tuple:
    pooling = _option(body, "pooling", str, "mean")
    if pooling not in POOLINGS:
        raise InputError(f"'pooling' {pooling!r}: expected one of {', '.join(POOLINGS)}")
    return (_option(body, "scores", str), pooling, str(_option(body, "layer", (str, int), "-1")),
            _option(body, "rc_average", bool, False))


def _variant_cases(body: dict, limits: Limits) -> tuple[list, tuple]:
    """'cases': [{"ref", "alt", "site", "id"}]: WT and mutant windows scored as given, site the 0-based position
    of a single-base substitution or null (as a client's VCF windows are: its reference and window rule)."""
    cases = body.get("cases")
    if not isinstance(cases, list) or not cases or not all(
            isinstance(c, dict) and isinstance(c.get("ref"), str) and isinstance(c.get("alt"), str)
            and (c.get("site") is None or (isinstance(c["site"], int) and not isinstance(c["site"], bool)))
            for c in cases):
        raise InputError("'cases': expected a non-empty list of {\"ref\": DNA, \"alt\": DNA, \"site\": 0-based "
                         "substitution site or null, \"id\": name}")
    ids = [str(c.get("id", f"case{i}")) for i, c in enumerate(cases, start=1)]
    refs = records([c["ref"] for c in cases], limits, ids)
    alts = records([c["alt"] for c in cases], limits, ids)
    for name, case, ref, alt in zip(ids, cases, refs, alts):
        site = case.get("site")
        if site is not None and not (0 <= site < min(len(ref.sequence), len(alt.sequence))):
            raise InputError(f"case '{name}': site {site} is outside its windows")
    items = [(ref, alt, case.get("site")) for ref, alt, case in zip(refs, alts, cases)]
    return items, (VARIANT_CASES, *_variant_options(body))


def _add_mutagenesis_route(app: FastAPI, server: Server) -> None:
    @app.post("/dnalens/mutagenesis")
    async def dnalens_mutagenesis(request: Request) -> dict:
        """Every substitution of each sequence (or its 1-based `range`), as `dnalens mutagenesis` writes them."""
        body = await server.body(request)
        batch = records(sequences_field(body.get("sequences"), "sequences"), server.limits, _ids(body))
        span_text = _option(body, "range", str)
        span = parse_span(span_text) if span_text else None
        window = _mutagenesis_checks(server, batch, span, _option(body, "window", int))
        results = await server.run(request, (MUTAGENESIS, window), [(r, span) for r in batch], len(batch))
        rows = [dict(zip(MUTAGENESIS_COLUMNS, row)) for result in results for mutated in result.value
                if mutated.scored for row in mutated.rows()]
        meta = results[0].meta
        return {"mutations": rows, "method": meta["method"],
                "warnings": [line for result in results for line in result.meta["warnings"]],
                "provenance": {**meta["provenance"], "parameters": {**meta["provenance"]["parameters"],
                                                                     "range": span_text}}}


def _mutagenesis_checks(server: Server, batch: list, span: tuple[int, int] | None, window: int | None) -> int:
    """Refused before queueing, as the job refuses them: a model without a head, a bad window or range, and
    more positions than --max-mutagenesis-positions (413). Returns the window."""
    server.work.model.require_lm_head("mutagenesis")
    window = site_window(window, server.work.model.max_bp)
    for record in batch:
        sequence_target(record.id, record.sequence, span)  # raises for a range beyond the record
    positions = sum(span[1] - span[0] + 1 if span else len(record.sequence) for record in batch)
    if positions > server.limits.max_positions:
        raise TooLarge(f"{positions} positions to mutate in one request: at most {server.limits.max_positions} "
                       "(send a --range, or fewer sequences, per request)")
    return window


def _add_describe_route(app: FastAPI, server: Server) -> None:
    @app.post("/dnalens/describe")
    async def dnalens_describe(request: Request) -> dict:
        """An operation's method, dimension, scores and parameters for given options, without running it: what a
        client writes in its outputs' headers before the first result (remote/)."""
        return describe_operation(server.work, await server.body(request))
