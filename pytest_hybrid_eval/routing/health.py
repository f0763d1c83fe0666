"""What the proxy says about itself: the models it serves (OpenAI and Ollama shapes), its version, and
whether both upstreams answer.

Editor agents probe ``/v1/models`` or Ollama's ``/api/tags`` and ``/api/version`` before they send a call,
so these answer without asking a model. ``/healthz`` does ask: one ``GET models`` per tier, without
retries and with a short timeout, so a down upstream shows within seconds (503, naming the tier).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
from aiohttp import web

from pytest_hybrid_eval import __version__
from pytest_hybrid_eval.backends.base import BackendUnavailable
from pytest_hybrid_eval.config import Retry
from pytest_hybrid_eval.routing.calls import ms
from pytest_hybrid_eval.routing.upstreams import TIERS, Upstreams

HEALTH_TIMEOUT_S = 3.0


class Health:
    """The model-list, version and health endpoints of one proxy."""

    def __init__(self, upstreams: Upstreams) -> None:
        self.upstreams = upstreams

    async def models(self, request: web.Request) -> web.Response:
        data = [{"id": self.upstreams[t].model, "object": "model", "created": 0, "owned_by": f"hybrid-eval-{t}"}
                for t in TIERS]
        return web.json_response({"object": "list", "data": data})

    async def api_tags(self, request: web.Request) -> web.Response:
        models = [{"name": self.upstreams[t].model, "model": self.upstreams[t].model,
                   "modified_at": "1970-01-01T00:00:00Z", "size": 0, "digest": "",
                   "details": {"family": t, "format": "proxy"}} for t in TIERS]
        return web.json_response({"models": models})

    async def api_version(self, request: web.Request) -> web.Response:
        return web.json_response({"version": str(__version__)})

    async def _probe(self, tier: str) -> dict[str, Any]:
        backend = self.upstreams[tier]
        t = time.perf_counter()
        info: dict[str, Any] = {"kind": backend.kind, "model": backend.model}
        try:
            resp, _ = await backend.open(self.upstreams.session, "GET", "models", body=None,
                                         headers=backend.request_headers(None, -1, tier),
                                         retry=Retry(max_retries=0, backoff_s=0),
                                         timeout=aiohttp.ClientTimeout(total=HEALTH_TIMEOUT_S))
            async with resp:
                await resp.read()
            info.update(ok=resp.status == 200, status=resp.status)
        except BackendUnavailable as exc:
            info.update(ok=False, status=None, error=str(exc))
        except (aiohttp.ClientError, TimeoutError) as exc:
            info.update(ok=False, status=None, error=type(exc).__name__)
        info["latency_ms"] = ms(t)
        return info

    async def healthz(self, request: web.Request) -> web.Response:
        results = await asyncio.gather(*(self._probe(t) for t in TIERS))
        backends = dict(zip(TIERS, results, strict=True))
        down = [t for t, r in backends.items() if not r["ok"]]
        payload = {"status": "down" if down else "ok", "down": down, "backends": backends}
        return web.json_response(payload, status=503 if down else 200)
