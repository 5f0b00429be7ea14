"""JSON over HTTP to one DNALens server, with the standard library only (the client needs no web stack): a bearer
token, a timeout, polite retries of 503 + Retry-After, and every failure as one RemoteError line naming the URL."""

from __future__ import annotations

import http.client
import ipaddress
import json
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable

from ..errors import RemoteError

TIMEOUT_S = 300.0  # one request: a batch of long sequences on a busy CPU server can take minutes
RETRIES = 4  # 503 answers retried, waiting as Retry-After asks (capped), before giving up
MAX_WAIT_S = 30.0
# An answer larger than any a server's limits allow (a request's vectors or sites) is not read into memory.
MAX_ANSWER_BYTES = 256 << 20


def normalise_url(url: str) -> str:
    """http(s)://host[:port][/prefix] without a trailing slash; anything else is refused in one line."""
    parsed = urllib.parse.urlsplit(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise RemoteError(f"--endpoint {url!r}: expected a URL like http://host:8000 or https://host/prefix")
    if parsed.username is not None or parsed.password is not None:  # it would be printed in every output's header
        raise RemoteError(f"--endpoint {parsed.scheme}://…@{parsed.hostname}: a URL with a user name or password; "
                          "give the token in DNALENS_TOKEN (or --token), not in the URL")
    return urllib.parse.urlunsplit((parsed.scheme, parsed.netloc, parsed.path.rstrip("/"), "", ""))


def plain_http_warning(url: str, token: str | None) -> str | None:
    """A warning when the token would cross the network unencrypted: http to a host that is not this machine."""
    parsed = urllib.parse.urlsplit(url)
    host = parsed.hostname or ""
    if not token or parsed.scheme != "http" or _is_loopback(host):
        return None
    return (f"the token is sent to {host} over plain http, readable on the way; use https (a TLS reverse proxy in "
            "front of dnalens serve, docs/SERVE.md)")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are not followed: urllib would send the Authorization header on to wherever the answer points
    (another host, or https → http) and turn a POST into a GET. A 3xx becomes an HTTPError, one line below."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class Connection:
    def __init__(self, url: str, token: str | None = None, *, timeout: float = TIMEOUT_S, retries: int = RETRIES,
                 sleep: Callable[[float], None] = time.sleep):
        self.url = normalise_url(url)
        self.token = token or None
        self.timeout, self.retries, self.sleep = timeout, retries, sleep
        self._opener = urllib.request.build_opener(_NoRedirect)

    def get(self, route: str) -> object:
        return self._call(route, None)

    def post(self, route: str, body: dict) -> object:
        return self._call(route, json.dumps(body).encode())

    def _call(self, route: str, data: bytes | None) -> object:
        for attempt in range(self.retries + 1):
            try:
                return self._once(route, data)
            except _Busy as busy:
                if attempt == self.retries:
                    raise RemoteError(f"the DNALens server at {self.url} is busy (503 after {attempt + 1} tries): "
                                      f"{busy}") from None
                self.sleep(busy.wait)
        raise AssertionError("unreachable")

    def _once(self, route: str, data: bytes | None) -> object:
        request = urllib.request.Request(self.url + route, data=data, method="GET" if data is None else "POST")
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                raw = response.read(MAX_ANSWER_BYTES + 1)
        except urllib.error.HTTPError as error:
            raise self._http_error(route, error) from None
        except (urllib.error.URLError, OSError) as error:
            raise RemoteError(f"cannot reach the DNALens server at {self.url}: {_reason(error, self.timeout)}") \
                from None
        except http.client.HTTPException as error:  # not HTTP at all (another service's port), or cut short
            raise RemoteError(f"{self.url}{route} did not answer in HTTP ({type(error).__name__}): is it a DNALens "
                              "server, and http or https as it listens?") from None
        if len(raw) > MAX_ANSWER_BYTES:
            raise RemoteError(f"{self.url}{route} answered more than {MAX_ANSWER_BYTES} bytes: not a DNALens "
                              "server's answer")
        try:
            return json.loads(raw)
        except ValueError:
            raise RemoteError(f"{self.url}{route} did not answer with JSON: is it a DNALens server?") from None

    def _http_error(self, route: str, error: urllib.error.HTTPError) -> Exception:
        message = _error_message(error)
        if error.code == 503:
            return _Busy(message, _retry_after(error.headers.get("Retry-After")))
        if error.code == 401:
            if self.token:
                return RemoteError(f"the DNALens server at {self.url} refused the token (401): check DNALENS_TOKEN "
                                   "or --token")
            return RemoteError(f"the DNALens server at {self.url} needs a token (401): set DNALENS_TOKEN "
                               "(or --token)")
        if 300 <= error.code < 400:
            return RemoteError(f"{self.url}{route} redirects ({error.code}) to {error.headers.get('Location')}: "
                               "give that address as the endpoint (redirects are not followed, so the token "
                               "goes nowhere else)")
        if error.code == 404:
            return RemoteError(f"{self.url} has no {route} (404): is it a DNALens server, and is this dnalens as "
                               "new as the server?")
        return RemoteError(f"the DNALens server at {self.url} answered {error.code}: {message}")


class _Busy(Exception):
    def __init__(self, message: str, wait: float):
        super().__init__(message)
        self.wait = wait


def _retry_after(value: str | None) -> float:
    try:
        return min(max(float(value), 0.1), MAX_WAIT_S)
    except (TypeError, ValueError):
        return 1.0


def _error_message(error: urllib.error.HTTPError) -> str:
    """The server's own one line ({"error": ...}, TEI's shape) or the HTTP reason."""
    try:
        body = json.loads(error.read() or b"null")
    except (ValueError, OSError):
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return body["error"]
    if isinstance(body, dict) and "detail" in body:  # FastAPI's own errors
        return str(body["detail"])
    return str(error.reason or "no reason given")


def _reason(error: Exception, timeout: float) -> str:
    reason = getattr(error, "reason", error)
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return f"no answer within {timeout:g} s"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused (is `dnalens serve` running there, on that port?)"
    if isinstance(reason, socket.gaierror):
        return "unknown host name"
    if isinstance(reason, ssl.SSLError):
        return f"TLS failed ({reason.reason or reason})"
    return str(getattr(reason, "strerror", None) or reason)
