"""Any OpenAI-compatible server (OpenAI, vLLM, llama.cpp server, LM Studio, Ollama's /v1), and the
scripted variant that tells the offline model server which cell and call it is answering.

Retries live here, applied identically to both tiers: 429 (honouring Retry-After), 5xx and connection
errors are retried with exponential backoff. The proxy only calls ``open`` before it has sent a byte to
its client, so a retry is never visible in a reply.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from typing import Any

import aiohttp

from pytest_hybrid_eval.backends.base import BackendUnavailable
from pytest_hybrid_eval.config import Retry

#: A Retry-After longer than this is capped: a benchmark cell must not stall for minutes on one header.
MAX_RETRY_AFTER_S = 60.0


def _retry_after_s(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _retryable_status(status: int) -> bool:
    return status == 429 or 500 <= status <= 599


class OpenAICompatBackend:
    """An upstream speaking the OpenAI chat-completions API under ``base_url`` (which ends in ``/v1``)."""

    def __init__(self, base_url: str, model: str, api_key: str | None = None, kind: str = "openai_compat",
                 extra_headers: dict[str, str] | None = None, connect_s: float = 10.0,
                 read_s: float = 180.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.kind = kind
        self.connect_s = connect_s
        self.read_s = read_s
        self._extra_headers = dict(extra_headers or {})
        # Held only in memory; never part of repr, records or error messages.
        self.__api_key = api_key

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, model={self.model!r}, kind={self.kind!r})"

    @property
    def has_api_key(self) -> bool:
        return bool(self.__api_key)

    def redaction_secrets(self) -> tuple[str, ...]:
        """What the proxy must mask wherever an upstream might echo it (the key, when there is one)."""
        return (self.__api_key,) if self.__api_key else ()

    def request_headers(self, cell_id: str | None, call_index: int, tier: str) -> dict[str, str]:
        return {}

    def _base_headers(self) -> dict[str, str]:
        headers = {"Accept-Encoding": "identity", **self._extra_headers}
        if self.__api_key:
            headers["Authorization"] = f"Bearer {self.__api_key}"
        return headers

    def prepare_body(self, body: dict[str, Any], *, stream: bool) -> dict[str, Any]:
        out = dict(body)
        out["model"] = self.model
        if stream:
            opts = out.get("stream_options")
            opts = dict(opts) if isinstance(opts, dict) else {}
            opts["include_usage"] = True
            out["stream_options"] = opts
        return out

    def timeout(self) -> aiohttp.ClientTimeout:
        """Connect bound plus a per-read bound (time between bytes), the same for both tiers.

        Built once per (connect_s, read_s) and reused (ClientTimeout is immutable); the key is checked each
        call so that a changed ``connect_s``/``read_s`` still takes effect."""
        key = (self.connect_s, self.read_s)
        cached = getattr(self, "_timeout_cache", None)
        if cached is None or cached[0] != key:
            cached = (key, aiohttp.ClientTimeout(total=None, sock_connect=self.connect_s, connect=self.connect_s,
                                                 sock_read=self.read_s))
            self._timeout_cache = cached
        return cached[1]

    async def open(self, session: aiohttp.ClientSession, method: str, path: str, *,
                   body: bytes | None, headers: dict[str, str], retry: Retry,
                   timeout: aiohttp.ClientTimeout | None = None) -> tuple[aiohttp.ClientResponse, int]:
        url = f"{self.base_url}/{path.lstrip('/')}"
        send_headers = {**self._base_headers(), **headers}
        if body is not None:
            send_headers.setdefault("Content-Type", "application/json")
        attempt = 0
        while True:
            try:
                resp = await session.request(method, url, data=body, headers=send_headers,
                                             timeout=timeout or self.timeout(), allow_redirects=False)
            except (aiohttp.ClientConnectionError, TimeoutError) as exc:
                if attempt >= retry.max_retries:
                    is_timeout = isinstance(exc, TimeoutError)
                    what = "timed out" if is_timeout else f"unreachable ({type(exc).__name__})"
                    raise BackendUnavailable(
                        f"upstream {self.model!r} at {self.base_url} {what} after {attempt} retries",
                        retries=attempt, timeout=is_timeout) from None
                await asyncio.sleep(retry.backoff_s * (2 ** attempt))
                attempt += 1
                continue
            if not _retryable_status(resp.status) or attempt >= retry.max_retries:
                return resp, attempt
            delay = retry.backoff_s * (2 ** attempt)
            if resp.status == 429:
                after = _retry_after_s(resp.headers.get("Retry-After"))
                if after is not None:
                    delay = max(delay, min(after, MAX_RETRY_AFTER_S))
            resp.release()
            await asyncio.sleep(delay)
            attempt += 1


class ScriptedBackend(OpenAICompatBackend):
    """The offline scripted model server: same wire protocol, plus headers naming the cell, call and tier.

    The scripted server decides its answer deterministically per (cell, call, tier), so it must be told
    these; the headers go upstream only and never reach the agent.
    """

    def request_headers(self, cell_id: str | None, call_index: int, tier: str) -> dict[str, str]:
        headers = {"X-Hybrid-Call": str(call_index), "X-Hybrid-Tier": tier}
        if cell_id is not None:
            headers["X-Hybrid-Cell"] = cell_id
        return headers
