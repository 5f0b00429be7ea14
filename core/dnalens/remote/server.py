"""A connection to one DNALens server (`dnalens serve`): what it runs and its limits, from its /info."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..errors import RemoteError
from .http import Connection, plain_http_warning

# /info keys a DNALens server gives (a TEI server, for one, has the first but not the model description).
REQUIRED = ("max_client_batch_size", "max_input_length", "max_body_bytes", "model")
MODEL_KEYS = ("id", "weights_sha256", "max_bp", "family")
VERSION_KEYS = ("dnalens", "torch", "transformers")  # /info "versions": the server's packages, in the headers
DEFAULT_MAX_SITES = 10_000  # /dnalens/predict's sites per request on servers that do not say
DEFAULT_MAX_POSITIONS = 10_000  # /dnalens/mutagenesis's positions per request on servers that do not say


@dataclass(frozen=True)
class ServerLimits:
    """What one request may hold (dnalens serve --max-sequences, --max-length, --max-body-bytes)."""

    max_sequences: int
    max_length: int
    max_body_bytes: int
    max_sites: int
    max_positions: int = DEFAULT_MAX_POSITIONS

    @classmethod
    def from_info(cls, info: dict) -> ServerLimits:
        return cls(int(info["max_client_batch_size"]), int(info["max_input_length"]), int(info["max_body_bytes"]),
                   int(info.get("max_predict_sites", DEFAULT_MAX_SITES)),
                   int(info.get("max_mutagenesis_positions", DEFAULT_MAX_POSITIONS)))


class Server:
    """Made by `connect`; the remote operations (remote/embed.py, predict.py, variants.py, mutagenesis.py) post
    through it."""

    def __init__(self, connection: Connection, info: dict):
        self.connection = connection
        self.url = connection.url
        self.model = info["model"]
        self.limits = ServerLimits.from_info(info)
        self.versions = {key: info["versions"][key] for key in VERSION_KEYS}  # checked by connect

    def info(self) -> dict:
        """The server's /info JSON, asked now (its stats change as it works)."""
        return _checked(self.connection.get("/info"), self.url)

    @property
    def id(self) -> str:
        return self.model["id"]

    @property
    def max_bp(self) -> int:
        return int(self.model["max_bp"])

    @property
    def weights_sha256(self) -> str:
        return self.model["weights_sha256"]

    def describe(self) -> dict:
        """The served model's description as a local model's describe() gives it, plus where it runs (the
        endpoint) and the server's package versions: what the outputs' provenance names."""
        return {**self.model, "endpoint": self.url, "versions": self.versions}

    def describe_operation(self, body: dict) -> dict:
        """POST /dnalens/describe: what the operation with these options says of itself (method, dimension,
        scores, parameters), checked: its texts go into the outputs' headers, one line each."""
        answer = self.post("/dnalens/describe", body)
        texts = [value for value in answer.values() if isinstance(value, str)]
        texts += [line for value in answer.values() if isinstance(value, list) for line in value]
        if not all(_one_line(text) for text in texts):
            raise RemoteError(f"the DNALens server at {self.url} described {body.get('operation')} with a text that "
                              "is not one line")
        return answer

    def post(self, route: str, body: dict) -> dict:
        answer = self.connection.post(route, body)
        if not isinstance(answer, dict):
            raise RemoteError(f"the DNALens server at {self.url} answered {route} with {type(answer).__name__}, "
                              "not an object")
        return answer


def connect(url: str, token: str | None = None, warn: Callable[[str], None] | None = None) -> Server:
    """A checked connection: the server answered /info as a DNALens server, with this token. Raises RemoteError
    (one line naming the URL) otherwise. warn: told, before anything is sent, when the token would go over plain
    http to another machine."""
    connection = Connection(url, token)
    warning = plain_http_warning(connection.url, token)
    if warning and warn is not None:
        warn(warning)
    return Server(connection, _checked(connection.get("/info"), connection.url))


def _checked(info: object, url: str) -> dict:
    if not (isinstance(info, dict) and all(key in info for key in REQUIRED) and isinstance(info["model"], dict)
            and all(key in info["model"] for key in MODEL_KEYS)):
        raise RemoteError(f"{url}/info is not a DNALens server's description (no model, limits or weights hash): "
                          "is the URL that of `dnalens serve`?")
    # What the outputs' headers will name: one line each, so that no answer can add lines to a file's header.
    versions = info.get("versions")
    named = [info["model"]["id"], info["model"]["weights_sha256"]]
    if isinstance(versions, dict):
        named += [versions.get(key) for key in VERSION_KEYS]
    if not (isinstance(versions, dict) and all(_one_line(value) for value in named)):
        raise RemoteError(f"{url}/info does not name its model, weights hash and versions ({', '.join(VERSION_KEYS)})"
                          " in one line each: is it a DNALens server as new as this dnalens?")
    return info


def _one_line(value: object) -> bool:
    return isinstance(value, str) and value.isprintable()


def summary(server: Server) -> dict:
    """What `dnalens info --endpoint URL` prints: the model the server runs, where, its limits and version."""
    info = server.info()
    model = info["model"]
    limits = ("max_client_batch_size", "max_input_length", "max_body_bytes", "max_predict_sites",
              "max_concurrent_requests", "max_batch_wait_ms", "max_mutagenesis_positions")
    return {"endpoint": server.url, "model": model["id"], "weights_sha256": model["weights_sha256"],
            "device": model.get("device"), "dtype": model.get("dtype"), "dnalens_version": info.get("version"),
            "versions": info.get("versions"), "limits": {key: info[key] for key in limits if key in info},
            "description": model, "stats": info.get("stats")}
