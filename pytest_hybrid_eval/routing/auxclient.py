"""The helper-model client: how a strategy asks a classifier or an embedder, through the LOCAL backend.

Each helper call is returned as an AuxCall so it is counted in the call record (hybrid-coding-eval hid
them), and it never raises: a broken or slow helper becomes a failed, counted AuxCall and the strategy
decides without it. The timeout covers retries as well.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp

from pytest_hybrid_eval.backends.base import Backend
from pytest_hybrid_eval.config import Retry
from pytest_hybrid_eval.routing.calls import ms
from pytest_hybrid_eval.routing.replies import parse_usage
from pytest_hybrid_eval.routing.tokens import count_messages, count_text
from pytest_hybrid_eval.usage import AuxCall, TokenCounts


def _aux_error(exc: BaseException, timeout_s: float) -> str:
    if isinstance(exc, TimeoutError):
        return f"timed out after {timeout_s} s"
    return f"{type(exc).__name__}: {exc}"[:300]


class LocalAuxClient:
    """The ``AuxClient`` a strategy gets in its context, bound to one routed call (its index)."""

    def __init__(self, backend: Backend, session: aiohttp.ClientSession, retry: Retry, call_index: int) -> None:
        self._backend = backend
        self._session = session
        self._retry = retry
        self._call_index = call_index

    async def _post(self, kind: str, path: str, payload: dict[str, Any], cell_id: str | None,
                    timeout_s: float) -> dict[str, Any]:
        headers = {**self._backend.request_headers(cell_id, self._call_index, "local"), "X-Hybrid-Aux": kind}
        body = json.dumps(payload, ensure_ascii=False).encode()

        async def go() -> dict[str, Any]:
            resp, _ = await self._backend.open(self._session, "POST", path, body=body, headers=headers,
                                               retry=self._retry,
                                               timeout=aiohttp.ClientTimeout(total=timeout_s))
            async with resp:
                data = await resp.read()
                if resp.status != 200:
                    raise RuntimeError(f"{kind} call returned status {resp.status}")
            obj = json.loads(data)
            if not isinstance(obj, dict):
                raise RuntimeError(f"{kind} reply is not a JSON object")
            return obj

        return await asyncio.wait_for(go(), timeout_s)

    async def chat(self, kind: str, messages: list[dict[str, Any]], model: str, cell_id: str | None,
                   timeout_s: float) -> tuple[str | None, AuxCall]:
        t0 = time.perf_counter()
        payload = {"model": model, "messages": messages, "stream": False, "temperature": 0}
        try:
            obj = await self._post(kind, "chat/completions", payload, cell_id, timeout_s)
            text = obj["choices"][0]["message"].get("content") or ""
            usage = parse_usage(obj.get("usage")) or TokenCounts(
                prompt=count_messages(messages), completion=count_text(text))
            return text, AuxCall(kind=kind, tier="local", model=model, usage=usage, latency_ms=ms(t0))
        except Exception as exc:  # noqa: BLE001 - any failure is a counted, failed aux call
            return None, AuxCall(kind=kind, tier="local", model=model, latency_ms=ms(t0), ok=False,
                                 error=_aux_error(exc, timeout_s))

    async def embed(self, texts: list[str], model: str, cell_id: str | None,
                    timeout_s: float) -> tuple[list[list[float]] | None, AuxCall]:
        t0 = time.perf_counter()
        try:
            obj = await self._post("embedding", "embeddings", {"model": model, "input": texts}, cell_id, timeout_s)
            rows = sorted(obj["data"], key=lambda r: r.get("index", 0))
            vectors = [[float(x) for x in r["embedding"]] for r in rows]
            if len(vectors) != len(texts):
                raise RuntimeError(f"embedding reply has {len(vectors)} vectors for {len(texts)} inputs")
            usage = parse_usage(obj.get("usage")) or TokenCounts(prompt=sum(count_text(t) for t in texts))
            return vectors, AuxCall(kind="embedding", tier="local", model=model, usage=usage, latency_ms=ms(t0))
        except Exception as exc:  # noqa: BLE001 - any failure is a counted, failed aux call
            return None, AuxCall(kind="embedding", tier="local", model=model, latency_ms=ms(t0), ok=False,
                                 error=_aux_error(exc, timeout_s))
