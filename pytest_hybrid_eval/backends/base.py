"""The upstream contract: what the routing proxy needs from a model server it forwards to.

A backend describes an upstream (URL, model name, headers, timeouts) and opens requests on a session the
proxy owns, so both tiers share one connection pool and one retry policy: hybrid-coding-eval gave its tiers
different timeouts and retries, which confounded every local-vs-cloud comparison.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import aiohttp

from pytest_hybrid_eval.config import Retry


class BackendUnavailable(Exception):
    """The upstream could not be reached (or timed out) after every retry; the proxy answers 502/504."""

    def __init__(self, message: str, *, retries: int, timeout: bool = False) -> None:
        super().__init__(message)
        self.retries = retries
        self.timeout = timeout


@runtime_checkable
class Backend(Protocol):
    """An OpenAI-compatible upstream for one tier."""

    base_url: str
    model: str
    kind: str
    connect_s: float
    read_s: float

    def request_headers(self, cell_id: str | None, call_index: int, tier: str) -> dict[str, str]:
        """Per-request headers this backend wants (the scripted backend learns cell and call from them)."""
        ...

    def prepare_body(self, body: dict[str, Any], *, stream: bool) -> dict[str, Any]:
        """The body to send upstream: the client's, with this tier's model and (streams) usage requested."""
        ...

    async def open(self, session: aiohttp.ClientSession, method: str, path: str, *,
                   body: bytes | None, headers: dict[str, str], retry: Retry,
                   timeout: aiohttp.ClientTimeout | None = None) -> tuple[aiohttp.ClientResponse, int]:
        """Send a request with the retry policy; return the final response (unread) and the retry count."""
        ...
