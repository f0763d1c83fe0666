"""Who may talk to the proxy, and how big a call may be: cheap checks that run before any routing.

The proxy listens on loopback, but a loopback port is reachable from every web page the user has open:
a cross-site ``fetch`` with ``Content-Type: text/plain`` needs no CORS preflight, and a DNS-rebinding page
reaches ``127.0.0.1`` under its own host name. With ``serve --no-secret`` that was a cloud call paid by
the user. Real agent CLIs send JSON with a loopback ``Host`` and no ``Origin``; browsers cannot forge
``Host`` or ``Origin``. So every request must name a loopback host (421 otherwise) and carry no foreign
``Origin`` (403), and a chat-completions body must be declared ``application/json`` (415).

``n`` and the output-token fields multiply what one call costs; they are bounded by ``proxy.max_n`` and
``proxy.max_tokens`` and refused with 400 before any upstream is asked.

All checks are header lookups and string compares: this runs on every request of the latency-measured
hot path.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Any

from aiohttp import web

from pytest_hybrid_eval.config import ProxyConfig

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})
_BOUNDED_TOKENS = ("max_tokens", "max_completion_tokens")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error_response(status: int, message: str, type_: str = "invalid_request_error",
                   headers: dict[str, str] | None = None, **extra: Any) -> web.Response:
    """An OpenAI-style error body."""
    err: dict[str, Any] = {"message": message, "type": type_, **extra}
    return web.json_response({"error": err}, status=status, headers=headers)


@lru_cache(maxsize=256)
def loopback_host(host: str) -> bool:
    """True for ``127.0.0.1``, ``localhost`` or ``[::1]``, with or without a port (case-insensitive)."""
    host = host.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        name, rest = host[:end + 1], host[end + 1:]
    else:
        name, _, port = host.partition(":")
        rest = f":{port}" if port else ""
    if rest and not (rest.startswith(":") and rest[1:].isdigit()):
        return False
    return name in LOOPBACK_HOSTS


@lru_cache(maxsize=256)
def loopback_origin(origin: str) -> bool:
    """True for an ``http(s)://`` origin whose host is loopback; ``null`` and everything else is foreign."""
    scheme, sep, host = origin.strip().partition("://")
    return bool(sep) and scheme.lower() in ("http", "https") and "/" not in host and loopback_host(host)


def _json_type(content_type: str) -> bool:
    return content_type.partition(";")[0].strip().lower() == "application/json"


def refuse(request: web.Request) -> web.Response | None:
    """The refusal for a request that did not come from a local, non-browser-forged client, or None."""
    headers = request.headers
    host = headers.get("Host")
    if host is None or not loopback_host(host):
        return error_response(421, "the proxy answers only requests addressed to a loopback host "
                                   "(127.0.0.1, localhost or [::1])", "misdirected_request")
    origin = headers.get("Origin")
    if origin is not None and not loopback_origin(origin):
        return error_response(403, "cross-origin requests are refused (the Origin is not a loopback address)",
                              "forbidden")
    return None


def non_json_refusal(request: web.Request) -> web.Response | None:
    """415 for a POST body not declared ``application/json`` (a browser sends ``text/plain`` without a
    preflight), else None. Called by the POST handlers, so an unknown path stays a plain 404."""
    if _json_type(request.headers.get("Content-Type", "")):
        return None
    return error_response(415, "request bodies must be sent as Content-Type: application/json",
                          "unsupported_media_type")


@web.middleware
async def guard_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse foreign requests; unknown paths (a wrong secret included) get one generic body that echoes
    nothing back."""
    refusal = refuse(request)
    if refusal is not None:
        return refusal
    try:
        return await handler(request)
    except web.HTTPNotFound:
        return error_response(404, "not found", "not_found")
    except web.HTTPMethodNotAllowed as exc:
        return error_response(405, "method not allowed", "invalid_request_error",
                              headers={"Allow": ",".join(sorted(exc.allowed_methods))})


def limit_problem(body: dict[str, Any], limits: ProxyConfig) -> str | None:
    """Why a call asks for more than ``proxy.max_n`` choices or ``proxy.max_tokens`` output tokens, or None."""
    n = body.get("n")
    if n is not None:
        if not isinstance(n, int) or isinstance(n, bool):
            return "'n' must be an integer"
        if n > limits.max_n:
            return f"'n' is {n}; this proxy allows at most {limits.max_n} (proxy.max_n)"
    for key in _BOUNDED_TOKENS:
        v = body.get(key)
        if v is None:
            continue
        if not isinstance(v, int) or isinstance(v, bool):
            return f"'{key}' must be an integer"
        if v > limits.max_tokens:
            return f"'{key}' is {v}; this proxy allows at most {limits.max_tokens} (proxy.max_tokens)"
    return None
